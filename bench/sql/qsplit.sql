-- qsplit: SPLIT_INDEX on url in a projection to a CSV sink (issue 14's function benchmark).
-- bench/run.sh fills in the BIDS (input CSV) and OUT (sink path) placeholders.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = '${BIDS}', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = '${OUT}', 'format' = 'csv');
INSERT INTO out SELECT auction, SPLIT_INDEX(url, '/', 3) AS part FROM bid;
