-- CROSS JOIN UNNEST: one stateless operator after the source repeats each row once per element of
-- its array, keeping the columns the query reads; no exchange. Access into nested values reads
-- as written (items[1].sku, tags['k']).
CREATE TABLE orders (id BIGINT, customer STRING, items ARRAY<ROW<sku STRING, qty INT>>, tags MAP<STRING, STRING>)
  WITH ('connector' = 'file', 'path' = 'orders.jsonl', 'format' = 'json');
CREATE TABLE lines WITH ('connector' = 'file', 'path' = 'out', 'format' = 'json');
INSERT INTO lines SELECT o.id, i.sku, i.qty * 2 AS q, i.pos FROM orders AS o CROSS JOIN UNNEST(o.items) WITH ORDINALITY AS i(sku, qty, pos) WHERE i.qty > 0;
INSERT INTO lines SELECT id, items[1].sku AS sku, CAST(tags['k'] AS INT) AS q, CARDINALITY(items) AS pos FROM orders;
