-- fn_regexp_extract: REGEXP_EXTRACT of the url's id on every bid, a projection into a CSV file sink (issue 14's must-show).
-- DuckDB: bench/sql/fn_regexp_extract.duckdb.sql. bench/run.sh fills in the BIDS (input CSV) and OUT (sink path)
-- placeholders: QUERIES="fn_regexp_extract" bash bench/run.sh
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = '${BIDS}', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = '${OUT}', 'format' = 'csv');
INSERT INTO out SELECT auction, REGEXP_EXTRACT(url, '/c/([0-9]+)', 1) AS url_id FROM bid;
