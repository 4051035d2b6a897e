-- Flink's single-stream query forms over the bundled bid stream (README, "Query forms"):
--   cargo run --release --bin vstream -- run examples/query_forms.sql -w 2
-- Each query writes a folder of CSV part files under examples/out/.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR,
                  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND)
  WITH ('connector' = 'file', 'path' = 'data/bids.csv', 'format' = 'csv', 'csv.header' = 'true');

-- A view, computed once for every query that reads it.
CREATE VIEW big_bids AS SELECT auction, bidder, price, channel, date_time FROM bid WHERE price > 1000;

-- Top-N: the three highest big bids of each auction (a changelog: rows leave the top as better ones come).
CREATE TABLE top3 WITH ('connector' = 'file', 'path' = 'out/top3', 'format' = 'csv');
INSERT INTO top3
SELECT auction, bidder, price, rn FROM (
  SELECT auction, bidder, price,
         ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC, bidder) AS rn
  FROM big_bids)
WHERE rn <= 3;

-- Deduplication: each bidder's first bid in event time, emitted once the watermark passes it.
CREATE TABLE first_bids WITH ('connector' = 'file', 'path' = 'out/first_bids', 'format' = 'csv');
INSERT INTO first_bids
SELECT bidder, auction, price, date_time FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY date_time) AS rn FROM bid)
WHERE rn = 1;

-- An OVER aggregate: each bid with the average of its auction's last 5 bids.
CREATE TABLE running WITH ('connector' = 'file', 'path' = 'out/running', 'format' = 'csv');
INSERT INTO running
SELECT auction, price, date_time, AVG(price) OVER w AS avg_last_5
FROM bid WINDOW w AS (PARTITION BY auction ORDER BY date_time ROWS BETWEEN 4 PRECEDING AND CURRENT ROW);

-- CUMULATE windows (1 s steps to 5 s) per channel, with a ROLLUP row for all channels.
CREATE TABLE cumulative WITH ('connector' = 'file', 'path' = 'out/cumulative', 'format' = 'csv');
INSERT INTO cumulative
SELECT window_start, window_end, channel, COUNT(*) AS bids, SUM(price) AS volume
FROM TABLE(CUMULATE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '1' SECOND, INTERVAL '5' SECOND))
GROUP BY window_start, window_end, ROLLUP (channel);
