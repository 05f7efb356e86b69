#!/usr/bin/python3
"""Camera events as the broker delivers them, timed in a process of their own.

bench:events runs the simulated cameras and the reference center in its own Node.js process,
whose event loop also serves 16 cameras' requests and video: a message the center holds has
waited for that loop and for the center's disk sync per message. This subscriber (Debian's
paho-mqtt, a peer camgate did not write) stamps each event when the broker hands it over: the
latency the box is answerable for.

    broker-tap.py HOST PORT CA CERT KEY TOPIC

Prints one line per message: "<unix seconds> <payload JSON>", flushed as it goes.
"""
import ssl
import sys
import time

import paho.mqtt.client as mqtt


def main() -> int:
    host, port, ca, cert, key, topic = sys.argv[1:7]
    client = mqtt.Client(client_id="bench-broker-tap", protocol=mqtt.MQTTv5)
    client.tls_set(ca_certs=ca, certfile=cert, keyfile=key, tls_version=ssl.PROTOCOL_TLS_CLIENT)

    def on_connect(client, _userdata, _flags, reason, _properties):
        if reason != 0:
            print(f"connect refused: {reason}", file=sys.stderr, flush=True)
            sys.exit(1)
        client.subscribe(topic, qos=1)

    def on_subscribe(_client, _userdata, _mid, _reasons, _properties):
        print("subscribed", file=sys.stderr, flush=True)

    def on_message(_client, _userdata, message):
        arrived = time.time()
        sys.stdout.write(f"{arrived:.6f} {message.payload.decode('utf-8')}\n")
        sys.stdout.flush()

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect(host, int(port), keepalive=30)
    client.loop_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
