#!/usr/bin/env bash
# A group of N (default 10 000) tasks and a chord over N tasks, sent by Python Celery, run by
# our worker (-c $C, default 4) on Redis broker + Redis results; reports the time of each and
# the worker's resident memory (peak VmHWM, and VmRSS sampled every 0.5 s).
#   Benchmarks/canvas-scale.sh [N]
# With BIN (a directory holding celery-worker) and CELERY_TEST_REDIS_URL set, uses those
# instead of a release build and private servers.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-10000}"; C="${C:-4}"
source Benchmarks/lib.sh
if [ -z "${BIN:-}" ] || [ -z "${CELERY_TEST_REDIS_URL:-}" ]; then
  bench_prepare canvas-scale redis
else
  export RUN_DIR="$(mktemp -d /tmp/canvas-scale.XXXXXX)"
fi
Q="canvas-scale-$$"
ours_worker_start "$CELERY_TEST_REDIS_URL" "$Q" --result-backend "$CELERY_TEST_REDIS_URL" --default-queue "$Q"
samples="$RUN_DIR/rss.txt"
( while kill -0 "$WORKER_PID" 2>/dev/null; do awk '/VmRSS/ {print $2}' "/proc/$WORKER_PID/status" >>"$samples" 2>/dev/null || true; sleep 0.5; done ) &
SAMPLER=$!
start_rss=$(awk '/VmRSS/ {print $2}' "/proc/$WORKER_PID/status")
result=$(CELERY_BROKER_URL="$CELERY_TEST_REDIS_URL" CELERY_RESULT_BACKEND="$CELERY_TEST_REDIS_URL" \
  "$CELERY_VENV/bin/python" Benchmarks/canvas_scale.py "$Q" "$N")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$WORKER_PID/status")
end_rss=$(awk '/VmRSS/ {print $2}' "/proc/$WORKER_PID/status")
cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$WORKER_PID/stat")
kill "$SAMPLER" 2>/dev/null || true
ours_worker_stop
echo "{\"result\": $result, \"concurrency\": $C, \"worker_cpu_s\": $cpu, \"rss_start_kb\": $start_rss, \"rss_end_kb\": $end_rss, \"rss_peak_kb\": $hwm, \"rss_samples_max_kb\": $(sort -n "$samples" | tail -1)}"
