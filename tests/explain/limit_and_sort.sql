-- explain on: 1 process x 2 workers
-- LIMIT gathers rows to worker 0 and counts them; an INSERT that ends in a LIMIT is done once
-- it is reached. ORDER BY the event time gathers too and holds rows until the watermark passes.
CREATE TABLE bid (auction BIGINT, price BIGINT, date_time TIMESTAMP(3),
                  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE firsts WITH ('connector' = 'file', 'path' = 'out/firsts', 'format' = 'csv');
CREATE TABLE ordered WITH ('connector' = 'file', 'path' = 'out/ordered', 'format' = 'csv');
INSERT INTO firsts SELECT auction, price FROM bid WHERE price > 10 LIMIT 10 OFFSET 5;
INSERT INTO ordered SELECT date_time, auction, price FROM bid ORDER BY date_time, price DESC;
