-- q5h: per auction, COUNT(*) over HOP windows of date_time (the STREAMING SQL of
-- shared/bench/queries.py, with its 200 ms watermark); EMIT FINAL rows go to a blackhole sink.
-- bench/run.sh fills in the BIDS placeholder.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR,
                  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND)
  WITH ('connector' = 'file', 'path' = '${BIDS}', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE out WITH ('connector' = 'blackhole');
INSERT INTO out SELECT window_start, window_end, auction, COUNT(*) AS bids
FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
GROUP BY window_start, window_end, auction;
