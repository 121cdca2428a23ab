#!/usr/bin/env python3
"""Short connections to one local server, closed by the client first, for the alert scenarios.
Usage: tcp_churn.py PORT PHASE [PHASE ...]  where PHASE is COUNTxRATE (COUNT connects at RATE
per second) or sleep:SECONDS.

A server thread listens on 127.0.0.1:PORT, reads each accepted connection to EOF and closes it.
The client connect()s without bind() (the kernel picks the local port from ip_local_port_range)
and closes at once, so each connection ends in TIME_WAIT on the client side: the active closer
holds its local port for the TIME_WAIT period (60 s on Linux) unless tcp_tw_reuse lets connect()
take it over. Prints {"ready": true} once listening; then {"connects": N, "failed": F, "errors":
{errno name: count}} at the start of each phase (with "phase": its index), every second, and
when all phases are done (with "done": true); then waits until stdin closes.
"""
import errno, json, socket, sys, threading, time

port = int(sys.argv[1])
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(4096)


def serve():
    while True:
        s, _peer = listener.accept()
        threading.Thread(target=drain, args=(s,), daemon=True).start()


def drain(s):
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    s.close()


threading.Thread(target=serve, daemon=True).start()
print(json.dumps({"ready": True}), flush=True)

stats = {"connects": 0, "failed": 0, "errors": {}}
last_report = time.monotonic()


def report(extra=None):
    print(json.dumps({**stats, **(extra or {})}), flush=True)


for index, phase in enumerate(sys.argv[2:]):
    report({"phase": index})
    if phase.startswith("sleep:"):
        time.sleep(float(phase[6:]))
        continue
    count, rate = phase.split("x")
    gap = 1 / float(rate)
    next_at = time.monotonic()
    for i in range(int(count)):
        # Never faster than RATE, even after a stall (a burst could use up the range and make
        # connects fail that the scenario means to succeed): slower only when starved of CPU.
        now = time.monotonic()
        if next_at > now:
            time.sleep(next_at - now)
        next_at = max(next_at, now) + gap
        c = socket.socket()
        try:
            c.connect(("127.0.0.1", port))
            stats["connects"] += 1
        except OSError as e:
            stats["failed"] += 1
            name = errno.errorcode.get(e.errno, str(e.errno))
            stats["errors"][name] = stats["errors"].get(name, 0) + 1
        finally:
            c.close()
        if time.monotonic() - last_report >= 1:
            last_report = time.monotonic()
            report()

report({"done": True})
sys.stdin.read()
