-- bench q1 (currency conversion, DECIMAL result), as bench/sql/q1.sql with its placeholders
-- filled in.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = 'out/q1', 'format' = 'csv');
INSERT INTO out SELECT auction, bidder, 0.908 * price AS price, date_time FROM bid;
