"""Interop check used by CeleryRedisTests (KombuInteropTests): kombu's own recovery of
unacknowledged messages on the keys we share with it.

  kombu_restore.py visible URL        kombu's `QoS.restore_visible` with a 1 s visibility
                                      timeout (as a Python worker runs it): pushes back every
                                      record in `unacked` older than that — ours too. Prints
                                      {"restored": N} (records that left `unacked`).
  kombu_restore.py crash URL QUEUE    takes one message from QUEUE with kombu (recorded in
                                      `unacked` by kombu, not acked) and exits at once without
                                      closing the channel, as a killed Python worker would.
                                      Prints {"delivery_tag": ...}.
"""
import json
import os
import sys

from kombu import Connection

mode, url = sys.argv[1], sys.argv[2]
with Connection(url, transport_options={"visibility_timeout": 1}) as conn:
    channel = conn.default_channel
    client = channel.client
    if mode == "visible":
        before = client.hlen(channel.unacked_key)
        channel.qos.restore_visible(num=1000)
        print(json.dumps({"restored": before - client.hlen(channel.unacked_key)}))
    elif mode == "crash":
        message = channel.basic_get(sys.argv[3], no_ack=False)
        if message is None:
            sys.exit("no message on " + sys.argv[3])
        print(json.dumps({"delivery_tag": message.delivery_tag}), flush=True)
        os._exit(0)  # no close: kombu would restore its unacked messages on a clean close
    else:
        sys.exit("unknown mode " + mode)
