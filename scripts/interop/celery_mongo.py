#!/usr/bin/env python3
"""Drives Python Celery's own MongoDB result backend against a server, for swift-celery's
interop tests and benchmark. Prints one JSON document per command on stdout.

usage: celery_mongo.py URL TASK_COLLECTION GROUP_COLLECTION COMMAND ARGS...

commands:
  store ID STATE RESULT_JSON      store a result as a Celery worker does (result_extended on)
  fail ID EXC_TYPE MESSAGE        store a FAILURE for builtins.EXC_TYPE(MESSAGE) with a traceback
  read ID                         read through AsyncResult: state, result, traceback, ...
  save_group ID ID1,ID2,...       save a group (GroupResult.save)
  read_group ID                   restore a group's member ids
  bench_write N                   N sequential SUCCESS writes; prints writes/second
  bench_wait N                    N rounds of AsyncResult.get while a SUCCESS is stored; prints latency
"""
import json
import sys
import time
import uuid

from celery import Celery
from celery.app.task import Context
from celery.result import AsyncResult, GroupResult


def make_app(url, tasks, groups):
    app = Celery("interop", backend=url, broker="memory://")
    app.conf.result_extended = True
    app.conf.mongodb_backend_settings = {"taskmeta_collection": tasks, "groupmeta_collection": groups}
    return app


def request(task_id):
    return Context(id=task_id, task="tasks.add", args=[3, 4], kwargs={"k": "v"}, hostname="py@interop",
                   retries=0, delivery_info={"routing_key": "celery"}, children=[])


def jsonable(value):
    if isinstance(value, BaseException):
        return {"exc_type": type(value).__name__, "exc_module": type(value).__module__,
                "exc_message": [str(a) for a in value.args]}
    return value


def main(argv):
    url, tasks, groups, command, *args = argv
    app = make_app(url, tasks, groups)
    backend = app.backend
    out = {}
    if command == "store":
        task_id, state, result = args
        backend.store_result(task_id, json.loads(result), state, request=request(task_id))
    elif command == "fail":
        task_id, exc_type, message = args
        exc = getattr(__import__("builtins"), exc_type)(message)
        backend.mark_as_failure(task_id, exc, traceback="Traceback (most recent call last):\n  boom\n",
                                request=request(task_id))
    elif command == "read":
        r = AsyncResult(args[0], app=app)
        meta = backend.get_task_meta(args[0])
        out = {"state": r.state, "result": jsonable(r.result), "traceback": r.traceback,
               "date_done": str(meta.get("date_done")) if meta.get("date_done") else None,
               "children": meta.get("children"), "name": meta.get("name"), "args": meta.get("args")}
    elif command == "save_group":
        group_id, ids = args
        GroupResult(group_id, [AsyncResult(i, app=app) for i in ids.split(",")], app=app).save()
    elif command == "read_group":
        g = GroupResult.restore(args[0], app=app)
        members = None if g is None else (g if isinstance(g, list) else g.results)
        out = {"ids": None if members is None else [r.id for r in members]}
    elif command == "bench_write":
        n = int(args[0])
        ids = [str(uuid.uuid4()) for _ in range(n)]
        backend.store_result(ids[0], 0, "SUCCESS")  # connect and create indexes first
        start = time.perf_counter()
        for i, task_id in enumerate(ids):
            backend.store_result(task_id, i, "SUCCESS")
        seconds = time.perf_counter() - start
        out = {"impl": "python", "n": n, "writes_per_s_sequential": round(n / seconds, 1)}
    elif command == "bench_wait":
        # A waiter thread runs AsyncResult.get (Celery's default 0.5 s polling) while the main
        # thread stores SUCCESS after 50-300 ms; latency = get's return - the write's return.
        import threading
        n = int(args[0])
        backend.store_result(str(uuid.uuid4()), 0, "SUCCESS")
        lat = []
        for r in range(n):
            task_id = str(uuid.uuid4())
            done = {}
            def wait():
                AsyncResult(task_id, app=app).get(timeout=10)
                done["t"] = time.perf_counter()
            t = threading.Thread(target=wait)
            t.start()
            time.sleep((50 + (r * 37) % 250) / 1000)
            backend.store_result(task_id, 1, "SUCCESS")
            stored = time.perf_counter()
            t.join()
            lat.append(max(0.0, done["t"] - stored))
        lat.sort()
        out = {"impl": "python", "wait_rounds": n, "wait_latency_median_ms": round(lat[len(lat) // 2] * 1000, 1),
               "wait_latency_p90_ms": round(lat[len(lat) * 9 // 10] * 1000, 1)}
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
