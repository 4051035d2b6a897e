-- q1brc: the One-Billion-Row-Challenge-style workload (shared/bench/gen_1brc.py): 408 stations,
-- DECIMAL(4,1) temperatures, exact. bench/run.sh fills in the BRC placeholder.
CREATE TABLE measurement (station VARCHAR, temperature DECIMAL(4, 1))
  WITH ('connector' = 'file', 'path' = '${BRC}', 'format' = 'csv', 'csv.header' = 'true',
        'csv.field-delimiter' = ';');
CREATE TABLE out WITH ('connector' = 'blackhole');
INSERT INTO out SELECT station, MIN(temperature) AS lo, MAX(temperature) AS hi, SUM(temperature) AS total,
       COUNT(*) AS n FROM measurement GROUP BY station;
