SELECT auction, split_part(url, '/', 4) AS part FROM bid
