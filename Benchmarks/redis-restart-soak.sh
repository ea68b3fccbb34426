#!/usr/bin/env bash
# Soak (not CI): our worker drains N `tasks.sleep(0.005)` with results while the broker, a
# redis-server with an append-only file fsynced on every write, is killed with kill -9 and
# restarted once or twice at random moments. Repeats RUNS times and prints, per run, how many
# tasks ended SUCCESS, how long the drain took, duplicates (executions beyond N, from the
# worker's log) and whether it stalled.
#
#   Benchmarks/redis-restart-soak.sh            # RUNS=10 N=3000 C=8
#   RUNS=20 VT=20 Benchmarks/redis-restart-soak.sh
#
# Env: RUNS (10), N (3000), C (8), VT (visibility timeout in s; default alternates 20 and the
# transport's default), REDIS_PORT (16420; the result server uses REDIS_PORT+1), STALL (150 s).
set -uo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
RUNS="${RUNS:-10}"; N="${N:-3000}"; C="${C:-8}"; STALL="${STALL:-150}"
BPORT="${REDIS_PORT:-16420}"; RPORT=$((BPORT + 1))
ensure_build_deps; ensure_venv
RUN_DIR="$(mktemp -d /tmp/redis-soak.XXXXXX)"
echo "==> swift build -c release --product celery-worker"
swift build -c release --product celery-worker >/dev/null || exit 1
BIN="$(swift build -c release --show-bin-path)"
PY="$CELERY_VENV/bin/python"

start_redis() {  # port dir [extra...]
  local port="$1" dir="$2"; shift 2
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" \
    --logfile "$dir/redis.log" --save "" "$@" >/dev/null || return 1
  local i
  for i in $(seq 1 200); do
    [ "$(redis-cli -p "$port" PING 2>/dev/null)" = "PONG" ] && return 0
    sleep 0.05
  done
  echo "redis on $port did not come up" >&2; return 1
}
stop_redis() { local dir="$1"; [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null; }
trap 'stop_redis "$RUN_DIR/b"; stop_redis "$RUN_DIR/r"; [ -n "${WPID:-}" ] && kill -TERM "$WPID" 2>/dev/null' EXIT

mkdir -p "$RUN_DIR/b" "$RUN_DIR/r"
start_redis "$RPORT" "$RUN_DIR/r" --appendonly no || exit 1
BROKER="redis://127.0.0.1:$BPORT/0"; BACKEND="redis://127.0.0.1:$RPORT/0"
printf '%-4s %-5s %-6s %-9s %-8s %-6s %s\n' run vt kills success seconds dupes result
for run in $(seq 1 "$RUNS"); do
  vt="${VT:-}"; [ -z "$vt" ] && { [ $((run % 2)) -eq 1 ] && vt=20 || vt=default; }
  rm -rf "$RUN_DIR/b"/*; start_redis "$BPORT" "$RUN_DIR/b" --appendonly yes --appendfsync always || exit 1
  redis-cli -p "$RPORT" FLUSHALL >/dev/null
  q="soak-$run"
  "$PY" - "$BROKER" "$BACKEND" "$q" "$N" >"$RUN_DIR/ids" <<'PYEOF'
import sys
from celery import Celery
broker, backend, q, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
app = Celery(broker=broker, backend=backend)
with app.producer_or_acquire() as p:
    for _ in range(n):
        print(app.send_task("tasks.sleep", args=[0.005], queue=q, producer=p).id)
PYEOF
  flags=(); [ "$vt" != default ] && flags=(--visibility-timeout "$vt")
  "$BIN/celery-worker" --broker "$BROKER" --result-backend "$BACKEND" -c "$C" -Q "$q" -l info "${flags[@]}" \
    >"$RUN_DIR/worker-$run.log" 2>&1 &
  WPID=$!
  start=$(date +%s.%N); kills=$((1 + RANDOM % 2)); killed=0; result=ok
  next_kill=$(awk -v r=$RANDOM 'BEGIN{printf "%.1f", 0.5 + (r % 15) / 10}')
  while :; do
    done_n=$(redis-cli -p "$RPORT" --scan --pattern 'celery-task-meta-*' 2>/dev/null | wc -l)
    now=$(date +%s.%N); el=$(awk -v a="$start" -v b="$now" 'BEGIN{print b-a}')
    [ "$done_n" -ge "$N" ] && break
    if [ "$killed" -lt "$kills" ] && awk -v e="$el" -v k="$next_kill" 'BEGIN{exit !(e>=k)}'; then
      kill -9 "$(cat "$RUN_DIR/b/redis.pid")"; sleep 0.$((RANDOM % 9 + 1))
      start_redis "$BPORT" "$RUN_DIR/b" --appendonly yes --appendfsync always || exit 1
      killed=$((killed + 1)); next_kill=$(awk -v e="$el" -v r=$RANDOM 'BEGIN{printf "%.1f", e + 0.5 + (r % 10) / 10}')
    fi
    if awk -v e="$el" -v s="$STALL" 'BEGIN{exit !(e>s)}'; then result=STALLED; break; fi
    sleep 0.2
  done
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  success=$("$PY" - "$BACKEND" "$RUN_DIR/ids" <<'PYEOF'
import sys, json, redis
r = redis.Redis.from_url(sys.argv[1]); ids = open(sys.argv[2]).read().split()
vals = r.mget(["celery-task-meta-" + i for i in ids])
print(sum(1 for v in vals if v and json.loads(v).get("status") == "SUCCESS"))
PYEOF
)
  kill -TERM "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null; WPID=
  runs=$(grep -c "task succeeded" "$RUN_DIR/worker-$run.log" || true)
  left=$(redis-cli -p "$BPORT" HLEN unacked)
  [ "$success" -lt "$N" ] && result="LOST $((N - success)) (unacked $left)"
  printf '%-4s %-5s %-6s %-9s %-8s %-6s %s\n' "$run" "$vt" "$killed" "$success/$N" "$secs" "$((runs - N))" "$result"
  stop_redis "$RUN_DIR/b"
  for i in $(seq 1 100); do redis-cli -p "$BPORT" PING >/dev/null 2>&1 || break; sleep 0.05; done
done
echo "logs: $RUN_DIR"
