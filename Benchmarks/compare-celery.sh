#!/usr/bin/env bash
# Side by side with Python Celery 5, in one run, on the same servers:
#   no-op tasks.add, N tasks (default 20000), matched concurrency C (default 4), for each broker
#   (Redis, RabbitMQ) with and without a MongoDB result backend; our worker and a Python worker
#   (prefork, -c C, events on) alternate. Each case runs twice per side:
#   live      — the worker is running; one producer sends N tasks (end-to-end includes the client);
#   prefilled — N tasks are queued first, then the worker starts (its drain rate is the worker alone).
#   On RabbitMQ the live Python run is repeated with confirm_publish (publisher confirms, as ours).
#   Prints a table with ratios ours/theirs and writes JSON.
# Usage: Benchmarks/compare-celery.sh [N] [C] [OUT.json]
#   BENCH_BROKERS=redis,amqp selects brokers; BENCH_BACKENDS=none,mongodb selects result backends;
#   REDIS_PORT / RABBITMQ_PORT / MONGO_PORT move the private servers (RabbitMQ also takes
#   PORT+1 for TLS, PORT+10000 for epmd and PORT+20000 for distribution); BENCH_OURS_FLAGS adds
#   celery-worker flags (e.g. --nio-executor).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"; C="${2:-4}"; OUT="${3:-Benchmarks/compare-results.json}"
source Benchmarks/lib.sh
bench_prepare celery-bench redis rabbitmq mongo

brokers=()
case ",${BENCH_BROKERS:-redis,amqp}," in *,redis,*) brokers+=("$CELERY_TEST_REDIS_URL");; esac
case ",${BENCH_BROKERS:-redis,amqp}," in *,amqp,*) [ -n "${CELERY_TEST_AMQP_URL:-}" ] && brokers+=("$CELERY_TEST_AMQP_URL");; esac
backends=()
case ",${BENCH_BACKENDS:-none,mongodb}," in *,none,*) backends+=("");; esac
case ",${BENCH_BACKENDS:-none,mongodb}," in *,mongodb,*) backends+=("${CELERY_TEST_MONGO_URL:-}");; esac
results="[]"

ceiling=""
if command -v redis-benchmark >/dev/null && [ -n "${REDIS_PORT:-}" ]; then
  ceiling="$(redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -q -n 100000 -P 1 -t lpush,rpop,publish 2>/dev/null | tr '\r' '\n' | grep -E 'requests per second' | sed 's/^ *//' | tr '\n' ';')"
  echo "Redis ceiling (redis-benchmark, 50 clients, no pipelining): $ceiling"
fi

# The brokers' own ceilings through our transports, no Celery task handling, no events
# (`celery-bench --broker-ceiling`): persistent task-sized messages published in pipelined
# batches (confirmed on RabbitMQ), then delivered and acknowledged with a deep prefetch.
for b in "${brokers[@]}"; do
  c="$("$BIN/celery-bench" --broker "$b" --broker-ceiling --tasks "$N" --json 2>/dev/null | tail -1 || true)"
  echo "Broker ceiling ${b%%://*} (celery-bench --broker-ceiling --tasks $N): $c"
  ceiling="$ceiling ${b%%://*}: $c;"
done

run_ours() { # broker backend queue
  # --no-track-started: Celery's default (task_track_started=False), one result write per task on both sides.
  local flags=(--no-track-started ${BENCH_OURS_FLAGS:-})
  [ -n "$2" ] && flags+=(--result-backend "$2")
  ours_worker_start "$1" "$3" "${flags[@]}" || return 1
  "$BIN/celery-bench" --broker "$1" --external --worker-pid "$WORKER_PID" --tasks "$N" --queue "$3" --json || true
  ours_worker_stop
}

run_python() { # broker backend queue
  python_worker_start "$1" "$2" "$3" bench-py
  CELERY_BROKER_URL="$1" CELERY_RESULT_BACKEND="$2" "$CELERY_VENV/bin/python" Benchmarks/pybench.py "$N" "$3" 900 || true
  python_worker_stop bench-py
}

run_ours_prefilled() { # broker backend queue
  local w="$BIN/celery-worker --broker $1 -c $C -Q $3 -l error -n bench-ours@$(hostname) --no-track-started ${BENCH_OURS_FLAGS:-}"
  [ -n "$2" ] && w="$w --result-backend $2"
  "$BIN/celery-bench" --broker "$1" --spawn-worker "$w" --tasks "$N" --queue "$3" --json || true
}

run_python_prefilled() { # broker backend queue
  local w="cd scripts/interop && exec $CELERY_VENV/bin/celery -A pytasks worker -Q $3 -c $C -E -l error -n bench-py@%h --without-gossip --without-mingle >$RUN_DIR/py.log 2>&1"
  CELERY_BROKER_URL="$1" CELERY_RESULT_BACKEND="$2" "$CELERY_VENV/bin/python" Benchmarks/pybench.py "$N" "$3" 900 "$w" || true
}

add_result() { # label ours python
  results="$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.append({"case": sys.argv[2], "ours": json.loads(sys.argv[3] or "{}"), "python": json.loads(sys.argv[4] or "{}")}); print(json.dumps(r))' "$results" "$1" "${2:-{\}}" "${3:-{\}}")"
}

for broker in "${brokers[@]}"; do
  for backend in "${backends[@]}"; do
    label="${broker%%://*}+$([ -n "$backend" ] && echo mongodb || echo none)"
    echo "==> $label live: ours"
    ours="$(run_ours "$broker" "$backend" "bench-ours-$RANDOM" | tail -1)"; echo "$ours"
    echo "==> $label live: python celery"
    py="$(run_python "$broker" "$backend" "bench-py-$RANDOM" | tail -1)"; echo "$py"
    add_result "$label live" "$ours" "$py"
    if [[ "$broker" == amqp* ]]; then
      # Same safety on both sides: Python's producer with publisher confirms (ours always confirms).
      echo "==> $label live: python celery, confirm_publish"
      pyc="$(PYBENCH_CONFIRM_PUBLISH=1 run_python "$broker" "$backend" "bench-pyc-$RANDOM" | tail -1)"; echo "$pyc"
      add_result "$label live (py confirms)" "$ours" "$pyc"
    fi
    echo "==> $label prefilled: python celery"
    py="$(run_python_prefilled "$broker" "$backend" "bench-pyp-$RANDOM" | tail -1)"; echo "$py"
    echo "==> $label prefilled: ours"
    ours="$(run_ours_prefilled "$broker" "$backend" "bench-oursp-$RANDOM" | tail -1)"; echo "$ours"
    add_result "$label prefilled" "$ours" "$py"
  done
done
python3 - "$results" "$OUT" "$N" "$C" "$ceiling" <<'PY'
import json, sys
results, out, n, c, ceiling = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
keys = ["end_to_end_per_s", "worker_drain_per_s", "enqueue_per_s", "send_to_result_p50_ms", "send_to_result_p99_ms", "send_to_start_p50_ms", "cpu_s_per_1000", "rss_peak_mb"]
print(f"\nBroker ceilings: {ceiling}")
print(f"\nN={n} tasks.add, concurrency {c}; ratio = ours / python (throughput: higher is better; latency: lower is better)")
print(f"{'case':26} {'metric':24} {'ours':>12} {'python':>12} {'ratio':>8}")
for r in results:
    for k in keys:
        o, p = r["ours"].get(k), r["python"].get(k)
        ratio = f"{o / p:.2f}" if isinstance(o, (int, float)) and isinstance(p, (int, float)) and p else "-"
        if o is None and p is None:
            continue
        print(f"{r['case']:26} {k:24} {str(o):>12} {str(p):>12} {ratio:>8}")
json.dump({"tasks": int(n), "concurrency": int(c), "broker_ceilings": ceiling, "results": results}, open(out, "w"), indent=2)
print(f"\nwrote {out}")
PY
