"""Stall hunter: one worker, ROUNDS fills of N prefilled tasks on one Redis; a stall (no progress
for 10 s) prints the queue and unacked lengths and dumps the worker's thread stacks with gdb.
Usage: stall_hunt.py REDIS_URL N ROUNDS COMMAND   (Docs/performance.md, session 7)
"""
import os, signal, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis
from drain import Kombu
url, n, rounds, cmd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
r = redis.Redis.from_url(url)
k = Kombu(r, n)
k.reset()
log = open(os.environ.get("STALL_LOG", "/tmp/stall-worker.log"), "ab")
w = subprocess.Popen(["sh", "-c", cmd], stdout=log, stderr=log, start_new_session=True)
stalls = 0
try:
    k.warm_up()
    while not k.drained(): time.sleep(0.01)
    for i in range(rounds):
        t0 = time.time(); k.fill()
        last, lastt = None, time.time()
        while True:
            p = r.pipeline(transaction=False); p.llen("bench"); p.hlen("unacked"); q, u = p.execute()
            if q == 0 and u == 0: break
            if (q, u) != last: last, lastt = (q, u), time.time()
            if time.time() - lastt > 10:
                stalls += 1
                print(f"round {i}: STALL queue={q} unacked={u}", flush=True)
                out = subprocess.run(["gdb", "-p", str(w.pid), "-batch", "-ex", "thread apply all bt 25"], capture_output=True, text=True).stdout
                open(f"/tmp/stall-{os.getpid()}-{i}.txt", "w").write(out)
                k.reset(); break
            time.sleep(0.005)
        print(f"round {i}: {n/(time.time()-t0):.0f}/s", flush=True)
finally:
    os.killpg(w.pid, signal.SIGTERM); w.wait(30)
print("stalls", stalls)
