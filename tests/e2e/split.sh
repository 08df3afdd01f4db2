#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# split.sh: which file each packet goes to.
#
#   --split single              DIR/all.pcap, nothing else
#   --split command             DIR/<comm>.pcap; existing names are never
#                               overwritten (<comm>.1.pcap, <comm>.2.pcap, ...)
#   --split container           DIR/<12 hex>.pcap for a process in a cgroup
#                               docker-<64 hex>.scope, DIR/host.pcap otherwise
#   --split container,process   DIR/<12 hex>/<comm>-<pid>.pcap, DIR/host/...
#   hostile comms               percent-encoded, never a path out of DIR
#   --max-open 2                5 processes sending at once: files are closed
#                               and re-opened, no packet lost, all valid pcap
#
# Datagrams carry a unique marker; "where" lists the files holding it.  Each
# UDP datagram is recorded twice: at the sender's egress, at the receiver's
# ingress.

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init
require_cmds curl ping sha256sum
netns_pair
start_httpd
RUN=$$-$(random_hex 3)

# send VAR CGROUP COUNT MARK [peer.py options]: COUNT datagrams from cli to
# the receiver on $PORT, in CGROUP ("" for none).
send() {
	local var=$1 cg=$2 count=$3 mark=$4
	shift 4
	run_cg "$var" "$cg" "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$PORT" \
		--count "$count" --size 200 --mark "$mark" "$@"
	ok $? "sent $count datagrams marked $mark${cg:+ from cgroup ${cg##*/}}"
}

# --------------------------------------------------------------- single ---
D=$WORK/single
PORT=7201
start_netrec_or_bail -w "$D" --split single
udp_receiver RECV "" "$NS_SRV" "$V4_SRV" "$PORT" 10
send SEND "" 10 "NRS1-$RUN"
is "$(udp_received "$PORT")" 10 "single: the receiver got 10 datagrams"
curl_get CURL "$NS_CLI" "http://$V4_SRV:8080/$HELLO"
like "$(cat "$(out_of "$CURL")")" '^200 ' "single: curl gets HTTP 200"
PTOK=s1$(random_hex 3)
run_ns PING "$NS_CLI" ping -n -c 2 -i 0.2 -W 5 -p "$(ascii_hex "$PTOK")" "$V4_SRV"
ok $? "single: ping -c 2 gets its replies"
stop_netrec_ok
check_pcap_dir "$D" whole
is "$(cd "$D" && find . -mindepth 1 | sort | tr '\n' ' ')" "./all.pcap ./all.pcap.idx.jsonl " \
	"--split single: DIR holds all.pcap, its index and nothing else"
is "$(pcount "$D/all.pcap" "NRS1-$RUN")" 20 "all.pcap: each datagram twice (sender, receiver)"
is "$(pcount "$D/all.pcap" "$GET_HELLO")" 2 "all.pcap: the GET twice (curl, http.server)"
is "$(pcount "$D/all.pcap" "$HELLO_BODY")" 2 "all.pcap: the response body twice"
is "$(pcount "$D/all.pcap" "$PTOK")" 6 \
	"all.pcap: ping's 2 requests, and its 2 replies twice (from the kernel, to ping)"

# -------------------------------------------------------------- command ---
D=$WORK/command
PORT=7202
start_netrec_or_bail -w "$D" --split command
udp_receiver RECV "" "$NS_SRV" "$V4_SRV" "$PORT" 13
send SEND "" 10 "NRC1-$RUN"
send XSEND "" 3 "NRCX-$RUN" --name ../../x
is "$(udp_received "$PORT")" 13 "command: the receiver got 13 datagrams"
curl_get CURL1 "$NS_CLI" "http://$V4_SRV:8080/$HELLO"
like "$(cat "$(out_of "$CURL1")")" '^200 ' "command: first curl gets HTTP 200"
curl_get CURL2 "$NS_CLI" "http://[$V6_SRV]:8080/$HELLO"
like "$(cat "$(out_of "$CURL2")")" '^200 ' "command: second curl (IPv6) gets HTTP 200"
PTOK=s2$(random_hex 3)
run_ns PING "$NS_CLI" ping -n -c 2 -i 0.2 -W 5 -p "$(ascii_hex "$PTOK")" "$V4_SRV"
ok $? "command: ping -c 2 gets its replies"
stop_netrec_ok
check_pcap_dir "$D" whole
is "$(find "$D" -mindepth 1 -type d | wc -l)" 0 "--split command makes no subdirectories"
is "$(tcount "$D/curl.pcap" "(ip.dst==$V4_SRV || ipv6.dst==$V6_SRV) && tcp.dstport==8080 && tcp.flags.syn==1 && tcp.flags.ack==0")" 2 \
	"curl.pcap: both curls' SYNs"
where_is "$D" "$GET_HELLO" "2 curl.pcap, 2 python3.pcap" \
	"the GETs are in curl.pcap (sent) and python3.pcap (received by http.server)"
where_is "$D" "NRC1-$RUN" "20 python3.pcap" "python3 sender and receiver share python3.pcap"
where_is "$D" "NRCX-$RUN" "3 %2E.%2F..%2Fx.pcap, 3 python3.pcap" \
	"comm '../../x' -> %2E.%2F..%2Fx.pcap"
where_is "$D" "$PTOK" "4 ping.pcap, 2 unknown.pcap" "ping.pcap and unknown.pcap (the kernel's replies)"
is "$(pid_files "$D" "$CURL1")$(pid_files "$D" "$CURL2")$(pid_files "$D" "$SEND")" "" \
	"--split command: no per-process files"

# Never overwrite: two more runs into the same directory.
sum0=$(cd "$D" && sha256sum curl.pcap python3.pcap)
for i in 1 2; do
	start_netrec_or_bail -w "$D" --split command
	curl_get CURL "$NS_CLI" "http://$V4_SRV:8080/$HELLO"
	like "$(cat "$(out_of "$CURL")")" '^200 ' "rerun $i: curl gets HTTP 200"
	stop_netrec_ok
	is "$(pcount "$D/curl.$i.pcap" "$GET_HELLO")" 1 \
		"rerun $i into the same DIR: this run's curl traffic is in curl.$i.pcap"
done
is "$(cd "$D" && sha256sum curl.pcap python3.pcap)" "$sum0" \
	"the first run's curl.pcap and python3.pcap are untouched"
is "$(pcount "$D/curl.1.pcap" "$GET_HELLO") $(pcount "$D/curl.2.pcap" "$GET_HELLO")" "1 1" \
	"curl.1.pcap is untouched by the third run"
check_pcap_dir "$D"

# ------------------------------------------------------------ container ---
if ! cgroup2_root >/dev/null; then
	skip "no cgroup2 file system mounted: container splits untested"
	done_testing
fi
ID1=$(random_hex 32)
ID2=$(random_hex 32)
C1=${ID1:0:12}
C2=${ID2:0:12}
cg_make CG1 "docker-$ID1.scope"
cg_make CG2 "docker-$ID2.scope"
diag "containers: $C1 (senders, curl; cli) and $C2 (receiver; srv)"

D=$WORK/container
PORT=7203
start_netrec_or_bail -w "$D" --split container
udp_receiver RECV "$CG2" "$NS_SRV" "$V4_SRV" "$PORT" 17
send SEND "$CG1" 10 "NRCT-$RUN"
send HSEND "" 7 "NRHO-$RUN"
is "$(udp_received "$PORT")" 17 "container: the receiver got 17 datagrams"
run_cg CURL "$CG1" "$NS_CLI" curl --noproxy '*' -sS --max-time 10 -o /dev/null \
	-w '%{http_code}' "http://$V4_SRV:8080/$HELLO"
is "$(cat "$(out_of "$CURL")")" 200 "container: curl in container $C1 gets HTTP 200"
stop_netrec_ok
check_pcap_dir "$D" whole
check "$C1.pcap exists" test -f "$D/$C1.pcap"
check "$C2.pcap exists" test -f "$D/$C2.pcap"
check "host.pcap exists" test -f "$D/host.pcap"
where_is "$D" "NRCT-$RUN" "10 $C1.pcap, 10 $C2.pcap" \
	"container's datagrams: sent in $C1.pcap, received in $C2.pcap, none in host.pcap"
where_is "$D" "NRHO-$RUN" "7 $C2.pcap, 7 host.pcap" \
	"host's datagrams: sent in host.pcap, received in $C2.pcap"
where_is "$D" "$GET_HELLO" "1 $C1.pcap, 1 host.pcap" \
	"curl's GET: sent in $C1.pcap, received by (host) http.server in host.pcap"
is "$(find "$D" -mindepth 1 -type d | wc -l)" 0 "--split container makes no subdirectories"
is "$(find "$D" -name "*$ID1*" | wc -l)" 0 "no file is named after the full container id"
is "$(pid_files "$D" "$SEND")$(pid_files "$D" "$CURL")" "" "--split container: no per-process files"

# ---------------------------------------------------- container,process ---
D=$WORK/ctrproc
PORT=7204
start_netrec_or_bail -w "$D" --split container,process
udp_receiver RECV "$CG2" "$NS_SRV" "$V4_SRV" "$PORT" 17
send SEND "$CG1" 10 "NRCP-$RUN"
send HSEND "" 7 "NRHP-$RUN"
is "$(udp_received "$PORT")" 17 "container,process: the receiver got 17 datagrams"
run_cg CURL "$CG1" "$NS_CLI" curl --noproxy '*' -sS --max-time 10 -o /dev/null \
	-w '%{http_code}' "http://$V4_SRV:8080/$HELLO"
is "$(cat "$(out_of "$CURL")")" 200 "container,process: curl in container $C1 gets HTTP 200"
stop_netrec_ok
check_pcap_dir "$D" whole
pid_file_is "$D" "$SEND" "$C1/python3-$SEND.pcap" "container sender -> $C1/python3-$SEND.pcap"
pid_file_is "$D" "$RECV" "$C2/python3-$RECV.pcap" "container receiver -> $C2/python3-$RECV.pcap"
pid_file_is "$D" "$HSEND" "host/python3-$HSEND.pcap" "host sender -> host/python3-$HSEND.pcap"
pid_file_is "$D" "$CURL" "$C1/curl-$CURL.pcap" "container curl -> $C1/curl-$CURL.pcap"
pid_file_is "$D" "$HTTPD" "host/python3-$HTTPD.pcap" "host http.server -> host/python3-$HTTPD.pcap"
where_is "$D" "NRCP-$RUN" "10 $C1/python3-$SEND.pcap, 10 $C2/python3-$RECV.pcap" \
	"container's datagrams are in the sender's and receiver's files"
where_is "$D" "NRHP-$RUN" "7 $C2/python3-$RECV.pcap, 7 host/python3-$HSEND.pcap" \
	"host's datagrams are in the host sender's and the receiver's files"
where_is "$D" "$GET_HELLO" "1 $C1/curl-$CURL.pcap, 1 host/python3-$HTTPD.pcap" \
	"curl's GET is in its file and http.server's"
is "$(find "$D" -mindepth 2 -type d | wc -l)" 0 "container,process: one level of directories"

# ------------------------------------------------------- hostile comms ---
# DIR two levels down in a fresh tree: nothing may appear outside it.
T=$WORK/tree
mkdir -p "$T/a/b"
D=$T/a/b/out
PORT=7205
names=("../../x" ".hidden" "a b/c" "50%off" "averyveryverylongname" ".." "café")
encoded=("%2E.%2F..%2Fx" "%2Ehidden" "a%20b%2Fc" "50%25off" "averyveryverylo" "%2E." "caf%C3%A9")
start_netrec_or_bail -w "$D"
udp_receiver RECV "" "$NS_SRV" "$V4_SRV" "$PORT" $((3 * ${#names[@]}))
pids=()
for i in "${!names[@]}"; do
	send "SEND" "" 3 "NRSAN$i-$RUN" --name "${names[$i]}"
	pids+=("$SEND")
done
is "$(udp_received "$PORT")" $((3 * ${#names[@]})) "sanitize: the receiver got every datagram"
stop_netrec_ok
check_pcap_dir "$D" whole
for i in "${!names[@]}"; do
	pid_file_is "$D" "${pids[$i]}" "${encoded[$i]}-${pids[$i]}.pcap" \
		"comm '${names[$i]}' -> ${encoded[$i]}-${pids[$i]}.pcap"
	is "$(pcount "$(file_of "$D" "${pids[$i]}" "${encoded[$i]}-${pids[$i]}.pcap")" "NRSAN$i-$RUN")" 3 \
		"comm '${names[$i]}': its 3 datagrams are in its file"
done
is "$(cd "$T" && find . -path ./a/b/out/\* -prune -o -print | sort | tr '\n' ' ')" \
	". ./a ./a/b ./a/b/out " "nothing was created outside DIR"
is "$(find "$D" -mindepth 1 -type d | wc -l)" 0 "no subdirectory was created inside DIR"
is "$(find "$D" -name '.*' | wc -l)" 0 "no hidden file was created"

# ---------------------------------------------------------- --max-open ---
D=$WORK/maxopen
PORT=7206
K=30
start_netrec_or_bail -w "$D" --max-open 2
udp_receiver RECV "" "$NS_SRV" "$V4_SRV" "$PORT" $((5 * K))
pids=()
rm -f "$WORK/maxopen.go"
for i in 1 2 3 4 5; do
	bg_ns SEND "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$PORT" --count "$K" \
		--size 200 --interval 0.02 --start "$WORK/maxopen.go" --mark "NRMO$i-$RUN"
	pids+=("$SEND")
done
touch "$WORK/maxopen.go"
for i in 0 1 2 3 4; do
	wait_exit "${pids[$i]}" 30
	ok $? "--max-open 2: sender $((i + 1)) sent $K datagrams, interleaved with the others"
done
is "$(udp_received "$PORT")" $((5 * K)) "--max-open 2: the receiver got all $((5 * K))"
stop_netrec_ok
check_summary "$NR_LOG"
check_pcap_dir "$D" whole
for i in 0 1 2 3 4; do
	f=$(file_of "$D" "${pids[$i]}" "python3-${pids[$i]}.pcap")
	pid_file_is "$D" "${pids[$i]}" "python3-${pids[$i]}.pcap" "--max-open 2: sender $((i + 1)) has one file"
	pcap_check "$f"
	is "${PC[count]:-none}" "$K" "--max-open 2: sender $((i + 1))'s file holds exactly its $K packets"
	is "$(pcount "$f" "NRMO$((i + 1))-$RUN")" "$K" "--max-open 2: ... all carrying its marker"
done
f=$(file_of "$D" "$RECV" "python3-$RECV.pcap")
is "$(pcount "$f" "-$RUN")" $((5 * K)) "--max-open 2: the receiver's file holds all $((5 * K))"

done_testing
