#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read netrec's pcap files with nothing but the standard library.

  pcaptool.py check FILE         key=value lines: format and per-packet checks
  pcaptool.py dump FILE          one tab-separated line per packet
  pcaptool.py grep FILE STRING   number of packets whose bytes hold STRING

netrec writes nanosecond pcap, link-type NULL: each packet starts with a
4-byte address family in host byte order (2 = IPv4, 24 = IPv6) and then the
IP header.  "check" verifies, for every packet:
  ts_sorted   timestamps never go backwards
  family_ok   the NULL header is 2 for an IPv4 packet and 24 for an IPv6 one
  len_ok      original length == 4 + the IP header's total length
              (IPv6: 4 + 40 + payload length)
  cap_ok      4 <= captured length <= original length, <= file snaplen
  whole       captured length == original length (except for packets longer
              than the recorder's NR_MAX_CAPLEN, 65280 bytes of IP)
"""
import socket
import struct
import sys

MAGIC_NS = 0xA1B23C4D
MAGIC_US = 0xA1B2C3D4
NR_MAX_CAPLEN = 65280
AF_NULL_INET = 2
AF_NULL_INET6 = 24


class PcapError(Exception):
    pass


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise PcapError("file shorter than a pcap global header (%d bytes)"
                        % len(data))
    for endian in "<>":
        (magic,) = struct.unpack(endian + "I", data[:4])
        if magic in (MAGIC_NS, MAGIC_US):
            break
    else:
        raise PcapError("bad magic %s" % data[:4].hex())
    _, vmaj, vmin, _, _, snaplen, linktype = struct.unpack(
        endian + "IHHiIII", data[:24])
    hdr = {
        "endian": endian,
        "nsec": magic == MAGIC_NS,
        "version": "%d.%d" % (vmaj, vmin),
        "snaplen": snaplen,
        "linktype": linktype,
    }
    pkts = []
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            raise PcapError("truncated record header at offset %d" % off)
        sec, frac, incl, orig = struct.unpack(endian + "IIII",
                                              data[off:off + 16])
        off += 16
        if off + incl > len(data):
            raise PcapError("record %d: truncated data at offset %d"
                            % (len(pkts) + 1, off))
        ts = sec * 10**9 + (frac if hdr["nsec"] else frac * 1000)
        pkts.append((ts, incl, orig, data[off:off + incl]))
        off += incl
    return hdr, pkts


def parse(pkt):
    """Decode what the captured bytes allow; -1 / '-' for what they don't."""
    ts, incl, orig, b = pkt
    p = {
        "ts": ts, "incl": incl, "orig": orig, "fam": -1, "ver": -1,
        "proto": -1, "src": "-", "dst": "-", "sport": -1, "dport": -1,
        "iphl": -1, "iplen": -1, "l4hl": -1, "paylen": -1, "tcpflags": -1,
        "icmptype": -1,
    }
    if len(b) < 4:
        return p
    p["fam"] = int.from_bytes(b[:4], sys.byteorder)
    ip = b[4:]
    if not ip:
        return p
    p["ver"] = ip[0] >> 4
    if p["ver"] == 4 and len(ip) >= 20:
        p["iphl"] = (ip[0] & 15) * 4
        p["iplen"] = struct.unpack(">H", ip[2:4])[0]
        p["proto"] = ip[9]
        p["src"] = socket.inet_ntop(socket.AF_INET, ip[12:16])
        p["dst"] = socket.inet_ntop(socket.AF_INET, ip[16:20])
    elif p["ver"] == 6 and len(ip) >= 40:
        p["iphl"] = 40
        p["iplen"] = 40 + struct.unpack(">H", ip[4:6])[0]
        p["proto"] = ip[6]
        p["src"] = socket.inet_ntop(socket.AF_INET6, ip[8:24])
        p["dst"] = socket.inet_ntop(socket.AF_INET6, ip[24:40])
    else:
        return p
    l4 = ip[p["iphl"]:]
    if p["proto"] in (6, 17) and len(l4) >= 4:
        p["sport"], p["dport"] = struct.unpack(">HH", l4[:4])
    if p["proto"] == 6 and len(l4) >= 14:
        p["l4hl"] = (l4[12] >> 4) * 4
        p["tcpflags"] = l4[13]
    elif p["proto"] == 17:
        p["l4hl"] = 8
    elif p["proto"] in (1, 58):
        p["l4hl"] = 8
        if l4:
            p["icmptype"] = l4[0]
    if p["l4hl"] >= 0:
        p["paylen"] = p["iplen"] - p["iphl"] - p["l4hl"]
    return p


def cmd_check(path):
    out = {"file": path}
    try:
        hdr, pkts = read_pcap(path)
    except (OSError, PcapError) as e:
        out.update(ok=0, error=str(e).replace("\n", " "))
        return out
    out.update(ok=1, magic="nsec" if hdr["nsec"] else "usec",
               byteorder="little" if hdr["endian"] == "<" else "big",
               version=hdr["version"], snaplen=hdr["snaplen"],
               linktype=hdr["linktype"], count=len(pkts))
    flags = dict(ts_sorted=1, family_ok=1, len_ok=1, cap_ok=1, whole=1)
    bad = []
    truncated = 0
    max_incl = 0
    last = None
    for i, pkt in enumerate(pkts, 1):
        p = parse(pkt)
        ts, incl, orig = p["ts"], p["incl"], p["orig"]
        max_incl = max(max_incl, incl)
        if incl < orig:
            truncated += 1

        def fail(key, why):
            if flags[key]:
                bad.append("%s: packet %d: %s" % (key, i, why))
            flags[key] = 0

        if last is not None and ts < last:
            fail("ts_sorted", "%d.%09d < previous %d.%09d" % (
                ts // 10**9, ts % 10**9, last // 10**9, last % 10**9))
        last = ts
        want_fam = {4: AF_NULL_INET, 6: AF_NULL_INET6}.get(p["ver"])
        if want_fam is None or p["fam"] != want_fam:
            fail("family_ok", "NULL header %d, IP version %d"
                 % (p["fam"], p["ver"]))
        if p["iplen"] < 0 or orig != 4 + p["iplen"]:
            fail("len_ok", "original length %d, IP length %d"
                 % (orig, p["iplen"]))
        if incl < 4 or incl > orig or incl > hdr["snaplen"]:
            fail("cap_ok", "captured %d, original %d, snaplen %d"
                 % (incl, orig, hdr["snaplen"]))
        if incl != orig and orig <= 4 + NR_MAX_CAPLEN:
            fail("whole", "captured %d of %d" % (incl, orig))
    out.update(flags)
    out.update(truncated=truncated, max_incl=max_incl,
               bad="; ".join(bad))
    return out


FIELDS = ("idx", "ts", "incl", "orig", "fam", "ver", "proto", "src", "dst",
          "sport", "dport", "iphl", "iplen", "l4hl", "paylen", "tcpflags",
          "icmptype")


def main(argv):
    if len(argv) < 3 or argv[1] not in ("check", "dump", "grep"):
        sys.stderr.write(__doc__)
        return 2
    cmd, path = argv[1], argv[2]
    if cmd == "check":
        for k, v in cmd_check(path).items():
            print("%s=%s" % (k, v))
        return 0
    try:
        _, pkts = read_pcap(path)
    except (OSError, PcapError) as e:
        sys.stderr.write("pcaptool: %s: %s\n" % (path, e))
        return 1
    if cmd == "dump":
        print("#" + "\t".join(FIELDS))
        for i, pkt in enumerate(pkts, 1):
            p = parse(pkt)
            p["idx"] = i
            print("\t".join(str(p[k]) for k in FIELDS))
        return 0
    needle = argv[3].encode("utf-8", "surrogateescape") if len(argv) > 3 \
        else b""
    print(sum(1 for pkt in pkts if needle in pkt[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
