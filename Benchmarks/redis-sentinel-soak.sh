#!/usr/bin/env bash
# Soak (not CI): the Sentinel failover test at full size, several times, with and without
# WAIT. Each run: N tasks through sentinel:// (half queued up front, half published while the
# master is killed with kill -9 mid-drain), our worker (-c 8) drains, the sentinels promote
# the replica, the killed master comes back as a replica. Prints one line per run and mode:
# publishes returned / refused, lost (returned but never ran), duplicates, promotion time.
# Then the cost of WAIT: sequential single publishes/s with and without, in one run.
#
#   Benchmarks/redis-sentinel-soak.sh                 # RUNS=5 PRESSURE_RUNS=3 N=3000
#   RUNS=10 N=3000 Benchmarks/redis-sentinel-soak.sh
#
# Env: RUNS (5 paced runs), PRESSURE_RUNS (3 runs with PUBLISHERS=8 unpaced publishers), N (3000), REDIS_SENTINEL_BASE_PORT (26940: master, replica, 3 sentinels),
# REDIS_PORT (26945, the plain server the test suite needs). Results: $RUN_DIR/soak.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh
RUNS="${RUNS:-5}"; N="${N:-3000}"; PRESSURE_RUNS="${PRESSURE_RUNS:-3}"; PUBLISHERS="${PUBLISHERS:-8}"
ensure_build_deps; ensure_venv
export REDIS_SENTINEL_BASE_PORT="${REDIS_SENTINEL_BASE_PORT:-26940}" REDIS_PORT="${REDIS_PORT:-26945}"
RUN_DIR="$(mktemp -d /tmp/redis-sentinel-soak.XXXXXX)"
source scripts/services/redis.sh
source scripts/services/redis-sentinel.sh
trap 'redis_sentinel_stop; redis_stop' EXIT
redis_start || exit 1
SECONDS=0
redis_sentinel_start || exit 1
echo "==> sentinel set-up ready in ${SECONDS}s"
echo "==> swift build --build-tests"
swift build --build-tests >/dev/null || exit 1
export CELERY_SENTINEL_TASKS="$N" CI=1
soak_run() {  # label
  swift test --skip-build --no-parallel --filter 'RedisSentinelFailoverTests' >"$RUN_DIR/run-$1.log" 2>&1
  local status=$?
  grep -h '^SENTINEL kill' "$RUN_DIR/run-$1.log" | sed "s/^/run $1: /" | tee -a "$RUN_DIR/soak.txt"
  [ "$status" = 0 ] || echo "run $1: FAILED (exit $status), see $RUN_DIR/run-$1.log" | tee -a "$RUN_DIR/soak.txt"
}
# Paced: one publisher, 5 ms between publishes (as in CI).
for run in $(seq 1 "$RUNS"); do soak_run "$run"; done
# Pressure: PUBLISHERS concurrent publishers, no pause, so more publishes are in flight
# (acknowledged by the master, not yet on the replica) when it dies.
for run in $(seq 1 "$PRESSURE_RUNS"); do
  CELERY_SENTINEL_PUBLISHERS="$PUBLISHERS" CELERY_SENTINEL_PACE_MS=0 soak_run "p$run"
done
swift test --skip-build --no-parallel --filter 'RedisSentinelTests/publishesWithWait' >"$RUN_DIR/wait.log" 2>&1
grep -h '^SENTINEL WAIT' "$RUN_DIR/wait.log" | tee -a "$RUN_DIR/soak.txt"
echo "==> $RUN_DIR/soak.txt"
