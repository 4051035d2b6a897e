-- The shape of examples/bids.sql: a DECIMAL currency conversion into a folder of CSV parts and a
-- bare SELECT to stdout, both over one shared source that reads the 4 + 1 columns they use.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'data/bids.csv', 'format' = 'csv', 'csv.header' = 'true');

CREATE TABLE dollars WITH ('connector' = 'file', 'path' = 'out/dollars', 'format' = 'csv');
INSERT INTO dollars SELECT auction, bidder, 0.908 * price AS price, date_time FROM bid WHERE price > 100;

SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;
