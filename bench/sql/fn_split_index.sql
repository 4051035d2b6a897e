-- fn_split_index: SPLIT_INDEX of the url's fourth part (0-based 3; DuckDB's split_part counts from 1) on every bid, a projection into a CSV file sink (issue 14's must-show).
-- DuckDB: bench/sql/fn_split_index.duckdb.sql. bench/run.sh fills in the BIDS (input CSV) and OUT (sink path)
-- placeholders: QUERIES="fn_split_index" bash bench/run.sh
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = '${BIDS}', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = '${OUT}', 'format' = 'csv');
INSERT INTO out SELECT auction, SPLIT_INDEX(url, '/', 3) AS part FROM bid;
