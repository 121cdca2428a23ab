#!/usr/bin/env python3
"""A server that starts leaking CLOSE_WAIT sockets on command, for the alert scenarios.
Usage: leaky_server.py PORT LEAK

- listens on 127.0.0.1:PORT and first serves ordinary traffic: 20 request/response exchanges,
  each connection closed by both sides (the port is known to a monitor, at zero CLOSE_WAIT);
- prints {"ready": true, "port": PORT, "pid": PID};
- on the line "leak" on stdin, opens LEAK more connections to itself and closes their client
  ends at once; the accepted ends it keeps are never closed, so they stay in CLOSE_WAIT (the
  leak) until this process exits; prints {"leaking": LEAK, "pid": PID};
- exits when stdin closes or on SIGTERM: the kernel then closes every accepted end.
"""
import json, os, socket, sys

port, leak = int(sys.argv[1]), int(sys.argv[2])
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(4096)
addr = listener.getsockname()

for _ in range(20):
    c = socket.create_connection(addr)
    s, _peer = listener.accept()
    c.sendall(b"GET / HTTP/1.0\r\n\r\n")
    s.recv(1024)
    s.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
    c.recv(1024)
    c.close()
    s.close()
print(json.dumps({"ready": True, "port": addr[1], "pid": os.getpid()}), flush=True)

held = []
for line in sys.stdin:
    if line.strip() == "leak":
        for _ in range(leak):
            c = socket.create_connection(addr)
            held.append(listener.accept()[0])
            c.close()
        print(json.dumps({"leaking": len(held), "pid": os.getpid()}), flush=True)
