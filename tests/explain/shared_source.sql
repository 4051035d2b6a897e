-- Two queries over one table share one source, which decodes the union of the columns they read.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'data/bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE cheap WITH ('connector' = 'file', 'path' = 'out/cheap', 'format' = 'json');
CREATE TABLE by_channel WITH ('connector' = 'file', 'path' = 'out/by_channel.csv', 'format' = 'csv', 'sink.single-file' = 'true');
INSERT INTO cheap SELECT auction, price FROM bid WHERE price < 10;
INSERT INTO by_channel SELECT channel, bidder FROM bid WHERE channel <> 'Google';
