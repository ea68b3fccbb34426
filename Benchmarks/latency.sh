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
want() { case ",${BENCH_BROKERS:-redis}," in *,"$1",*) return 0;; esac; return 1; }
source Benchmarks/lib.sh
services=(redis); want amqp && services+=(rabbitmq)
bench_prepare celery-latency "${services[@]}"
# Any C compiler: the system's cc, else the clang that ships with Swift.
"${CC:-$(command -v cc || command -v clang)}" -O2 -o "$RUN_DIR/latency_floor" Benchmarks/latency_floor.c

redis_port="${CELERY_TEST_REDIS_URL##*:}"; redis_port="${redis_port%%/*}"
floor() { # command...
  "$@" "$redis_port" "$N" consume > "$RUN_DIR/floor.out" & local c=$!
  local i  # probe: the consumer is blocked in BLPOP
  for i in $(seq 1 200); do
    redis-cli -p "$redis_port" CLIENT LIST | grep -q 'cmd=blpop' && break
    sleep 0.05
  done
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
  ours_worker_start "$1" "$q" --no-track-started $3 || return 1
  "$BIN/celery-bench" --broker "$1" --external --worker-pid "$WORKER_PID" --rate "$RATE" --tasks "$N" --queue "$q" --json $4 | summary "$2"
  ours_worker_stop
}
python_side() { # broker label
  local q="lat-$RANDOM"
  python_worker_start "$1" "" "$q" lat-py
  CELERY_BROKER_URL="$1" PYBENCH_RATE="$RATE" "$CELERY_VENV/bin/python" Benchmarks/pybench.py "$N" "$q" 300 | summary "$2"
  python_worker_stop lat-py
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
