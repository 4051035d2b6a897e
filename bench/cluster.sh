#!/usr/bin/env bash
# Cluster mode on one machine: the same query as 1 process x 1 worker, 1 process x 2 workers and
# 2 processes x 1 worker (on loopback), so the cost of crossing processes shows beside threads.
#
#   bash bench/cluster.sh                         # qagg and q5h, 3 runs each
#   QUERIES="qagg" RUNS=5 LAYOUTS="1x1 1x2 2x1 2x2" bash bench/cluster.sh
#
# Each run is `vstream run` (1 process) or `vstream cluster --hostfile` (P processes on
# 127.0.0.1), alternating layouts; wall seconds and peak RSS (of the largest process) come from
# /usr/bin/time. Prints medians and events/s. Environment: QUERIES (qagg q5h), RUNS (3),
# LAYOUTS (1x1 1x2 2x1), BIDS (/tmp/bids_10m.csv, the 10M-row file bench/run.sh makes),
# VSTREAM (target/release/vstream), NO_BUILD.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
QUERIES=${QUERIES:-qagg q5h}
RUNS=${RUNS:-3}
LAYOUTS=${LAYOUTS:-1x1 1x2 2x1}
BIDS=${BIDS:-/tmp/bids_10m.csv}
VSTREAM=${VSTREAM:-target/release/vstream}
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet --bin vstream
[ -f "$BIDS" ] || { echo "no input $BIDS: run bench/run.sh once (it generates it)" >&2; exit 1; }
ROWS=$(( $(wc -l < "$BIDS") - 1 ))
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
hostfile() {  # hostfile P: P free loopback ports
  python3 - "$1" > "$TMP/hosts.txt" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
for s in socks: print(f"127.0.0.1:{s.getsockname()[1]}")
PY
}
printf "%-6s %-6s %10s %14s %10s\n" query layout "median s" "events/s" "RSS MiB"
for q in $QUERIES; do
  sed "s#\${BIDS}#$BIDS#g" "bench/sql/$q.sql" > "$TMP/$q.sql"
  declare -A walls=() rss=()
  for r in $(seq "$RUNS"); do
    for layout in $LAYOUTS; do
      p=${layout%x*}; w=${layout#*x}
      if [ "$p" = 1 ]; then
        /usr/bin/time -o "$TMP/t" -f "%e %M" "$VSTREAM" run "$TMP/$q.sql" -w "$w" --quiet > /dev/null 2>&1
      else
        hostfile "$p"
        /usr/bin/time -o "$TMP/t" -f "%e %M" "$VSTREAM" cluster --hostfile "$TMP/hosts.txt" -w "$w" --quiet "$TMP/$q.sql" > /dev/null 2>&1
      fi
      read -r wall kb < <(tail -1 "$TMP/t")
      walls[$layout]="${walls[$layout]:-} $wall"; rss[$layout]="${rss[$layout]:-} $kb"
    done
  done
  for layout in $LAYOUTS; do
    med=$(printf "%s\n" ${walls[$layout]} | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    mem=$(printf "%s\n" ${rss[$layout]} | sort -n | awk '{a[NR]=$1} END {print int(a[int((NR+1)/2)]/1024)}')
    printf "%-6s %-6s %10s %14.0f %10s   (runs:%s)\n" "$q" "$layout" "$med" "$(echo "$ROWS / $med" | bc -l)" "$mem" "${walls[$layout]}"
  done
  unset walls rss
done
