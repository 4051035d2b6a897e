-- CREATE TABLE ... AS SELECT declares a file sink and fills it; a pure projection.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'data/bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE passthrough WITH ('connector' = 'file', 'path' = 'out/passthrough', 'format' = 'csv')
  AS SELECT auction AS a, bidder AS b FROM bid;
