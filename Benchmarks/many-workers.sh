#!/usr/bin/env bash
# Many workers (issue #19): 8 celery-worker processes (-c 2 each) consume the same three
# queues (mw-hi, mw-mid, mw-lo; messages with priorities 9/5/0); a Python Celery producer
# publishes N tasks to each (`tasks.sleep` 2 ms, ids <queue>-<i>). Reports, per queue, how
# many tasks each worker ran (min / max / stddev against the fair share), tasks that ran twice
# (none unless a worker died: none is killed here) or were lost, and when each queue was done.
#   Benchmarks/many-workers.sh [N=2000] [WORKERS=8] [BROKER=rabbitmq|redis]
#   BENCH_BIN=<dir of a built celery-worker> skips the release build. MW_PREFILL=1 publishes
#   everything before the workers start (a drain of a backlog) instead of while they run.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-2000}"; W="${2:-8}"; KIND="${3:-rabbitmq}"
export PATH="/opt/swift/usr/bin:$PATH"
source scripts/lib/deps.sh
ensure_venv
export RUN_DIR="${RUN_DIR:-$(mktemp -d /tmp/many-workers.XXXXXX)}"
source "scripts/services/$KIND.sh"
"${KIND}_start"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "${KIND}_stop" || true
}
trap cleanup EXIT
if [ "$KIND" = redis ]; then URL="$CELERY_TEST_REDIS_URL"; else URL="$CELERY_TEST_AMQP_URL"; fi
if [ -n "${BENCH_BIN:-}" ]; then BIN="$BENCH_BIN"; else
  swift build -c release --product celery-worker >/dev/null
  BIN="$(swift build -c release --show-bin-path)"
fi
PY="${CELERY_VENV:-$PWD/.venv}/bin/python"
LOGS="$RUN_DIR/logs"; mkdir -p "$LOGS"
if [ "${MW_PREFILL:-0}" = 1 ]; then "$PY" Benchmarks/many_workers.py publish "$URL" "$N"; fi
names=()
for i in $(seq 1 "$W"); do
  name="mw$i@bench"; names+=("$name")
  "$BIN/celery-worker" --broker "$URL" -Q mw-hi,mw-mid,mw-lo -c 2 -n "$name" -l info --without-events >"$LOGS/$name.log" 2>&1 &
  pids+=("$!")
done
for name in "${names[@]}"; do
  for _ in $(seq 1 600); do grep -q "worker ready" "$LOGS/$name.log" && break; sleep 0.1; done
  grep -q "worker ready" "$LOGS/$name.log" || { echo "worker $name did not start:"; cat "$LOGS/$name.log"; exit 1; }
done
if [ "${MW_PREFILL:-0}" = 1 ]; then mode=follow; else mode=run; fi
"$PY" Benchmarks/many_workers.py "$mode" "$URL" "$N" "$LOGS" "${names[@]}"
