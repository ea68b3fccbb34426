#!/usr/bin/env bash
# Side by side on one Redis, in one run: N prefilled no-op `add` tasks (default 20000), no result
# backend, timed from the moment all N appear to an empty queue with nothing unacknowledged:
#   ours            celery-worker, default flags, events off (--without-events)
#   ours+events     celery-worker, default flags (task events on)
#   python-celery   Celery 5 prefork -c 2 (events off, its default)
#   dramatiq        Dramatiq -p 2 -t 8
# Prints rate, worker CPU per task (whole process tree), Redis CPU and commands per task, the
# ratios, then Redis's own ceiling for our scripts (Benchmarks/redis_ceiling.py).
# The runs are interleaved (ours, ours+events, celery, dramatiq, then again) so drift on this
# noisy VM hits every worker alike; the best of RUNS is reported.
# Usage: Benchmarks/drain.sh [N] [RUNS] [OUT.json]     (REDIS_PORT moves the private Redis)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"; RUNS="${2:-3}"; OUT="${3:-}"
source Benchmarks/lib.sh
bench_prepare celery-drain redis
if ! "$CELERY_VENV/bin/python" -c 'import dramatiq' 2>/dev/null; then
  "$CELERY_VENV/bin/pip" install -q --disable-pip-version-check 'dramatiq[redis]'
fi
url="$CELERY_TEST_REDIS_URL"
py="$CELERY_VENV/bin"
DRAIN_JSON="$OUT" DRAIN_LOG="$RUN_DIR/workers.log" "$py/python" Benchmarks/drain.py "$url" "$N" "$RUNS" \
  "ours=kombu:exec $BIN/celery-worker --broker $url -Q bench -l error --without-events ${BENCH_OURS_FLAGS:-}" \
  "ours+events=kombu:exec $BIN/celery-worker --broker $url -Q bench -l error ${BENCH_OURS_FLAGS:-}" \
  "python-celery=kombu:cd scripts/interop && CELERY_BROKER_URL=$url exec $py/celery -A pytasks worker -Q bench -c 2 -l error --without-gossip --without-mingle --without-heartbeat" \
  "dramatiq=dramatiq:cd Benchmarks && DRAMATIQ_REDIS_URL=$url exec $py/dramatiq -p 2 -t 8 dramatiq_tasks"
# Redis's own ceiling for the commands one of our tasks costs (our pop and ack scripts, the
# same envelopes, no worker), in the same run: the batch of the default prefetch and a deep one.
echo; echo "Redis ceiling for our pop + ack scripts (Redis CPU per task; 1e6 / it = one core's rate):"
PYTHONPATH=Benchmarks "$py/python" Benchmarks/redis_ceiling.py "$url" "$N" 4 8 32
