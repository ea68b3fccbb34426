#!/usr/bin/env bash
# celery-dashboard with a large history: bulk-inserts COUNT (default 1 000 000) Celery-shaped
# result documents into nx-27017 (a file database, kept in $DIR between runs), starts the
# dashboard against it (it creates its history indexes), pages through /api/tasks and the
# Tasks page with filters (state, name, worker, text, time window) and prints the query
# times and the dashboard's resident size before and after.
#   Benchmarks/dashboard-history.sh [COUNT]
# Env: MONGO_PORT (27450), REDIS_PORT (26450), DASHBOARD_PORT (5650), DIR (/tmp/dashboard-history),
#      CELERY_VENV (/work/venv or .venv), BUILD (debug).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${1:-1000000}"
MONGO_PORT="${MONGO_PORT:-27450}" REDIS_PORT="${REDIS_PORT:-26450}" DASHBOARD_PORT="${DASHBOARD_PORT:-5650}"
DIR="${DIR:-/tmp/dashboard-history}" BUILD="${BUILD:-debug}"
VENV="${CELERY_VENV:-$PWD/.venv}"
PY="$VENV/bin/python"
mkdir -p "$DIR"
export RUN_DIR="$DIR"
source scripts/services/redis.sh
redis_start >/dev/null
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; redis_stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

if ! "$PY" -c "import pymongo; pymongo.MongoClient('mongodb://127.0.0.1:$MONGO_PORT', serverSelectionTimeoutMS=500).admin.command('ping')" 2>/dev/null; then
    "$VENV/bin/nx-27017" --db "$DIR/history.db" --host 127.0.0.1 -p "$MONGO_PORT" --log-file "$DIR/nx.log" --pid-file "$DIR/nx.pid" >"$DIR/nx.out" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do
        "$PY" -c "import pymongo; pymongo.MongoClient('mongodb://127.0.0.1:$MONGO_PORT', serverSelectionTimeoutMS=300).admin.command('ping')" 2>/dev/null && break
        sleep 0.2
    done
fi
echo "== data: $COUNT results in nx-27017 on 127.0.0.1:$MONGO_PORT ($DIR/history.db)"
"$PY" Benchmarks/dashboard_history.py prepare "mongodb://127.0.0.1:$MONGO_PORT" celery_bench "$COUNT"

swift build -c "$BUILD" --product celery-dashboard >/dev/null
CELERY_DASHBOARD_TOKEN=bench ".build/$BUILD/celery-dashboard" --broker "redis://127.0.0.1:$REDIS_PORT/0" \
    --result-backend "mongodb://127.0.0.1:$MONGO_PORT/celery_bench" --port "$DASHBOARD_PORT" >"$DIR/dashboard.log" 2>&1 &
dash=$!
pids+=($dash)
for _ in $(seq 1 600); do grep -q "history indexes" "$DIR/dashboard.log" 2>/dev/null && break; sleep 0.5; done
grep -E "history indexes|warning" "$DIR/dashboard.log" || true
rss() { awk '/VmRSS/ {print $2}' "/proc/$dash/status"; }
echo "== dashboard RSS before queries: $(rss) kB"
"$PY" Benchmarks/dashboard_history.py query "http://127.0.0.1:$DASHBOARD_PORT" bench
echo "== dashboard RSS after queries: $(rss) kB (peak $(awk '/VmHWM/ {print $2}' "/proc/$dash/status") kB)"
