#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Small traffic endpoints for the end-to-end tests.

Every mode writes its "ready"/"done" files atomically (write, then rename), so
the shell side can poll for them with a bounded wait instead of sleeping.

  tcp-server HOST PORT --ready F
      Accept one connection; answer each line "X" with "ACK X"; exit on EOF.
  tcp-client HOST PORT --ready F --trigger T --done D --mark M
      Connect and exchange one line ("HELLO"), then write F.  When T appears,
      send "M", wait for "ACK M", write D, then idle until killed.
  udp-recv HOST PORT --count N --ready F --done D
      Count datagrams until N arrived (or --timeout), write the count to D.
  udp-send HOST PORT --count N --size S --mark M [--interval SEC]
           [--name COMM] [--start FILE]
      Optionally rename the thread (prctl PR_SET_NAME) *before* making the
      socket, optionally wait for FILE, then send N datagrams of S bytes that
      start with M.
"""
import argparse
import ctypes
import os
import socket
import sys
import time

PR_SET_NAME = 15
WAIT_MAX = 120.0


def atomic_write(path, text):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def wait_file(path, limit=WAIT_MAX):
    end = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > end:
            sys.exit("peer: gave up waiting for %s" % path)
        time.sleep(0.05)


def tcp_server(a):
    s = socket.socket(family(a.host), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.host, a.port))
    s.listen(1)
    atomic_write(a.ready, "listening\n")
    c, _ = s.accept()
    f = c.makefile("rwb", buffering=0)
    for line in f:
        c.sendall(b"ACK " + line)


def tcp_client(a):
    c = socket.create_connection((a.host, a.port), timeout=30)
    f = c.makefile("rwb", buffering=0)
    c.sendall(b"HELLO\n")
    if f.readline() != b"ACK HELLO\n":
        sys.exit("peer: bad greeting reply")
    atomic_write(a.ready, "connected\n")
    wait_file(a.trigger)
    mark = a.mark.encode()
    c.sendall(mark + b"\n")
    reply = f.readline()
    if reply != b"ACK " + mark + b"\n":
        sys.exit("peer: bad reply %r" % reply)
    atomic_write(a.done, reply.decode())
    time.sleep(WAIT_MAX)


def udp_recv(a):
    s = socket.socket(family(a.host), socket.SOCK_DGRAM)
    s.bind((a.host, a.port))
    atomic_write(a.ready, "bound\n")
    n = 0
    end = time.monotonic() + a.timeout
    while n < a.count:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            s.recv(65535)
        except socket.timeout:
            break
        n += 1
    atomic_write(a.done, "%d\n" % n)


def udp_send(a):
    if a.name is not None:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_NAME, a.name.encode(), 0, 0, 0) != 0:
            sys.exit("peer: prctl failed: errno %d" % ctypes.get_errno())
    s = socket.socket(family(a.host), socket.SOCK_DGRAM)
    if a.start:
        wait_file(a.start)
    mark = a.mark.encode()
    payload = (mark + b"." * a.size)[:a.size]
    for i in range(a.count):
        s.sendto(payload, (a.host, a.port))
        if a.interval and i + 1 < a.count:
            time.sleep(a.interval)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)

    def add(name, fn):
        sp = sub.add_parser(name)
        sp.add_argument("host")
        sp.add_argument("port", type=int)
        sp.set_defaults(fn=fn)
        return sp

    sp = add("tcp-server", tcp_server)
    sp.add_argument("--ready", required=True)
    sp = add("tcp-client", tcp_client)
    for opt in ("--ready", "--trigger", "--done", "--mark"):
        sp.add_argument(opt, required=True)
    sp = add("udp-recv", udp_recv)
    sp.add_argument("--count", type=int, required=True)
    sp.add_argument("--ready", required=True)
    sp.add_argument("--done", required=True)
    sp.add_argument("--timeout", type=float, default=30.0)
    sp = add("udp-send", udp_send)
    sp.add_argument("--count", type=int, required=True)
    sp.add_argument("--size", type=int, required=True)
    sp.add_argument("--mark", required=True)
    sp.add_argument("--interval", type=float, default=0.0)
    sp.add_argument("--name")
    sp.add_argument("--start")
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
