#!/usr/bin/env bash
# RabbitMQ, one run, same node: the node's own ceiling through pika (a minimal client that is
# not ours: pipelined confirmed publishes; deliver + ack with a deep prefetch and multiple
# acks), then our worker draining the same prefilled work (durable queue, persistent
# messages, manual acks, no result backend, no events). Prints rates, CPU µs per message of
# the client/worker and of the node (beam.smp utime+stime from /proc), and ours as a
# fraction of the ceiling.
#   Benchmarks/rabbit_drain.sh [N=20000] [C]      (C: -c for our worker; default: its own default)
#   RABBITMQ_PORT moves the private node; BENCH_OURS_FLAGS adds celery-worker flags
#   (e.g. "--prefetch-multiplier 64"); BENCH_REPEAT=3 repeats the pair.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"; C="${2:-}"
export PATH="/opt/swift/usr/bin:$PATH"
source scripts/services/rabbitmq.sh
started=0
if [ -z "${CELERY_TEST_AMQP_URL:-}" ]; then rabbitmq_start; started=1; fi
trap '[ "$started" = 1 ] && rabbitmq_stop' EXIT
rabbitmq__vars
PY="${CELERY_VENV:-$PWD/.venv}/bin/python"
swift build -c release --product celery-worker >/dev/null
swift build -c release --product celery-bench >/dev/null
BIN="$(swift build -c release --show-bin-path)"
export BEAM_PID="$(cat "$RABBITMQ_TEST_DIR/rabbitmq.pid")"
U="$CELERY_TEST_AMQP_URL"
beam_cpu() { awk '{ print $14 + $15 }' "/proc/$BEAM_PID/stat"; }  # clock ticks (1/100 s)
for r in $(seq 1 "${BENCH_REPEAT:-1}"); do
  b0="$(beam_cpu)"
  ours="$("$BIN/celery-bench" --broker "$U" --broker-ceiling --tasks "$N" --json 2>/dev/null | tail -1)"
  b1="$(beam_cpu)"
  echo "ours transport (celery-bench --broker-ceiling: publish in confirmed batches of 256, then deliver+ack): $ours node_cpu_us_per_msg(publish+consume)=$(( (b1 - b0) * 10000 / N ))" 
  q="ceiling-$RANDOM$RANDOM"
  echo "pika publish:  $("$PY" Benchmarks/rabbit_ceiling.py "$U" "$q" "$N" publish 1000)"
  echo "pika consume:  $("$PY" Benchmarks/rabbit_ceiling.py "$U" "$q" "$N" consume 2000)"
  q="drain-$RANDOM$RANDOM"
  echo "prefill:       $("$PY" Benchmarks/rabbit_ceiling.py "$U" "$q" "$N" publish 1000)"
  # shellcheck disable=SC2086
  "$BIN/celery-worker" --broker "$U" ${C:+-c "$C"} -Q "$q" -l error --without-events -n "drain@$(hostname)" ${BENCH_OURS_FLAGS:-} >/tmp/rabbit-drain-worker.log 2>&1 &
  wpid=$!
  echo "ours drain:    $("$PY" Benchmarks/rabbit_ceiling.py "$U" "$q" "$N" watch "$wpid")"
  kill -TERM "$wpid"; wait "$wpid" || true
  echo "left in $q (ready, unacked): $(rabbitmq__env "$RABBITMQ_TEST_BIN/rabbitmqctl" -q -n "$RABBITMQ_TEST_NODE" list_queues name messages_ready messages_unacknowledged | awk -v q="$q" '$1==q {print $2, $3}')"
done
