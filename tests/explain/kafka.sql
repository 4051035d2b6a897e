-- Kafka source (per-partition watermarks, a metadata column) and Kafka sinks: an upsert topic
-- keyed by the GROUP BY key, and a Debezium changelog topic. Planning connects to nothing.
CREATE TABLE bid (auction BIGINT, price BIGINT, date_time TIMESTAMP(3),
                  ts TIMESTAMP(3) METADATA FROM 'timestamp',
                  WATERMARK FOR date_time AS date_time - INTERVAL '0.2' SECOND)
  WITH ('connector' = 'kafka', 'topic' = 'bids', 'properties.bootstrap.servers' = '127.0.0.1:9092',
        'format' = 'json', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE totals WITH ('connector' = 'kafka', 'topic' = 'totals', 'properties.bootstrap.servers' = '127.0.0.1:9092',
                          'format' = 'json', 'sink.mode' = 'upsert');
CREATE TABLE changes WITH ('connector' = 'kafka', 'topic' = 'changes', 'properties.bootstrap.servers' = '127.0.0.1:9092',
                           'format' = 'debezium-json');
INSERT INTO totals SELECT auction, COUNT(*) AS bids, MAX(ts) AS last_ts FROM bid GROUP BY auction;
INSERT INTO changes SELECT auction, SUM(price) AS total FROM bid GROUP BY auction;
