#!/usr/bin/env bash
# Redis-side and worker-side CPU per task for a prefilled no-op drain (tasks.add, no result
# backend, events off unless EVENTS=1, default worker flags), plus the server's commandstats.
# Compares worker binaries: BINS="label=/path/to/dir ..." (each dir holds celery-bench and
# celery-worker; default: this checkout's release build).
#
#   Benchmarks/redis-cpu.sh [N]                       # N=20000
#   BINS="before=/tmp/before after=.build/release" Benchmarks/redis-cpu.sh 20000
#
# Redis CPU per task = Δ(used_cpu_sys + used_cpu_user) / N over prefill + drain (every
# command a task costs: LPUSH, the pop and ack scripts, the restore check). The server's own
# ceiling for exactly these commands follows: one core / (Redis µs per task).
set -uo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"; PORT="${REDIS_PORT:-16422}"
BINS="${BINS:-after=$(swift build -c release --show-bin-path 2>/dev/null)}"
DIR="$(mktemp -d /tmp/redis-cpu.XXXXXX)"
redis-server --bind 127.0.0.1 --port "$PORT" --dir "$DIR" --daemonize yes --pidfile "$DIR/pid" --logfile "$DIR/log" \
  --save "" --appendonly no >/dev/null || exit 1
trap 'kill "$(cat "$DIR/pid")" 2>/dev/null; rm -rf "$DIR"' EXIT
for i in $(seq 1 100); do [ "$(redis-cli -p "$PORT" PING 2>/dev/null)" = PONG ] && break; sleep 0.05; done
cpu() { redis-cli -p "$PORT" INFO cpu | awk -F: '/^used_cpu_(sys|user):/{s+=$2} END{printf "%.6f", s}'; }
B="redis://127.0.0.1:$PORT/0"
for entry in $BINS; do
  label="${entry%%=*}"; bin="${entry#*=}"
  redis-cli -p "$PORT" FLUSHALL >/dev/null; redis-cli -p "$PORT" CONFIG RESETSTAT >/dev/null
  q="cpu-$label-$RANDOM"; ev="--without-events"; [ "${EVENTS:-0}" = 1 ] && ev=""
  c0=$(cpu)
  out=$("$bin/celery-bench" --broker "$B" --tasks "$N" --queue "$q" --json \
        --spawn-worker "$bin/celery-worker --broker $B -Q $q -l error $ev" 2>/dev/null | tail -1)
  c1=$(cpu)
  echo "== $label: $out"
  awk -v a="$c0" -v b="$c1" -v n="$N" 'BEGIN{u=(b-a)/n*1e6; printf "   redis CPU: %.2f us/task  -> redis ceiling for these commands: %.0f tasks/s\n", u, 1e6/u}'
  redis-cli -p "$PORT" INFO commandstats | tr -d '\r' | awk -F'[:,=]' -v n="$N" '/^cmdstat_/{printf "   %-28s calls %8d  (%.3f per task)  usec_per_call %s\n", $1, $3, $3/n, $7}'
done
