#!/usr/bin/env bash
# Redis-side and worker-side CPU per task for a prefilled no-op drain (N `tasks.add` sent by
# Python Celery's client, kombu format; no result backend; default worker flags), with task
# events off (--without-events) or on (EVENTS=1). Timed from the worker's start to an empty
# queue with nothing unacked. Compares worker binaries: BINS="label=/dir ..." (each dir holds
# celery-worker; default: this checkout's release build).
#
#   Benchmarks/redis-cpu.sh [N]                       # N=20000
#   BINS="before=/tmp/before after=.build/release" EVENTS=1 Benchmarks/redis-cpu.sh 20000
#
# Redis CPU per task = Δ(used_cpu_sys + used_cpu_user) / N over the drain (every command a
# task costs the worker's side: the pop and ack scripts, events, the restore check). Worker
# CPU = utime + stime of the worker process (start-up included) / N. The server's own
# ceiling for exactly these commands follows: one core / (Redis µs per task).
set -uo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"; PORT="${REDIS_PORT:-16422}"; PY="${CELERY_VENV:-/work/venv}/bin/python"
BINS="${BINS:-after=$(swift build -c release --show-bin-path 2>/dev/null)}"
DIR="$(mktemp -d /tmp/redis-cpu.XXXXXX)"
redis-server --bind 127.0.0.1 --port "$PORT" --dir "$DIR" --daemonize yes --pidfile "$DIR/pid" --logfile "$DIR/log" \
  --save "" --appendonly no >/dev/null || exit 1
trap 'kill "$(cat "$DIR/pid")" 2>/dev/null; rm -rf "$DIR"' EXIT
for i in $(seq 1 100); do [ "$(redis-cli -p "$PORT" PING 2>/dev/null)" = PONG ] && break; sleep 0.05; done
cpu() { redis-cli -p "$PORT" INFO cpu | awk -F: '/^used_cpu_(sys|user):/{s+=$2} END{printf "%.6f", s}'; }
B="redis://127.0.0.1:$PORT/0"
ev=(--without-events); [ "${EVENTS:-0}" = 1 ] && ev=()
for entry in $BINS; do
  label="${entry%%=*}"; bin="${entry#*=}"
  redis-cli -p "$PORT" FLUSHALL >/dev/null
  q="cpu-$label-$RANDOM"
  "$PY" - "$B" "$q" "$N" <<'PYEOF'
import sys
from celery import Celery
app = Celery(broker=sys.argv[1])
with app.producer_or_acquire() as p:
    for i in range(int(sys.argv[3])):
        app.send_task("tasks.add", args=[i, 1], queue=sys.argv[2], producer=p)
PYEOF
  redis-cli -p "$PORT" CONFIG RESETSTAT >/dev/null
  c0=$(cpu); t0=$(date +%s.%N)
  "$bin/celery-worker" --broker "$B" -Q "$q" -l error "${ev[@]}" >"$DIR/worker.log" 2>&1 &
  w=$!
  while :; do
    left=$(( $(redis-cli -p "$PORT" LLEN "$q") + $(redis-cli -p "$PORT" HLEN unacked) ))
    [ "$left" -eq 0 ] && break
    kill -0 "$w" 2>/dev/null || { echo "worker died: $(tail -3 "$DIR/worker.log")"; break; }
    sleep 0.02
  done
  t1=$(date +%s.%N); c1=$(cpu)
  wcpu=$(awk '{print ($14 + $15) / 100}' "/proc/$w/stat")
  kill -TERM "$w"; wait "$w" 2>/dev/null
  awk -v a="$t0" -v b="$t1" -v c0="$c0" -v c1="$c1" -v w="$wcpu" -v n="$N" -v l="$label" 'BEGIN{
    u=(c1-c0)/n*1e6; printf "== %s: drain %.0f tasks/s (%.2f s); worker CPU %.1f us/task; redis CPU %.2f us/task -> redis ceiling for these commands %.0f tasks/s\n", l, n/(b-a), b-a, w/n*1e6, u, 1e6/u }'
  redis-cli -p "$PORT" INFO commandstats | tr -d '\r' | awk -F'[:,=]' -v n="$N" '/^cmdstat_/ && $3 > n/100 {printf "   %-24s calls %8d  (%.3f per task)  usec_per_call %s\n", $1, $3, $3/n, $7}'
done
