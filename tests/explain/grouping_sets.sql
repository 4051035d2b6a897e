-- GROUPING SETS: one Expand (each row once per set; the keys a set lacks NULL, the set's index
-- and GROUPING values constants) under one KeyedAggregate keyed by the keys and the set's index;
-- over a window, the same Expand under one WindowAggregate.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR,
                  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
SELECT auction, channel, GROUPING(channel) AS g, COUNT(*) AS bids, MAX(price) AS hi
FROM bid
GROUP BY ROLLUP (auction, channel);
SELECT window_start, window_end, auction, channel, COUNT(*) AS bids
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
WHERE price > 10
GROUP BY window_start, window_end, GROUPING SETS ((auction), (channel), ());
