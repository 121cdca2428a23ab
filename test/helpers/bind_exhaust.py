#!/usr/bin/env python3
"""Exhausts the ephemeral port range the way applications that bind() before connect() do.
Usage: bind_exhaust.py PORT [PORT ...]

Listens on 127.0.0.1:PORT for each PORT (accepting and holding every connection), then, round
robin over the first ports, bind()s a new socket to 127.0.0.1:0 and connects it, until bind()
fails. A socket bound this way holds its local port exclusively, whatever its destination
(inet_csk_get_port, net/ipv4/inet_connection_sock.c): once the range is used up, bind(0) fails
with EADDRINUSE, and a plain connect() to the last PORT (a destination none of them uses) fails
too, with EADDRNOTAVAIL (__inet_hash_connect, net/ipv4/inet_hashtables.c, skips ports that
bind() took). Prints {"held": N, "bindError": NAME, "plainConnectError": NAME or null}, then
obeys lines on stdin: "release" closes every connection, both ends, and prints {"released": N};
"probe" tries bind(0) + connect() and a plain connect() once and prints {"probe": {"bind": NAME
or null, "connect": NAME or null}} (null: it worked).
"""
import errno, json, socket, sys, threading

ports = [int(p) for p in sys.argv[1:]]
accepted = []


def serve(listener):
    while True:
        accepted.append(listener.accept()[0])


for port in ports:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(4096)
    threading.Thread(target=serve, args=(listener,), daemon=True).start()

destinations = ports[:-1] if len(ports) > 1 else ports
held, bind_error = [], None
while bind_error is None:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
    except OSError as e:
        bind_error = errno.errorcode.get(e.errno, str(e.errno))
        s.close()
        break
    s.connect(("127.0.0.1", destinations[len(held) % len(destinations)]))
    held.append(s)

plain_error = None
probe = socket.socket()
try:
    probe.connect(("127.0.0.1", ports[-1]))
except OSError as e:
    plain_error = errno.errorcode.get(e.errno, str(e.errno))
probe.close()
print(json.dumps({"held": len(held), "bindError": bind_error, "plainConnectError": plain_error}), flush=True)



def probe():
    """Whether bind(0) + connect() and a plain connect() to the last PORT work now (errno names or None)."""
    result = {}
    for kind in ("bind", "connect"):
        s = socket.socket()
        try:
            if kind == "bind":
                s.bind(("127.0.0.1", 0))
            s.connect(("127.0.0.1", ports[-1]))
            result[kind] = None
        except OSError as e:
            result[kind] = errno.errorcode.get(e.errno, str(e.errno))
        s.close()
    return result


for line in sys.stdin:
    command = line.strip()
    if command == "release":
        # Both ends, client first: the client ends go to TIME_WAIT (with the accepted ends left
        # open they would wait in FIN_WAIT2, still holding their ports, for tcp_fin_timeout).
        for s in held:
            s.close()
        for s in list(accepted):
            s.close()
        print(json.dumps({"released": len(held)}), flush=True)
        held = []
    elif command == "probe":
        print(json.dumps({"probe": probe()}), flush=True)
