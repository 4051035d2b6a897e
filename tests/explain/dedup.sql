-- Deduplication: the first bid per bidder by event time, as a Top-N of 1.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR,
                  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
SELECT bidder, auction, price, date_time FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY date_time) AS rn FROM bid
) WHERE rn = 1;
