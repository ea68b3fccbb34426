#!/usr/bin/env bash
# Worker memory over a long drain (issue #15: idle RSS under 30 MB, flat across 1 000 000 tasks):
# our worker with its default flags on a private Redis, ROUNDS rounds of ROUND_SIZE prefilled
# no-op tasks (default 10 × 100 000), RSS read while idle and after every round.
# Usage: Benchmarks/rss-soak.sh [ROUND_SIZE] [ROUNDS]   (REDIS_PORT moves the private Redis;
#        BENCH_OURS_FLAGS adds worker flags, e.g. "--without-events")
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE="${1:-100000}"; ROUNDS="${2:-10}"
source Benchmarks/lib.sh
bench_prepare celery-rss redis
url="$CELERY_TEST_REDIS_URL"
SOAK_LOG="$RUN_DIR/worker.log" PYTHONPATH=Benchmarks "$CELERY_VENV/bin/python" Benchmarks/rss_soak.py "$url" "$SIZE" "$ROUNDS" \
  "exec $BIN/celery-worker --broker $url -Q bench -l error ${BENCH_OURS_FLAGS:-}"
