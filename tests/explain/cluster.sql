-- explain on: 2 processes x 2 workers
-- A cluster run: the GROUP BY's exchange and the gather of stdout rows cross processes; the
-- filter's pipeline does not.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'data/bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = 'out/qagg', 'format' = 'csv');
INSERT INTO out SELECT auction, COUNT(*) AS bids, SUM(price) AS total FROM bid GROUP BY auction;
SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;
