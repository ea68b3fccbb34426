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
#   python_worker_stop NAME           stops it and its pool children.
source scripts/lib/deps.sh

bench_prepare() {
  local prefix="$1"; shift
  ensure_build_deps; ensure_venv
  export RUN_DIR="$(mktemp -d "/tmp/$prefix.XXXXXX")"
  BENCH_STOPS=()
  trap 'for s in "${BENCH_STOPS[@]}"; do $s || true; done' EXIT
  local svc
  for svc in "$@"; do
    source "scripts/services/$svc.sh"; "${svc}_start"; BENCH_STOPS+=("${svc}_stop")
  done
  echo "==> swift build -c release"
  swift build -c release --product celery-worker >/dev/null
  swift build -c release --product celery-bench >/dev/null
  BIN="$(swift build -c release --show-bin-path)"
}

ours_worker_start() {
  local broker="$1" queue="$2"; shift 2
  "$BIN/celery-worker" --broker "$broker" -c "$C" -Q "$queue" -l error "$@" >"$RUN_DIR/ours.log" 2>&1 &
  WORKER_PID=$!
  sleep 2
  kill -0 "$WORKER_PID" 2>/dev/null || { echo "our worker did not start: $(tail -3 "$RUN_DIR/ours.log")" >&2; return 1; }
}

ours_worker_stop() {
  kill -TERM "$WORKER_PID" 2>/dev/null || true; wait "$WORKER_PID" 2>/dev/null || true
}

python_worker_start() {
  ( cd scripts/interop && CELERY_BROKER_URL="$1" CELERY_RESULT_BACKEND="$2" \
      "$CELERY_VENV/bin/celery" -A pytasks worker -Q "$3" -c "$C" -E -l error -n "$4@%h" --without-gossip --without-mingle \
      >"$RUN_DIR/py.log" 2>&1 ) &
  PY_PID=$!
  sleep 4
}

python_worker_stop() {
  pkill -TERM -P "$PY_PID" 2>/dev/null || true; kill -TERM "$PY_PID" 2>/dev/null || true; wait "$PY_PID" 2>/dev/null || true
  pkill -f "$1@" 2>/dev/null || true
}
