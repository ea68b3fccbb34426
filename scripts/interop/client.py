"""Python Celery 5 client for the interop tests. Prints one JSON object per command.

  client.py call NAME ARGS_JSON [QUEUE] [TIMEOUT]     -> {"id", "state", "result" | "exc_type", "exc_message"}
  client.py broadcast NAME ARGS_JSON CHANNEL          -> {"id"}
  client.py read TASK_ID [TIMEOUT]                    -> like call, for a task sent by someone else
  client.py ping [TIMEOUT]                            -> {"replies": {...}}
  client.py events NAME ARGS_JSON QUEUE [TIMEOUT]     -> {"id", "events": [types seen for that task], "hostnames": [...]}
      (listens with Celery's own event receiver, as `celery events`/Flower do, then sends the task)
  client.py event-batches NAME ARGS_JSON QUEUE COUNT [TIMEOUT]
      -> {"ids": [...], "events": {id: [{"type", "clock", ...fields}]}, "messages": [[routing_key, is_list, n]]}
      (the same receiver; COUNT tasks; every message's routing key and whether its body was a list)
"""
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from celery import Celery  # noqa: E402
from kombu.common import Broadcast  # noqa: E402

app = Celery("interop-client", broker=os.environ["CELERY_BROKER_URL"], backend=os.environ.get("CELERY_RESULT_BACKEND"))
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
# sentinel:// URLs: Celery takes the master's name as a transport option (kombu's master_name).
if os.environ.get("INTEROP_SENTINEL_MASTER"):
    app.conf.broker_transport_options = {"master_name": os.environ["INTEROP_SENTINEL_MASTER"]}
    app.conf.result_backend_transport_options = {"master_name": os.environ["INTEROP_SENTINEL_MASTER"]}


def outcome(res, timeout):
    out = {"id": res.id}
    try:
        value = res.get(timeout=timeout, propagate=True)
        out.update(state=res.state, result=value)
    except Exception as exc:  # the task's own exception, rebuilt by Celery
        out.update(state=res.state, exc_type=type(exc).__name__, exc_message=str(exc))
    return out


PROBE = "interop-probe"


def listen_until(app, on_event, done, timeout, on_wire=None):
    """Starts an event receiver thread that calls `on_event` for every event but our probe
    (and `on_wire(body, message)` for every message, before it is unpacked) until `done` is
    set or `timeout` passes; returns once the receiver hears a probe event we send, so what the
    caller publishes next is not missed (its queue or subscription exists once it consumes)."""
    ready, heard = threading.Event(), threading.Event()

    def handle(e):
        if e["type"] == PROBE:
            heard.set()
        else:
            on_event(e)

    def listen():
        with app.connection() as conn:
            recv = app.events.Receiver(conn, handlers={"*": handle})
            if on_wire is not None:
                plain = recv._receive

                def receive(body, message):
                    on_wire(body, message)
                    plain(body, message)

                recv._receive = receive
            ready.set()
            for _ in recv.itercapture(limit=None, timeout=timeout, wakeup=False):
                if done.is_set():
                    break

    threading.Thread(target=listen, daemon=True).start()
    ready.wait(10)
    with app.events.default_dispatcher() as probe:
        for _ in range(50):
            probe.send(PROBE)
            if heard.wait(0.2):
                break


def main(argv):
    cmd = argv[1]
    if cmd == "call":
        name, args = argv[2], json.loads(argv[3])
        queue = argv[4] if len(argv) > 4 and argv[4] else None
        timeout = float(argv[5]) if len(argv) > 5 else 20
        res = app.send_task(name, args=args, queue=queue)
        print(json.dumps(outcome(res, timeout)))
    elif cmd == "read":
        timeout = float(argv[3]) if len(argv) > 3 else 20
        print(json.dumps(outcome(app.AsyncResult(argv[2]), timeout)))
    elif cmd == "broadcast":
        name, args, channel = argv[2], json.loads(argv[3]), argv[4]
        # As a Celery app routing to a Broadcast queue does: the fanout exchange is declared,
        # so kombu publishes to every bound/subscribed consumer.
        bq = Broadcast(channel)
        res = app.send_task(name, args=args, queue=bq, exchange=bq.exchange, routing_key=channel, declare=[bq])
        print(json.dumps({"id": res.id}))
    elif cmd == "ping":
        timeout = float(argv[2]) if len(argv) > 2 else 2
        replies = app.control.inspect(timeout=timeout).ping() or {}
        print(json.dumps({"replies": replies}))
    elif cmd == "events":
        name, args, queue = argv[2], json.loads(argv[3]), argv[4]
        timeout = float(argv[5]) if len(argv) > 5 else 20
        seen, hosts, lock = {}, set(), threading.Lock()
        done = threading.Event()

        def on_event(e):
            with lock:
                seen.setdefault(e.get("uuid"), []).append(e["type"])
                hosts.add(e.get("hostname"))
                if e["type"] in ("task-succeeded", "task-failed"):
                    done.set()

        listen_until(app, on_event, done, timeout)
        res = app.send_task(name, args=args, queue=queue)
        done.wait(timeout)
        with lock:
            print(json.dumps({"id": res.id, "events": seen.get(res.id, []), "hostnames": sorted(h for h in hosts if h)}))
    elif cmd == "event-batches":
        name, args, queue, count = argv[2], json.loads(argv[3]), argv[4], int(argv[5])
        timeout = float(argv[6]) if len(argv) > 6 else 20
        seen, messages, lock = {}, [], threading.Lock()
        done = threading.Event()
        ids = set()

        def on_event(e):
            with lock:
                seen.setdefault(e.get("uuid"), []).append({k: v for k, v in e.items() if k != "local_received"})
                if len([u for u in ids if any(x["type"] == "task-succeeded" for x in seen.get(u, []))]) == count:
                    done.set()

        def on_wire(body, message):  # what arrived on the wire, before it is unpacked
            with lock:
                key = (message.delivery_info or {}).get("routing_key")
                messages.append([key, isinstance(body, list), len(body) if isinstance(body, list) else 1])

        listen_until(app, on_event, done, timeout, on_wire)
        with lock:
            for _ in range(count):
                ids.add(app.send_task(name, args=args, queue=queue).id)
        done.wait(timeout)
        with lock:
            print(json.dumps({"ids": sorted(ids), "events": {u: seen.get(u, []) for u in ids}, "messages": messages}))
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown (result-backend finalizers print noise there)
