-- Flink's group-window syntax (GROUP BY TUMBLE(...) with TUMBLE_START/_END/_ROWTIME) lowers to the
-- same Window and WindowAggregate as the TUMBLE table function.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR,
                  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
SELECT auction, TUMBLE_START(date_time, INTERVAL '10' SECOND) AS ws, TUMBLE_END(date_time, INTERVAL '10' SECOND) AS we,
  TUMBLE_ROWTIME(date_time, INTERVAL '10' SECOND) AS rt, COUNT(*) AS bids
FROM bid
GROUP BY TUMBLE(date_time, INTERVAL '10' SECOND), auction;
