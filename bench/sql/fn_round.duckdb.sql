SELECT auction, round(price * 0.908, 1) AS price_eur FROM bid
