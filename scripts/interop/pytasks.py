"""Python Celery 5 reference app for the interop tests: the same task names as our
bundled example tasks. Broker and backend come from CELERY_BROKER_URL and
CELERY_RESULT_BACKEND; JSON only."""
import os
import time

from celery import Celery
from kombu import Queue
from kombu.common import Broadcast

app = Celery("pytasks", broker=os.environ.get("CELERY_BROKER_URL"), backend=os.environ.get("CELERY_RESULT_BACKEND"))
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_extended=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
# sentinel:// URLs: Celery takes the master's name as a transport option (kombu's master_name).
if os.environ.get("INTEROP_SENTINEL_MASTER"):
    app.conf.broker_transport_options = {"master_name": os.environ["INTEROP_SENTINEL_MASTER"]}
    app.conf.result_backend_transport_options = {"master_name": os.environ["INTEROP_SENTINEL_MASTER"]}
# Where this worker sends tasks that name no queue (chain steps, callbacks, chord bodies).
if os.environ.get("INTEROP_DEFAULT_QUEUE"):
    app.conf.task_default_queue = os.environ["INTEROP_DEFAULT_QUEUE"]
bcast = os.environ.get("INTEROP_BROADCAST")
if bcast:
    app.conf.task_queues = (Queue(os.environ.get("INTEROP_QUEUE", "celery")), Broadcast(bcast))


@app.task(name="tasks.add")
def add(x, y):
    return x + y


@app.task(name="tasks.mul")
def mul(x, y):
    return x * y


@app.task(name="tasks.xsum")
def xsum(numbers):
    return sum(numbers)


@app.task(name="tasks.echo")
def echo(value):
    return value


@app.task(name="tasks.sleep")
def sleep(seconds):
    time.sleep(seconds)
    return seconds


@app.task(name="tasks.fail")
def fail(message):
    raise RuntimeError(message)
