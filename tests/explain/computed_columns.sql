-- Computed columns: the source decodes the physical columns only; a projection right after it
-- computes the others, and projection pushdown drops those no query reads.
CREATE TABLE bid (auction BIGINT, price BIGINT, cents AS price * 100, tag AS UPPER(channel), channel VARCHAR)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = 'out', 'format' = 'csv');
INSERT INTO out SELECT auction, cents FROM bid WHERE cents > 1000;
