"""The Python Celery side of Benchmarks/compare-celery.sh: the same measurement as
`celery-bench --external` (send N tasks.add, read the worker's task events), printed as JSON
with the same field names."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts", "interop"))
from celery import Celery  # noqa: E402

n = int(sys.argv[1])
queue = sys.argv[2]
timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 600
# Pre-fill mode (like `celery-bench --spawn-worker`): send everything, then start the worker.
spawn = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
app = Celery("pybench", broker=os.environ["CELERY_BROKER_URL"], backend=os.environ.get("CELERY_RESULT_BACKEND") or None)
app.conf.update(task_serializer="json", accept_content=["json"], result_serializer="json")
# PYBENCH_CONFIRM_PUBLISH=1: the producer waits for RabbitMQ's publisher confirm of every message,
# as ours always does (Celery's default is to publish unconfirmed).
if os.environ.get("PYBENCH_CONFIRM_PUBLISH") == "1":
    app.conf.broker_transport_options = {"confirm_publish": True}

sent, started, done = {}, {}, {}
lock = threading.Lock()
finished = threading.Event()
ready = threading.Event()


def on_started(e):
    with lock:
        started[e["uuid"]] = e["timestamp"]


def on_done(e):
    with lock:
        done[e["uuid"]] = e["timestamp"]
        if len(done) >= n:
            finished.set()


def listen():
    with app.connection() as conn:
        recv = app.events.Receiver(conn, handlers={"task-started": on_started, "task-succeeded": on_done, "task-failed": on_done})
        ready.set()
        for _ in recv.itercapture(limit=None, timeout=None, wakeup=False):
            if finished.is_set():
                break


threading.Thread(target=listen, daemon=True).start()
ready.wait(10)
time.sleep(0.5)
t0 = time.time()
# PYBENCH_RATE=R: paced sending, the k-th task at t0 + k/R (as `celery-bench --rate`), to measure
# latency when the worker is not saturated.
rate = float(os.environ.get("PYBENCH_RATE") or 0)
with app.producer_or_acquire() as producer:
    for i in range(n):
        if rate > 0:
            due = t0 + i / rate - time.time()
            if due > 0:
                time.sleep(due)
        tid = str(uuid.uuid4())
        sent[tid] = time.time()
        app.send_task("tasks.add", args=(i, i), task_id=tid, queue=queue, producer=producer)
enqueue = time.time() - t0
worker = subprocess.Popen(spawn, shell=True, start_new_session=True) if spawn else None
finished.wait(timeout)
if worker is not None:
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)


def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, max(0, int(-(-p / 100 * len(s) // 1)) - 1))], 3)


with lock:
    last = max(done.values()) if done else t0
    to_start = [(started[k] - sent[k]) * 1000 for k in started if k in sent]
    to_done = [(done[k] - sent[k]) * 1000 for k in done if k in sent]
    e2e = max(last - t0, 1e-9)
    first_start = min(started.values()) if started else last
    drain = max(last - first_start, 1e-9)
    print(json.dumps({
        "tasks": n, "completed": len(done), "all_finished": len(done) >= n,
        "enqueue_per_s": round(n / enqueue), "end_to_end_per_s": round(len(done) / e2e), "end_to_end_s": round(e2e, 3),
        "worker_drain_per_s": round(len(done) / drain), "prefilled": spawn is not None,
        "send_to_start_p50_ms": pct(to_start, 50), "send_to_start_p90_ms": pct(to_start, 90),
        "send_to_start_p99_ms": pct(to_start, 99),
        "send_to_result_p50_ms": pct(to_done, 50), "send_to_result_p90_ms": pct(to_done, 90),
        "send_to_result_p99_ms": pct(to_done, 99), "send_to_result_max_ms": pct(to_done, 100),
    }))
sys.stdout.flush()
os._exit(0)
