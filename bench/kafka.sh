#!/usr/bin/env bash
# Kafka source throughput: the bid stream from a 4-partition topic, q2 and qagg at -w 1 and -w 2,
# beside a plain consumer's read rate of the same topic (the ceiling any Kafka source can reach
# on this broker and machine).
#
#   bash bench/kafka.sh                 # 10M bids (the benchmark's size)
#   ROWS=1000000 RUNS=1 bash bench/kafka.sh
#
# It builds the release binaries, makes the bid file with the project's generator
# (target/release/gen_bids, seed 42; kept in $BIDS for the next run), starts a tansu broker on a
# free port of 127.0.0.1 (tests/kafka/broker.sh: installed into target/tansu the first time,
# in-memory storage, stopped at the end), produces the file into topic `bids` (line i to
# partition i % 4), then per run:
#   consumer  target/release/kafka_tool consume: all partitions from the start to their end
#   vstream   bench/sql/Q.sql with the file source swapped for the topic (bounded mode) and a
#             blackhole sink, -w P --quiet
# events/s = rows / wall seconds (vstream's own summary line, start-up and connecting included).
# Run it on a quiet machine: the broker, the producer and vstream share its cores.
#
# Environment: ROWS (10000000), RUNS (3), PARALLELISM ("1 2"), QUERIES ("q2 qagg"),
# BIDS (target/kafka-bench/bids_ROWS.csv), NO_BUILD (skip cargo), BIN (target/release).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ROWS=${ROWS:-10000000}
RUNS=${RUNS:-3}
PARALLELISM=${PARALLELISM:-"1 2"}
QUERIES=${QUERIES:-"q2 qagg"}
BIN=${BIN:-$ROOT/target/release}
WORK="$ROOT/target/kafka-bench"
BIDS=${BIDS:-$WORK/bids_$ROWS.csv}
mkdir -p "$WORK"
LOG="$WORK/kafka-bench-$(date +%Y%m%d-%H%M%S).log"
log() { echo "$*" | tee -a "$LOG"; }

if [ -z "${NO_BUILD:-}" ]; then
    cargo build --release --bin vstream --bin kafka_tool --bin gen_bids 2>&1 | tail -2
fi
if [ ! -s "$BIDS" ]; then
    "$BIN/gen_bids" --rows "$ROWS" --out "$BIDS"
fi

source tests/kafka/broker.sh
BROKERS=$VSTREAM_KAFKA_BROKERS

log "# vstream Kafka source benchmark, $(date -Is), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
log "# $ROWS bids from $BIDS into topic bids (4 partitions) at $BROKERS (tansu, memory storage)"
log "$("$BIN/kafka_tool" produce --brokers "$BROKERS" --topic bids --partitions 4 "$BIDS")"

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# The plain consumer's rate.
rates=()
for _ in $(seq 1 "$RUNS"); do
    line=$("$BIN/kafka_tool" consume --brokers "$BROKERS" --topic bids)
    log "consumer: $line"
    rates+=("$(echo "$line" | sed -E 's/.*\(([0-9.]+) msg\/s\).*/\1/')")
done
CONSUMER=$(printf '%s\n' "${rates[@]}" | median)

declare -A RESULT
for q in $QUERIES; do
    # The benchmark's query, reading the topic instead of the file.
    sed -e "s|'connector' = 'file', 'path' = '\${BIDS}', 'format' = 'csv', 'csv.header' = 'true'|'connector' = 'kafka', 'topic' = 'bids', 'properties.bootstrap.servers' = '$BROKERS', 'format' = 'csv', 'scan.bounded.mode' = 'latest-offset'|" \
        "bench/sql/$q.sql" >"$WORK/$q.sql"
    grep -q "'connector' = 'kafka'" "$WORK/$q.sql" || { echo "bench/kafka.sh: cannot swap the source of bench/sql/$q.sql" >&2; exit 1; }
    for p in $PARALLELISM; do
        rates=()
        for _ in $(seq 1 "$RUNS"); do
            summary=$("$BIN/vstream" run "$WORK/$q.sql" -w "$p" 2>&1 | grep '^vstream:' || true)
            log "$q -w $p: $summary"
            echo "$summary" | grep -q "^vstream: $ROWS rows in" || { echo "bench/kafka.sh: $q -w $p did not read $ROWS rows" >&2; exit 1; }
            rates+=("$(echo "$summary" | sed -E 's/.* ([0-9]+) events\/s.*/\1/')")
        done
        RESULT[$q,$p]=$(printf '%s\n' "${rates[@]}" | median)
    done
done

log ""
log "| query | -w | vstream events/s (median of $RUNS) | plain consumer msg/s | vstream / consumer |"
log "|---|---|---|---|---|"
for q in $QUERIES; do
    for p in $PARALLELISM; do
        r=${RESULT[$q,$p]}
        log "| $q | $p | $r | $CONSUMER | $(awk -v a="$r" -v b="$CONSUMER" 'BEGIN {printf "%.2f", a / b}') |"
    done
done
log "# log: $LOG"
