-- Flink's built-in functions over the bundled bid stream (README, "Functions and types"):
--   cargo run --release --bin vstream -- run examples/functions.sql -w 2
-- Each query writes a folder of CSV part files under examples/out/.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR,
                  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND)
  WITH ('connector' = 'file', 'path' = 'data/bids.csv', 'format' = 'csv', 'csv.header' = 'true');

-- Per bid: the url's id, the minute, the hour, the price in euros (ROUND halves away from zero,
-- as Flink), the channel in capitals and a JSON document of the bid.
CREATE TABLE enriched WITH ('connector' = 'file', 'path' = 'out/enriched', 'format' = 'csv');
INSERT INTO enriched
SELECT auction,
       CAST(REGEXP_EXTRACT(url, '/c/([0-9]+)', 1) AS BIGINT) AS url_id,
       SPLIT_INDEX(url, '/', 2) AS host,
       DATE_FORMAT(date_time, 'yyyy-MM-dd HH:mm') AS minute,
       HOUR(date_time) AS hour,
       ROUND(price * 0.908, 1) AS euros,
       UPPER(channel) AS channel,
       JSON_OBJECT('bidder' VALUE bidder, 'at' VALUE DATE_FORMAT(date_time, 'HH:mm:ss.SSS')) AS doc
FROM bid;

-- Per channel and second: how many bids, their spread, and the first few bidders in arrival order.
CREATE TABLE per_second WITH ('connector' = 'file', 'path' = 'out/per_second', 'format' = 'csv');
INSERT INTO per_second
SELECT window_start, channel, COUNT(*) AS bids, ROUND(STDDEV_POP(price), 2) AS price_sd,
       MAX(price) - MIN(price) AS price_range
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '1' SECOND))
GROUP BY window_start, window_end, channel;
