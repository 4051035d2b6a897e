-- Cascading windows: a 1-minute TUMBLE over the window_time of a 10-second TUMBLE (a subquery in
-- the window table function): two WindowAggregates, the outer one reading the inner one's rows
-- and closing by its frontier.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR,
                  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
SELECT window_start, window_end, auction, SUM(bids) AS bids, MAX(bids) AS busiest
FROM TABLE(TUMBLE((
    SELECT auction, window_time AS rowtime, COUNT(*) AS bids
    FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
    GROUP BY window_start, window_end, window_time, auction
  ), DESCRIPTOR(rowtime), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, auction;
