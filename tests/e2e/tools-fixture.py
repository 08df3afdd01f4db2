#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write a small netrec capture directory with known packets and indexes.

    tools-fixture.py DIR

DIR gets chunks as netrec writes them (nanosecond pcap or pcapng,
LINKTYPE_NULL) and, beside each, its sidecar index as docs/INDEX.md
describes it, with the offsets, counts and SHA-256 of what was written.
Times start at T0 (printed on stdout as "T0=<seconds>").

    curl-4242.pcap            curl: DNS lookup (flow B), HTTP to
                              93.184.216.34 (flow A), TLS over IPv6 (C)
    curl-4242.1.pcap.zst      the rest of A, a ping (D); chunk and index
                              compressed with the zstd CLI
    nc-300.pcap               nc <-> python3 on this host: TCP 8080 (E1),
    python3-200.pcap          UDP 9999 (F1), and the same packets as the
                              server saw them (E2, F2), 3 us later
    web/nginx-500.pcapng      container "web": HTTP to nginx (G), pcapng
    dig-600.pcap              dig (H); its index was cut short (no end
                              line) and has two bad lines (3 and 4)
    ssh-700.pcap              sshd (I), a day before T0

Each flow's uid names it: CflowA..., CdnsB..., and so on.
"""

import hashlib
import json
import os
import socket
import struct
import subprocess
import sys

T0 = 1763787000  # 2025-11-22T04:50:00Z
US = 1000
SEC = 1000000000
AF_INET_NULL = 2
AF_INET6_NULL = 24  # BSD's, as netrec writes it


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_bytes(addr):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    return socket.inet_pton(fam, addr)


def l4_csum(src, dst, proto, seg):
    s, d = ip_bytes(src), ip_bytes(dst)
    if len(s) == 4:
        pseudo = s + d + struct.pack("!BBH", 0, proto, len(seg))
    else:
        pseudo = s + d + struct.pack("!IxxxB", len(seg), proto)
    return csum(pseudo + seg)


def tcp(sport, dport, seq, ack, flags, payload=b""):
    fl = 0
    for c, bit in zip("FSRPA", (1, 2, 4, 8, 16)):
        if c in flags:
            fl |= bit
    return 6, struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4,
                          fl, 65535, 0, 0) + payload


def udp(sport, dport, payload):
    return 17, struct.pack("!HHHH", sport, dport, 8 + len(payload),
                           0) + payload


def icmp(typ, code, ident, seq, payload=b"0123456789abcdef"):
    h = struct.pack("!BBHHH", typ, code, 0, ident, seq) + payload
    return 1, h[:2] + struct.pack("!H", csum(h)) + h[4:]


def ip_packet(src, dst, l4, ident=1):
    proto, seg = l4
    if proto in (6, 17):
        off = 16 if proto == 6 else 6
        c = l4_csum(src, dst, proto, seg)
        seg = seg[:off] + struct.pack("!H", c) + seg[off + 2:]
    if ":" in src:
        hdr = struct.pack("!IHBB", 6 << 28, len(seg), proto, 64)
        return AF_INET6_NULL, hdr + ip_bytes(src) + ip_bytes(dst) + seg
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), ident,
                      0x4000, 64, proto, 0, ip_bytes(src), ip_bytes(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return AF_INET_NULL, hdr + seg


def dns_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_msg(ident, name, answers=()):
    """A query, or with answers [(type, data)] a response."""
    flags = 0x8180 if answers else 0x0100
    m = struct.pack("!HHHHHH", ident, flags, 1, len(answers), 0, 0)
    m += dns_name(name) + struct.pack("!HH", 1, 1)
    owner = name
    for typ, data in answers:
        if typ == "CNAME":
            rdata = dns_name(data)
            m += dns_name(owner) + struct.pack("!HHIH", 5, 1, 300,
                                               len(rdata)) + rdata
            owner = data
        else:
            rdata = socket.inet_aton(data)
            m += dns_name(owner) + struct.pack("!HHIH", 1, 1, 60, 4) + rdata
    return m


class Flow:
    def __init__(self, uid, proto, orig, resp, local="orig", owner=None,
                 names=None, container=None, state="SF", history="ShADadFf",
                 closed=True):
        self.uid, self.proto = uid, proto
        self.orig, self.resp = orig, resp
        self.local, self.owner = local, owner or {}
        self.names, self.container = names, container
        self.state, self.history, self.closed = state, history, closed
        self.first_ever = None


class Slice:
    def __init__(self, flow):
        self.flow = flow
        self.pkts, self.bytes, self.ip_bytes = [0, 0], [0, 0], [0, 0]
        self.first_off = self.last_off = None
        self.first_ts = self.last_ts = None


def payload_len(fam, ip):
    if fam == AF_INET_NULL:
        ihl = (ip[0] & 15) * 4
        proto, total = ip[9], struct.unpack("!H", ip[2:4])[0]
    else:
        ihl, proto = 40, ip[6]
        total = 40 + struct.unpack("!H", ip[4:6])[0]
    if proto == 6:
        return total - ihl - (ip[ihl + 12] >> 4) * 4, total
    if proto == 17:
        return total - ihl - 8, total
    return total - ihl - 8, total


class Chunk:
    def __init__(self, root, rel, key, fmt="pcap", split="process"):
        self.root, self.rel, self.key = root, rel, key
        self.fmt, self.split = fmt, split
        self.data = bytearray()
        self.slices, self.order = {}, []
        self.dns, self.http = [], []
        self.times, self.pending, self.frame_bytes = [], [], 0
        if fmt == "pcap":
            self.data += struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0,
                                     65535, 0)
        else:
            shb = struct.pack("<I", 0x0A0D0D0A) + struct.pack("<I", 28) + \
                struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + \
                struct.pack("<I", 28)
            # IDB: linktype 0 (NULL), snaplen, if_tsresol 9, end of opts.
            opts = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
            body = struct.pack("<HHI", 0, 0, 65535) + opts
            idb = struct.pack("<II", 1, 12 + len(body)) + body + \
                struct.pack("<I", 12 + len(body))
            self.data += shb + idb

    def packet(self, ts, src, dst, l4, flow=None, ident=1, dns=None,
               http=None):
        """Queued: written in time order, as netrec writes."""
        fam, ip = ip_packet(src[0], dst[0], l4, ident)
        self.pending.append((ts, len(self.pending), fam, ip, flow, dns, http))

    def layout(self):
        for ts, _, fam, ip, flow, dns, http in sorted(self.pending,
                                                      key=lambda x: x[:2]):
            off = self.raw(ts, fam, ip, flow)
            if dns:
                self.dns_line(ts, off, flow, *dns)
            if http:
                http["offset"] = off
                self.http.append(http)

    def raw(self, ts, fam, ip, flow=None):
        frame = struct.pack("<I", fam) + ip
        off = len(self.data)
        self.frame_bytes += len(frame)
        if self.fmt == "pcap":
            self.data += struct.pack("<IIII", ts // SEC, ts % SEC,
                                     len(frame), len(frame)) + frame
        else:
            pad = (-len(frame)) % 4
            blen = 32 + len(frame) + pad
            self.data += struct.pack("<IIIIIII", 6, blen, 0, ts >> 32,
                                     ts & 0xFFFFFFFF, len(frame),
                                     len(frame)) + frame + b"\0" * pad + \
                struct.pack("<I", blen)
        self.times.append(ts)
        if not flow:
            return off
        s = self.slices.get(flow.uid)
        if not s:
            s = self.slices[flow.uid] = Slice(flow)
            self.order.append(flow.uid)
        src_h = socket.inet_ntop(socket.AF_INET6 if fam == AF_INET6_NULL
                                 else socket.AF_INET,
                                 ip[8:24] if fam == AF_INET6_NULL
                                 else ip[12:16])
        side = 0 if (src_h == flow.orig[0] and
                     (flow.orig[0] != flow.resp[0] or
                      l4_port(ip, fam) == flow.orig[1])) else 1
        plen, total = payload_len(fam, ip)
        s.pkts[side] += 1
        s.bytes[side] += plen
        s.ip_bytes[side] += total
        if s.first_off is None:
            s.first_off, s.first_ts = off, ts
        s.last_off, s.last_ts = off, ts
        if flow.first_ever is None:
            flow.first_ever = ts
        return off

    def dns_line(self, ts, off, flow, qr, ident, query, answers=()):
        d = {"type": "dns", "ts": ts / SEC, "uid": flow.uid,
             "proto": "udp", "id.orig_h": flow.orig[0],
             "id.orig_p": flow.orig[1], "id.resp_h": flow.resp[0],
             "id.resp_p": flow.resp[1], "qr": qr, "trans_id": ident,
             "query": query, "qclass": 1, "qclass_name": "C_INTERNET",
             "qtype": 1, "qtype_name": "A"}
        if qr:
            d.update(rcode=0, rcode_name="NOERROR",
                     answers=[a[1] for a in answers],
                     answer_types=[a[0] for a in answers],
                     TTLs=[300 if a[0] == "CNAME" else 60 for a in answers])
        for k in ("pid", "comm"):
            if k in flow.owner:
                d[k] = flow.owner[k]
        d["offset"] = off
        self.dns.append(d)

    def flow_line(self, s):
        f = s.flow
        d = {"type": "flow", "uid": f.uid,
             "community_id": "1:fixture" + f.uid[-4:] + "=",
             "proto": f.proto, "id.orig_h": f.orig[0],
             "id.orig_p": f.orig[1], "id.resp_h": f.resp[0],
             "id.resp_p": f.resp[1], "orig_known": True,
             "local": f.local, "ts": f.first_ever / SEC,
             "duration": (s.last_ts - f.first_ever) / SEC,
             "first_ts": s.first_ts / SEC, "last_ts": s.last_ts / SEC,
             "orig_pkts": s.pkts[0], "orig_bytes": s.bytes[0],
             "orig_ip_bytes": s.ip_bytes[0], "resp_pkts": s.pkts[1],
             "resp_bytes": s.bytes[1], "resp_ip_bytes": s.ip_bytes[1],
             "conn_state": f.state, "history": f.history,
             "closed": f.closed, "cookie": 1000 + len(f.uid)}
        d.update(f.owner)
        if f.container:
            d["container_id"], d["container_name"] = f.container
            d["cgroup"] = "/system.slice/docker-%s.scope" % f.container[0]
        if f.names:
            d["names"] = f.names
        d["first_offset"], d["last_offset"] = s.first_off, s.last_off
        return d

    def chunk_line(self, event):
        d = {"type": "chunk", "event": event, "schema": 1,
             "file": self.rel, "key": self.key, "split": self.split,
             "format": self.fmt, "ts": min(self.times) / SEC}
        return d

    def run_info(self, d):
        d.update(snaplen=65535, host="fixture", kernel="6.18.0",
                 version="0.1.0", options="-w fixture")
        return d

    def write(self, compress=False, cut=False, bad_lines=()):
        self.layout()
        path = os.path.join(self.root, self.rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(self.data)
        lines = [self.run_info(self.chunk_line("start"))]
        lines += [self.flow_line(self.slices[u]) for u in self.order]
        lines += self.dns + self.http
        end = self.chunk_line("end")
        nflows = len(self.order)
        end.update({"end": max(self.times) / SEC,
                    "packets": len(self.times),
                    "bytes": self.frame_bytes,
                    "size": len(self.data),
                    "lost": {"perf": 0, "output": 0, "disk": 0},
                    "index_complete": True, "unindexed": 0,
                    "flows": nflows, "dns": len(self.dns),
                    "http": len(self.http),
                    "sha256": hashlib.sha256(self.data).hexdigest()})
        text = [json.dumps(x, separators=(",", ":")) for x in lines]
        for lineno, bad in bad_lines:
            text.insert(lineno - 1, bad)
        if not cut:
            text.append(json.dumps(self.run_info(end),
                                   separators=(",", ":")))
        idx = path + ".idx.jsonl"
        with open(idx, "w") as f:
            f.write("\n".join(text) + "\n")
        if compress:
            for p in (path, idx):
                subprocess.run(["zstd", "-q", "--rm", "-f", p], check=True)


def l4_port(ip, fam):
    ihl = 40 if fam == AF_INET6_NULL else (ip[0] & 15) * 4
    return struct.unpack("!H", ip[ihl:ihl + 2])[0]


def at(sec, us=0):
    return (T0 + sec) * SEC + us * US


CURL = {"pid": 4242, "comm": "curl", "exe": "/usr/bin/curl", "user_id": 1000}
NC = {"pid": 300, "comm": "nc", "exe": "/usr/bin/nc.openbsd", "user_id": 1000}
PY = {"pid": 200, "comm": "python3", "exe": "/usr/bin/python3.11",
      "user_id": 0}
NGINX = {"pid": 500, "comm": "nginx", "exe": "/usr/sbin/nginx", "user_id": 33}
DIG = {"pid": 600, "comm": "dig", "exe": "/usr/bin/dig", "user_id": 1000}
SSHD = {"pid": 700, "comm": "sshd", "exe": "/usr/sbin/sshd", "user_id": 0}
CTR = ("c0ffee1234567890abcdef1234567890abcdef1234567890abcdef1234567890",
       "web")


def curl_chunks(root):
    me, dns_srv = ("10.0.0.1", 51515), ("10.0.0.53", 53)
    web, me_a = ("93.184.216.34", 80), ("10.0.0.1", 40112)
    me6, v6 = ("fd00::1", 40200), ("fd00::2", 443)
    b = Flow("CdnsB00000000001", "udp", me, dns_srv, owner=CURL,
             state="SF", history="Dd")
    a = Flow("CflowA0000000001", "tcp", me_a, web, owner=CURL,
             names=["www.example.com"])
    c = Flow("CflowC0000000001", "tcp", me6, v6, owner=CURL,
             names=["v6.example.org"], state="S1", history="ShAD",
             closed=False)
    k = Chunk(root, "curl-4242.pcap", "curl-4242")
    q = dns_msg(0x1234, "www.example.com")
    r = dns_msg(0x1234, "www.example.com", [("A", "93.184.216.34")])
    k.packet(at(0, 100000), me, dns_srv, udp(51515, 53, q), b,
             dns=(False, 0x1234, "www.example.com"))
    k.packet(at(0, 150000), me6, v6, tcp(40200, 443, 1, 0, "S"), c)
    k.packet(at(0, 100200), dns_srv, me, udp(53, 51515, r), b,
             dns=(True, 0x1234, "www.example.com",
                  [("A", "93.184.216.34")]))
    k.packet(at(0, 150030), v6, me6, tcp(443, 40200, 1, 2, "SA"), c)
    k.packet(at(0, 200000), me_a, web, tcp(40112, 80, 100, 0, "S"), a, 11)
    k.packet(at(0, 200050), web, me_a, tcp(80, 40112, 500, 101, "SA"), a,
             12)
    k.packet(at(0, 200060), me_a, web, tcp(40112, 80, 101, 501, "A"), a, 13)
    get = b"GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n"
    k.packet(at(0, 200100), me_a, web, tcp(40112, 80, 101, 501, "PA", get),
             a, 14)
    k.packet(at(0, 250000), me6, v6, tcp(40200, 443, 2, 2, "PA",
                                         b"\x16\x03\x01hello"), c)
    k.packet(at(0, 300000), web, me_a,
             tcp(80, 40112, 501, 101 + len(get), "PA",
                 b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 100), a, 15)
    k.packet(at(1, 0), me_a, web, tcp(40112, 80, 101 + len(get), 621, "A"),
             a, 16)
    k.packet(at(1, 500000), v6, me6, tcp(443, 40200, 2, 11, "A"), c)
    k.write()
    k2 = Chunk(root, "curl-4242.1.pcap", "curl-4242")
    k2.packet(at(10, 0), web, me_a,
              tcp(80, 40112, 621, 101 + len(get), "PA", b"y" * 200), a, 17)
    k2.packet(at(10, 100), me_a, web,
              tcp(40112, 80, 101 + len(get), 821, "A"), a, 18)
    d = Flow("CflowD0000000001", "icmp", ("10.0.0.1", 8), ("10.0.0.9", 0),
             owner=CURL, state="OTH", history="")
    k2.packet(at(11, 0), ("10.0.0.1",), ("10.0.0.9",), icmp(8, 0, 77, 1), d)
    k2.packet(at(10, 500000), me_a, web,
              tcp(40112, 80, 101 + len(get), 821, "FA"), a, 19)
    k2.packet(at(10, 500050), web, me_a,
              tcp(80, 40112, 821, 102 + len(get), "FA"), a, 20)
    k2.packet(at(10, 500060), me_a, web,
              tcp(40112, 80, 102 + len(get), 822, "A"), a, 21)
    k2.packet(at(11, 400), ("10.0.0.9",), ("10.0.0.1",), icmp(0, 0, 77, 1),
              d)
    k2.write(compress=True)


def local_chunks(root):
    """nc and python3 talking on this host: every packet in both files."""
    cli, srv = ("10.0.0.1", 50000), ("10.0.0.1", 8080)
    ucli, usrv = ("10.0.0.1", 50001), ("10.0.0.1", 9999)
    e1 = Flow("CflowE1000000001", "tcp", cli, srv, "orig", NC)
    e2 = Flow("CflowE2000000001", "tcp", cli, srv, "resp", PY)
    f1 = Flow("CflowF1000000001", "udp", ucli, usrv, "orig", NC,
              state="S0", history="D")
    f2 = Flow("CflowF2000000001", "udp", ucli, usrv, "resp", PY,
              state="S0", history="D")
    knc = Chunk(root, "nc-300.pcap", "nc-300")
    kpy = Chunk(root, "python3-200.pcap", "python3-200")
    seq = [  # (time in us after 20 s, from client?, l4, ip id)
        (0, True, tcp(50000, 8080, 1, 0, "S"), 101),
        (100, False, tcp(8080, 50000, 7, 2, "SA"), 201),
        (200, True, tcp(50000, 8080, 2, 8, "A"), 102),
        (1000, True, tcp(50000, 8080, 2, 8, "PA", b"hello\n"), 103),
        (2000, False, tcp(8080, 50000, 8, 8, "PA", b"world\n"), 202),
        (3000, True, tcp(50000, 8080, 8, 14, "FA"), 104),
        (3100, False, tcp(8080, 50000, 14, 9, "FA"), 203),
        (3200, True, tcp(50000, 8080, 9, 15, "A"), 105),
    ]
    for us, from_cli, l4, ident in seq:
        s, d = (cli, srv) if from_cli else (srv, cli)
        snd, rcv = (knc, kpy) if from_cli else (kpy, knc)
        fs, fr = (e1, e2) if from_cli else (e2, e1)
        snd.packet(at(20, us), s, d, l4, fs, ident)
        rcv.packet(at(20, us + 3), s, d, l4, fr, ident)
    # The same datagram twice, 100 us apart: two packets, two copies each.
    for us in (10000, 10100):
        knc.packet(at(20, us), ucli, usrv, udp(50001, 9999, b"ping"), f1, 7)
        kpy.packet(at(20, us + 3), ucli, usrv, udp(50001, 9999, b"ping"),
                   f2, 7)
    knc.write()
    kpy.write()


def nginx_chunk(root):
    cli, srv = ("172.17.0.1", 33000), ("172.17.0.2", 80)
    g = Flow("CflowG0000000001", "tcp", cli, srv, "resp", NGINX,
             container=CTR)
    k = Chunk(root, "web/nginx-500.pcapng", "web/nginx-500", "pcapng",
              "container,process")
    k.packet(at(30, 0), cli, srv, tcp(33000, 80, 1, 0, "S"), g)
    k.packet(at(30, 40), srv, cli, tcp(80, 33000, 9, 2, "SA"), g)
    k.packet(at(30, 80), cli, srv, tcp(33000, 80, 2, 10, "A"), g)
    req = b"GET /status HTTP/1.1\r\nHost: web.internal\r\n\r\n"
    http = {"type": "http", "ts": at(30, 120) / SEC, "uid": g.uid,
            "id.orig_h": cli[0], "id.orig_p": cli[1],
            "id.resp_h": srv[0], "id.resp_p": srv[1],
            "is_response": False, "method": "GET", "uri": "/status",
            "version": "1.1", "host": "web.internal", "pid": 500,
            "comm": "nginx"}
    k.packet(at(30, 120), cli, srv, tcp(33000, 80, 2, 10, "PA", req), g,
             http=http)
    k.packet(at(30, 500), srv, cli,
             tcp(80, 33000, 10, 2 + len(req), "PA",
                 b"HTTP/1.1 200 OK\r\n\r\nok"), g)
    k.write()


def dig_chunk(root):
    me, srv = ("10.0.0.1", 53000), ("10.0.0.53", 53)
    h = Flow("CflowH0000000001", "udp", me, srv, owner=DIG, history="Dd")
    k = Chunk(root, "dig-600.pcap", "dig-600")
    ans = [("CNAME", "cdn.evil.example.net"), ("A", "203.0.113.7")]
    k.packet(at(40, 0), me, srv,
             udp(53000, 53, dns_msg(0x4321, "evil.example.net")), h,
             dns=(False, 0x4321, "evil.example.net"))
    k.packet(at(40, 300), srv, me,
             udp(53, 53000, dns_msg(0x4321, "evil.example.net", ans)), h,
             dns=(True, 0x4321, "evil.example.net", ans))
    k.write(cut=True, bad_lines=[
        (3, '{"type":"flow","uid":"Ctrunc'),
        (4, '{"type":"flow","uid":"CbadNoAddr","proto":"tcp"}'),
    ])


def ssh_chunk(root):
    cli, srv = ("192.168.1.50", 60000), ("10.0.0.1", 22)
    i = Flow("CflowI0000000001", "tcp", cli, srv, "resp", SSHD,
             state="S1", history="ShAD", closed=False)
    k = Chunk(root, "ssh-700.pcap", "ssh-700")
    k.packet(at(-86400, 0), cli, srv, tcp(60000, 22, 1, 0, "S"), i)
    k.packet(at(-86400, 90), srv, cli, tcp(22, 60000, 5, 2, "SA"), i)
    k.packet(at(-86400, 200), cli, srv,
             tcp(60000, 22, 2, 6, "PA", b"SSH-2.0-x\r\n"), i)
    k.write()


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    root = argv[1]
    os.makedirs(root, exist_ok=True)
    curl_chunks(root)
    local_chunks(root)
    nginx_chunk(root)
    dig_chunk(root)
    ssh_chunk(root)
    print("T0=%d" % T0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
