#!/usr/bin/env python3
"""Starts a program the way systemd starts a socket-activated service (sd_listen_fds(3)): a TCP
socket listening on 127.0.0.1 (any free port) becomes the program's file descriptor 3, with
LISTEN_FDS=1 and LISTEN_PID set to the program's pid (this process, which execs the program).
Usage: socket_activate.py [--listen-pid=other] PROGRAM [ARGS...]
Prints {"port": P} on stdout, then execs PROGRAM. With --listen-pid=other, LISTEN_PID names
another process, as when the variables were inherited from an activated parent.
"""
import json, os, socket, sys

args = sys.argv[1:]
other = args[0] == '--listen-pid=other'
if other:
    args = args[1:]
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(('127.0.0.1', 0))
listener.listen(64)
print(json.dumps({'port': listener.getsockname()[1]}), flush=True)
if listener.fileno() != 3:
    os.dup2(listener.fileno(), 3)
os.set_inheritable(3, True)  # Python's sockets are close-on-exec
os.environ['LISTEN_FDS'] = '1'
os.environ['LISTEN_PID'] = str(os.getppid() if other else os.getpid())
os.execv(args[0], args)
