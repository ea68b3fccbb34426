"""Interop check used by CeleryRedisTests (KombuInteropTests).

Consumes one message that swift-celery published on queue argv[2] with the real kombu
Redis transport, prints what kombu saw as JSON, acks it, then publishes one message with
kombu to queue argv[3] for the Swift side to consume.
"""
import json
import sys

from kombu import Connection, Producer

url, queue, reply_queue = sys.argv[1:4]
with Connection(url) as conn:
    sq = conn.SimpleQueue(queue)
    m = sq.get(timeout=10)
    print(json.dumps({
        "payload": m.payload,
        "headers": m.headers,
        "correlation_id": m.properties.get("correlation_id"),
        "content_type": m.content_type,
    }))
    m.ack()
    sq.close()
    producer = Producer(conn.default_channel)
    producer.publish(
        [[3, 4], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}],
        routing_key=reply_queue, serializer="json",
        headers={"lang": "py", "task": "tasks.add", "id": "py-1"}, correlation_id="py-1")
