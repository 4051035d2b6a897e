SELECT auction, extract(hour FROM date_time) AS hour_of_day FROM bid
