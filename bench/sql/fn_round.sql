-- fn_round: ROUND of the price in another currency to one decimal (HALF_UP) on every bid, a projection into a CSV file sink (issue 14's must-show).
-- DuckDB: bench/sql/fn_round.duckdb.sql. bench/run.sh fills in the BIDS (input CSV) and OUT (sink path)
-- placeholders: QUERIES="fn_round" bash bench/run.sh
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = '${BIDS}', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = '${OUT}', 'format' = 'csv');
INSERT INTO out SELECT auction, ROUND(price * 0.908, 1) AS price_eur FROM bid;
