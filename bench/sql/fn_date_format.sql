-- fn_date_format: DATE_FORMAT of the bid's time to the minute (a Java pattern) on every bid, a projection into a CSV file sink (issue 14's must-show).
-- DuckDB: bench/sql/fn_date_format.duckdb.sql. bench/run.sh fills in the BIDS (input CSV) and OUT (sink path)
-- placeholders: QUERIES="fn_date_format" bash bench/run.sh
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = '${BIDS}', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = '${OUT}', 'format' = 'csv');
INSERT INTO out SELECT auction, DATE_FORMAT(date_time, 'yyyy-MM-dd HH:mm') AS minute FROM bid;
