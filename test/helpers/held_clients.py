#!/usr/bin/env python3
"""Client connections held open to local servers, sending data on command, for the black-holed
peer alert scenario.
Usage: held_clients.py PORT:COUNT [PORT:COUNT ...]

- listens on 127.0.0.1:PORT for each PORT and opens COUNT connections to it, held open (the
  client ends have a kernel-chosen local port, so the exporter counts them as role="client" by
  their remote port PORT); a thread per accepted end reads what arrives and throws it away, and
  the accepted ends never send, so only the client ends ever have data to retransmit;
- prints {"ready": true, "connections": {PORT: COUNT, ...}};
- on the line "send" on stdin, every client end sends 1000 bytes (they fit in the send buffer:
  send() returns at once whether or not the peer acknowledges) and it prints {"sent": N}, N the
  bytes each client end has sent so far;
- exits when stdin closes: the kernel closes every connection.
"""
import json, socket, sys, threading

wanted = [(int(p), int(n)) for p, n in (a.split(":") for a in sys.argv[1:])]


def drain(s):
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass


clients = []
for port, count in wanted:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    for _ in range(count):
        c = socket.create_connection(("127.0.0.1", port))
        threading.Thread(target=drain, args=(listener.accept()[0],), daemon=True).start()
        clients.append(c)
print(json.dumps({"ready": True, "connections": {str(p): n for p, n in wanted}}), flush=True)

sent = 0
for line in sys.stdin:
    if line.strip() == "send":
        for c in clients:
            c.sendall(b"d" * 1000)
        sent += 1000
        print(json.dumps({"sent": sent}), flush=True)
