-- q1 currency conversion, DECIMAL result (benchmark of record: the STREAMING SQL of shared/bench/queries.py).
-- bench/run.sh fills in the BIDS (input CSV) and OUT (sink path) placeholders.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = '${BIDS}', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = '${OUT}', 'format' = 'csv');
INSERT INTO out SELECT auction, bidder, 0.908 * price AS price, date_time FROM bid;
