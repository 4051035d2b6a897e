#!/usr/bin/env python3
"""DuckDB oracle for vstream's test suite: run a batch query, compare results as multisets.

Run a query over a bid CSV in DuckDB and write its result (header line, rows sorted):

    python oracle.py --csv BIDS.csv --sql "SELECT auction, price FROM bid WHERE auction % 123 = 0" \
        --out expected.csv [--threads N] [--table measurement]

Compare a result with the oracle's, as multisets of rows (order does not matter):

    python oracle.py compare ACTUAL EXPECTED [--changelog op]

ACTUAL (and EXPECTED) is a CSV file with a header line, or a directory of part files
(`part-*`, each with its own header line; empty files and names starting with '.' or '_'
are skipped). Columns are matched by position. Values are normalised before comparing,
so integers, decimals (1.50 == 1.5 == 1.500) and timestamps
('2025-01-01 00:00:00' == '2025-01-01T00:00:00.000') compare by value.
With --changelog COLUMN, ACTUAL is a changelog whose COLUMN holds each row's kind in
Flink's notation: '+I' and '+U' add the row, '-U' and '-D' retract it ('+'/'-' alone too);
it is folded into the final multiset and COLUMN is dropped. A retraction of a row that
was never added (a negative count) is a mismatch.
Exit status: 0 and one line 'ok: N rows' on a match; 1 and a readable diff otherwise.

With --key-columns K, each column after the first K is compared on its own: as the multiset
of rows made of the K key columns and that column (so that one wrong function among many
computed by one query is named), with one line 'ok: COLUMN' or a diff per column.

Only the Python standard library and duckdb (installed by setup_venv.sh) are needed;
nothing outside the project is used.
"""
import argparse
import csv
import functools
import os
import sys
from collections import Counter
from datetime import datetime
from decimal import Decimal, InvalidOperation

# Column types of the input tables, as the benchmark's DuckDB runner declares them.
TABLES = {
    "bid": {
        "columns": {"auction": "BIGINT", "bidder": "BIGINT", "price": "BIGINT",
                    "channel": "VARCHAR", "url": "VARCHAR", "date_time": "TIMESTAMP",
                    "extra": "VARCHAR"},
        "delim": ",",
    },
    "measurement": {
        "columns": {"station": "VARCHAR", "temperature": "DECIMAL(4,1)"},
        "delim": ";",
    },
}

ADD_KINDS = frozenset({"+I", "+U", "+"})
RETRACT_KINDS = frozenset({"-U", "-D", "-"})
SHOW = 10  # how many missing / extra rows a diff shows


# ------------------------------------------------------------------------------------------
# Running a query
# ------------------------------------------------------------------------------------------

def sql_string(s):
    """A SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def run_query(args):
    import duckdb  # only this mode needs DuckDB

    spec = TABLES[args.table]
    columns = "{" + ", ".join(f"{sql_string(c)}: {sql_string(t)}"
                              for c, t in spec["columns"].items()) + "}"
    con = duckdb.connect()
    con.execute(f"SET threads = {int(args.threads)}")
    con.execute(f"CREATE VIEW {args.table} AS SELECT * FROM read_csv({sql_string(args.csv)}, "
                f"header = true, delim = {sql_string(spec['delim'])}, columns = {columns})")
    con.execute(f"CREATE TABLE result AS {args.sql}")
    rows = con.execute("SELECT count(*) FROM result").fetchone()[0]
    # Sorted, so that the expected file is stable and easy to read.
    con.execute(f"COPY (SELECT * FROM result ORDER BY ALL) TO {sql_string(args.out)} "
                f"(FORMAT csv, HEADER)")
    print(f"oracle: {rows} rows -> {args.out}")


# ------------------------------------------------------------------------------------------
# Comparing results
# ------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1 << 18)  # values repeat (channels, urls, prices): parse each once
def normalise(value):
    """A comparable form of one CSV field: an int, a normalised Decimal, a datetime, or the
    string itself. ints and Decimals compare (and hash) equal across types: 2 == Decimal('2.0')."""
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return Decimal(value).normalize()
    except InvalidOperation:
        pass
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return value


def csv_files(path):
    """The CSV files making up a result: PATH itself, or the part files of a directory."""
    if not os.path.exists(path):
        sys.exit(f"MISMATCH: {path} does not exist")
    if not os.path.isdir(path):
        return [path]
    names = sorted(n for n in os.listdir(path) if not n.startswith((".", "_")))
    return [p for p in (os.path.join(path, n) for n in names)
            if os.path.isfile(p) and os.path.getsize(p) > 0]


class Result:
    """A result as a multiset of normalised rows, keeping one raw form of each for display."""

    def __init__(self, path, changelog=None):
        self.path = path
        self.header = None
        self.counts = Counter()
        self.raw = {}
        for name in csv_files(path):
            self._read(name, changelog)

    def _read(self, name, changelog):
        with open(name, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                return
            op_at = None
            if changelog is not None:
                if changelog not in header:
                    sys.exit(f"{name}: no column named {changelog!r} in header {header}")
                op_at = header.index(changelog)
                header = header[:op_at] + header[op_at + 1:]
            if self.header is None:
                self.header = header
            elif header != self.header:
                sys.exit(f"{name}: header {header} differs from the other parts' {self.header}")
            for line, row in enumerate(reader, start=2):
                sign = 1
                if op_at is not None:
                    kind = row.pop(op_at)
                    if kind in RETRACT_KINDS:
                        sign = -1
                    elif kind not in ADD_KINDS:
                        sys.exit(f"{name}:{line}: unknown row kind {kind!r}")
                key = tuple(normalise(v) for v in row)
                self.counts[key] += sign
                self.raw.setdefault(key, row)

    def show(self, key):
        return ",".join(self.raw[key])


def sorted_keys(keys):
    """Rows in their natural order where their values compare, else by their text."""
    try:
        return sorted(keys)
    except TypeError:  # e.g. an int and a string in the same column
        return sorted(keys, key=str)


def show_rows(label, keys, counts, result):
    total = sum(counts[k] for k in keys)
    print(f"  {label}: {total} rows ({len(keys)} distinct)")
    for key in sorted_keys(keys)[:SHOW]:
        times = f"  (x{counts[key]})" if counts[key] != 1 else ""
        print(f"    {result.show(key)}{times}")
    if len(keys) > SHOW:
        print(f"    ... and {len(keys) - SHOW} more")


def compare(args):
    if args.key_columns is not None:
        return compare_columns(args)
    actual = Result(args.actual, args.changelog)
    expected = Result(args.expected)
    if actual.header is not None and expected.header is not None:
        if len(actual.header) != len(expected.header):
            print(f"MISMATCH: actual has {len(actual.header)} columns {actual.header}, "
                  f"expected {len(expected.header)} {expected.header}")
            return 1
        if actual.header != expected.header:
            # Columns are matched by position; differing names are worth a note, not a failure.
            print(f"note: column names differ: actual {actual.header}, expected {expected.header}",
                  file=sys.stderr)

    negative = {k: -v for k, v in actual.counts.items() if v < 0}
    got = +actual.counts        # drops rows whose count folded to zero (or below)
    want = +expected.counts
    extra, missing = got - want, want - got
    if not extra and not missing and not negative:
        print(f"ok: {sum(got.values())} rows")
        return 0

    print(f"MISMATCH: {args.actual} has {sum(got.values())} rows, "
          f"{args.expected} has {sum(want.values())}")
    cols = ",".join(expected.header or actual.header or [])
    if cols:
        print(f"  columns: {cols}")
    if missing:
        show_rows("missing (expected, not in actual)", list(missing), missing, expected)
    if extra:
        show_rows("extra (in actual, not expected)", list(extra), extra, actual)
    if negative:
        show_rows("over-retracted (retracted more often than added)", list(negative), negative,
                  actual)
    return 1


def compare_columns(args):
    """--key-columns K: each column after the first K compared on its own, with the keys."""
    keys = args.key_columns
    actual = Result(args.actual, args.changelog)
    expected = Result(args.expected)
    if actual.header is None or expected.header is None:
        print(f"MISMATCH: {args.actual if actual.header is None else args.expected} is empty")
        return 1
    if len(actual.header) != len(expected.header) or len(actual.header) <= keys:
        print(f"MISMATCH: actual has columns {actual.header}, expected {expected.header}")
        return 1
    if any(v < 0 for v in actual.counts.values()):
        print(f"MISMATCH: {args.actual} retracts rows it never added")
        return 1
    failed = 0
    for c in range(keys, len(expected.header)):
        def project(result):
            counts = Counter()
            for row, n in result.counts.items():
                if n > 0:
                    counts[row[:keys] + (row[c],)] += n
            return counts
        got, want = project(actual), project(expected)
        if got == want:
            print(f"ok: {expected.header[c]}")
            continue
        failed += 1
        extra, missing = got - want, want - got
        print(f"MISMATCH in column {expected.header[c]} ({actual.header[c]} in actual): "
              f"{sum(missing.values())} rows missing, {sum(extra.values())} extra")
        for label, rows in (("missing (expected, not in actual)", missing),
                            ("extra (in actual, not expected)", extra)):
            if rows:
                print(f"  {label}:")
                for key in sorted_keys(list(rows))[:SHOW]:
                    print(f"    {key}")
    return 1 if failed else 0


# ------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------

def main(argv):
    if argv[:1] == ["compare"]:
        ap = argparse.ArgumentParser(prog="oracle.py compare",
                                     description="Compare two CSV results as multisets of rows.")
        ap.add_argument("actual", help="CSV file, or directory of part files")
        ap.add_argument("expected", help="CSV file (e.g. written by oracle.py --out)")
        ap.add_argument("--changelog", metavar="COLUMN",
                        help="ACTUAL is a changelog with the row kind (+I/-U/+U/-D) in COLUMN")
        ap.add_argument("--key-columns", metavar="K", type=int,
                        help="compare each column after the first K on its own, with those K")
        return compare(ap.parse_args(argv[1:]))

    ap = argparse.ArgumentParser(prog="oracle.py", description=__doc__.splitlines()[0],
                                 epilog="See also: oracle.py compare --help")
    ap.add_argument("--csv", required=True, help="input CSV (with a header line)")
    ap.add_argument("--sql", required=True, help="DuckDB SQL over the table (default: bid)")
    ap.add_argument("--out", required=True, help="where to write the sorted result (CSV)")
    ap.add_argument("--table", default="bid", choices=sorted(TABLES),
                    help="input table name and schema (default: bid)")
    ap.add_argument("--threads", type=int, default=1, help="DuckDB threads (default: 1)")
    run_query(ap.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
