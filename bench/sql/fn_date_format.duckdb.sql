SELECT auction, strftime(date_time, '%Y-%m-%d %H:%M') AS minute FROM bid
