-- A view read by two INSERTs and a CTE read twice: each is computed once, one node its readers share.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'data/bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE big WITH ('connector' = 'file', 'path' = 'out/big', 'format' = 'csv');
CREATE TABLE per_auction WITH ('connector' = 'file', 'path' = 'out/per_auction', 'format' = 'csv');
CREATE VIEW priced AS SELECT auction, bidder, price * 100 AS cents FROM bid WHERE price IS NOT NULL;
INSERT INTO big SELECT auction, cents FROM priced WHERE cents > 10000;
INSERT INTO per_auction SELECT auction, COUNT(*) AS bids FROM priced GROUP BY auction;
WITH b AS (SELECT bidder, price FROM bid WHERE channel = 'web')
SELECT bidder, price FROM b UNION ALL SELECT bidder, price * 2 FROM b;
