#!/usr/bin/env python3
"""Closed connections at a set rate, for bench/connections.ts. Usage: close_load.py PORT

Listens on 127.0.0.1:PORT, prints {"ready": true}, then takes commands on stdin, one a line:
"run RATE SECONDS" opens, accepts and closes connections (client first, then the accepted end:
two destroyed sockets each) at RATE connections per second (0: as fast as it can) for SECONDS,
and prints {"connections": N, "seconds": S}. The listener stays open between runs, so its own
destruction never mixes with a measurement. Run it where net.ipv4.tcp_max_tw_buckets is 0: no
TIME_WAIT is kept, so the client ports are free again at once.
"""
import json, socket, sys, time

port = int(sys.argv[1])
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(4096)
addr = ("127.0.0.1", port)
print(json.dumps({"ready": True}), flush=True)

for line in sys.stdin:
    words = line.split()
    if not words or words[0] != "run":
        continue
    rate, seconds = float(words[1]), float(words[2])
    done = 0
    start = time.monotonic()
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= seconds:
            break
        if rate > 0 and done >= rate * elapsed:
            time.sleep(0.0005)
            continue
        for _ in range(10):
            c = socket.socket()
            c.connect(addr)
            a, _ = listener.accept()
            c.close()
            a.close()
        done += 10
    print(json.dumps({"connections": done, "seconds": time.monotonic() - start}), flush=True)
