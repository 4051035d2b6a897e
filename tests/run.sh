#!/usr/bin/env bash
# The project's one test command: every test of the workspace (unit tests, the SQL semantics
# files of tests/sql, the explain golden files of tests/explain, the CLI tests and the DuckDB
# oracle test of cli/tests), in the debug profile (the workspace builds it with optimisation).
#
#   bash tests/run.sh                 # everything
#   bash tests/run.sh -p vstream-tests  # extra arguments go to cargo test
#
# The oracle test makes a Python venv with DuckDB at target/oracle-venv the first time (PyPI).
# Rewrite golden files from actual output: VSTREAM_REWRITE=1 cargo test -p vstream-tests
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

status=0
cargo test --workspace "$@" || status=$?
exit "$status"
