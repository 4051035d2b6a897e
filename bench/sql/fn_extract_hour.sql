-- fn_extract_hour: EXTRACT(HOUR FROM date_time) on every bid, a projection into a CSV file sink (issue 14's must-show).
-- DuckDB: bench/sql/fn_extract_hour.duckdb.sql. bench/run.sh fills in the BIDS (input CSV) and OUT (sink path)
-- placeholders: QUERIES="fn_extract_hour" bash bench/run.sh
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = '${BIDS}', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = '${OUT}', 'format' = 'csv');
INSERT INTO out SELECT auction, EXTRACT(HOUR FROM date_time) AS hour_of_day FROM bid;
