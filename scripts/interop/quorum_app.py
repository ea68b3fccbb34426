"""Python Celery 5.5+ on RabbitMQ quorum queues with native delayed delivery, for the quorum
interop and cluster tests (and Benchmarks/cluster-kill-soak.sh).

  celery -A quorum_app worker -Q QUEUE --pool solo ...      a worker on the quorum queue
  quorum_app.py call NAME ARGS_JSON COUNTDOWN [TIMEOUT]      -> {"id", "state", "result", "elapsed"}
  quorum_app.py read-many IDS_FILE                           -> {"total", "success", "states", "sample_success", "sample"}
      (a sample through AsyncResult, every id in one query through Celery's MongoDB backend)

Broker: CELERY_BROKER_URL (a ';'-separated failover list is fine), result backend
CELERY_RESULT_BACKEND, queue QUORUM_QUEUE. The queue is declared as the Celery documentation
asks for native delayed delivery: `task_default_queue_type = "quorum"` and a topic exchange.
"""
import json
import os
import sys
import time

from celery import Celery
from kombu import Exchange, Queue

QUEUE = os.environ.get("QUORUM_QUEUE", "celery")
app = Celery("quorum", broker=os.environ["CELERY_BROKER_URL"], backend=os.environ.get("CELERY_RESULT_BACKEND"))
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_extended=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    broker_transport_options={"confirm_publish": True},
    task_default_queue=QUEUE,
    task_default_queue_type="quorum",
    task_default_exchange_type="topic",
    task_queues=(Queue(QUEUE, Exchange(QUEUE, type="topic"), routing_key=QUEUE, queue_arguments={"x-queue-type": "quorum"}),),
)


@app.task(name="tasks.add")
def add(x, y):
    return x + y


def main(argv):
    cmd = argv[1]
    if cmd == "call":
        name, args, countdown = argv[2], json.loads(argv[3]), float(argv[4])
        timeout = float(argv[5]) if len(argv) > 5 else 30
        start = time.time()
        res = app.send_task(name, args=args, countdown=countdown if countdown > 0 else None)
        out = {"id": res.id}
        try:
            out.update(result=res.get(timeout=timeout), state=res.state)
        except Exception as exc:
            out.update(state=res.state, exc_type=type(exc).__name__, exc_message=str(exc))
        out["elapsed"] = time.time() - start
        print(json.dumps(out))
    elif cmd == "read-many":
        with open(argv[2]) as f:
            ids = [line.strip() for line in f if line.strip()]
        # Celery's own result API for a sample, then one query through its MongoDB backend for all.
        sample = {i: app.AsyncResult(i).state for i in ids[:: max(1, len(ids) // 50)]}
        states = {}
        found = app.backend.collection.find({"_id": {"$in": ids}}, {"status": 1})
        for doc in found:
            states[doc["status"]] = states.get(doc["status"], 0) + 1
        print(json.dumps({
            "total": len(ids), "success": states.get("SUCCESS", 0), "states": states,
            "sample_success": sum(1 for s in sample.values() if s == "SUCCESS"), "sample": len(sample),
        }))
    else:
        raise SystemExit(f"unknown command {cmd!r}")


if __name__ == "__main__":
    main(sys.argv)
