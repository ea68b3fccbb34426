#!/usr/bin/env bash
# Idle resident memory of celery-worker: starts it RUNS times (default 3) per configuration,
# waits until it answers `celery-admin inspect ping`, reads VmRSS and RssAnon from
# /proc/PID/status and whether libmongoc is mapped, and stops it.
#   Benchmarks/idle-rss.sh                      # release build, private Redis + nx-27017
#   BIN=/path/to/bin Benchmarks/idle-rss.sh     # other binaries (celery-worker, celery-admin)
# Uses CELERY_TEST_REDIS_URL / CELERY_TEST_MONGO_URL when set (no servers started then).
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
RUNS="${RUNS:-3}"
if [ -z "${CELERY_TEST_REDIS_URL:-}" ] || [ -z "${CELERY_TEST_MONGO_URL:-}" ]; then
  bench_prepare swift-celery-rss redis mongo
else
  export RUN_DIR="$(mktemp -d /tmp/swift-celery-rss.XXXXXX)"
  BIN="${BIN:-$(swift build -c release --show-bin-path)}"
fi
redis="$CELERY_TEST_REDIS_URL"
mongo="$CELERY_TEST_MONGO_URL"

measure() {  # LABEL [extra celery-worker flags...]
  local label="$1"; shift
  local run name pid rss anon mapped
  for run in $(seq 1 "$RUNS"); do
    name="rss-$$-$run@$(hostname)"
    setsid "$BIN/celery-worker" --broker "$redis" -Q "idle-$$" -l error -n "$name" "$@" >"$RUN_DIR/worker.log" 2>&1 &
    pid=$!
    if ! wait_for_worker "$redis" "$name" "$pid"; then cat "$RUN_DIR/worker.log" >&2; exit 1; fi
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
    anon=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status")
    mapped=$(grep -c 'libmongoc' "/proc/$pid/maps" || true)
    printf '%-28s run %d: VmRSS %6.1f MB  RssAnon %5.1f MB  libmongoc mappings %s\n' \
      "$label" "$run" "$(echo "$rss/1024" | bc -l)" "$(echo "$anon/1024" | bc -l)" "$mapped"
    stop_group "$pid"
  done
}

measure "redis, no result backend"
measure "redis + mongodb:// backend" --result-backend "$mongo"
