-- Top-N: the 3 highest bids per auction (rank column kept), the top 2 auctions by bid count per
-- channel over a GROUP BY's changelog (rank dropped, every row kept), and ORDER BY ... LIMIT.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR,
                  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE best WITH ('connector' = 'file', 'path' = 'best', 'format' = 'csv');
CREATE TABLE busiest WITH ('connector' = 'file', 'path' = 'busiest', 'format' = 'csv');
SELECT * FROM (
  SELECT auction, bidder, price, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC, bidder) AS rn FROM bid
) WHERE rn <= 3;
INSERT INTO best SELECT channel, auction, bids FROM (
  SELECT channel, auction, bids, RANK() OVER (PARTITION BY channel ORDER BY bids DESC) AS r
  FROM (SELECT channel, auction, COUNT(*) AS bids FROM bid GROUP BY channel, auction)
) WHERE r <= 2;
INSERT INTO busiest SELECT auction, price FROM bid ORDER BY price DESC, auction LIMIT 5;
