"""Redis's own ceiling for exactly the commands one of our tasks costs, measured without our
worker: the transport's pop script (`RedisScript.pop`, read from Sources/CeleryRedis/
RedisScripts.swift) and its ack (the pipeline `RedisAckBatch.commands` sends) on kombu's keys,
with the same envelopes the drain uses.

Usage: redis_ceiling.py REDIS_URL N BATCH... [--base REV] [--rounds R]
For each BATCH: N envelopes are prefilled (`COPY` of a template list), then one client pops
BATCH at a time and acks each batch (pop and the previous batch's ack pipelined, so Redis
never waits for the client). Redis's CPU (`INFO cpu`) over the drain gives µs per task;
1e6 / that is the rate one Redis core could sustain for this work (the client, a Python
process, is usually the slower side, so the wall-clock rate is printed apart).
`--base REV` also runs the scripts of git revision REV (its pop, and its ack script if it
had one) in the same run, interleaved with the working tree's, R rounds each (default 1), so
an A/B on this noisy machine compares like with like. Prints one JSON line per run.
"""
import json
import re
import subprocess
import sys
import time
import uuid

import redis

from drain import kombu_message, redis_cpu, command_stats, per_task

SCRIPTS = "Sources/CeleryRedis/RedisScripts.swift"


def script(src, name):
    m = re.search(r'static let ' + name + r' = RedisScript\(\n\s*"""\n(.*?)\n\s*"""\)', src, re.S)
    if not m:
        return None
    lines = m.group(1).split("\n")
    indent = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
    body = "\n".join(l[indent:] for l in lines)
    return body.replace("\\\\", "\\")  # Swift string escapes (the only ones the scripts use)


class Scripts:
    """One revision's pop and ack. Before the ack became a pipeline (an `ack` script exists),
    the pop replied `envelope, tag, count` per message; now `[tags, counts, envelopes…]`."""

    def __init__(self, r, name, src):
        self.name = name
        self.pop = r.script_load(script(src, "pop"))
        ack = script(src, "ack")
        self.ack = r.script_load(ack) if ack else None

    def tags(self, out):
        if self.ack:
            return [out[i + 1] for i in range(0, len(out), 3)]
        if not out:
            return []
        raws = [e for part in out[2:] for e in part]
        assert len(raws) == len(out[0]), "envelopes and tags do not line up"
        return out[0]

    def add_ack(self, p, tags):
        if self.ack:
            p.evalsha(self.ack, 3, "unacked", "unacked_index", "unacked_delivery_count", *tags)
        else:  # RedisAckBatch.commands: first deliveries have no count entry to remove
            p.hdel("unacked", *tags)
            p.zrem("unacked_index", *tags)


def run(r, s, q, n, b):
    keys = [q, "unacked", "unacked_index", "unacked_delivery_count"]
    qjson = json.dumps(q)
    r.delete(q, "unacked", "unacked_index", "unacked_delivery_count")
    r.copy(q + ".tpl", q, replace=True)
    c0, s0, t0 = redis_cpu(r), command_stats(r), time.perf_counter()
    done, tags = 0, []
    while True:
        p = r.pipeline(transaction=False)
        if tags:
            s.add_ack(p, tags)
        p.evalsha(s.pop, len(keys), *keys, f"{time.time():.6f}", uuid.uuid4().hex, qjson, b)
        tags = s.tags(p.execute()[-1])
        done += len(tags)
        if not tags:
            break
    t1, c1, s1 = time.perf_counter(), redis_cpu(r), command_stats(r)
    left = r.hlen("unacked") + r.zcard("unacked_index")
    assert done == n and left == 0, f"{s.name}: {done} of {n} popped, {left} records left"
    us = (c1 - c0) / n * 1e6
    return {"scripts": s.name, "batch": b, "tasks": done, "redis_cpu_us_per_task": round(us, 2),
            "redis_ceiling_tasks_per_s": round(1e6 / us) if us > 0 else None,
            "client_bound_tasks_per_s": round(n / (t1 - t0)), "commands": per_task(s0, s1, n)}


def main():
    args, base, rounds = [], None, 1
    it = iter(sys.argv[1:])
    for a in it:
        if a == "--base":
            base = next(it)
        elif a == "--rounds":
            rounds = int(next(it))
        else:
            args.append(a)
    url, n = args[0], int(args[1])
    batches = [int(b) for b in args[2:]] or [4, 8, 32]
    r = redis.Redis.from_url(url)
    variants = []
    if base:
        src = subprocess.run(["git", "show", f"{base}:{SCRIPTS}"], capture_output=True, text=True, check=True).stdout
        variants.append(Scripts(r, f"base {base}", src))
    variants.append(Scripts(r, "working tree", open(SCRIPTS).read()))
    q = "ceiling"
    r.delete(q + ".tpl")
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.lpush(q + ".tpl", kombu_message(i, q))
        if i % 1000 == 999:
            p.execute()
    p.execute()
    for b in batches:
        for _ in range(rounds):
            for s in variants:
                print(json.dumps(run(r, s, q, n, b)), flush=True)
    r.delete(q + ".tpl", q, "unacked", "unacked_index", "unacked_delivery_count")


if __name__ == "__main__":
    main()
