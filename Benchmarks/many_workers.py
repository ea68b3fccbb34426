"""Publisher and referee for Benchmarks/many-workers.sh.

  many_workers.py run BROKER N LOGDIR WORKERS...     publishes N tasks to each of three queues
      (mw-hi priority 9, mw-mid 5, mw-lo 0; task ids <queue>-<i>, `tasks.sleep` 2 ms) while
      the workers run, follows the workers' logs until every task has succeeded (or 300 s
      pass), prints a JSON report: per queue the tasks each worker ran (min, max, stddev),
      duplicates, lost, completion time (from the first publish).
  many_workers.py publish BROKER N                   only publishes (to prefill the queues).
  many_workers.py follow BROKER N LOGDIR WORKERS...  only follows and reports (times from now).
"""
import json
import os
import re
import statistics
import sys
import time

from celery import Celery

QUEUES = [("mw-hi", 9), ("mw-mid", 5), ("mw-lo", 0)]
DONE = re.compile(r"task_id=(mw-(?:hi|mid|lo)-\d+) .*task succeeded")


def scan(logdir, workers):
    seen = {}  # task id -> [worker, ...]
    for w in workers:
        path = os.path.join(logdir, w + ".log")
        try:
            with open(path, errors="replace") as f:
                for line in f:
                    m = DONE.search(line)
                    if m:
                        seen.setdefault(m.group(1), []).append(w)
        except FileNotFoundError:
            pass
    return seen


def publish(broker, n):
    app = Celery("many-workers", broker=broker)
    app.conf.update(task_serializer="json", accept_content=["json"], broker_transport_options={"confirm_publish": True})
    with app.producer_or_acquire() as producer:
        for i in range(n):
            for q, prio in QUEUES:
                app.send_task("tasks.sleep", args=[0.002], queue=q, task_id=f"{q}-{i}", priority=prio, producer=producer)


def main(argv):
    cmd, broker, n = argv[1], argv[2], int(argv[3])
    start = time.time()
    if cmd in ("run", "publish"):
        publish(broker, n)
    published = time.time() - start
    if cmd == "publish":
        print(json.dumps({"published_s": round(published, 2)}))
        return
    logdir, workers = argv[4], argv[5:]
    finished = {}
    deadline = start + 300
    while time.time() < deadline:
        seen = scan(logdir, workers)
        for q, _ in QUEUES:
            if q not in finished and sum(1 for k in seen if k.startswith(q + "-")) >= n:
                finished[q] = time.time() - start
        if len(finished) == len(QUEUES):
            break
        time.sleep(0.25)
    seen = scan(logdir, workers)
    report = {"mode": cmd, "tasks_per_queue": n, "workers": len(workers), "publish_s": round(published, 2), "queues": {}}
    for q, prio in QUEUES:
        ids = {k: v for k, v in seen.items() if k.startswith(q + "-")}
        per = [sum(1 for v in ids.values() for x in v if x == w) for w in workers]
        report["queues"][q] = {
            "priority": prio,
            "done": len(ids),
            "lost": n - len(ids),
            "ran_twice": sum(len(v) - 1 for v in ids.values()),
            "per_worker": per,
            "min": min(per),
            "max": max(per),
            "stddev": round(statistics.pstdev(per), 1),
            "fair_share": round(n / len(workers), 1),
            "completed_s": round(finished.get(q, float("nan")), 2),
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv)
