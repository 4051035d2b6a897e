-- A GROUP BY over the changelog of another: the outer KeyedAggregate takes retractions.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
SELECT bids, COUNT(*) AS auctions, MAX(top) AS top
FROM (SELECT auction, COUNT(*) AS bids, MAX(price) AS top FROM bid GROUP BY auction)
GROUP BY bids;
