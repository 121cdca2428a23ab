#!/usr/bin/env python3
"""A listener that never accepts, and clients that keep connecting to it, for the alert scenarios.
Usage: backlog_flood.py PORT BACKLOG RATE

Listens on 127.0.0.1:PORT with listen(BACKLOG) and never calls accept(). The accept queue holds
BACKLOG + 1 connections (sk_acceptq_is_full, include/net/sock.h: full when the queue is longer
than the backlog); every SYN after that is dropped and counted as ListenOverflows and ListenDrops
(tcp_conn_request, net/ipv4/tcp_input.c), and the client retransmits it. Clients start RATE
non-blocking connects per second; each is kept 10 s (its SYN retransmitted meanwhile) and then
closed. Prints {"ready": true} and then {"started": N} every second until killed.
"""
import json, socket, sys, time

port, backlog, rate = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(backlog)
print(json.dumps({"ready": True}), flush=True)

clients, started, t0 = [], 0, time.monotonic()
last_report = t0
while True:
    delay = t0 + started / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", port))
    clients.append((time.monotonic(), c))
    started += 1
    while clients and time.monotonic() - clients[0][0] > 10:
        clients.pop(0)[1].close()
    if time.monotonic() - last_report >= 1:
        last_report = time.monotonic()
        print(json.dumps({"started": started}), flush=True)
