-- Projection pushdown: the query reads 2 of the 7 columns (one only in WHERE), so the source
-- decodes just those 2.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'data/bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = 'out/urls', 'format' = 'csv');
INSERT INTO out SELECT url FROM bid WHERE channel = 'Google';
