# Shared by the benchmark scripts (sourced from the repository root).
#   bench_prepare PREFIX SERVICE...   installs what is missing, starts the private servers
#                                     (stopped on exit), builds celery-worker and celery-bench in
#                                     release mode; sets RUN_DIR and BIN.
#   ours_worker_start BROKER QUEUE [celery-worker flags...]
#                                     starts our worker (-c $C, -l error) in the background; sets
#                                     WORKER_PID, fails with its log if it did not come up.
#   ours_worker_stop                  warm-stops it.
#   python_worker_start BROKER BACKEND QUEUE NAME
#                                     a Python Celery 5 prefork worker (-c $C, events on); sets PY_PID.
#   python_worker_stop NAME           stops it and its pool children (its process group, by pid).
#   wait_for_worker BROKER NAME PID   probes until that worker answers a control ping.
#   stop_group PID                    stops a process group we started with setsid.
# Whatever worker is still running when the script exits (an error, Ctrl-C) is stopped by pid.
source scripts/lib/deps.sh

bench_prepare() {
  local prefix="$1"; shift
  ensure_build_deps; ensure_venv
  export RUN_DIR="$(mktemp -d "/tmp/$prefix.XXXXXX")"
  BENCH_STOPS=()
  trap bench_exit EXIT
  local svc
  for svc in "$@"; do
    source "scripts/services/$svc.sh"; "${svc}_start"; BENCH_STOPS+=("${svc}_stop")
  done
  echo "==> swift build -c release"
  swift build -c release --product celery-worker >/dev/null
  swift build -c release --product celery-bench >/dev/null
  swift build -c release --product celery-admin >/dev/null
  BIN="$(swift build -c release --show-bin-path)"
}

# On exit (normal or not): the workers this script started and still runs, by pid, then the servers.
bench_exit() {
  if [ -n "${WORKER_PID:-}" ] && kill -0 "$WORKER_PID" 2>/dev/null; then ours_worker_stop; fi
  if [ -n "${PY_PID:-}" ] && kill -0 "$PY_PID" 2>/dev/null; then stop_group "$PY_PID"; fi
  local s
  for s in "${BENCH_STOPS[@]}"; do $s || true; done
}

# wait_for_worker BROKER NAME PID : probes with a control `ping` to that worker name until it
# answers (or the process is gone, or 60 s pass).
wait_for_worker() {
  local deadline=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$deadline" ]; do
    kill -0 "$3" 2>/dev/null || return 1
    "$BIN/celery-admin" inspect ping --broker "$1" -d "$2" --timeout 0.5 >/dev/null 2>&1 && return 0
  done
  return 1
}

# stop_group PID : SIGTERM to the process group led by PID (started with setsid), then waits;
# SIGKILL after 30 s. Only what we started is touched.
stop_group() {
  kill -TERM -- "-$1" 2>/dev/null || true
  local i
  for i in $(seq 1 300); do
    kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL -- "-$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true
}

ours_worker_start() {
  local broker="$1" queue="$2"; shift 2
  local name="bench-ours-$$-$RANDOM@$(hostname)"
  "$BIN/celery-worker" --broker "$broker" -c "$C" -Q "$queue" -l error -n "$name" "$@" >"$RUN_DIR/ours.log" 2>&1 &
  WORKER_PID=$!
  wait_for_worker "$broker" "$name" "$WORKER_PID" || { echo "our worker did not start: $(tail -3 "$RUN_DIR/ours.log")" >&2; return 1; }
}

ours_worker_stop() {
  kill -TERM "$WORKER_PID" 2>/dev/null || true; wait "$WORKER_PID" 2>/dev/null || true
}

python_worker_start() {
  ( cd scripts/interop && CELERY_BROKER_URL="$1" CELERY_RESULT_BACKEND="$2" \
      exec setsid "$CELERY_VENV/bin/celery" -A pytasks worker -Q "$3" -c "$C" -E -l error -n "$4@$(hostname)" \
      --without-gossip --without-mingle >"$RUN_DIR/py.log" 2>&1 ) &
  PY_PID=$!
  wait_for_worker "$1" "$4@$(hostname)" "$PY_PID" || { echo "python worker did not start: $(tail -3 "$RUN_DIR/py.log")" >&2; return 1; }
}

python_worker_stop() {
  stop_group "$PY_PID"
}
