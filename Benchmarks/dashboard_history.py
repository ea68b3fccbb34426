"""Bulk-inserts Celery-shaped result documents (as our Mongo backend and Celery's write
them) into MongoDB or nx-27017, then times the dashboard's history queries over HTTP.

    python dashboard_history.py insert MONGO_URL DB COUNT
    python dashboard_history.py prepare MONGO_URL DB COUNT  # insert unless there, drop indexes
    python dashboard_history.py query DASHBOARD_URL TOKEN   # prints one JSON line per query
"""
import datetime
import json
import random
import sys
import time
import urllib.request
import uuid

NAMES = ["tasks.add", "tasks.mul", "tasks.fail", "tasks.sleep", "tasks.echo"] + [f"tasks.batch{i}" for i in range(15)]
STATES = ["SUCCESS"] * 8 + ["FAILURE", "RETRY"]
WORKERS = [f"celery@bench{i}" for i in range(8)]


def insert(url, db, count, batch=10_000):
    import pymongo

    client = pymongo.MongoClient(url)
    coll = client[db]["celery_taskmeta"]
    coll.drop()
    rng = random.Random(42)
    now = datetime.datetime.now(datetime.timezone.utc)
    start = time.monotonic()
    done = 0
    while done < count:
        docs = []
        for i in range(done, min(done + batch, count)):
            state = rng.choice(STATES)
            finished = now - datetime.timedelta(seconds=(count - i) * 2.5)
            x, y = rng.randint(0, 10_000), rng.randint(0, 10_000)
            docs.append({
                "_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "status": state,
                "result": x + y if state == "SUCCESS" else {"exc_type": "ValueError", "exc_message": [f"bad input {x}"], "exc_module": "builtins"},
                "traceback": None if state == "SUCCESS" else f"Traceback (most recent call last):\n  ...\nValueError: bad input {x}\n",
                "children": [],
                "date_done": finished,
                "name": rng.choice(NAMES),
                "args": [x, y],
                "kwargs": {"note": f"order-{i}"},
                "worker": rng.choice(WORKERS),
                "retries": 0,
                "queue": "celery",
                "date_started": finished - datetime.timedelta(seconds=0.01),
                "runtime": rng.random() * 0.5,
            })
        coll.insert_many(docs, ordered=False)
        done += len(docs)
        if done % 100_000 == 0 or done == count:
            print(json.dumps({"inserted": done, "seconds": round(time.monotonic() - start, 1)}), flush=True)
    print(json.dumps({"insert_total": count, "seconds": round(time.monotonic() - start, 1)}), flush=True)


def query(base, token):
    since = 3600  # seconds back from now
    cases = [
        ("newest page", "/api/tasks?limit=50"),
        ("page at offset 5000", "/api/tasks?limit=50&offset=5000"),
        ("page at offset 500000", "/api/tasks?limit=50&offset=500000"),
        ("state=FAILURE", "/api/tasks?limit=50&state=FAILURE"),
        ("taskname=tasks.mul", "/api/tasks?limit=50&taskname=tasks.mul"),
        ("workername", "/api/tasks?limit=50&workername=celery@bench3"),
        ("text (recent)", "/api/tasks?limit=50&search=order-999"),
        ("text (old, rare)", "/api/tasks?limit=50&search=order-17"),
        ("last hour", f"/api/tasks?limit=50&since={since}"),
        ("state+name+hour", f"/api/tasks?limit=50&state=SUCCESS&taskname=tasks.add&since={since}"),
        ("Tasks page", "/tasks"),
        ("Tasks page, FAILURE + name", "/tasks?state=FAILURE&name=tasks.add"),
        ("Tasks page, text", "/tasks?text=order-12345"),
        ("metrics", "/metrics"),
    ]
    for label, path in cases:
        req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
        t = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=600) as r:
                body = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            body, status = e.read(), e.code
        ms = (time.monotonic() - t) * 1000
        n = None
        if path.startswith("/api/tasks") and status == 200:
            n = len(json.loads(body))
        print(json.dumps({"query": label, "path": path, "status": status, "ms": round(ms, 1), "rows": n, "bytes": len(body)}), flush=True)


def prepare(url, db, count):
    """Inserts when the collection does not hold `count` documents; drops every index but _id."""
    import pymongo

    coll = pymongo.MongoClient(url, serverSelectionTimeoutMS=600_000, socketTimeoutMS=600_000)[db]["celery_taskmeta"]
    have = coll.estimated_document_count()
    if have != count:
        insert(url, db, count)
    else:
        print(json.dumps({"reusing": have}), flush=True)
    for name in list(coll.index_information()):
        if name != "_id_":
            coll.drop_index(name)


if __name__ == "__main__":
    if sys.argv[1] == "insert":
        insert(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        query(sys.argv[2], sys.argv[3])
