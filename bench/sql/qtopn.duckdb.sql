SELECT auction, bidder, price, date_time, rn FROM (
  SELECT auction, bidder, price, date_time,
         ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC, date_time, bidder) AS rn
  FROM bid) WHERE rn <= 3
