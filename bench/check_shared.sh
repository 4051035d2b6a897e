#!/usr/bin/env bash
# Cross-checks vstream against DuckDB on the benchmark of record's 100k-row bid file, with the
# shared tools (../shared/bench: gen_bids.py, duckdb_run.py, compare.py), at -w 1, -w 2 and -w 4.
#   bash bench/check_shared.sh            (QUERIES="q0 q1 q2 qagg q5t q5h" by default; -w 1, 2 and 4)
# The test suite does the same with the project's own generator and oracle (cli/tests/oracle.rs);
# this script is for measuring against the shared reference, so it may use ../shared.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared/bench}
VENV=${VENV:-/tmp/bench-venv}
QUERIES=${QUERIES:-"q0 q1 q2 qagg q5t q5h"}
BIDS=${BIDS:-/tmp/bids_100k.csv}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
bash "$SHARED/setup.sh" "$VENV" > /dev/null
PY=$VENV/bin/python
[ -f "$BIDS" ] || "$PY" "$SHARED/gen_bids.py" --rows 100000 --seed 42 --out "$BIDS"
(cd "$ROOT" && cargo build --release -q --bin vstream)
status=0
for q in $QUERIES; do
    "$PY" "$SHARED/duckdb_run.py" --csv "$BIDS" --query "$q" --threads 2 --out "$WORK/$q.duck.csv" > /dev/null
    # A GROUP BY writes a changelog (op column), folded by compare.py; a window aggregate
    # (EMIT FINAL) writes plain rows.
    fold=()
    grep -qi "group by" "$ROOT/bench/sql/$q.sql" && ! grep -q "DESCRIPTOR" "$ROOT/bench/sql/$q.sql" && fold=(--changelog op)
    for w in 1 2 4; do
        out="$WORK/$q-w$w"
        # The bench scripts; a blackhole sink becomes a CSV folder so there is something to compare.
        sed -e "s#\${BIDS}#$BIDS#; s#\${OUT}#$out#; s#'blackhole'#'file', 'path' = '$out', 'format' = 'csv'#" \
            "$ROOT/bench/sql/$q.sql" > "$WORK/$q.sql"
        "$ROOT/target/release/vstream" run "$WORK/$q.sql" -w "$w" --quiet
        printf '%s -w %s: ' "$q" "$w"
        "$PY" "$SHARED/compare.py" "$out" "$WORK/$q.duck.csv" "${fold[@]}" | tail -1 || status=1
    done
done
exit $status
