"""The Dramatiq side of Benchmarks/drain.sh: a no-op `add` actor on the benchmark's Redis."""
import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker

dramatiq.set_broker(RedisBroker(url=os.environ["DRAMATIQ_REDIS_URL"]))


@dramatiq.actor(max_retries=0)
def add(x, y):
    x + y  # no-op work; no Results middleware, so nothing is returned
