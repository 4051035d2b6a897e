-- qdedup: the first bid of each (auction, bidder) pair in event time (a deduplication:
-- ROW_NUMBER ordered by the time attribute ascending, = 1); insert-only. DuckDB:
-- bench/sql/qdedup.duckdb.sql.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR,
                  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND)
  WITH ('connector' = 'file', 'path' = '${BIDS}', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'blackhole');
INSERT INTO out SELECT auction, bidder, price, date_time FROM (
  SELECT auction, bidder, price, date_time,
         ROW_NUMBER() OVER (PARTITION BY auction, bidder ORDER BY date_time ASC) AS rn
  FROM bid) WHERE rn = 1;
