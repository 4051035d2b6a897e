-- The Nexmark bid stream of examples/data (make more with: cargo run --release -p vstream-bench --bin gen_bids).
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'file', 'path' = 'data/bids.csv', 'format' = 'csv', 'csv.header' = 'true');

-- Currency conversion of the bids above 100, exact in DECIMAL, to a folder of CSV part files.
CREATE TABLE dollars WITH ('connector' = 'file', 'path' = 'out/dollars', 'format' = 'csv');
INSERT INTO dollars SELECT auction, bidder, 0.908 * price AS price, date_time FROM bid WHERE price > 100;

-- A bare SELECT prints to stdout.
SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;
