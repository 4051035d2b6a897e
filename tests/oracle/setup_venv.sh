#!/usr/bin/env bash
# Python venv with DuckDB, the batch oracle the test suite checks vstream's results against.
#
#   bash tests/oracle/setup_venv.sh VENV
#
# Creates VENV (python3 -m venv) if it is missing and installs duckdb==2.0.0 into it.
# Idempotent: when VENV already has that DuckDB it returns at once, without calling pip.
# Prints nothing on success except pip's errors; exits non-zero on failure.
set -euo pipefail

DUCKDB_VERSION=2.0.0
VENV=${1:?usage: setup_venv.sh VENV}
PY="$VENV/bin/python"

# Fast path: the venv exists and already has the pinned DuckDB.
if [ -x "$PY" ] && "$PY" - "$DUCKDB_VERSION" 2>/dev/null <<'PYEOF'
import sys
import duckdb
sys.exit(0 if duckdb.__version__ == sys.argv[1] else 1)
PYEOF
then
    exit 0
fi

# Several test processes may call this at once: serialise the slow path on a lock file
# next to the venv (flock is in util-linux; without it, just go ahead).
mkdir -p "$(dirname "$VENV")"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$VENV.lock"
    flock 9
fi

[ -x "$PY" ] || python3 -m venv "$VENV"
"$PY" -m pip install -q --disable-pip-version-check "duckdb==$DUCKDB_VERSION"
"$PY" -c "import duckdb, sys; sys.exit(duckdb.__version__ != '$DUCKDB_VERSION')"
