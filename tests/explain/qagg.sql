-- bench qagg (continuous GROUP BY): per auction, a changelog.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
SELECT auction, COUNT(*) AS bids, SUM(price) AS total, MAX(price) AS top FROM bid GROUP BY auction;
