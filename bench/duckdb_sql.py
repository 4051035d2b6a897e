#!/usr/bin/env python3
"""Run a batch query from a SQL file in DuckDB over the bid CSV: the batch reference for the
benchmark's queries that shared/bench/queries.py does not hold (bench/sql/NAME.duckdb.sql).

    python bench/duckdb_sql.py --csv BIDS.csv --sql-file bench/sql/qtopn.duckdb.sql --threads 2

Timed as shared/bench/duckdb_run.py times its queries, so the two compare: the CSV is read through
a view and the result materialised in an in-memory table (CREATE TABLE AS), the batch counterpart
of a streaming engine's blackhole sink. Prints one line with events_per_s and peak_rss_mb.
"""
import argparse
import os
import resource
import time

import duckdb

COLUMNS = ("{'auction': 'BIGINT', 'bidder': 'BIGINT', 'price': 'BIGINT', 'channel': 'VARCHAR', "
           "'url': 'VARCHAR', 'date_time': 'TIMESTAMP', 'extra': 'VARCHAR'}")


def data_lines(path):
    """Rows of the CSV: its lines but the header."""
    with open(path, "rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 24), b"")) - 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", required=True)
    ap.add_argument("--sql-file", required=True)
    ap.add_argument("--threads", "-t", type=int, default=1)
    args = ap.parse_args()
    with open(args.sql_file) as f:
        sql = f.read().strip().rstrip(";")
    name = os.path.basename(args.sql_file).split(".")[0]

    rows = data_lines(args.csv)
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    con.execute(f"CREATE VIEW bid AS SELECT * FROM read_csv('{args.csv}', header = true, columns = {COLUMNS})")
    start = time.perf_counter()
    con.execute(f"CREATE TABLE result AS {sql}")
    seconds = time.perf_counter() - start
    result_rows = con.execute("SELECT count(*) FROM result").fetchone()[0]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"duckdb query={name} threads={args.threads} rows={rows} result_rows={result_rows} "
          f"query_s={seconds:.3f} events_per_s={rows / seconds:.0f} cpu_s={usage.ru_utime + usage.ru_stime:.1f} "
          f"peak_rss_mb={usage.ru_maxrss / 1024:.0f}", flush=True)


if __name__ == "__main__":
    main()
