#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# snaplen.sh: how much of each packet is kept.
#
#   -s 100                  everything cut to 4 + min(len, 100) bytes, except
#                           DNS (port 53 either side) and ICMP/ICMPv6: whole;
#                           the original length stays true
#   -s 100 --truncate-all   DNS and ICMP cut too
#   -s headers              exactly IP + L4 header (TCP: its data offset),
#                           DNS and ICMP whole
#
# Traffic: curl fetching a 204800-byte file over IPv4 and IPv6, a DNS TXT
# answer of some 450 bytes, ping -s 1000, and 1000-byte UDP datagrams.

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init
require_cmds curl ping dig dnsmasq
netns_pair

BIG=204800
UDP_PORT=7100
UDP_N=5
UDP_SIZE=1000
A200=$(printf 'a%.0s' $(seq 200))
B200=$(printf 'b%.0s' $(seq 200))
PING_LEN=$((4 + 20 + 8 + 1000)) # NULL header + IPv4 + ICMP + ping -s 1000

start_httpd
head -c "$BIG" /dev/urandom >"$WWW/big.bin"
DNSMASQ_EXTRA=("--txt-record=big.txt.example,$A200,$B200")
start_dnsmasq

# traffic LABEL WHAT...: the runs' traffic (WHAT: big4 big6 hello dns ping
# udp); sets CURL4 CURL6 CURLH DIG PING USEND URECV to the pids.
traffic() {
	local label=$1 w
	shift
	for w in "$@"; do
		case $w in
		big4)
			curl_get CURL4 "$NS_CLI" "http://$V4_SRV:8080/big.bin"
			is "$(cat "$(out_of "$CURL4")")" "200 $BIG" "$label: curl fetches $BIG bytes over IPv4"
			;;
		big6)
			curl_get CURL6 "$NS_CLI" "http://[$V6_SRV]:8080/big.bin"
			is "$(cat "$(out_of "$CURL6")")" "200 $BIG" "$label: curl fetches $BIG bytes over IPv6"
			;;
		hello)
			curl_get CURLH "$NS_CLI" "http://$V4_SRV:8080/$HELLO"
			like "$(cat "$(out_of "$CURLH")")" '^200 ' "$label: curl fetches hello.txt"
			;;
		dns)
			run_ns DIG "$NS_CLI" dig "@$V4_SRV" +time=5 +tries=1 +short big.txt.example TXT
			like "$(cat "$(out_of "$DIG")")" "$A200.*$B200" "$label: dig gets the big TXT record"
			;;
		ping)
			run_ns PING "$NS_CLI" ping -n -c 3 -i 0.2 -W 5 -s 1000 "$V4_SRV"
			ok $? "$label: ping -s 1000 gets its replies"
			;;
		udp)
			udp_receiver URECV "" "$NS_SRV" "$V4_SRV" "$UDP_PORT" "$UDP_N"
			run_ns USEND "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$UDP_PORT" \
				--count "$UDP_N" --size "$UDP_SIZE" --mark NRSNAP
			is "$(udp_received "$UDP_PORT")" "$UDP_N" "$label: $UDP_N UDP datagrams arrive"
			;;
		esac
	done
}

# Conditions over pcaptool dump columns (see pkts in lib.sh).
IS_WHOLE_KIND='(proto == 1 || proto == 58 || sport == 53 || dport == 53)'
NOT_WHOLE_KIND="!$IS_WHOLE_KIND"

# server_payload FILE PORT: TCP payload bytes sent from PORT, as the IP
# headers tell (true lengths, whatever was captured).
server_payload() {
	pdump "$1" | awk -F '\t' -v p="$2" '$7 == 6 && $10 == p && $15 > 0 { n += $15 } END { print n + 0 }'
}

# ------------------------------------------------------------- -s 100 -----
D=$WORK/s100
start_netrec_or_bail -w "$D" -s 100
traffic "-s 100" big4 dns ping udp
stop_netrec_ok
check_pcap_dir "$D"

is "$(pkts_dir "$D" "$NOT_WHOLE_KIND && incl != min(orig, 104)")" 0 \
	"-s 100: every non-DNS, non-ICMP packet is captured to 4 + min(len, 100) bytes"
is "$(pkts_dir "$D" "$IS_WHOLE_KIND && incl != orig")" 0 \
	"-s 100: every DNS and ICMP packet is whole"

f=$(file_of "$D" "$CURL4" "curl-$CURL4.pcap")
cmp_ok "$(pkts "$f" 'orig > 104')" '>' 0 "-s 100: curl's file has packets longer than the snaplen"
is "$(pkts "$f" 'incl > 104')" 0 "-s 100: no captured length in curl's file is over 104"
is "$(pkts "$f" 'orig > 104 && incl != 104')" 0 "-s 100: long packets in curl's file are cut to exactly 104"
n=$(server_payload "$f" 8080)
cmp_ok "$n" '>=' "$BIG" "-s 100: true IP lengths in curl's file add up to the whole body ($n >= $BIG)"
cmp_ok "$n" '<' $((BIG + 4096)) "-s 100: ... and not much more (headers only)"
bad=$(tfields "$f" "" frame.cap_len frame.len | awk '$1 > 104 || $1 > $2' | wc -l)
big=$(tfields "$f" "" frame.cap_len frame.len | awk '$2 > $1' | wc -l)
is "$bad" 0 "-s 100: tshark agrees: frame.cap_len <= 104 and <= frame.len"
cmp_ok "$big" '>' 0 "-s 100: tshark agrees: some frame.len > frame.cap_len"

f=$(file_of "$D" "$DIG" "dig-$DIG.pcap")
is "$(pkts "$f" 'sport == 53 && orig > 104')" 1 "-s 100: the DNS answer is longer than the snaplen"
is "$(pkts "$f" 'sport == 53 && incl == orig')" 1 "-s 100: the DNS answer is whole in dig's file"
like "$(tfields "$f" 'dns.flags.response==1' dns.txt)" "$A200.*$B200" \
	"-s 100: tshark decodes the whole TXT answer"
f=$(file_of "$D" "$DNSMASQ" "dnsmasq-$DNSMASQ.pcap")
is "$(pkts "$f" 'sport == 53 && orig > 104 && incl == orig')" 1 "-s 100: the DNS answer is whole in dnsmasq's file"

f=$(file_of "$D" "$PING" "ping-$PING.pcap")
is "$(pkts "$f" "proto == 1 && orig == $PING_LEN && incl == orig")" 6 \
	"-s 100: ping's 3 requests and 3 replies of $PING_LEN bytes are whole"
is "$(pkts "$D/unknown.pcap" "src == \"$V4_SRV\" && icmptype == 0 && orig == $PING_LEN && incl == orig")" 3 \
	"-s 100: the kernel's 3 echo replies (unknown.pcap) are whole"

for who in USEND URECV; do
	f=$(file_of "$D" "${!who}" "python3-${!who}.pcap")
	is "$(pkts "$f" "proto == 17 && orig == $((4 + 28 + UDP_SIZE)) && incl == 104")" "$UDP_N" \
		"-s 100: $who's file: $UDP_N datagrams of $((4 + 28 + UDP_SIZE)) bytes, 104 kept"
done

# ----------------------------------------------- -s 100 --truncate-all -----
D=$WORK/s100all
start_netrec_or_bail -w "$D" -s 100 --truncate-all
traffic "--truncate-all" hello dns ping
stop_netrec_ok
check_pcap_dir "$D"

is "$(pkts_dir "$D" "incl != min(orig, 104)")" 0 \
	"--truncate-all: every packet, DNS and ICMP too, is captured to 4 + min(len, 100)"
f=$(file_of "$D" "$DIG" "dig-$DIG.pcap")
is "$(pkts "$f" 'sport == 53 && orig > 104 && incl == 104')" 1 \
	"--truncate-all: the DNS answer is cut to 104 in dig's file"
f=$(file_of "$D" "$DNSMASQ" "dnsmasq-$DNSMASQ.pcap")
is "$(pkts "$f" 'sport == 53 && orig > 104 && incl == 104')" 1 \
	"--truncate-all: the DNS answer is cut to 104 in dnsmasq's file"
f=$(file_of "$D" "$PING" "ping-$PING.pcap")
is "$(pkts "$f" "proto == 1 && orig == $PING_LEN && incl == 104")" 6 \
	"--truncate-all: ping's requests and replies are cut to 104"
is "$(pkts "$D/unknown.pcap" "src == \"$V4_SRV\" && icmptype == 0 && orig == $PING_LEN && incl == 104")" 3 \
	"--truncate-all: the kernel's echo replies are cut to 104"

# ----------------------------------------------------------- -s headers -----
D=$WORK/sheaders
start_netrec_or_bail -w "$D" -s headers
traffic "-s headers" big4 big6 dns ping udp
stop_netrec_ok
check_pcap_dir "$D"

is "$(pkts_dir "$D" "proto == 6 && $NOT_WHOLE_KIND && incl != 4 + iphl + l4hl")" 0 \
	"-s headers: every TCP packet (not DNS) is captured through its TCP header exactly"
is "$(pkts_dir "$D" "proto == 17 && $NOT_WHOLE_KIND && incl != 4 + iphl + 8")" 0 \
	"-s headers: every UDP packet (not DNS) is captured through its UDP header exactly"
is "$(pkts_dir "$D" "$IS_WHOLE_KIND && incl != orig")" 0 \
	"-s headers: every DNS and ICMP packet is whole"

f=$(file_of "$D" "$CURL4" "curl-$CURL4.pcap")
cmp_ok "$(pkts "$f" 'paylen > 0')" '>' 0 "-s headers: curl's IPv4 file has segments with payload"
is "$(pkts "$f" 'paylen > 0 && incl != 4 + 20 + l4hl')" 0 \
	"-s headers: IPv4 segments with payload keep 4 + 20 + TCP header bytes"
bad=$(tfields "$f" "tcp.len > 0" frame.cap_len ip.hdr_len tcp.hdr_len | awk '$1 != 4 + $2 + $3' | wc -l)
n=$(tfields "$f" "tcp.len > 0" frame.cap_len | wc -l)
cmp_ok "$n" '>' 0 "-s headers: tshark sees segments with payload (tcp.len > 0)"
is "$bad" 0 "-s headers: tshark agrees: frame.cap_len == 4 + ip.hdr_len + tcp.hdr_len"
n=$(server_payload "$f" 8080)
cmp_ok "$n" '>=' "$BIG" "-s headers: true IP lengths still add up to the whole body ($n >= $BIG)"

f=$(file_of "$D" "$CURL6" "curl-$CURL6.pcap")
cmp_ok "$(pkts "$f" 'ver == 6 && paylen > 0')" '>' 0 "-s headers: curl's IPv6 file has segments with payload"
is "$(pkts "$f" 'paylen > 0 && incl != 4 + 40 + l4hl')" 0 \
	"-s headers: IPv6 segments with payload keep 4 + 40 + TCP header bytes"

f=$(file_of "$D" "$DIG" "dig-$DIG.pcap")
is "$(pkts "$f" 'sport == 53 && orig > 104 && incl == orig')" 1 "-s headers: the DNS answer is whole"
f=$(file_of "$D" "$PING" "ping-$PING.pcap")
is "$(pkts "$f" "proto == 1 && orig == $PING_LEN && incl == orig")" 6 "-s headers: ping's packets are whole"
f=$(file_of "$D" "$USEND" "python3-$USEND.pcap")
is "$(pkts "$f" "proto == 17 && orig == $((4 + 28 + UDP_SIZE)) && incl == 32")" "$UDP_N" \
	"-s headers: the UDP sender's datagrams keep 4 + 20 + 8 bytes"

done_testing
