-- Window Top-N: the 3 highest bids per auction in each 10-second window, and window
-- deduplication (each window's last bid), emitted once per window when it closes.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                  date_time TIMESTAMP(3), extra VARCHAR,
                  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND)
  WITH ('connector' = 'file', 'path' = 'bids.csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE last_bids WITH ('connector' = 'file', 'path' = 'last_bids', 'format' = 'csv');
SELECT * FROM (
  SELECT window_start, window_end, auction, bidder, price,
         ROW_NUMBER() OVER (PARTITION BY window_start, window_end, auction ORDER BY price DESC, bidder) AS rn
  FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
) WHERE rn <= 3;
INSERT INTO last_bids SELECT window_start, auction, price FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY date_time DESC, bidder) AS rn
  FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
) WHERE rn = 1;
-- Window Top-N after a window aggregation: the 3 auctions with the most bids per window.
SELECT * FROM (
  SELECT window_start, window_end, auction, bids,
         ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY bids DESC, auction) AS rn
  FROM (SELECT window_start, window_end, auction, COUNT(*) AS bids
        FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
        GROUP BY window_start, window_end, auction)
) WHERE rn <= 3;
