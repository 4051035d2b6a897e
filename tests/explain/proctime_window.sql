-- A TUMBLE over a processing-time attribute (a PROCTIME() computed column): the projection after
-- the source stamps each row with the wall clock, and the window aggregate closes windows when
-- the wall clock passes their end (every open one at the end of the input).
CREATE TABLE bid (auction BIGINT, price BIGINT, pt AS PROCTIME())
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'file', 'path' = 'out', 'format' = 'csv');
INSERT INTO out SELECT window_start, auction, SUM(price) AS total
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(pt), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, auction;
