-- qagg: continuous GROUP BY (the STREAMING SQL of shared/bench/queries.py); the changelog goes to
-- a blackhole sink, which counts its rows. bench/run.sh fills in the BIDS placeholder.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = '${BIDS}', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'blackhole');
INSERT INTO out SELECT auction, COUNT(*) AS bids, SUM(price) AS total, MAX(price) AS top FROM bid GROUP BY auction;
