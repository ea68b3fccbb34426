#!/usr/bin/env bash
# Result writes/second and waitForReady latency: our MongoResultBackend vs Python Celery's
# MongoDB backend, on the same nx-27017 server in the same run; and our bulk-written results
# (256 concurrent callers) as a fraction of a plain bulk insert of the same documents
# (MongoBulkBenchmarkTests: bulk, one by one, plain insert_many-style batches of 1000).
#   Benchmarks/mongo_backend.sh [N]      (default N=2000 writes)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-2000}"
# shellcheck source=../scripts/services/mongo.sh
source scripts/services/mongo.sh
mongo_deps
started=0
if [ -z "${CELERY_TEST_MONGO_URL:-}" ]; then mongo_start; started=1; fi
trap '[ "$started" = 1 ] && mongo_stop' EXIT
PY="${CELERY_VENV:-$PWD/.venv}/bin/python"
[ -x "$PY" ] || PY=/tmp/pyvenv/bin/python
swift build --build-tests >/dev/null
CELERY_MONGO_BENCH="$N" swift test --skip-build --filter 'MongoBenchmarkTests|MongoBulkBenchmarkTests' 2>&1 | grep MONGO_BENCH | sed 's/^.*MONGO_BENCH /swift:  /'
ROUNDS=$(( N / 20 )); [ "$ROUNDS" -lt 10 ] && ROUNDS=10; [ "$ROUNDS" -gt 60 ] && ROUNDS=60
echo "python: $("$PY" scripts/interop/celery_mongo.py "$CELERY_TEST_MONGO_URL" bench_tasks bench_groups bench_write "$N")"
echo "python: $("$PY" scripts/interop/celery_mongo.py "$CELERY_TEST_MONGO_URL" bench_tasks bench_groups bench_wait "$ROUNDS")"
