SELECT auction, regexp_extract(url, '/c/([0-9]+)', 1) AS url_id FROM bid
