-- bench q0 (passthrough), as bench/sql/q0.sql with its placeholders filled in.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = 'out/q0', 'format' = 'csv');
INSERT INTO out SELECT auction, bidder, price, date_time FROM bid;
