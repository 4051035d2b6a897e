#!/usr/bin/env bash
# The project's one test command: clippy with -D warnings and rustfmt's check, then every test of
# the workspace (unit tests, the SQL semantics
# files of tests/sql, the explain golden files of tests/explain, the CLI tests and the DuckDB
# oracle test of cli/tests), in the debug profile (the workspace builds it with optimisation).
#
#   bash tests/run.sh                 # everything
#   bash tests/run.sh -p vstream-tests  # extra arguments go to cargo test
#
# The oracle test makes a Python venv with DuckDB at target/oracle-venv the first time (PyPI).
# The Kafka tests (cli/tests/kafka.rs) run against a tansu broker that tests/kafka/broker.sh
# installs into target/tansu the first time (PyPI), starts on 127.0.0.1 and stops at the end.
# Rewrite golden files from actual output: VSTREAM_REWRITE=1 cargo test -p vstream-tests
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Lints first: clippy with every warning an error (missing docs included: the library crates
# warn on them), and formatting.
for component in clippy rustfmt; do
    cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1 || rustup component add "$component"
done
cargo clippy --workspace --all-targets -- -D warnings
cargo fmt --all -- --check

source tests/kafka/broker.sh

status=0
cargo test --workspace --no-fail-fast "$@" || status=$?
exit "$status"
