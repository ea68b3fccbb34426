#!/usr/bin/env bash
# The issue's cluster test at full size: a three-node RabbitMQ cluster, a quorum queue, 5 000
# tasks (results in MongoDB), kill -9 of the node our worker is connected to a third of the
# way through the drain; every task must end SUCCESS and Python Celery must read them all.
# Runs the CI test (QuorumClusterKillTests) with CELERY_CLUSTER_KILL_TASKS, RUNS times; the
# killed node is started again between runs. Prints each run's line (node, time to reach
# another node, time to take tasks again, tasks stored, tasks that ran twice).
#   Benchmarks/cluster-kill-soak.sh [TASKS=5000] [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
TASKS="${1:-5000}"; RUNS="${2:-3}"
export PATH="/opt/swift/usr/bin:$PATH"
source scripts/lib/deps.sh
ensure_venv
export RUN_DIR="${RUN_DIR:-$(mktemp -d /tmp/cluster-kill-soak.XXXXXX)}"
export RABBITMQ_CLUSTER_DIR="$RUN_DIR/rabbitmq-cluster"
source scripts/services/mongo.sh
mongo_start
cluster() { (source scripts/services/rabbitmq-cluster.sh && "$@"); }
trap 'cluster rabbitmq_cluster_stop || true; mongo_stop || true' EXIT
cluster rabbitmq_cluster_start
eval "$(source scripts/services/rabbitmq-cluster.sh && rabbitmq_cluster__export && export -p | grep -E 'CELERY_TEST_AMQP_(CLUSTER_URLS|NODE_[123])=')"
export CELERY_TEST_AMQP_URL="$CELERY_TEST_AMQP_NODE_1" CELERY_CLUSTER_KILL_TASKS="$TASKS"
swift build --build-tests >/dev/null
for r in $(seq 1 "$RUNS"); do
  swift test --skip-build --no-parallel --filter QuorumClusterKillTests 2>&1 | grep -E "cluster kill|✘|passed after" || true
  for i in 1 2 3; do
    # rabbitmq_cluster_kill removes the killed node's pid file.
    [ -f "$RABBITMQ_CLUSTER_DIR/node$i/rabbitmq.pid" ] || cluster rabbitmq_cluster_revive "$i" >/dev/null
  done
done
