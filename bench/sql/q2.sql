-- q2 filter (benchmark of record: the STREAMING SQL of shared/bench/queries.py), blackhole sink.
-- bench/run.sh fills in the BIDS placeholder (input CSV).
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = '${BIDS}', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'blackhole');
INSERT INTO out SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;
