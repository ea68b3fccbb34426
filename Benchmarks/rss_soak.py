"""Worker memory across many tasks: idle RSS, then RSS after every round of a long drain.

Usage: rss_soak.py REDIS_URL ROUND_SIZE ROUNDS COMMAND
  COMMAND starts the worker (`sh -c`, own process group) on kombu's list `bench` (see drain.py).
  1. one warm-up task; once it is gone the worker is up and idle: its RSS is read (VmRSS and
     RssAnon from /proc/<pid>/status, every process of its tree summed) as the idle figure;
  2. ROUNDS times: ROUND_SIZE prefilled no-op `add` messages appear at once (COPY of a template
     list), the script waits until the queue is empty with nothing unacknowledged, and reads
     RSS again;
  3. the worker is stopped (SIGTERM to its group, by pid).
Prints one JSON line per round and a summary: idle RSS, RSS after the first and last round, and
the least-squares slope of RSS over the rounds after the first (KiB per 100 000 tasks).
"""
import json
import os
import subprocess
import sys
import time

import redis

from drain import Kombu, proc_tree, stop_group, tree_cpu, wait_until


def rss_kib(root):
    """(VmRSS, RssAnon) in KiB summed over the process tree, skipping the `sh` wrapper's own."""
    total = anon = 0
    for p in proc_tree(root):
        try:
            with open(f"/proc/{p}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        if fields.get("Name", "").strip() == "sh":
            continue
        total += int(fields.get("VmRSS", "0 kB").split()[0])
        anon += int(fields.get("RssAnon", "0 kB").split()[0])
    return total, anon


def slope(xs, ys):
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def main():
    url, size, rounds, cmd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    r = redis.Redis.from_url(url)
    layout = Kombu(r, size)
    layout.reset()
    log = os.environ.get("SOAK_LOG", "/tmp/rss-soak-worker.log")
    with open(log, "ab") as out:
        w = subprocess.Popen(["sh", "-c", cmd], stdout=out, stderr=out, start_new_session=True)
    rows = []
    try:
        layout.warm_up()
        wait_until(lambda: w.poll() is not None or layout.drained(), 120, "warm-up task not taken")
        if w.poll() is not None:
            raise RuntimeError(f"worker exited ({w.returncode}); see {log}")
        idle, idle_anon = rss_kib(w.pid)
        print(json.dumps({"round": 0, "tasks": 0, "rss_kib": idle, "rss_anon_kib": idle_anon}), flush=True)
        c0, t0 = tree_cpu(w.pid), time.perf_counter()
        for k in range(1, rounds + 1):
            layout.fill()
            wait_until(lambda: w.poll() is not None or layout.drained(), 1800, f"round {k} did not drain")
            if w.poll() is not None:
                raise RuntimeError(f"worker exited in round {k}; see {log}")
            rss, anon = rss_kib(w.pid)
            row = {"round": k, "tasks": k * size, "rss_kib": rss, "rss_anon_kib": anon,
                   "elapsed_s": round(time.perf_counter() - t0, 1)}
            rows.append(row)
            print(json.dumps(row), flush=True)
        cpu = tree_cpu(w.pid) - c0
    finally:
        stop_group(w)
        r.delete("bench.tpl")
    later = rows[1:] or rows
    s = slope([x["tasks"] for x in later], [x["rss_kib"] for x in later]) * 100_000
    total = rounds * size
    print(json.dumps({"summary": True, "tasks": total, "idle_rss_kib": idle, "idle_rss_anon_kib": idle_anon,
                      "rss_after_first_round_kib": rows[0]["rss_kib"], "rss_after_last_round_kib": rows[-1]["rss_kib"],
                      "max_rss_kib": max(x["rss_kib"] for x in rows),
                      "slope_kib_per_100k_tasks_after_round_1": round(s, 1),
                      "worker_cpu_us_per_task": round(cpu / total * 1e6, 1),
                      "tasks_per_s": round(total / rows[-1]["elapsed_s"])}), flush=True)


if __name__ == "__main__":
    main()
