#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine with Swift:
# installs what is missing (Debian packages, a Python venv), starts redis-server, Redis Sentinel
# (master, replica, three sentinels), RabbitMQ and a MongoDB wire-protocol server (nx-27017) on private 127.0.0.1 ports, runs `swift test`,
# and stops the servers again. Nothing is skipped: each server's URL is exported for the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh
ensure_build_deps
ensure_venv
ensure_browser_deps

export RUN_DIR="${RUN_DIR:-$(mktemp -d /tmp/swift-celery-test.XXXXXX)}"
stops=()
cleanup() {
  for s in "${stops[@]}"; do $s || true; done
}
trap cleanup EXIT

for svc in redis rabbitmq mongo; do
  if [ -f "scripts/services/$svc.sh" ]; then
    source "scripts/services/$svc.sh"
    "${svc}_start"
    stops+=("${svc}_stop")
  fi
done
# Redis master + replica + three sentinels (after redis.sh, which installs redis-server);
# exports CELERY_TEST_SENTINEL_URLS for the Sentinel failover and interop tests.
source scripts/services/redis-sentinel.sh
redis_sentinel_start
stops+=(redis_sentinel_stop)

# The three-node RabbitMQ cluster (quorum-queue and node-kill tests) takes about a minute to
# boot: it starts in the background while the build runs, in a subshell of its own (the
# cluster script re-points rabbitmq.sh's variables at each node).
export RABBITMQ_CLUSTER_DIR="$RUN_DIR/rabbitmq-cluster"
cluster_stop() { (source scripts/services/rabbitmq-cluster.sh && rabbitmq_cluster_stop); }
(source scripts/services/rabbitmq-cluster.sh && rabbitmq_cluster_start) >"$RUN_DIR/rabbitmq-cluster.log" 2>&1 &
cluster_pid=$!
stops+=(cluster_stop)

echo "==> swift build --build-tests"
swift build --build-tests
echo "==> waiting for the RabbitMQ cluster"
if ! wait "$cluster_pid"; then
  cat "$RUN_DIR/rabbitmq-cluster.log" >&2
  exit 1
fi
eval "$(source scripts/services/rabbitmq-cluster.sh && rabbitmq_cluster__export && export -p | grep -E 'CELERY_TEST_AMQP_(CLUSTER_URLS|NODE_[123])=')"
echo "RabbitMQ cluster: $CELERY_TEST_AMQP_CLUSTER_URLS"
echo "==> swift test"
# One test at a time: the suites share real servers on two cores and inject faults with
# timing (kill -9, black holes, heartbeats); in parallel they starve each other (about 5 min
# serial on the 2-core VM).
swift test --skip-build --no-parallel "$@"
