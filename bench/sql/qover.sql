-- qover: per bid, the average and maximum price of the auction's last 11 bids (an OVER
-- aggregate, ROWS BETWEEN 10 PRECEDING AND CURRENT ROW); one row per bid. DuckDB:
-- bench/sql/qover.duckdb.sql.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR,
                  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND)
  WITH ('connector' = 'file', 'path' = '${BIDS}', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'blackhole');
INSERT INTO out SELECT auction, price, date_time,
  AVG(price) OVER w AS avg_price, MAX(price) OVER w AS top
FROM bid WINDOW w AS (PARTITION BY auction ORDER BY date_time ROWS BETWEEN 10 PRECEDING AND CURRENT ROW);
