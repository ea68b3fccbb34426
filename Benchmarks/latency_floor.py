"""The same hand-off as latency_floor.c through redis-py (Python Celery's Redis client), no
Celery: one process LPUSHes a timestamp every 5 ms, another BLPOPs it and records the delay.

    python latency_floor.py PORT N consume &  python latency_floor.py PORT N produce
"""
import sys
import time

import redis

port, n, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
r = redis.Redis(host="127.0.0.1", port=port)
key = "latency_floor_py"
if mode == "consume":
    ms = []
    while len(ms) < n:
        _, v = r.blpop(key)
        ms.append((time.time() - float(v)) * 1000)
    ms.sort()
    print("LPUSH -> BLPOP (redis-py, no Celery): p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  (%d hand-offs)"
          % (ms[n // 2], ms[n * 9 // 10], ms[n * 99 // 100], n))
else:
    for _ in range(n):
        r.lpush(key, repr(time.time()))
        time.sleep(0.005)
