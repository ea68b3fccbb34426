#!/usr/bin/env bash
# Latency when not saturated, side by side, in one run: one task every 1/R s (default 200/s),
# N tasks (default 2000), send -> task started and send -> finished (from the worker's events).
#   floor (C)   — LPUSH -> BLPOP between two processes with no client library (latency_floor.c):
#                 what the kernel, the wake-ups and redis-server cost on this machine;
#   floor (py)  — the same hand-off through redis-py, Python Celery's client, without Celery;
#   ours        — celery-worker -c C --no-track-started, and again with --nio-executor (worker
#                 and bench client);
#   Python      — Celery 5 prefork worker -c C -E, paced producer (pybench.py, PYBENCH_RATE).
# Usage: Benchmarks/latency.sh [N] [RATE] [C]; BENCH_BROKERS=redis,amqp (default redis);
# REDIS_PORT / RABBITMQ_PORT / MONGO_PORT as for compare-celery.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-2000}"; RATE="${2:-200}"; C="${3:-4}"
source scripts/lib/deps.sh
ensure_build_deps; ensure_venv
export RUN_DIR="$(mktemp -d /tmp/celery-latency.XXXXXX)"
stops=()
trap 'for s in "${stops[@]}"; do $s || true; done' EXIT
want() { case ",${BENCH_BROKERS:-redis}," in *,"$1",*) return 0;; esac; return 1; }
source scripts/services/redis.sh; redis_start; stops+=(redis_stop)
if want amqp; then source scripts/services/rabbitmq.sh; rabbitmq_start; stops+=(rabbitmq_stop); fi
echo "==> swift build -c release"
swift build -c release --product celery-worker >/dev/null
swift build -c release --product celery-bench >/dev/null
BIN="$(swift build -c release --show-bin-path)"
# Any C compiler: the system's cc, else the clang that ships with Swift.
"${CC:-$(command -v cc || command -v clang)}" -O2 -o "$RUN_DIR/latency_floor" Benchmarks/latency_floor.c

redis_port="${CELERY_TEST_REDIS_URL##*:}"; redis_port="${redis_port%%/*}"
floor() { # command...
  "$@" "$redis_port" "$N" consume > "$RUN_DIR/floor.out" & local c=$!
  sleep 0.5
  "$@" "$redis_port" "$N" produce
  wait "$c"; cat "$RUN_DIR/floor.out"
}
summary() { # label (reads one JSON document on stdin)
  python3 -c 'import json,sys
d=json.loads(sys.stdin.read().strip().splitlines()[-1])
f=lambda k: "%.3f" % d[k] if d.get(k) is not None else "-"
print("%-34s send->start p50 %s p90 %s p99 %s ms | send->finished p50 %s ms | %s/%s done" % (sys.argv[1], f("send_to_start_p50_ms"), f("send_to_start_p90_ms"), f("send_to_start_p99_ms"), f("send_to_result_p50_ms"), d.get("completed"), d.get("tasks")))' "$1"
}
ours() { # broker label worker-flags bench-flags
  local q="lat-$RANDOM"
  "$BIN/celery-worker" --broker "$1" -c "$C" -Q "$q" -l error --no-track-started $3 >"$RUN_DIR/ours.log" 2>&1 & local pid=$!
  sleep 2
  "$BIN/celery-bench" --broker "$1" --external --worker-pid "$pid" --rate "$RATE" --tasks "$N" --queue "$q" --json $4 | summary "$2"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}
python_side() { # broker label
  local q="lat-$RANDOM"
  ( cd scripts/interop && CELERY_BROKER_URL="$1" "$CELERY_VENV/bin/celery" -A pytasks worker -Q "$q" -c "$C" -E -l error \
      -n "lat-py@%h" --without-gossip --without-mingle >"$RUN_DIR/py.log" 2>&1 ) & local pid=$!
  sleep 4
  CELERY_BROKER_URL="$1" PYBENCH_RATE="$RATE" "$CELERY_VENV/bin/python" Benchmarks/pybench.py "$N" "$q" 300 | summary "$2"
  pkill -TERM -P "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  pkill -f "lat-py@" 2>/dev/null || true
}

echo "==> $N tasks at $RATE/s, concurrency $C"
if want redis; then
  floor "$RUN_DIR/latency_floor"
  floor "$CELERY_VENV/bin/python" Benchmarks/latency_floor.py
  u="$CELERY_TEST_REDIS_URL"
  ours "$u" "Redis, ours" "" ""
  python_side "$u" "Redis, Python Celery"
  ours "$u" "Redis, ours (--nio-executor)" "--nio-executor" "--nio-executor"
  ours "$u" "Redis, ours (again)" "" ""
fi
if want amqp; then
  u="$CELERY_TEST_AMQP_URL"
  ours "$u" "RabbitMQ, ours (confirmed publish)" "" ""
  python_side "$u" "RabbitMQ, Python Celery"
  ours "$u" "RabbitMQ, ours (--nio-executor)" "--nio-executor" "--nio-executor"
fi
