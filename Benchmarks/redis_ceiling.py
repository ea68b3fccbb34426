"""Redis's own ceiling for exactly the commands one of our tasks costs, measured without our
worker: the transport's pop script (`RedisScript.pop`, read from Sources/CeleryRedis/
RedisScripts.swift) and ack script on kombu's keys, with the same envelopes the drain uses.

Usage: redis_ceiling.py REDIS_URL N BATCH...
For each BATCH: N envelopes are prefilled (`COPY` of a template list), then one client pops
BATCH at a time and acks each batch in one call (pop and the previous batch's ack pipelined,
so Redis never waits for the client). Redis's CPU (`INFO cpu`) over the drain gives µs per
task; 1e6 / that is the rate one Redis core could sustain for this work (the client, a
Python process, is usually the slower side, so the wall-clock rate is printed apart).
Prints one JSON line per BATCH.
"""
import json
import re
import sys
import time
import uuid

import redis

from drain import kombu_message, redis_cpu, command_stats, per_task


def script(name):
    src = open("Sources/CeleryRedis/RedisScripts.swift").read()
    m = re.search(r'static let ' + name + r' = RedisScript\(\n\s*"""\n(.*?)\n\s*"""\)', src, re.S)
    lines = m.group(1).split("\n")
    indent = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
    body = "\n".join(l[indent:] for l in lines)
    return body.replace("\\\\", "\\")  # Swift string escapes (the only ones the scripts use)


def main():
    url, n = sys.argv[1], int(sys.argv[2])
    batches = [int(b) for b in sys.argv[3:]] or [1, 8, 32]
    r = redis.Redis.from_url(url)
    pop, ack = r.script_load(script("pop")), r.script_load(script("ack"))
    q, tpl = "ceiling", "ceiling.tpl"
    keys = [q, "unacked", "unacked_index", "unacked_delivery_count"]
    r.delete(tpl, q, "unacked", "unacked_index")
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.lpush(tpl, kombu_message(i, q))
        if i % 1000 == 999:
            p.execute()
    p.execute()
    qjson = json.dumps(q)
    for b in batches:
        r.delete(q, "unacked", "unacked_index")
        r.copy(tpl, q, replace=True)
        c0, s0, t0 = redis_cpu(r), command_stats(r), time.perf_counter()
        done, tags = 0, []
        while True:
            p = r.pipeline(transaction=False)
            if tags:
                p.evalsha(ack, 3, "unacked", "unacked_index", "unacked_delivery_count", *tags)
            p.evalsha(pop, len(keys), *keys, f"{time.time():.6f}", uuid.uuid4().hex, qjson, b)
            out = p.execute()[-1]
            tags = [out[i + 1] for i in range(0, len(out), 3)]
            done += len(tags)
            if not tags:
                break
        t1, c1, s1 = time.perf_counter(), redis_cpu(r), command_stats(r)
        us = (c1 - c0) / n * 1e6
        print(json.dumps({"batch": b, "tasks": done, "redis_cpu_us_per_task": round(us, 2),
                          "redis_ceiling_tasks_per_s": round(1e6 / us) if us > 0 else None,
                          "client_bound_tasks_per_s": round(n / (t1 - t0)),
                          "commands": per_task(s0, s1, n)}), flush=True)
    r.delete(tpl, q, "unacked", "unacked_index", "unacked_delivery_count")


if __name__ == "__main__":
    main()
