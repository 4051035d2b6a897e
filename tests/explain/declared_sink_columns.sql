-- A sink with declared columns: the query's INT/BIGINT/DECIMAL values are cast to the sink's
-- wider types and renamed to its column names.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'data/bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE typed (id BIGINT, amount DECIMAL(30, 3), ratio DOUBLE, ts TIMESTAMP(3))
  WITH ('connector' = 'file', 'path' = 'out/typed', 'format' = 'csv');
INSERT INTO typed SELECT auction, 0.908 * price, price, date_time FROM bid WHERE price BETWEEN 10 AND 20;
