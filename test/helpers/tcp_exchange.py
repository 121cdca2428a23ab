#!/usr/bin/env python3
"""Connections with a known exchange, for tests of the closed-connection counters.
Usage: tcp_exchange.py MODE COUNT PORT [HOLD]

Each connection: the client sends 5000 bytes and half-closes, the server reads to the end,
answers 300 bytes and closes, the client reads to the end and closes. Both sides see the other's
FIN before their socket goes, so every byte count is exact.

- sequential: COUNT connections one after another;
- burst: COUNT connections exchange their data and stay open, then the server closes them all and
  the clients close theirs at once: 2 x COUNT socket destroy events within milliseconds;
- hold: COUNT connections established and held; prints {"ready": true}, then takes commands on
  stdin, one a line: "send" (each client sends 1000 bytes, which the server ends leave unread)
  and "close" (the server ends read what was sent and close, the clients read to the end and
  close);
- unaccepted: COUNT clients connect and send 100 bytes each, never accepted; prints
  {"ready": true} and waits for a line on stdin; then 3 blocking connect()s to PORT + 1, where
  nothing listens (refused), then the listener closes with the clients in its accept queue (the
  kernel resets each), and the clients close.

The listener on 127.0.0.1:PORT stays open until the process ends (but in unaccepted). Prints {"done": true} when the
connections are closed, then sleeps until killed.
"""
import json, socket, sys, time

mode, count, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(4096)


def read_all(s):
    n = 0
    while True:
        d = s.recv(65536)
        if not d:
            return n
        n += len(d)


def open_pair():
    c = socket.create_connection(("127.0.0.1", port))
    return c, listener.accept()[0]


def exchange(c, a, close_server=True):
    c.sendall(b"x" * 5000)
    c.shutdown(socket.SHUT_WR)
    assert read_all(a) == 5000
    a.sendall(b"y" * 300)
    if close_server:
        a.close()


if mode == "sequential":
    for _ in range(count):
        c, a = open_pair()
        exchange(c, a)
        assert read_all(c) == 300
        c.close()
elif mode == "burst":
    pairs = [open_pair() for _ in range(count)]
    for c, a in pairs:
        exchange(c, a, close_server=False)
    for _, a in pairs:
        a.close()
    for c, _ in pairs:
        assert read_all(c) == 300
        c.close()
elif mode == "hold":
    pairs = [open_pair() for _ in range(count)]
    print(json.dumps({"ready": True}), flush=True)
    sent = 0
    for line in sys.stdin:
        if line.strip() == "send":
            for c, _ in pairs:
                c.sendall(b"z" * 1000)
            sent += 1000
            print(json.dumps({"sent": True}), flush=True)
        elif line.strip() == "close":
            for _, a in pairs:
                n = 0
                while n < sent:
                    n += len(a.recv(65536))
                a.close()
            for c, _ in pairs:
                read_all(c)
                c.close()
            break
elif mode == "unaccepted":
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    for c in clients:
        c.sendall(b"u" * 100)
    # The handshakes are complete (connect() returned), so every child is in the accept queue.
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()
    for _ in range(3):
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", port + 1))
        except ConnectionRefusedError:
            pass
        s.close()
    listener.close()
    for c in clients:
        try:
            c.recv(1)
        except ConnectionResetError:
            pass
        c.close()
else:
    sys.exit(f"unknown mode {mode}")
print(json.dumps({"done": True}), flush=True)
while True:
    time.sleep(3600)
