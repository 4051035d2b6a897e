-- qtopn: the top 3 bids of each auction by price (a Top-N: ROW_NUMBER filtered by rn <= 3), ties
-- broken by time and bidder; a changelog into a blackhole sink. DuckDB: bench/sql/qtopn.duckdb.sql.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR,
                  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND)
  WITH ('connector' = 'file', 'path' = '${BIDS}', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'blackhole');
INSERT INTO out SELECT auction, bidder, price, date_time, rn FROM (
  SELECT auction, bidder, price, date_time,
         ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC, date_time, bidder) AS rn
  FROM bid) WHERE rn <= 3;
