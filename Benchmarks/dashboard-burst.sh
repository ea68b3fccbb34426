#!/usr/bin/env bash
# celery-dashboard under an event burst: TASKS (default 100 000) tasks' events
# (task-received + task-succeeded: 2 × TASKS events) published to `celeryev` on Redis as
# fast as redis-py pipelines them, while the dashboard applies them at its own pace.
# Prints the dashboard's resident size (now and peak) during and after, and /metrics'
# events seen, dropped (dashboard buffer and Redis pub/sub buffer) and tasks in memory.
#   Benchmarks/dashboard-burst.sh [TASKS] [EVENT_BUFFER]
# Env: REDIS_PORT (26450), DASHBOARD_PORT (5651), CELERY_VENV, BUILD (debug).
set -euo pipefail
cd "$(dirname "$0")/.."
TASKS="${1:-100000}" BUFFER="${2:-10000}"
REDIS_PORT="${REDIS_PORT:-26450}" DASHBOARD_PORT="${DASHBOARD_PORT:-5651}" BUILD="${BUILD:-debug}"
PY="${CELERY_VENV:-$PWD/.venv}/bin/python"
DIR="$(mktemp -d /tmp/dashboard-burst.XXXXXX)"
export RUN_DIR="$DIR"
source scripts/services/redis.sh
redis_start >/dev/null
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
swift build -c "$BUILD" --product celery-dashboard >/dev/null
CELERY_DASHBOARD_TOKEN=bench ".build/$BUILD/celery-dashboard" --broker "$CELERY_TEST_REDIS_URL" --port "$DASHBOARD_PORT" \
    --max-tasks 10000 --event-buffer "$BUFFER" >"$DIR/dashboard.log" 2>&1 &
dash=$!
pids+=($dash)
for _ in $(seq 1 200); do curl -fs -o /dev/null "http://127.0.0.1:$DASHBOARD_PORT/healthcheck" && break; sleep 0.2; done
mem() { awk '/VmRSS/ {r=$2} /VmHWM/ {h=$2} END {print "rss " r " kB, peak " h " kB"}' "/proc/$dash/status"; }
metrics() {
    curl -fs -H "Authorization: Bearer bench" "http://127.0.0.1:$DASHBOARD_PORT/metrics" |
        grep -E "^celery_dashboard_(events_total|events_dropped_total|tasks_in_memory)" | tr '\n' ' '
}
cpu() { awk '{print ($14 + $15) / 100 " s CPU"}' "/proc/$dash/stat"; }
echo "== idle: $(mem), $(cpu)"
"$PY" Benchmarks/dashboard_burst.py "$CELERY_TEST_REDIS_URL" "$TASKS"
echo "== burst published: $(mem), $(cpu); $(metrics)"
prev=-1
while :; do
    n="$(curl -fs -H "Authorization: Bearer bench" "http://127.0.0.1:$DASHBOARD_PORT/metrics" | awk '/^celery_dashboard_events_total/ {print $2}')"
    [ "$n" = "$prev" ] && break
    prev="$n"
    sleep 2
done
echo "== drained: $(mem), $(cpu); $(metrics)"
grep -E "warning|lost|reconnect" "$DIR/dashboard.log" | head -5 || true
redis_stop >/dev/null 2>&1 || true
rm -rf "$DIR"
