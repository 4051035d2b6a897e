-- UNION ALL of three queries, INT, BIGINT and DOUBLE brought to DOUBLE; UNION (distinct) adds a
-- keyed aggregate of every column; two INSERTs into one sink are one sink fed by a union.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'data/bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE person (id INT, name VARCHAR, score DOUBLE)
  WITH ('connector' = 'file', 'path' = 'data/person.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE ids WITH ('connector' = 'file', 'path' = 'out/ids', 'format' = 'csv');
SELECT auction AS k, price AS v FROM bid
UNION ALL SELECT id, score FROM person
UNION ALL SELECT CAST(bidder AS INT), 1 FROM bid;
SELECT channel FROM bid UNION SELECT name FROM person;
INSERT INTO ids SELECT auction FROM bid;
INSERT INTO ids SELECT id FROM person WHERE score > 1;
