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
  "$@" "$redis_port" "$N" consume > "$RUN_DIR/floor.out" & FLOOR_PID=$!
  # Probe until the consumer is blocked in BLPOP (5 s at most).
  local ready=""
  for _ in $(seq 1 100); do
    kill -0 "$FLOOR_PID" 2>/dev/null || break
    if redis-cli -p "$redis_port" CLIENT LIST | grep -q 'cmd=blpop'; then ready=1; break; fi
    sleep 0.05  # between probes
  done
  if [ -z "$ready" ]; then stop_floor; echo "floor consumer did not start: $(cat "$RUN_DIR/floor.out")" >&2; return 1; fi
  "$@" "$redis_port" "$N" produce
  wait "$FLOOR_PID"; FLOOR_PID=""; cat "$RUN_DIR/floor.out"
}
summary() { # label (reads one JSON document on stdin)
  python3 -c 'import json,sys
d=json.loads(sys.stdin.read().strip().splitlines()[-1])
f=lambda k: "%.3f" % d[k] if d.get(k) is not None else "-"
print("%-34s send->start p50 %s p90 %s p99 %s ms | send->finished p50 %s ms | %s/%s done" % (sys.argv[1], f("send_to_start_p50_ms"), f("send_to_start_p90_ms"), f("send_to_start_p99_ms"), f("send_to_result_p50_ms"), d.get("completed"), d.get("tasks")))' "$1"
}
# Each measurement stops the worker it started whatever happens (a failure is reported and the
# next measurement runs); one still running at exit is stopped by lib.sh's trap, by pid.
ours() { # broker label worker-flags bench-flags
  local q="lat-$RANDOM" rc=0
  ours_worker_start "$1" "$q" --no-track-started $3 || { ours_worker_stop; echo "$2: our worker did not come up" >&2; return 1; }
  "$BIN/celery-bench" --broker "$1" --external --worker-pid "$WORKER_PID" --rate "$RATE" --tasks "$N" --queue "$q" --json $4 | summary "$2" || rc=$?
  ours_worker_stop; WORKER_PID=""
  return $rc
}
python_side() { # broker label
  local q="lat-$RANDOM" rc=0
  python_worker_start "$1" "" "$q" lat-py || { python_worker_stop lat-py; echo "$2: no figure (the Python worker did not come up)" >&2; return 1; }
  CELERY_BROKER_URL="$1" PYBENCH_RATE="$RATE" "$CELERY_VENV/bin/python" Benchmarks/pybench.py "$N" "$q" 300 | summary "$2" || rc=$?
  python_worker_stop lat-py; PY_PID=""
  return $rc
}
stop_floor() { if [ -n "${FLOOR_PID:-}" ]; then kill -TERM "$FLOOR_PID" 2>/dev/null || true; wait "$FLOOR_PID" 2>/dev/null || true; FLOOR_PID=""; fi; }
trap 'stop_floor; bench_exit' EXIT
failed=0
run() { "$@" || failed=1; }

echo "==> $N tasks at $RATE/s, concurrency $C"
if want redis; then
  run floor "$RUN_DIR/latency_floor"
  run floor "$CELERY_VENV/bin/python" Benchmarks/latency_floor.py
  u="$CELERY_TEST_REDIS_URL"
  run ours "$u" "Redis, ours" "" ""
  run python_side "$u" "Redis, Python Celery"
  run ours "$u" "Redis, ours (--nio-executor)" "--nio-executor" "--nio-executor"
  run ours "$u" "Redis, ours (again)" "" ""
fi
if want amqp; then
  u="$CELERY_TEST_AMQP_URL"
  run ours "$u" "RabbitMQ, ours (confirmed publish)" "" ""
  run python_side "$u" "RabbitMQ, Python Celery"
  run ours "$u" "RabbitMQ, ours (--nio-executor)" "--nio-executor" "--nio-executor"
fi
exit "$failed"
