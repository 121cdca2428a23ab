#!/usr/bin/env python3
"""Short connections that each carry SIZE bytes from a local server to its client, for the lossy
path alert scenario.
Usage: bulk_fetch.py SIZE RATE PORT [PORT ...]

- listens on 127.0.0.1:PORT for each PORT; each accepted connection gets SIZE bytes and is closed
  by the server (which so ends in TIME_WAIT: its socket is destroyed, and reported in a sock_diag
  destroy event with its tcp_info, once its FIN is acknowledged and the client's has come);
- prints {"ready": true};
- on the line "start" on stdin, starts RATE connections per second to each PORT, each in a thread
  of its own (a connection that loses packets may wait on a retransmission timeout, and must not
  hold up the next): connect, read to the end, check SIZE bytes came, close;
- every second while running, prints {"started": {PORT: N}, "completed": {PORT: N}, "failed":
  {PORT: N}, "bytes": {PORT: N}} (completed: all SIZE bytes read and closed; failed: an error or
  a short read);
- on the line "stop", starts no more, waits up to 30 s for those in flight, prints the same with
  "done": true, and exits when stdin closes.
"""
import json, socket, sys, threading, time

size, rate, ports = int(sys.argv[1]), float(sys.argv[2]), [int(p) for p in sys.argv[3:]]
payload = b"b" * size
lock = threading.Lock()
stats = {k: {str(p): 0 for p in ports} for k in ("started", "completed", "failed", "bytes")}


def count(key, port, n=1):
    with lock:
        stats[key][str(port)] += n


def serve(listener):
    while True:
        s, _peer = listener.accept()
        threading.Thread(target=answer, args=(s,), daemon=True).start()


def answer(s):
    try:
        s.sendall(payload)
    except OSError:
        pass
    s.close()


def fetch(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
            n = 0
            while True:
                d = c.recv(65536)
                if not d:
                    break
                n += len(d)
        count("bytes", port, n)
        count("completed" if n == size else "failed", port)
    except OSError:
        count("failed", port)


for port in ports:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(4096)
    threading.Thread(target=serve, args=(listener,), daemon=True).start()
print(json.dumps({"ready": True}), flush=True)


def report(extra=None):
    with lock:
        line = json.dumps({**stats, **(extra or {})})
    print(line, flush=True)


running = threading.Event()


def drive():
    gap = 1 / rate
    next_at = time.monotonic()
    last_report = next_at
    workers = []
    while running.is_set():
        now = time.monotonic()
        if next_at > now:
            time.sleep(next_at - now)
        next_at = max(next_at, now) + gap
        for port in ports:
            count("started", port)
            t = threading.Thread(target=fetch, args=(port,), daemon=True)
            t.start()
            workers.append(t)
        workers = [t for t in workers if t.is_alive()]
        if time.monotonic() - last_report >= 1:
            last_report = time.monotonic()
            report()
    deadline = time.monotonic() + 30
    for t in workers:
        t.join(max(0, deadline - time.monotonic()))
    report({"done": True})


driver = None
for line in sys.stdin:
    if line.strip() == "start" and driver is None:
        running.set()
        driver = threading.Thread(target=drive)
        driver.start()
    elif line.strip() == "stop" and driver is not None:
        running.clear()
        driver.join()
