"""Publishes a burst of Celery task events (task-received + task-succeeded per task) to the
`celeryev` fanout on Redis as kombu lays them out, pipelined as fast as redis-py goes.

    python dashboard_burst.py REDIS_URL TASKS
"""
import base64
import json
import sys
import time
import uuid

import redis


def envelope(event):
    body = base64.b64encode(json.dumps(event).encode()).decode()
    rk = event["type"].replace("-", ".")
    return json.dumps({
        "body": body, "content-encoding": "utf-8", "content-type": "application/json",
        "headers": {"hostname": event["hostname"]},
        "properties": {"body_encoding": "base64", "delivery_info": {"exchange": "celeryev", "routing_key": rk},
                       "delivery_mode": 1, "delivery_tag": str(uuid.uuid4()), "priority": 0},
    })


def main(url, tasks):
    r = redis.Redis.from_url(url)
    start = time.monotonic()
    pipe = r.pipeline(transaction=False)
    for i in range(tasks):
        tid = str(uuid.uuid4())
        now = time.time()
        common = {"uuid": tid, "hostname": "celery@burst", "timestamp": now, "utcoffset": 0, "pid": 1, "clock": i}
        received = dict(common, type="task-received", name="tasks.add", args=f"({i}, 1)", kwargs="{}", retries=0, eta=None, expires=None)
        succeeded = dict(common, type="task-succeeded", result=str(i + 1), runtime=0.001)
        pipe.publish("/0.celeryev/task.received", envelope(received))
        pipe.publish("/0.celeryev/task.succeeded", envelope(succeeded))
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()
    print(json.dumps({"events": 2 * tasks, "seconds": round(time.monotonic() - start, 1)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
