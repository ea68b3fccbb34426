#!/usr/bin/env python3
"""The RabbitMQ node's own ceiling, through a minimal client that is not ours (pika).

  rabbit_ceiling.py URL QUEUE N publish [WINDOW]   # N persistent Celery-format tasks.add messages,
                                                   # pipelined with publisher confirms (at most
                                                   # WINDOW unconfirmed, default 1000)
  rabbit_ceiling.py URL QUEUE N consume [PREFETCH] # deliver and ack N messages: basic.qos PREFETCH
                                                   # (default 2000), one basic.ack multiple=true
                                                   # per PREFETCH/4 deliveries
  rabbit_ceiling.py URL QUEUE 0 ready              # prints the queue's ready count (passive declare)
  rabbit_ceiling.py URL QUEUE N watch PID          # times another client (a worker, pid PID) draining
                                                   # N prefilled messages: from the first taken to the
                                                   # queue empty and PID idle (its CPU time unchanged
                                                   # for 0.3 s), with PID's and the node's CPU per message

The queue is declared as our transport and Celery declare it (durable, bound to a durable
direct exchange of the same name). Set BEAM_PID to the node's beam.smp pid to get its CPU
time per message (utime+stime from /proc/PID/stat, before and after). Prints one JSON line:
rate, client CPU us/msg, node CPU us/msg.
"""
import json
import os
import resource
import sys
import time
import uuid

import pika

TICKS = os.sysconf("SC_CLK_TCK")


def beam_cpu():
    pid = os.environ.get("BEAM_PID")
    if not pid:
        return None
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def own_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def task_message(i):
    tid = str(uuid.uuid4())
    body = json.dumps([[i, i], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]).encode()
    headers = {
        "lang": "py", "task": "tasks.add", "id": tid, "shadow": None, "eta": None, "expires": None,
        "group": None, "group_index": None, "retries": 0, "timelimit": [None, None], "root_id": tid,
        "parent_id": None, "argsrepr": f"({i}, {i})", "kwargsrepr": "{}", "origin": "ceiling@bench",
        "ignore_result": False,
    }
    props = pika.BasicProperties(
        content_type="application/json", content_encoding="utf-8", headers=headers, delivery_mode=2,
        priority=0, correlation_id=tid)
    return body, props


def declare(ch, queue):
    ch.exchange_declare(queue, "direct", durable=True)
    ch.queue_declare(queue, durable=True)
    ch.queue_bind(queue, queue, routing_key=queue)


def report(kind, n, seconds, cpu0, beam0, extra=None):
    out = {"client": "pika " + pika.__version__, "op": kind, "messages": n, "seconds": round(seconds, 3),
           "per_s": round(n / seconds) if seconds > 0 else None,
           "client_cpu_us_per_msg": round((own_cpu() - cpu0) / n * 1e6, 1)}
    b = beam_cpu()
    if b is not None and beam0 is not None:
        out["node_cpu_us_per_msg"] = round((b - beam0) / n * 1e6, 1)
    out.update(extra or {})
    print(json.dumps(out), flush=True)


def publish(url, queue, n, window):
    messages = [task_message(i) for i in range(n)]  # built before the clock starts
    state = {"sent": 0, "confirmed": 0, "nacked": 0, "t0": 0.0, "cpu0": 0.0, "beam0": None}

    def on_open(conn):
        conn.channel(on_open_callback=on_channel)

    def on_channel(ch):
        state["ch"] = ch
        ch.exchange_declare(queue, "direct", durable=True, callback=lambda _: ch.queue_declare(
            queue, durable=True, callback=lambda _: ch.queue_bind(queue, queue, routing_key=queue, callback=lambda _: ch.confirm_delivery(
                on_confirm, callback=lambda _: start()))))

    def start():
        state["t0"], state["cpu0"], state["beam0"] = time.perf_counter(), own_cpu(), beam_cpu()
        fill()

    def fill():
        ch = state["ch"]
        while state["sent"] < n and state["sent"] - state["confirmed"] - state["nacked"] < window:
            body, props = messages[state["sent"]]
            ch.basic_publish("", queue, body, props)
            state["sent"] += 1

    def on_confirm(frame):
        m = frame.method
        done = m.delivery_tag - (state["confirmed"] + state["nacked"]) if m.multiple else 1
        if isinstance(m, pika.spec.Basic.Ack):
            state["confirmed"] += done
        else:
            state["nacked"] += done
        if state["confirmed"] + state["nacked"] >= n:
            state["t1"] = time.perf_counter()
            report("publish_confirmed", n, state["t1"] - state["t0"], state["cpu0"], state["beam0"],
                   {"window": window, "nacked": state["nacked"]})
            conn.close()
        else:
            fill()

    conn = pika.SelectConnection(
        pika.URLParameters(url), on_open_callback=on_open, on_close_callback=lambda *_: conn.ioloop.stop())
    conn.ioloop.start()


def consume(url, queue, n, prefetch):
    conn = pika.BlockingConnection(pika.URLParameters(url))
    ch = conn.channel()
    declare(ch, queue)
    ch.basic_qos(prefetch_count=prefetch)
    every = max(1, prefetch // 4)
    state = {"got": 0, "t0": None}

    def on_message(ch, method, props, body):
        if state["t0"] is None:
            state["t0"], state["cpu0"], state["beam0"] = time.perf_counter(), own_cpu(), beam_cpu()
        state["got"] += 1
        if state["got"] % every == 0 or state["got"] >= n:
            ch.basic_ack(method.delivery_tag, multiple=True)
        if state["got"] >= n:
            ch.stop_consuming()

    ch.basic_consume(queue, on_message)
    ch.start_consuming()
    conn.process_data_events(0)  # the last ack leaves before the clock stops
    t1 = time.perf_counter()
    report("deliver_ack", n, t1 - state["t0"], state["cpu0"], state["beam0"], {"prefetch": prefetch, "ack_every": every})
    conn.close()


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def watch(url, queue, n, pid):
    conn = pika.BlockingConnection(pika.URLParameters(url))
    ch = conn.channel()
    count = lambda: ch.queue_declare(queue, passive=True).method.message_count
    deadline = time.time() + 600
    while count() >= n and time.time() < deadline:
        time.sleep(0.002)
    t0, w0, b0 = time.perf_counter(), proc_cpu(pid), beam_cpu()
    while count() > 0 and time.time() < deadline:
        time.sleep(0.005)
    t_empty = time.perf_counter()
    last_cpu, last_change, b1 = proc_cpu(pid), time.perf_counter(), beam_cpu()
    while time.perf_counter() - last_change < 0.3:
        time.sleep(0.005)
        c = proc_cpu(pid)
        if c != last_cpu:
            last_cpu, last_change, b1 = c, time.perf_counter(), beam_cpu()
    t1 = last_change
    out = {"op": "worker_drain", "messages": n, "seconds": round(t1 - t0, 3), "per_s": round(n / (t1 - t0)),
           "seconds_to_empty_queue": round(t_empty - t0, 3),
           "worker_cpu_us_per_task": round((last_cpu - w0) / n * 1e6, 1)}
    if b0 is not None:
        out["node_cpu_us_per_task"] = round((b1 - b0) / n * 1e6, 1)
    print(json.dumps(out), flush=True)
    conn.close()


def ready(url, queue):
    conn = pika.BlockingConnection(pika.URLParameters(url))
    ch = conn.channel()
    print(ch.queue_declare(queue, passive=True).method.message_count)
    conn.close()


if __name__ == "__main__":
    url, queue, n, op = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    arg = int(sys.argv[5]) if len(sys.argv) > 5 else None
    if op == "publish":
        publish(url, queue, n, arg or 1000)
    elif op == "consume":
        consume(url, queue, n, arg or 2000)
    elif op == "watch":
        watch(url, queue, n, arg)
    elif op == "ready":
        ready(url, queue)
    else:
        sys.exit(f"unknown op {op}: publish, consume or ready")
