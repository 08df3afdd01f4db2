#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# record.sh: the main scenario, default options (--split process, -s max).
#
# Two network namespaces, cli and srv, joined by a veth pair.  Before netrec
# starts, srv runs python3 http.server on [::]:8080 and dnsmasq on :53, and a
# python3 client in cli holds a TCP connection to a python3 server in srv.
# Then netrec runs while cli does: the pre-existing connection exchanges a
# marked line, curl over IPv4 and IPv6, curl to a closed port, ping and
# ping -6, dig over UDP and over TCP, and 20 UDP datagrams to a receiver.
# Each program's traffic must be in its own <comm>-<pid>.pcap, both
# directions, and nothing else; kernel-made packets go to unknown.pcap.

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init
require_cmds curl ping dig dnsmasq
netns_pair

PRE_PORT=7001
UDP_PORT=7002
UDP_N=20
UDP_SIZE=1000
PRE_MARK=NRPRE-$$-$(random_hex 4)
UDP_MARK=NRUDP-$$-$(random_hex 4)
PING4_TOK=p4$(random_hex 3) # ping -p fills the payload with it
PING6_TOK=p6$(random_hex 3)
DIR=$WORK/out

# --- before netrec: servers and a live connection -------------------------
start_httpd
start_dnsmasq
pre_connection "$PRE_PORT" "$PRE_MARK"

# --- record ---------------------------------------------------------------
start_netrec_or_bail -w "$DIR"

touch "$WORK/pre.go"
wait_until 10 test -e "$WORK/pre.done"
ok $? "pre-existing connection exchanged its marked line while netrec ran"

udp_receiver UDPRECV "" "$NS_SRV" "$V4_SRV" "$UDP_PORT" "$UDP_N"
run_ns UDPSEND "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$UDP_PORT" \
	--count "$UDP_N" --size "$UDP_SIZE" --mark "$UDP_MARK"
ok $? "UDP sender sent $UDP_N datagrams"
is "$(udp_received "$UDP_PORT")" "$UDP_N" "UDP receiver got all $UDP_N datagrams"

curl_get CURL4 "$NS_CLI" "http://$V4_SRV:8080/$HELLO"
ok $? "curl over IPv4 succeeds"
like "$(cat "$(out_of "$CURL4")")" '^200 ' "curl over IPv4 gets HTTP 200"
curl_get CURL6 "$NS_CLI" "http://[$V6_SRV]:8080/$HELLO"
ok $? "curl over IPv6 succeeds"
like "$(cat "$(out_of "$CURL6")")" '^200 ' "curl over IPv6 gets HTTP 200"
curl_get CURLRST "$NS_CLI" "http://$V4_SRV:8081/"
is "$?" 7 "curl to a closed port is refused (exit 7)"

run_ns PING4 "$NS_CLI" ping -n -c 3 -i 0.2 -W 5 -p "$(ascii_hex "$PING4_TOK")" "$V4_SRV"
ok $? "ping -c 3 (IPv4) gets its replies"
run_ns PING6 "$NS_CLI" ping -6 -n -c 3 -i 0.2 -W 5 -p "$(ascii_hex "$PING6_TOK")" "$V6_SRV"
ok $? "ping -6 -c 3 gets its replies"

run_ns DIG "$NS_CLI" dig "@$V4_SRV" +time=5 +tries=1 +short test.example A
is "$(cat "$(out_of "$DIG")")" "$V4_SRV" "dig (UDP) resolves test.example to $V4_SRV"
run_ns DIGTCP "$NS_CLI" dig "@$V4_SRV" +tcp +time=5 +tries=1 +short test.example A
is "$(cat "$(out_of "$DIGTCP")")" "$V4_SRV" "dig +tcp resolves test.example to $V4_SRV"

stop_netrec_ok
check_summary "$NR_LOG"

# --- the output as a whole ------------------------------------------------
check_dir_mode "$DIR"
check_pcap_dir "$DIR" whole
is "$(find "$DIR" -mindepth 1 -type d | wc -l)" 0 \
	"--split process makes no subdirectories"
check "no all.pcap with --split process" test ! -e "$DIR/all.pcap"

F_CURL4=$(file_of "$DIR" "$CURL4" "curl-$CURL4.pcap")
like "$(capinfos -E "$F_CURL4" 2>&1)" 'NULL|[Ll]oopback' \
	"capinfos reports NULL/Loopback encapsulation"
bad=$(tfields "$F_CURL4" ip frame.len ip.len | awk '$1 != $2 + 4' | wc -l)
n=$(tfields "$F_CURL4" ip frame.len | wc -l)
cmp_ok "$n" '>' 0 "tshark reads IPv4 packets in curl's file"
is "$bad" 0 "tshark agrees: frame.len == 4 + ip.len in curl's file"

# --- one file per process, named <comm>-<pid>.pcap -------------------------
pid_file_is "$DIR" "$CURL4" "curl-$CURL4.pcap" "curl (IPv4) -> curl-$CURL4.pcap, and only there"
pid_file_is "$DIR" "$CURL6" "curl-$CURL6.pcap" "curl (IPv6) -> curl-$CURL6.pcap, and only there"
pid_file_is "$DIR" "$CURLRST" "curl-$CURLRST.pcap" "curl (refused) -> curl-$CURLRST.pcap"
pid_file_is "$DIR" "$HTTPD" "python3-$HTTPD.pcap" "http.server (started before netrec) -> python3-$HTTPD.pcap"
pid_file_is "$DIR" "$PRESRV" "python3-$PRESRV.pcap" "pre-existing server -> python3-$PRESRV.pcap"
pid_file_is "$DIR" "$PRECLI" "python3-$PRECLI.pcap" "pre-existing client -> python3-$PRECLI.pcap"
pid_file_is "$DIR" "$DNSMASQ" "dnsmasq-$DNSMASQ.pcap" "dnsmasq (started before netrec) -> dnsmasq-$DNSMASQ.pcap"
pid_file_is "$DIR" "$DIG" "dig-$DIG.pcap" "dig -> dig-$DIG.pcap (the process's comm, not a thread's)"
pid_file_is "$DIR" "$DIGTCP" "dig-$DIGTCP.pcap" "dig +tcp -> dig-$DIGTCP.pcap"
pid_file_is "$DIR" "$PING4" "ping-$PING4.pcap" "ping -> ping-$PING4.pcap"
pid_file_is "$DIR" "$PING6" "ping-$PING6.pcap" "ping -6 -> ping-$PING6.pcap"
pid_file_is "$DIR" "$UDPSEND" "python3-$UDPSEND.pcap" "UDP sender -> python3-$UDPSEND.pcap"
pid_file_is "$DIR" "$UDPRECV" "python3-$UDPRECV.pcap" "UDP receiver -> python3-$UDPRECV.pcap"

# --- curl: its own connection, both directions, nothing else ----------------
f=$F_CURL4
is "$(tcount "$f" "ip.src==$V4_CLI && tcp.dstport==8080 && tcp.flags.syn==1 && tcp.flags.ack==0")" 1 \
	"curl-$CURL4.pcap: curl's SYN"
is "$(tcount "$f" "ip.src==$V4_SRV && tcp.srcport==8080 && tcp.flags.syn==1 && tcp.flags.ack==1")" 1 \
	"curl-$CURL4.pcap: the server's SYN-ACK, as received"
is "$(tcount "$f" "ip.src==$V4_CLI && http.request.method==\"GET\"")" 1 \
	"curl-$CURL4.pcap: the GET request"
is "$(tcount "$f" "ip.src==$V4_SRV && http.response.code==200")" 1 \
	"curl-$CURL4.pcap: the HTTP 200 response"
is "$(tcount "$f" "!(tcp.port==8080 && ip.addr==$V4_CLI && ip.addr==$V4_SRV)")" 0 \
	"curl-$CURL4.pcap: nothing but its connection to port 8080"
is "$(tcount "$f" "dns || icmp || icmpv6 || udp")" 0 \
	"curl-$CURL4.pcap: no DNS, ICMP or UDP"

f=$(file_of "$DIR" "$CURL6" "curl-$CURL6.pcap")
is "$(tcount "$f" "ipv6.src==$V6_CLI && tcp.dstport==8080 && tcp.flags.syn==1 && tcp.flags.ack==0")" 1 \
	"curl-$CURL6.pcap: curl's SYN over IPv6"
is "$(tcount "$f" "ipv6.src==$V6_SRV && http.response.code==200")" 1 \
	"curl-$CURL6.pcap: the HTTP 200 response over IPv6"
is "$(tcount "$f" "!(tcp.port==8080 && ipv6.addr==$V6_CLI && ipv6.addr==$V6_SRV)")" 0 \
	"curl-$CURL6.pcap: nothing but its IPv6 connection to port 8080"

f=$(file_of "$DIR" "$CURLRST" "curl-$CURLRST.pcap")
is "$(tcount "$f" "tcp.dstport==8081 && tcp.flags.syn==1 && tcp.flags.ack==0")" 1 \
	"curl-$CURLRST.pcap: the SYN to the closed port"
is "$(tcount "$f" "tcp.srcport==8081 && tcp.flags.reset==1")" 1 \
	"curl-$CURLRST.pcap: the RST it received"

# --- the server side belongs to the server ----------------------------------
f=$(file_of "$DIR" "$HTTPD" "python3-$HTTPD.pcap")
is "$(tcount "$f" "tcp.dstport==8080 && tcp.flags.syn==1 && tcp.flags.ack==0")" 2 \
	"http.server's file: both SYNs (IPv4, IPv6) that reached its listener"
is "$(tcount "$f" "ip.dst==$V4_SRV && http.request.method==\"GET\"")" 1 \
	"http.server's file: the IPv4 GET it received"
is "$(tcount "$f" "ipv6.dst==$V6_SRV && http.request.method==\"GET\"")" 1 \
	"http.server's file: the IPv6 GET it received"
is "$(tcount "$f" "ip.src==$V4_SRV && http.response.code==200")" 1 \
	"http.server's file: the IPv4 HTTP 200 it sent"
is "$(tcount "$f" "ipv6.src==$V6_SRV && http.response.code==200")" 1 \
	"http.server's file: the IPv6 HTTP 200 it sent"
is "$(tcount "$f" "!tcp.port==8080 || dns || icmp || icmpv6")" 0 \
	"http.server's file: only port 8080, no DNS, no ICMP"
where_is "$DIR" "$GET_HELLO" \
	"1 curl-$CURL4.pcap, 1 curl-$CURL6.pcap, 2 python3-$HTTPD.pcap" \
	"the GET requests are in curl's and http.server's files only"

# --- the kernel's packets for a socket in TIME_WAIT go with the socket -------
# http.server closes first: its last ACK is sent by the kernel for a
# socket in TIME_WAIT, which has no owner any more; netrec gives it the
# owner of its connection.  So both ends' files hold every packet.
cport=$(tfields "$F_CURL4" "tcp.flags.syn==1 && tcp.flags.ack==0" tcp.srcport | head -n 1)
f=$(file_of "$DIR" "$HTTPD" "python3-$HTTPD.pcap")
is "$(tcount "$f" "tcp.port==$cport")" "$(tcount "$F_CURL4" "tcp.port==$cport")" \
	"curl's IPv4 connection: as many packets in http.server's file as in curl's"
is "$(tcount "$DIR/unknown.pcap" "tcp.port==8080")" 0 \
	"unknown.pcap: nothing of the HTTP connections (TIME_WAIT packets go with their socket)"

# --- the connection made before netrec started ------------------------------
for who in PRECLI PRESRV; do
	f=$(file_of "$DIR" "${!who}" "python3-${!who}.pcap")
	is "$(pcount "$f" "$PRE_MARK")" 2 \
		"$who (pre-existing socket): the marked line and its reply are in python3-${!who}.pcap"
	is "$(pcount "$f" "ACK $PRE_MARK")" 1 "$who: the reply is there once"
	is "$(tcount "$f" "!(tcp.port==$PRE_PORT)")" 0 "$who: nothing but its connection"
done
where_is "$DIR" "$PRE_MARK" "2 python3-$PRECLI.pcap, 2 python3-$PRESRV.pcap" \
	"the pre-existing connection's packets are in its two processes' files only"

# --- ping: requests and replies; the kernel's replies have no owner --------
f=$(file_of "$DIR" "$PING4" "ping-$PING4.pcap")
is "$(tcount "$f" "icmp.type==8 && ip.src==$V4_CLI")" 3 "ping's file: 3 echo requests"
is "$(tcount "$f" "icmp.type==0 && ip.src==$V4_SRV")" 3 "ping's file: 3 echo replies"
is "$(tcount "$f" "!icmp")" 0 "ping's file: ICMP only"
f=$(file_of "$DIR" "$PING6" "ping-$PING6.pcap")
is "$(tcount "$f" "icmpv6.type==128 && ipv6.src==$V6_CLI")" 3 "ping -6's file: 3 echo requests"
is "$(tcount "$f" "icmpv6.type==129 && ipv6.src==$V6_SRV")" 3 "ping -6's file: 3 echo replies"
is "$(tcount "$f" "!icmpv6")" 0 "ping -6's file: ICMPv6 only"
f=$DIR/unknown.pcap
is "$(tcount "$f" "icmp.type==0 && ip.src==$V4_SRV && ip.dst==$V4_CLI")" 3 \
	"unknown.pcap: the 3 echo replies the srv kernel sent"
is "$(tcount "$f" "ip.src==$V4_SRV && tcp.srcport==8081 && tcp.flags.reset==1")" 1 \
	"unknown.pcap: the RST the srv kernel sent for the closed port"
where_is "$DIR" "$PING4_TOK" "6 ping-$PING4.pcap, 3 unknown.pcap" \
	"ping's packets are in ping's file and (replies sent by the kernel) unknown.pcap only"
where_is "$DIR" "$PING6_TOK" "6 ping-$PING6.pcap, 3 unknown.pcap" \
	"ping -6's packets are in its file and (the kernel's replies) unknown.pcap only"

# --- DNS ------------------------------------------------------------------
f=$(file_of "$DIR" "$DIG" "dig-$DIG.pcap")
is "$(tcount "$f" "ip.src==$V4_CLI && dns.flags.response==0 && dns.qry.name==\"test.example\"")" 1 \
	"dig's file: the query"
is "$(tcount "$f" "ip.src==$V4_SRV && dns.flags.response==1 && dns.a==$V4_SRV")" 1 \
	"dig's file: the response with the answer $V4_SRV"
is "$(tcount "$f" "!(udp.port==53)")" 0 "dig's file: DNS over UDP only"
f=$(file_of "$DIR" "$DIGTCP" "dig-$DIGTCP.pcap")
is "$(tcount "$f" "tcp.dstport==53 && tcp.flags.syn==1 && tcp.flags.ack==0")" 1 \
	"dig +tcp's file: its SYN to port 53"
is "$(tcount "$f" "dns.flags.response==1 && dns.a==$V4_SRV")" 1 \
	"dig +tcp's file: the response with the answer"
is "$(tcount "$f" "!(tcp.port==53)")" 0 "dig +tcp's file: TCP port 53 only"
f=$(file_of "$DIR" "$DNSMASQ" "dnsmasq-$DNSMASQ.pcap")
is "$(tcount "$f" "ip.dst==$V4_SRV && dns.flags.response==0 && dns.qry.name==\"test.example\"")" 2 \
	"dnsmasq's file: both queries it received (UDP, TCP)"
is "$(tcount "$f" "ip.src==$V4_SRV && dns.flags.response==1 && dns.a==$V4_SRV")" 2 \
	"dnsmasq's file: both answers it sent"
is "$(tcount "$f" "!(udp.port==53 || tcp.port==53)")" 0 "dnsmasq's file: port 53 only"

# --- UDP --------------------------------------------------------------------
for who in UDPSEND UDPRECV; do
	f=$(file_of "$DIR" "${!who}" "python3-${!who}.pcap")
	is "$(tcount "$f" "udp.dstport==$UDP_PORT && udp.length==$((UDP_SIZE + 8))")" "$UDP_N" \
		"$who's file: all $UDP_N datagrams of $UDP_SIZE bytes"
	is "$(tcount "$f" "!(udp.dstport==$UDP_PORT)")" 0 "$who's file: nothing else"
done
where_is "$DIR" "$UDP_MARK" "$UDP_N python3-$UDPRECV.pcap, $UDP_N python3-$UDPSEND.pcap" \
	"the datagrams are in the sender's and the receiver's files only" ||
	diag "(sender $UDPSEND, receiver $UDPRECV)"

# --- the same ends in two namespaces are two connections ---------------------
# A process in one namespace holds a loopback connection 127.0.0.1:7802 ->
# 127.0.0.1:7801; in another namespace a process connects from the same
# port to the same port, where nothing listens, and that namespace's
# kernel answers with a RST of its own (no owner).  The RST has the ends
# of the first process's connection, but not its namespace: it must not be
# lent that process as owner, nor land in its file.
DIR=$WORK/netns
cat >"$WORK/hold.py" <<'PY'
import os, socket, sys, time
lis = socket.create_server(("127.0.0.1", 7801))
cli = socket.socket()
cli.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
cli.bind(("127.0.0.1", 7802))
cli.connect(("127.0.0.1", 7801))
acc, _ = lis.accept()
cli.sendall(b"hello")
acc.recv(5)
open(sys.argv[1], "w").close()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
PY
cat >"$WORK/refused.py" <<'PY'
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 7802))
try:
    s.connect(("127.0.0.1", 7801))
except ConnectionRefusedError:
    print("refused")
PY
start_netrec_or_bail -w "$DIR"
bg_ns HOLD "$NS_SRV" python3 "$WORK/hold.py" "$WORK/held" "$WORK/release"
wait_until 10 test -e "$WORK/held"
ok $? "a process holds a loopback connection 7802 -> 7801 in one namespace"
run_ns REFUSED "$NS_CLI" python3 "$WORK/refused.py"
is "$(cat "$(out_of "$REFUSED")")" refused \
	"in another, the same connection is refused: the kernel sends a RST"
touch "$WORK/release"
wait_exit "$HOLD" 10
stop_netrec_ok
check_summary "$NR_LOG"
rst="tcp.flags.reset==1 && tcp.srcport==7801 && tcp.dstport==7802"
f=$(file_of "$DIR" "$HOLD" "python3-$HOLD.pcap")
is "$(tcount "$f" "tcp.port==7801 && tcp.len==5")" 2 \
	"the holder's file: its hello, sent and received"
is "$(tcount "$f" "$rst")" 0 \
	"the holder's file: not the other namespace's RST of the same ends"
is "$(tcount "$DIR/unknown.pcap" "$rst")" 1 \
	"unknown.pcap: the RST, which no process sent"

done_testing
