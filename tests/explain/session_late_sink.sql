-- A SESSION window per bidder with a HAVING, and the table's late rows written to a side sink;
-- a second query (EMIT CHANGES, set in the script) with allowed lateness reads the same table.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR,
                  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true',
        'late.policy' = 'side-output', 'late.sink' = 'late_bids');
CREATE TABLE late_bids WITH ('connector' = 'file', 'path' = 'late', 'format' = 'json');
SELECT bidder, window_start, window_end, COUNT(*) AS bids, SUM(price) AS spent
FROM TABLE(SESSION(TABLE bid PARTITION BY bidder, DESCRIPTOR(date_time), INTERVAL '30' SECOND))
GROUP BY window_start, window_end, bidder HAVING COUNT(*) > 1;
SET 'emit.mode' = 'changes';
SELECT window_start, window_end, window_time, channel, MAX(price) AS top
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '1' MINUTE))
WHERE price > 100
GROUP BY window_start, window_end, window_time, channel;
