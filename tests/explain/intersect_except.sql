-- INTERSECT ALL and EXCEPT: a keyed operator over both inputs, rows exchanged by the hash of
-- every column, counting each distinct row per input; output a changelog.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'data/bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE person (id INT, name VARCHAR, score DOUBLE)
  WITH ('connector' = 'file', 'path' = 'data/person.csv', 'format' = 'csv', 'csv.header' = 'true');
SELECT bidder FROM bid WHERE price > 100 INTERSECT ALL SELECT id FROM person;
SELECT bidder, channel FROM bid EXCEPT SELECT id, name FROM person;
