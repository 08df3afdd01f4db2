#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# index.sh: the sidecar index (docs/INDEX.md) of known traffic.
#
# Before netrec starts, a client in cli holds a connection to a server in
# srv.  While netrec runs: dig resolves www.example.net (a CNAME to
# web.example.net, served by dnsmasq) over UDP and TCP, curl fetches a page
# from www.example.net, curl is refused by a closed port, a process with a
# hostile name sends UDP datagrams, and another sends a malformed DNS
# message.  Every chunk's index must be valid JSON whose lines say exactly
# that, with offsets that point at the right packets, Community IDs
# computed independently here, and SHA-256 values that sha256sum agrees
# with.  Then: compressed indexes, and an index a crash left.

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init
require_cmds curl dig dnsmasq jq sha256sum zstd ethtool
netns_pair

PRE_PORT=7101
UDP_PORT=7102
UDP_N=5
UDP_SIZE=200
PRE_MARK=NRIPRE-$$-$(random_hex 4)
UDP_MARK=NRIUDP-$$-$(random_hex 4)
HOSTILE=$'u"d\\p\x01;$(x)'
DIR=$WORK/out
IDXPY=$WORK/idx.py

cat >"$IDXPY" <<'PY'
#!/usr/bin/env python3
"""Independent readers for the checks: a pcap record at an offset, and
Community ID v1 as its specification defines it."""
import base64
import hashlib
import ipaddress
import struct
import sys


def pkt_at(path, off):
    with open(path, "rb") as f:
        f.seek(off)
        sec, frac, incl, orig = struct.unpack("<IIII", f.read(16))
        data = f.read(incl)[4:]  # past LINKTYPE_NULL
    ver = data[0] >> 4
    if ver == 4:
        ihl = (data[0] & 15) * 4
        proto = data[9]
        src = ipaddress.ip_address(data[12:16])
        dst = ipaddress.ip_address(data[16:20])
        l4 = data[ihl:]
    else:
        proto = data[6]
        src = ipaddress.ip_address(data[8:24])
        dst = ipaddress.ip_address(data[24:40])
        l4 = data[40:]
    sport = dport = 0
    flags = ""
    if proto in (6, 17):
        sport, dport = struct.unpack("!HH", l4[:4])
    if proto == 6:
        names = "FSRPAU"
        flags = "".join(n for i, n in enumerate(names) if l4[13] & (1 << i))
    print(f"{sec}.{frac:09d} {proto} {src} {sport} {dst} {dport} {flags}")


def cid(proto, saddr, sport, daddr, dport):
    s = ipaddress.ip_address(saddr).packed
    d = ipaddress.ip_address(daddr).packed
    if (s, sport) > (d, dport):
        s, d, sport, dport = d, s, dport, sport
    data = struct.pack("!H", 0) + s + d + bytes([proto, 0])
    data += struct.pack("!HH", sport, dport)
    print("1:" + base64.b64encode(hashlib.sha1(data).digest()).decode())


if sys.argv[1] == "pkt-at":
    pkt_at(sys.argv[2], int(sys.argv[3]))
elif sys.argv[1] == "cid":
    cid(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5],
        int(sys.argv[6]))
PY

# idx FILE FILTER: the index lines of FILE's chunk that FILTER selects, compact.
idx() { jq -c "select($2)" "$1.idx.jsonl" 2>/dev/null; }
# idxv FILE FILTER EXPR: EXPR of the one line FILTER selects, raw.
idxv() { jq -r "select($2) | $3" "$1.idx.jsonl" 2>/dev/null; }
nlines() { idx "$1" "$2" | wc -l; }
pkt_at() { python3 "$IDXPY" pkt-at "$1" "$2"; }

# --- before netrec: servers and a live connection -------------------------
# A TXT record of 12 strings of 250 bytes: its answer spans TCP segments.
BIG_TXT=$(printf 'x%.0s' $(seq 250))
BIG_ARG=big.example.net$(printf ",$BIG_TXT%.0s" $(seq 12))
DNSMASQ_EXTRA=(--host-record="web.example.net,$V4_SRV"
	--cname=www.example.net,web.example.net --txt-record="$BIG_ARG")
start_httpd
start_dnsmasq
pre_connection "$PRE_PORT" "$PRE_MARK"

# --- record ---------------------------------------------------------------
start_netrec_or_bail -w "$DIR"

run_ns DIG "$NS_CLI" dig "@$V4_SRV" +time=5 +tries=1 www.example.net A
like "$(cat "$(out_of "$DIG")")" "web.example.net.*$V4_SRV" \
	"dig resolves www.example.net through its CNAME"
run_ns DIGTCP "$NS_CLI" dig "@$V4_SRV" +tcp +time=5 +tries=1 +short www.example.net A
like "$(cat "$(out_of "$DIGTCP")")" "$V4_SRV" "dig +tcp resolves www.example.net"
run_ns CURL "$NS_CLI" curl --noproxy '*' -sS --max-time 10 -o /dev/null \
	--resolve "www.example.net:8080:$V4_SRV" "http://www.example.net:8080/$HELLO"
ok $? "curl fetches http://www.example.net:8080/"
curl_get CURLRST "$NS_CLI" "http://$V4_SRV:8081/"
is "$?" 7 "curl to a closed port is refused"
udp_receiver UDPRECV "" "$NS_SRV" "$V4_SRV" "$UDP_PORT" "$UDP_N"
run_ns UDPSEND "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$UDP_PORT" \
	--count "$UDP_N" --size "$UDP_SIZE" --mark "$UDP_MARK" --name "$HOSTILE"
ok $? "a process named '$HOSTILE' sends $UDP_N datagrams"
is "$(udp_received "$UDP_PORT")" "$UDP_N" "they all arrive"
run_ns BADDNS "$NS_CLI" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"\x12\x34\x01\x00\x00\x05\x00\x09\x00\x00\x00\x00\x3fab", (sys.argv[1], 53))
' "$V4_SRV"
ok $? "a malformed DNS message is sent to port 53"
touch "$WORK/pre.go"
wait_until 10 test -e "$WORK/pre.done"
ok $? "the pre-existing connection exchanges a line"
# Segments on the wire as they are sent: no offloads merging them.
for ns in "$NS_CLI" "$NS_SRV"; do
	in_ns "$ns" ethtool -K veth0 tso off gso off gro off >/dev/null 2>&1
done
run_ns DIGBIG "$NS_CLI" dig "@$V4_SRV" +tcp +time=5 +tries=1 +short big.example.net TXT
cmp_ok "$(wc -c <"$(out_of "$DIGBIG")")" '>' 3000 "dig +tcp gets the 3000-byte TXT record"

stop_netrec_ok

# --- every chunk has a whole, valid index -----------------------------------
nchunks=0 bad=
for f in "$DIR"/*.pcap; do
	nchunks=$((nchunks + 1))
	i=$f.idx.jsonl
	[ -f "$i" ] || { bad+=" $(basename "$f"):missing"; continue; }
	jq -e . "$i" >/dev/null 2>&1 || bad+=" $(basename "$i"):json"
	[ "$(head -n 1 "$i" | jq -r '.type + "/" + .event')" = chunk/start ] ||
		bad+=" $(basename "$i"):first"
	[ "$(tail -n 1 "$i" | jq -r '.type + "/" + .event')" = chunk/end ] ||
		bad+=" $(basename "$i"):last"
	sum=$(sha256sum "$f" | cut -d' ' -f1)
	[ "$(tail -n 1 "$i" | jq -r .sha256)" = "$sum" ] || bad+=" $(basename "$i"):sha256"
	n=$(capinfos -Mc "$f" 2>/dev/null | awk '/^Number of packets/ {print $NF}')
	[ "$(tail -n 1 "$i" | jq -r .packets)" = "$n" ] || bad+=" $(basename "$i"):packets"
	[ "$(tail -n 1 "$i" | jq -r .file)" = "$(basename "$f")" ] || bad+=" $(basename "$i"):file"
	[ "$(tail -n 1 "$i" | jq -r .index_complete)" = true ] || bad+=" $(basename "$i"):complete"
done
cmp_ok "$nchunks" '>=' 8 "netrec wrote a chunk per process ($nchunks)"
is "${bad:-none}" none \
	"every chunk has an index: valid JSON, chunk lines first and last, sha256, packets, file name right"
is "$(find "$DIR" -name '*.part' | wc -l)" 0 "no .part file is left"
is "$(find "$DIR" -name '*.idx.jsonl' | wc -l)" "$nchunks" "one index per chunk, no more"
is "$(jq -r 'select(.type=="chunk" and .event=="end") | .schema' "$DIR"/*.idx.jsonl | sort -u)" 1 \
	"schema 1"
like "$(head -n 1 "$DIR/curl-$CURL.pcap.idx.jsonl")" '"host":"[^"]+".*"kernel":"'"$(uname -r)"'"' \
	"the chunk line names the host and kernel"

# --- curl: one flow, as Zeek would log it -----------------------------------
F=$DIR/curl-$CURL.pcap
is "$(nlines "$F" '.type=="flow"')" 1 "curl's index: one flow"
FL=$(idx "$F" '.type=="flow"')
flow() { jq -r "$1" <<<"$FL"; }
is "$(flow '[.proto, ."id.orig_h", ."id.resp_h", ."id.resp_p", .orig_known, .local] | join(" ")')" \
	"tcp $V4_CLI $V4_SRV 8080 true orig" "curl's flow: tcp, from curl to the server's port 8080, originator known, local side orig"
is "$(flow .conn_state)" SF "curl's flow: conn_state SF"
like "$(flow .history)" '^ShA' "curl's flow: history starts ShA ($(flow .history))"
for l in D d F f; do
	like "$(flow .history)" "$l" "curl's flow: history has $l"
done
is "$(flow '[.pid, .comm, .exe, .user_id] | join(" ")')" "$CURL curl $(readlink -f "$(command -v curl)") 0" \
	"curl's flow: its pid, comm, exe and user id"
is "$(flow '.names | sort | join(",")')" "web.example.net,www.example.net" \
	"curl's flow: the names that resolved to the server (the CNAME chain)"
CPORT=$(flow '."id.orig_p"')
is "$(flow .community_id)" "$(python3 "$IDXPY" cid 6 "$V4_CLI" "$CPORT" "$V4_SRV" 8080)" \
	"curl's flow: community_id as the spec computes it"
is "$(flow .orig_pkts)" "$(tcount "$F" "ip.src==$V4_CLI")" "curl's flow: orig_pkts as tshark counts"
is "$(flow .resp_pkts)" "$(tcount "$F" "ip.src==$V4_SRV")" "curl's flow: resp_pkts as tshark counts"
is "$(flow .orig_bytes)" "$(tfields "$F" "ip.src==$V4_CLI" tcp.len | awk '{s += $1} END {print s}')" \
	"curl's flow: orig_bytes is the sum of its TCP payloads"
is "$(flow .orig_ip_bytes)" "$(tfields "$F" "ip.src==$V4_CLI" ip.len | awk '{s += $1} END {print s}')" \
	"curl's flow: orig_ip_bytes is the sum of its IP lengths"
like "$(flow .rtt_us)" '^[0-9]+$' "curl's flow: the kernel's rtt_us"
is "$(flow .retrans)" 0 "curl's flow: no retransmissions"
like "$(pkt_at "$F" "$(flow .first_offset)")" " 6 $V4_CLI $CPORT $V4_SRV 8080 S\$" \
	"curl's flow: first_offset points at its SYN"
last=$(tfields "$F" "tcp.port==$CPORT" frame.time_epoch | tail -n 1)
like "$(pkt_at "$F" "$(flow .last_offset)")" "^$last " \
	"curl's flow: last_offset points at its last packet ($last)"

# --- the server's view: handshake on the listener, the rest on accept()'s socket
FS=$DIR/python3-$HTTPD.pcap
is "$(idxv "$FS" ".type==\"flow\" and .\"id.orig_h\"==\"$V4_CLI\" and .\"id.orig_p\"==$CPORT" \
	'[.orig_known, .local, .conn_state, (.history | test("^Sh"))] | join(" ")')" \
	"true resp SF true" "http.server's side of curl's connection: one flow, originator known, SF, from the SYN"
is "$(idxv "$FS" ".type==\"flow\" and .\"id.orig_p\"==$CPORT" .community_id)" "$(flow .community_id)" \
	"... with the community_id of curl's side"

# --- http, by content -----------------------------------------------------
is "$(idxv "$F" '.type=="http" and .is_response==false' '[.method, .uri, .host, .uid] | join(" ")')" \
	"GET /$HELLO www.example.net:8080 $(flow .uid)" "curl's index: the GET, its Host, on the flow's uid"
is "$(idxv "$F" '.type=="http" and .is_response==true' '.status_code')" 200 \
	"curl's index: the 200 response"
is "$(nlines "$DIR/python3-$HTTPD.pcap" '.type=="http" and .is_response==false and .host=="www.example.net:8080"')" 1 \
	"http.server's index: the request it received"

# --- DNS ------------------------------------------------------------------
F=$DIR/dig-$DIG.pcap
is "$(nlines "$F" '.type=="dns"')" 2 "dig's index: two DNS messages"
Q=$(idx "$F" '.type=="dns" and .qr==false')
R=$(idx "$F" '.type=="dns" and .qr==true')
is "$(jq -r '[.query, .qtype_name, .qclass_name, .RD, ."id.orig_h", ."id.resp_p"] | join(" ")' <<<"$Q")" \
	"www.example.net A C_INTERNET true $V4_CLI 53" "the query: name, type, class, RD, from dig to port 53"
is "$(jq -r '[.rcode_name, (.answers | join(",")), (.answer_types | join(","))] | join(" ")' <<<"$R")" \
	"NOERROR web.example.net,$V4_SRV CNAME,A" "the response: NOERROR, the CNAME and the address, typed"
like "$(jq -r '.TTLs | map(tostring) | join(",")' <<<"$R")" '^[0-9]+,[0-9]+$' "the response: a TTL per answer"
is "$(jq -r .trans_id <<<"$R")" "$(jq -r .trans_id <<<"$Q")" "query and response share trans_id"
like "$(jq -r .rtt <<<"$R")" '^[0-9.e-]+$' "the response has the rtt from its query"
is "$(jq -r '[.pid, .comm, .uid] | join(" ")' <<<"$Q")" "$DIG dig $(idxv "$F" '.type=="flow"' .uid)" \
	"the query names dig and its flow"
like "$(pkt_at "$F" "$(jq -r .offset <<<"$Q")")" " 17 $V4_CLI [0-9]+ $V4_SRV 53 \$" \
	"the query's offset points at a datagram to port 53"
like "$(pkt_at "$F" "$(jq -r .offset <<<"$R")")" " 17 $V4_SRV 53 $V4_CLI " \
	"the response's offset points at the datagram from port 53"
F=$DIR/dig-$DIGTCP.pcap
is "$(idxv "$F" '.type=="dns"' '[.proto, .query, (.qr|tostring)] | join(" ")' | sort | tr '\n' ';')" \
	"tcp www.example.net false;tcp www.example.net true;" "dig +tcp's index: query and response over TCP"
is "$(nlines "$DIR/dnsmasq-$DNSMASQ.pcap" '.type=="dns" and .qr==false and .query=="www.example.net"')" 2 \
	"dnsmasq's index: both queries it received"
F=$DIR/python3-$BADDNS.pcap
is "$(idxv "$F" '.type=="dns"' '[.malformed, .trans_id] | join(" ")')" "true 4660" \
	"the malformed message is indexed as malformed, with what could be read"
like "$(idxv "$F" '.type=="dns"' .error)" '.' "... and says what is wrong"

F=$DIR/dig-$DIGBIG.pcap
cmp_ok "$(tcount "$F" "tcp.srcport==53 && tcp.len>0")" '>=' 3 \
	"the TXT answer came in several TCP segments"
R=$(idx "$F" '.type=="dns" and .qr==true')
is "$(jq -r '[.query, (.answer_types | join(",")), (.truncated // false), (.malformed // false)] | join(" ")' <<<"$R")" \
	"big.example.net TXT false false" "DNS over TCP: the answer is put together from its segments, whole"
last=$(tfields "$F" "tcp.srcport==53 && tcp.len>0" frame.time_epoch | tail -n 1)
like "$(pkt_at "$F" "$(jq -r .offset <<<"$R")")" "^$last " \
	"... its offset is that of the segment that completed it"
like "$(jq -r '.answers[0]' <<<"$R")" "^\"x{250}\" " "... and its data is all there"

# --- a refused connection, a connection older than netrec ---------------------
F=$DIR/curl-$CURLRST.pcap
is "$(idxv "$F" '.type=="flow"' '[.conn_state, .history, .closed] | join(" ")')" "REJ Sr true" \
	"the refused connection: REJ, history Sr, closed"
F=$DIR/python3-$PRECLI.pcap
is "$(idxv "$F" '.type=="flow"' '[.orig_known, .conn_state, ."id.resp_p"] | join(" ")')" "false OTH $PRE_PORT" \
	"the connection made before netrec: originator unknown, OTH"

# --- UDP, and a hostile process name ----------------------------------------
F=$(file_of "$DIR" "$UDPSEND" "")
FL=$(idx "$F" '.type=="flow"')
is "$(flow '[.proto, .orig_known, .orig_pkts, .orig_bytes, .resp_pkts, .conn_state] | join(" ")')" \
	"udp true $UDP_N $((UDP_N * UDP_SIZE)) 0 S0" "the UDP flow: originator known, $UDP_N datagrams of $UDP_SIZE bytes, no reply"
is "$(flow .comm)" "${HOSTILE//\\/\\\\}" \
	"the hostile comm comes back from the JSON, its backslash doubled (docs/INDEX.md)"

# --- files set aside by the open-file LRU and appended to later ---------------
# With --max-open 2 and four senders taking turns, every file is closed and
# re-opened many times: its SHA-256, hashed as it is written, must still be
# that of the whole file.
for fmt in pcap pcapng; do
	D4=$WORK/lru-$fmt
	start_netrec_or_bail -w "$D4" --max-open 2 --format "$fmt"
	udp_receiver LRURECV "" "$NS_SRV" "$V4_SRV" 7103 80
	senders=()
	for k in 1 2 3 4; do
		bg_ns SND "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" 7103 \
			--count 20 --size 100 --mark "NRLRU$k-$RUN" --interval 0.02
		senders+=("$SND")
	done
	for p in "${senders[@]}"; do wait_exit "$p" 30; done
	is "$(udp_received 7103)" 80 "--max-open 2 ($fmt): four senders take turns, 80 datagrams"
	stop_netrec_ok
	bad=
	for f in "$D4"/*."$fmt"; do
		[ "$(tail -n 1 "$f.idx.jsonl" 2>/dev/null | jq -r .sha256)" = \
			"$(sha256sum "$f" | cut -d' ' -f1)" ] || bad+=" $(basename "$f")"
	done
	is "${bad:-none}" none "--max-open 2 ($fmt): every file's SHA-256 in its index is right"
	is "$(jq -r 'select(.type=="flow" and .proto=="udp" and ."id.resp_p"==7103 and .local=="orig") | .orig_pkts' \
		"$D4"/*.idx.jsonl | sort | uniq -c | awk '{print $1 "x" $2}' | tr '\n' ' ')" \
		"4x20 " "--max-open 2 ($fmt): each sender's flow counts its 20 datagrams"
done

# --- compressed with the chunk -------------------------------------------------
D2=$WORK/zst
start_netrec_or_bail -w "$D2" --compress
run_ns PING "$NS_CLI" ping -n -c 2 -i 0.2 -W 5 "$V4_SRV"
ok $? "ping while recording with --compress"
stop_netrec_ok
bad=
for z in "$D2"/*.pcap.zst; do
	i=${z%.zst}.idx.jsonl.zst
	[ -f "$i" ] || { bad+=" $(basename "$i"):missing"; continue; }
	zstd -qdc "$i" | jq -e . >/dev/null 2>&1 || bad+=" $(basename "$i"):json"
	[ "$(zstd -qdc "$i" | tail -n 1 | jq -r .sha256)" = "$(zstd -qdc "$z" | sha256sum | cut -d' ' -f1)" ] ||
		bad+=" $(basename "$i"):sha256"
done
is "${bad:-none}" none "compressed: every chunk's index is .idx.jsonl.zst, valid, its sha256 that of the chunk"
is "$(find "$D2" -name '*.idx.jsonl' | wc -l)" 0 "compressed: no uncompressed index is left"

# --- an index a crash left ------------------------------------------------------
D3=$WORK/crash
start_netrec_or_bail -w "$D3"
run_ns PING "$NS_CLI" ping -n -c 2 -i 0.2 -W 5 "$V4_SRV"
wait_until 5 test -n "$(find "$D3" -name "ping-$PING.pcap.idx.jsonl.part")"
ok $? "while ping's chunk is written, its index is there as .part"
kill -KILL "$NR_PID"
wait_exit "$NR_PID" 10
NR_PID=
start_netrec_or_bail -w "$D3"
stop_netrec_ok
i=$D3/ping-$PING.pcap.idx.jsonl
is "$(tail -n 1 "$i" | jq -r '[.event, .recovered, .index_complete] | join(" ")')" "end true false" \
	"after the crash, the next run finishes the index: recovered, marked incomplete"
is "$(tail -n 1 "$i" | jq -r .sha256)" "$(sha256sum "$D3/ping-$PING.pcap" | cut -d' ' -f1)" \
	"... with the SHA-256 of the chunk as recovered"
jq -e . "$i" >/dev/null 2>&1
ok $? "... and every line of it is valid JSON"

done_testing
