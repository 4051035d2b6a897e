-- OVER aggregates: per auction, the average of the bid and the 10 before it, and the largest bid
-- of the last 10 seconds, each row emitted once the watermark passes it.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR,
                  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE recent WITH ('connector' = 'file', 'path' = 'recent', 'format' = 'csv');
SELECT auction, price, AVG(price) OVER w AS avg_price, COUNT(*) OVER w AS n
FROM bid WINDOW w AS (PARTITION BY auction ORDER BY date_time ROWS BETWEEN 10 PRECEDING AND CURRENT ROW);
INSERT INTO recent SELECT auction, price,
  MAX(price) OVER (PARTITION BY auction ORDER BY date_time RANGE BETWEEN INTERVAL '10' SECOND PRECEDING AND CURRENT ROW) AS top
FROM bid;
