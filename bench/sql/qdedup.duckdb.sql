SELECT auction, bidder, price, date_time FROM (
  SELECT auction, bidder, price, date_time,
         ROW_NUMBER() OVER (PARTITION BY auction, bidder ORDER BY date_time ASC) AS rn
  FROM bid) WHERE rn = 1
