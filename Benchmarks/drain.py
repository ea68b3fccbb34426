"""Prefilled-drain benchmark, the same work for every worker on the same Redis.

Usage: drain.py REDIS_URL N RUNS WORKER...
  WORKER is NAME=KIND:COMMAND, KIND one of `kombu` (ours or Python Celery: kombu's list
  `bench` and its `unacked` hash) or `dramatiq` (Dramatiq's `dramatiq:default` list and
  `.msgs` hash). COMMAND is run with `sh -c` in its own process group.

For each worker and run:
  1. the worker starts with an empty queue; one warm-up task is queued and the script waits
     until it is gone (queue empty, nothing unacknowledged): the worker is up and idle;
  2. CPU counters are read: the worker's whole process tree (/proc/<pid>/stat utime+stime of
     every descendant) and Redis (`INFO cpu` used_cpu_user + used_cpu_sys);
  3. N prefilled no-op `add` messages appear at once (`COPY` of a template list made before,
     so a worker sees all N in one instant and nobody pays for producing them);
  4. the clock stops when the queue is empty and nothing is unacknowledged;
  5. CPU counters are read again; the worker is stopped (SIGTERM to its group, by pid).
Prints one JSON object per worker (best run by rate, and every run) and a ratio table.
"""
import json
import os
import signal
import subprocess
import sys
import time
import uuid

import redis

TICK = os.sysconf("SC_CLK_TCK")


def proc_tree(root):
    """{pid: utime+stime (s)} of `root` and every live descendant (from /proc/<pid>/stat)."""
    children = {}
    stats = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        rest = s[s.rindex(")") + 2:].split()
        ppid, ut, st = int(rest[1]), int(rest[11]), int(rest[12])
        children.setdefault(ppid, []).append(int(d))
        stats[int(d)] = (ut + st) / TICK
    out, todo = {}, [root]
    while todo:
        p = todo.pop()
        out[p] = stats.get(p, 0.0)
        todo.extend(children.get(p, []))
    return out


def tree_cpu(root):
    """utime+stime (s) of `root` and every live descendant."""
    return sum(proc_tree(root).values())


def stop_group(w):
    """SIGTERM to the process group of `w` (started with start_new_session), SIGKILL after 30 s."""
    try:
        os.killpg(w.pid, signal.SIGTERM)
        w.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(w.pid, signal.SIGKILL)
        w.wait()
    except ProcessLookupError:
        pass


def redis_cpu(r):
    i = r.info("cpu")
    return i["used_cpu_user"] + i["used_cpu_sys"]


def command_stats(r):
    """{command: (calls, usec)} from `INFO commandstats`."""
    return {k[len("cmdstat_"):]: (v["calls"], v["usec"]) for k, v in r.info("commandstats").items()}


# What this harness itself sends during a drain: `drained()` polls `LLEN` + `HLEN` (kombu) or
# `HLEN` + `LLEN` (Dramatiq) every millisecond, `fill()` is one `COPY`, and the CPU counters are
# read with `INFO`. No worker here sends `HLEN`/`LLEN`/`COPY`, so these are the harness's alone.
HARNESS_COMMANDS = {"llen", "hlen", "copy", "info"}


def per_task(before, after, n, harness=False):
    """Calls and server µs per task of each command run during the drain: the workers'
    commands, or with `harness=True` the drain's own probes (``HARNESS_COMMANDS``)."""
    out = {}
    for cmd, (calls, usec) in after.items():
        c0, u0 = before.get(cmd, (0, 0))
        if calls > c0 and (cmd in HARNESS_COMMANDS) == harness:
            out[cmd] = {"calls_per_task": round((calls - c0) / n, 3), "us_per_task": round((usec - u0) / n, 2)}
    return out


def kombu_message(i, queue):
    """A Celery 5 protocol v2 envelope as kombu writes it for tasks.add(i, i)."""
    import base64
    tid = str(uuid.uuid4())
    body = json.dumps([[i, i], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}])
    return json.dumps({
        "body": base64.b64encode(body.encode()).decode(), "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {"lang": "py", "task": "tasks.add", "id": tid, "shadow": None, "eta": None, "expires": None,
                    "group": None, "group_index": None, "retries": 0, "timelimit": [None, None], "root_id": tid,
                    "parent_id": None, "argsrepr": f"({i}, {i})", "kwargsrepr": "{}", "origin": "gen0@bench",
                    "ignore_result": True, "replaced_task_nesting": 0, "stamped_headers": None, "stamps": {}},
        "properties": {"correlation_id": tid, "reply_to": str(uuid.uuid4()), "delivery_mode": 2,
                       "delivery_info": {"exchange": "", "routing_key": queue}, "priority": 0,
                       "body_encoding": "base64", "delivery_tag": str(uuid.uuid4())}})


def dramatiq_message(i):
    mid = str(uuid.uuid4())
    return mid, json.dumps({"queue_name": "default", "actor_name": "add", "args": [i, i], "kwargs": {},
                            "options": {"redis_message_id": mid}, "message_id": mid, "message_timestamp": int(time.time() * 1000)})


class Kombu:
    queue = "bench"

    def __init__(self, r, n):
        self.r = r
        r.delete("bench.tpl", self.queue, "unacked", "unacked_index")
        p = r.pipeline(transaction=False)
        for i in range(n):
            p.lpush("bench.tpl", kombu_message(i, self.queue))
            if i % 1000 == 999:
                p.execute()
        p.execute()

    def warm_up(self):
        self.r.lpush(self.queue, kombu_message(-1, self.queue))

    def fill(self):
        self.r.copy("bench.tpl", self.queue, replace=True)

    def drained(self):
        p = self.r.pipeline(transaction=False)
        p.llen(self.queue)
        p.hlen("unacked")
        a, b = p.execute()
        return a == 0 and b == 0

    def reset(self):
        self.r.delete(self.queue, "unacked", "unacked_index")


class Dramatiq:
    ns = "dramatiq"

    def __init__(self, r, n):
        self.r = r
        r.delete("dtpl:default", "dtpl:default.msgs")
        p = r.pipeline(transaction=False)
        for i in range(n):
            mid, data = dramatiq_message(i)
            p.hset("dtpl:default.msgs", mid, data)
            p.rpush("dtpl:default", mid)
            if i % 1000 == 999:
                p.execute()
        p.execute()

    def warm_up(self):
        mid, data = dramatiq_message(-1)
        self.r.hset(f"{self.ns}:default.msgs", mid, data)
        self.r.rpush(f"{self.ns}:default", mid)

    def fill(self):
        p = self.r.pipeline(transaction=True)
        p.copy("dtpl:default.msgs", f"{self.ns}:default.msgs", replace=True)
        p.copy("dtpl:default", f"{self.ns}:default", replace=True)
        p.execute()

    def drained(self):
        return self.r.hlen(f"{self.ns}:default.msgs") == 0 and self.r.llen(f"{self.ns}:default") == 0

    def reset(self):
        for k in self.r.scan_iter(f"{self.ns}:*"):
            self.r.delete(k)


# Software counters (this VM exposes no hardware ones: `instructions` is "not supported").
PERF_EVENTS = "context-switches,cpu-migrations,page-faults,task-clock"


def perf_stat_start(pid):
    """With DRAIN_PERF_STAT=1: `perf stat` attached to the worker (every thread) for the drain
    alone (the worker's start-up and warm-up are not counted)."""
    if os.environ.get("DRAIN_PERF_STAT") != "1":
        return None
    out = f"/tmp/drain-perf-stat-{pid}.txt"
    p = subprocess.Popen(["perf", "stat", "-e", PERF_EVENTS, "-x", ",", "-o", out, "-p", str(pid)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)  # perf attaches to every thread before the messages appear
    return p, out


def perf_stat_end(stat):
    """The counters of `perf_stat_start` ({event: count}), after stopping it."""
    if not stat:
        return None
    p, out = stat
    p.send_signal(signal.SIGINT)
    p.wait(30)
    counters = {}
    for line in open(out):
        f = line.strip().split(",")
        if len(f) > 2 and f[0].replace(".", "").isdigit():
            if f[2] == "task-clock":  # msec
                counters["task_clock_us"] = float(f[0]) * 1000
            else:
                counters[f[2]] = float(f[0])
    os.unlink(out)
    return counters


def wait_until(cond, timeout, what):
    end = time.time() + timeout
    while not cond():
        if time.time() > end:
            raise TimeoutError(what)
        time.sleep(0.001)


def run_one(r, layout, n, cmd, log):
    layout.reset()
    with open(log, "ab") as out:
        w = subprocess.Popen(["sh", "-c", cmd], stdout=out, stderr=out, start_new_session=True)
    try:
        layout.warm_up()
        wait_until(lambda: w.poll() is not None or layout.drained(), 120, "warm-up task not taken")
        if w.poll() is not None:
            raise RuntimeError(f"worker exited ({w.returncode}); see {log}")
        stat = perf_stat_start(w.pid)
        c0, r0, s0 = tree_cpu(w.pid), redis_cpu(r), command_stats(r)
        t0 = time.perf_counter()
        layout.fill()
        wait_until(lambda: w.poll() is not None or layout.drained(), 900, "drain did not finish")
        t1 = time.perf_counter()
        c1, r1, s1 = tree_cpu(w.pid), redis_cpu(r), command_stats(r)
        counters = perf_stat_end(stat)
        if w.poll() is not None:
            raise RuntimeError(f"worker exited during the drain; see {log}")
    finally:
        stop_group(w)
    el = t1 - t0
    return {"tasks_per_s": round(n / el), "seconds": round(el, 3),
            "worker_cpu_us_per_task": round((c1 - c0) / n * 1e6, 1),
            "redis_cpu_us_per_task": round((r1 - r0) / n * 1e6, 1),
            "commands": per_task(s0, s1, n), "harness_commands": per_task(s0, s1, n, harness=True),
            **({"perf_per_task": {k: round(v / n, 2) for k, v in counters.items()}} if counters else {})}


def main():
    url, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    workers = []
    for spec in sys.argv[4:]:
        name, rest = spec.split("=", 1)
        kind, cmd = rest.split(":", 1)
        workers.append((name, kind, cmd))
    r = redis.Redis.from_url(url)
    layouts = {}
    log = os.environ.get("DRAIN_LOG", "/tmp/drain-workers.log")
    results = {}
    for k in range(runs):  # interleave the workers run by run: drift hits all of them alike
        for name, kind, cmd in workers:
            if kind not in layouts:
                layouts[kind] = (Kombu if kind == "kombu" else Dramatiq)(r, n)
            res = run_one(r, layouts[kind], n, cmd, log)
            print(json.dumps({"worker": name, "run": k + 1, **res}), flush=True)
            results.setdefault(name, []).append(res)
    best = {name: max(rs, key=lambda x: x["tasks_per_s"]) for name, rs in results.items()}
    names = [w[0] for w in workers]
    print(f"\nN={n} prefilled no-op add, no result backend; best of {runs} (runs interleaved)")
    print(f"{'worker':28} {'tasks/s':>9} {'worker µs/task':>15} {'redis µs/task':>14}   Redis commands per task")
    for nm in names:
        b = best[nm]
        calls = ", ".join(f"{c} {v['calls_per_task']}" for c, v in sorted(b["commands"].items()) if v["calls_per_task"] >= 0.01)
        print(f"{nm:28} {b['tasks_per_s']:>9} {b['worker_cpu_us_per_task']:>15} {b['redis_cpu_us_per_task']:>14}   calls/task: {calls}")
        if "perf_per_task" in b:
            print(f"{'':28} per task: " + ", ".join(f"{k} {v}" for k, v in b["perf_per_task"].items()))
    base = names[0]
    for nm in names[1:]:
        cpu = lambda b: b["worker_cpu_us_per_task"] + b["redis_cpu_us_per_task"]
        print(f"{base} vs {nm}: {best[base]['tasks_per_s'] / best[nm]['tasks_per_s']:.2f}x the rate, "
              f"{cpu(best[base]) / max(1e-9, cpu(best[nm])):.2f}x the CPU per task (worker + Redis)")
    out = os.environ.get("DRAIN_JSON")
    if out:
        json.dump({"tasks": n, "runs": runs, "best": best, "all": results}, open(out, "w"), indent=2)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
