"""A group of N tasks and a chord over N tasks, sent by Python Celery to QUEUE; prints the
seconds each took to complete (all values checked) as JSON.

  canvas_scale.py QUEUE N        (CELERY_BROKER_URL / CELERY_RESULT_BACKEND)
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts", "interop"))
from celery import chord, group  # noqa: E402

from pytasks import add, app, xsum  # noqa: E402


def main(queue, n):
    app.conf.task_default_queue = queue
    out = {"n": n}
    t = time.perf_counter()
    g = group(add.s(i, i) for i in range(n)).apply_async()
    values = g.get(timeout=600)
    assert values == [2 * i for i in range(n)], "group values"
    out["group_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    r = chord((add.s(i, i) for i in range(n)), xsum.s()).apply_async()
    assert r.get(timeout=600) == n * (n - 1), "chord value"
    out["chord_s"] = round(time.perf_counter() - t, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
    sys.stdout.flush()
    os._exit(0)
