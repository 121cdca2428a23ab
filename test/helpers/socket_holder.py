#!/usr/bin/env python3
"""A process that holds TCP sockets in known states, for tests of per-process and per-namespace
attribution. Usage: socket_holder.py NAME ESTABLISHED CLOSE_WAIT [PORT] [TARGET_HOST:PORT:COUNT ...]

- renames itself NAME (prctl PR_SET_NAME: what /proc/<pid>/comm shows);
- listens on 127.0.0.1:PORT (0: any port), with ESTABLISHED connections to itself (both ends held);
- CLOSE_WAIT more connections whose client end is closed at once: the accepted ends it keeps stay
  in CLOSE_WAIT (it never closes them: the leak), the closed client ends go to FIN_WAIT2;
- COUNT connections to each TARGET, held open;
then prints {"ready": true, "port": P, "pid": PID} and sleeps until killed.
"""
import ctypes, json, os, socket, sys, time

name, established, close_wait = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
port = int(sys.argv[4]) if len(sys.argv) > 4 else 0
ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)

held = []
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(4096)
held.append(listener)
addr = listener.getsockname()
for _ in range(established):
    c = socket.create_connection(addr)
    held += [c, listener.accept()[0]]
for _ in range(close_wait):
    c = socket.create_connection(addr)
    held.append(listener.accept()[0])
    c.close()
for target in sys.argv[5:]:
    host, tport, count = target.rsplit(":", 2)
    for _ in range(int(count)):
        held.append(socket.create_connection((host, int(tport))))
print(json.dumps({"ready": True, "port": addr[1], "pid": os.getpid()}), flush=True)
while True:
    time.sleep(3600)
