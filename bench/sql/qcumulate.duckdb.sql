SELECT ws AS window_start, ws + k * INTERVAL 2 SECOND AS window_end, auction, COUNT(*) AS bids
FROM (SELECT time_bucket(INTERVAL 10 SECOND, date_time) AS ws, auction, date_time FROM bid), range(1, 6) AS r(k)
WHERE ws + k * INTERVAL 2 SECOND > date_time GROUP BY ALL
