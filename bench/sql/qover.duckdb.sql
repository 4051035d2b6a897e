SELECT auction, price, date_time, AVG(price) OVER w AS avg_price, MAX(price) OVER w AS top
FROM bid WINDOW w AS (PARTITION BY auction ORDER BY date_time ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)
