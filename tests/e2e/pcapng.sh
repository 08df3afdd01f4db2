#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pcapng.sh: --format pcapng.
#
#  - curl (IPv4, IPv6), python3 http.server and UDP senders in a netns
#    pair: <comm>-<pid>.pcapng files, one section each (SHB: machine,
#    kernel, netrec version, command line), one NULL interface with
#    if_tsresol 9 and a true snaplen, an ISB at close; every packet has
#    epb_flags (outbound for what its process sent, inbound for what it
#    received), epb_dropcount 0, epb_processid_threadid and a comment
#    "PID: / Cmd: / Args: / ThreadId: / ThreadName: / UserId: / ParentPID:"
#    (for a curl that exits at once as for one that lives a while);
#  - hostile thread names and arguments ("a\nPID: 1", ESC, UTF-8, '\')
#    stay inside their one line, escaped, and forge no "PID:" line;
#  - --no-context: no comments;
#  - --max-open 1 with 3 senders taking turns: every file is closed and
#    re-opened many times and is still one valid pcapng with every packet;
#  - packets the kernel sends for a socket whose process has exited (its
#    queued data and its FIN) are in that process's file.

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init
require_cmds curl jq readlink
netns_pair
start_httpd
RUN=$$-$(random_hex 3)
CURL_EXE=$(readlink -f "$(command -v curl)")
# python3 may be a wrapper (pyenv) that execs the real one.
PY_EXE=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')
PY_ARGV0=$(python3 -c 'print(open("/proc/self/cmdline").read().split("\0")[0])')

# comment_lines FILE PID KEY: the distinct "KEY: value" lines in the
# comments of PID's packets in FILE (values as netrec escaped them).
comment_lines() {
	python3 "$PNGTOOL" packets "$1" |
		jq -r --argjson pid "$2" --arg key "$3: " \
			'select(.pid == $pid) | .comments[0] // "" | split("\n")[] |
			 select(startswith($key))' | sort -u
}

# pkts_total DIR: packets in all the .pcapng files under DIR, by pngtool.
pkts_total() {
	local f n=0
	while IFS= read -r -d '' f; do
		png_check "$f"
		n=$((n + ${PNG[epbs]:-0}))
	done < <(find "$1" -type f -name '*.pcapng' -print0)
	echo "$n"
}

# ------------------------------------------------------------- basics ---
DIR=$WORK/png
PORT=7301
UDP_N=10
MARK=NRPNG-$RUN
HOST1=NRHOST1-$RUN
HOST2=NRHOST2-$RUN
NAME1=$'a\nPID: 1'
NAME2=$'\x1b[31m\xc3\xa9\\'
start_netrec_or_bail -w "$DIR" --format pcapng
curl_get CURL4 "$NS_CLI" "http://$V4_SRV:8080/$HELLO"
like "$(cat "$(out_of "$CURL4")")" '^200 ' "curl over IPv4 gets HTTP 200"
curl_get CURL6 "$NS_CLI" "http://[$V6_SRV]:8080/$HELLO"
like "$(cat "$(out_of "$CURL6")")" '^200 ' "curl over IPv6 gets HTTP 200"
bg_ns SLOWSRV "$NS_SRV" python3 "$PEER" http-slow "$V4_SRV" 8088 --delay 0.5 \
	--ready "$WORK/slow.ready"
wait_until 10 test -e "$WORK/slow.ready" || bail "http-slow did not start"
run_ns SLOW "$NS_CLI" curl --noproxy '*' -sS --max-time 10 -o /dev/null "http://$V4_SRV:8088/slow"
ok $? "curl from a server that answers after 0.5 s succeeds"
udp_receiver RECV "" "$NS_SRV" "$V4_SRV" "$PORT" $((3 * UDP_N))
run_ns SEND "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$PORT" \
	--count "$UDP_N" --size 300 --mark "$MARK"
ok $? "python3 sent $UDP_N datagrams"
# Hostile names: set with prctl(PR_SET_NAME) before the socket is made;
# the first one's argv holds a newline too.  They take a second, so that
# netrec finds them in /proc.
run_ns HSEND1 "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$PORT" \
	--count "$UDP_N" --size 100 --interval 0.1 --name "$NAME1" \
	--mark "$HOST1"$'\nPID: 1'
ok $? "sender named 'a\\nPID: 1' (argv with a newline too) sent $UDP_N datagrams"
run_ns HSEND2 "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$PORT" \
	--count "$UDP_N" --size 100 --interval 0.1 --name "$NAME2" --mark "$HOST2"
ok $? "sender named ESC '[31m' 'é' '\\' sent $UDP_N datagrams"
is "$(udp_received "$PORT")" $((3 * UDP_N)) "the receiver got all $((3 * UDP_N)) datagrams"
stop_netrec_ok
check_summary "$NR_LOG"
check_dir_mode "$DIR"
check_pcapng_dir "$DIR"
is "$(find "$DIR" -type f ! -name '*.pcapng' ! -name '*.pcapng.idx.jsonl' | wc -l)" 0 \
	"--format pcapng writes no other files than the pcapng files and their indexes"
is "$(pkts_total "$DIR")" "$(nr_count "$NR_LOG" "packets recorded")" \
	"the files hold exactly the packets the summary says were recorded"

is "$(png_pid_files "$DIR" "$CURL4")" "curl-$CURL4.pcapng" "curl -> curl-$CURL4.pcapng, and only there"
is "$(png_pid_files "$DIR" "$SEND")" "python3-$SEND.pcapng" "UDP sender -> python3-$SEND.pcapng"
is "$(png_pid_files "$DIR" "$HTTPD")" "python3-$HTTPD.pcapng" "http.server -> python3-$HTTPD.pcapng"

f=$(png_file_of "$DIR" "$CURL4" "curl-$CURL4.pcapng")
png_check "$f"
n=$(capinfos -M -c "$f" 2>/dev/null | awk '/Number of packets/ { print $NF }')
is "$(tcount "$f" frame)" "${PNG[epbs]:-x}" "tshark reads every packet of curl's file"
is "${n:-x}" "${PNG[epbs]:-y}" "capinfos counts every packet of curl's file"
like "$(capinfos "$f" 2>&1)" 'Number of stat entries = [1-9]' "capinfos sees curl's file's ISB"
is "${PNG[isb_ifrecv]:-x}" "${PNG[epbs]:-y}" "the ISB's isb_ifrecv counts the packets written"
is "$(tcount "$f" "ip.src==$V4_CLI && tcp.dstport==8080 && tcp.flags.syn==1 && tcp.flags.ack==0")" 1 \
	"curl's file: its SYN"
is "$(tcount "$f" "ip.src==$V4_SRV && http.response.code==200")" 1 "curl's file: the HTTP 200 response"
is "$(tcount "$f" "frame.comment contains \"PID: $CURL4\"")" "${PNG[epbs]:-x}" \
	"tshark: every packet's comment has 'PID: $CURL4'"
is "$(tcount "$f" "frame.comment contains \"Cmd: $CURL_EXE\"")" "${PNG[epbs]:-x}" \
	"tshark: every packet's comment has 'Cmd: $CURL_EXE'"
is "$(tcount "$f" "frame.comment contains \"Args: curl --noproxy \"")" "${PNG[epbs]:-x}" \
	"tshark: every packet's comment has 'Args: curl --noproxy ...'"
is "$(comment_lines "$f" "$CURL4" PID)" "PID: $CURL4" "curl's comments: PID: $CURL4"
is "$(comment_lines "$f" "$CURL4" Cmd)" "Cmd: $CURL_EXE" "curl's comments: Cmd: $CURL_EXE"
args=$(comment_lines "$f" "$CURL4" Args)
like "$args" "^Args: curl --noproxy .* --max-time 10 .*http://$V4_SRV:8080/hello\\.txt" \
	"curl's comments: Args: its whole command line"
is "$(comment_lines "$f" "$CURL4" ThreadName)" "ThreadName: curl" "curl's comments: ThreadName: curl"
is "$(comment_lines "$f" "$CURL4" UserId)" "UserId: 0" "curl's comments: UserId: 0"
is "$(comment_lines "$f" "$CURL4" ParentPID)" "ParentPID: $$" "curl's comments: ParentPID: $$ (this script)"
like "$(comment_lines "$f" "$CURL4" ThreadId)" '^ThreadId: [0-9]+$' "curl's comments: ThreadId: <tid>"
is "$(png_count "$f" 'has("pid") and .pid != null')" "${PNG[epbs]:-x}" \
	"curl's file: every packet has epb_processid_threadid"
is "$(png_count "$f" ".pid != $CURL4")" 0 "curl's file: option 8 names curl's pid in every packet"

# The same with a curl that lives 0.5 s longer (the server waits before
# answering): its context cannot have been missed for want of time.
f=$(png_file_of "$DIR" "$SLOW" "curl-$SLOW.pcapng")
is "$(png_pid_files "$DIR" "$SLOW")" "curl-$SLOW.pcapng" "slow curl -> curl-$SLOW.pcapng"
is "$(comment_lines "$f" "$SLOW" Cmd)" "Cmd: $CURL_EXE" "slow curl's comments: Cmd: $CURL_EXE"
is "$(comment_lines "$f" "$SLOW" Args)" "Args: curl --noproxy '*' -sS --max-time 10 -o /dev/null http://$V4_SRV:8088/slow" \
	"slow curl's comments: Args: its command line, quoted like a shell would"
is "$(comment_lines "$f" "$SLOW" ThreadName)" "ThreadName: curl" "slow curl's comments: ThreadName: curl"
is "$(comment_lines "$f" "$SLOW" ParentPID)" "ParentPID: $$" "slow curl's comments: ParentPID: $$ (this script)"
is "$(png_count "$f" '(.comments[0] // "" | split("\n") | map(split(": ")[0])) != ["PID", "Cmd", "Args", "ThreadId", "ThreadName", "UserId", "ParentPID"]')" 0 \
	"slow curl's comments: PID, Cmd, Args, ThreadId, ThreadName, UserId, ParentPID, in that order, in every packet"

# Direction: what a process sent is outbound, what it received inbound.
dirs() { tfields "$1" "$2" frame.packet_flags_direction | sort | uniq -c | awk '{ print $2 "x" $1 }' | paste -sd' ' -; }
out=$(tcount "$f" "ip.src==$V4_CLI")
in=$(tcount "$f" "ip.src==$V4_SRV")
cmp_ok "$out" '>' 0 "curl's file has packets curl sent"
cmp_ok "$in" '>' 0 "curl's file has packets curl received"
is "$(dirs "$f" "ip.src==$V4_CLI")" "0x00000002x$out" "curl's file: every packet curl sent is outbound"
is "$(dirs "$f" "ip.src==$V4_SRV")" "0x00000001x$in" "curl's file: every packet curl received is inbound"
f6=$(png_file_of "$DIR" "$CURL6" "curl-$CURL6.pcapng")
is "$(dirs "$f6" "ipv6.src==$V6_CLI")" "0x00000002x$(tcount "$f6" "ipv6.src==$V6_CLI")" \
	"curl (IPv6): every packet it sent is outbound"
is "$(dirs "$f6" "ipv6.src==$V6_SRV")" "0x00000001x$(tcount "$f6" "ipv6.src==$V6_SRV")" \
	"curl (IPv6): every packet it received is inbound"
fh=$(png_file_of "$DIR" "$HTTPD" "python3-$HTTPD.pcapng")
is "$(dirs "$fh" "ip.dst==$V4_SRV && http.request.method==\"GET\"")" "0x00000001x1" \
	"http.server's file: the GET it received is inbound"
is "$(dirs "$fh" "ip.src==$V4_SRV && http.response.code==200")" "0x00000002x1" \
	"http.server's file: the HTTP 200 it sent is outbound"
fs=$(png_file_of "$DIR" "$SEND" "python3-$SEND.pcapng")
fr=$(png_file_of "$DIR" "$RECV" "python3-$RECV.pcapng")
is "$(dirs "$fs" "udp.dstport==$PORT")" "0x00000002x$UDP_N" "UDP sender's file: its $UDP_N datagrams, outbound"
is "$(dirs "$fr" "udp.dstport==$PORT")" "0x00000001x$((3 * UDP_N))" \
	"UDP receiver's file: all $((3 * UDP_N)) datagrams, inbound"
is "$(tfields "$fs" "udp" frame.drop_count | sort -u)" 0 "UDP sender's file: frame.drop_count 0"
is "$(comment_lines "$fs" "$SEND" Cmd)" "Cmd: $PY_EXE" "UDP sender's comments: Cmd: $PY_EXE"
like "$(comment_lines "$fs" "$SEND" Args)" "^Args: $PY_ARGV0 $PEER udp-send $V4_SRV $PORT --count $UDP_N --size 300 --mark $MARK\$" \
	"UDP sender's comments: Args: its argv, joined by spaces"
png_where_is "$DIR" "$MARK" "$UDP_N python3-$SEND.pcapng, $UDP_N python3-$RECV.pcapng" \
	"the datagrams are in the sender's and the receiver's files only"

# --- hostile names -----------------------------------------------------------
for who in HSEND1 HSEND2; do
	pid=${!who}
	f=$(png_file_of "$DIR" "$pid" "$who-$pid.pcapng")
	is "$(png_pid_files "$DIR" "$pid" | wc -l)" 1 "$who: one file ($(png_pid_files "$DIR" "$pid"))"
	png_check "$f"
	is "${PNG[ok]:-0}/${PNG[epbs]:-}" "1/$UDP_N" "$who: its file is valid and holds its $UDP_N datagrams"
	is "${PNG[lines_ok]:-x}" "$UDP_N" "$who: every comment is only known 'Key: value' lines, each key once"
	is "$(python3 "$PNGTOOL" packets "$f" | jq -r '.comments[0] // "" | split("\n")[] | select(startswith("PID:"))' | sort | uniq -c | awk '{ $1 = $1 } 1')" \
		"$UDP_N PID: $pid" "$who: one 'PID:' line per comment, its own pid; no forged 'PID: 1'"
	is "$(tcount "$f" "frame.comment contains \"PID: $pid\"")" "$UDP_N" "$who: tshark reads the comments"
done
f=$(png_file_of "$DIR" "$HSEND1" x)
is "$(comment_lines "$f" "$HSEND1" ThreadName)" 'ThreadName: a\x0aPID: 1' \
	"name 'a\\nPID: 1': ThreadName: a\\x0aPID: 1"
args=$(comment_lines "$f" "$HSEND1" Args)
like "$args" "^Args: .*/peer\.py udp-send .* --mark .*$HOST1.*PID: 1'\$" "argv with a newline: all of it in the one Args line"
[[ $args == *"--name \$'a\\\\nPID: 1'"* ]]
ok $? "argv with a newline: shown as \$'a\\nPID: 1', its backslash escaped as \\\\" || diag "$args"
f=$(png_file_of "$DIR" "$HSEND2" x)
is "$(comment_lines "$f" "$HSEND2" ThreadName)" $'ThreadName: \\x1b[31m\xc3\xa9\\\\' \
	"name ESC '[31m' 'é' '\\': ThreadName: \\x1b[31mé\\\\ (UTF-8 kept, ESC and backslash escaped)"
png_check "$f"
is "${PNG[comment_utf8]:-x}" "$UDP_N" "name with 'é': every comment is valid UTF-8"

# ------------------------------------------------------------ --no-context
DIR=$WORK/noctx
start_netrec_or_bail -w "$DIR" --format pcapng --no-context
curl_get CURL "$NS_CLI" "http://$V4_SRV:8080/$HELLO"
like "$(cat "$(out_of "$CURL")")" '^200 ' "--no-context: curl gets HTTP 200"
stop_netrec_ok
check_pcapng_dir "$DIR"
f=$(png_file_of "$DIR" "$CURL" "curl-$CURL.pcapng")
png_check "$f"
cmp_ok "${PNG[epbs]:-0}" '>' 0 "--no-context: curl's file has its packets"
is "$(tcount "$f" "frame.comment")" 0 "--no-context: no packet of curl's has a comment (tshark)"
tot=0
while IFS= read -r -d '' g; do
	png_check "$g"
	tot=$((tot + ${PNG[with_comment]:-1}))
done < <(find "$DIR" -type f ! -name '*.idx.jsonl' -print0)
is "$tot" 0 "--no-context: no packet in any file has a comment"
is "$(dirs "$f" "ip.src==$V4_CLI")" "0x00000002x$(tcount "$f" "ip.src==$V4_CLI")" \
	"--no-context: the direction flags are still there"

# ------------------------------------------------- close and re-open (LRU)
DIR=$WORK/lru
PORT=7302
K=20
start_netrec_or_bail -w "$DIR" --format pcapng --max-open 1
udp_receiver RECV "" "$NS_SRV" "$V4_SRV" "$PORT" $((3 * K))
pids=()
rm -f "$WORK/lru.go"
for i in 1 2 3; do
	bg_ns SEND "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$PORT" --count "$K" \
		--size 200 --interval 0.03 --start "$WORK/lru.go" --mark "NRLRU$i-$RUN"
	pids+=("$SEND")
done
touch "$WORK/lru.go"
for i in 0 1 2; do
	wait_exit "${pids[$i]}" 30
	ok $? "--max-open 1: sender $((i + 1)) sent $K datagrams, taking turns with the others"
done
is "$(udp_received "$PORT")" $((3 * K)) "--max-open 1: the receiver got all $((3 * K))"
stop_netrec_ok
check_summary "$NR_LOG"
check_pcapng_dir "$DIR"
for i in 0 1 2; do
	pid=${pids[$i]}
	f=$(png_file_of "$DIR" "$pid" "python3-$pid.pcapng")
	is "$(png_pid_files "$DIR" "$pid")" "python3-$pid.pcapng" "--max-open 1: sender $((i + 1)) has one file"
	png_check "$f"
	is "${PNG[ok]:-0}/${PNG[sections]:-}/${PNG[epbs]:-}" "1/1/$K" \
		"--max-open 1: sender $((i + 1))'s file is one pcapng section with its $K packets"
	diag "  ($f: ${PNG[isbs]:-?} ISBs)"
	is "$(tcount "$f" "udp.dstport==$PORT")" "$K" "--max-open 1: tshark reads all $K of sender $((i + 1))'s packets"
	n=$(capinfos -M -c "$f" 2>/dev/null | awk '/Number of packets/ { print $NF }')
	is "${n:-x}" "$K" "--max-open 1: capinfos counts $K packets for sender $((i + 1))"
	is "$(python3 "$PNGTOOL" grep "$f" "NRLRU$((i + 1))-$RUN")" "$K" \
		"--max-open 1: ... all carrying sender $((i + 1))'s marker"
	is "$(tcount "$f" "frame.comment contains \"PID: $pid\"")" "$K" \
		"--max-open 1: ... each with its comment"
done
f=$(png_file_of "$DIR" "$RECV" "python3-$RECV.pcapng")
png_check "$f"
is "${PNG[ok]:-0}/${PNG[sections]:-}/${PNG[epbs]:-}" "1/1/$((3 * K))" \
	"--max-open 1: the receiver's file is one section with all $((3 * K)) packets"
is "$(tcount "$f" "udp.dstport==$PORT")" $((3 * K)) "--max-open 1: tshark reads all of the receiver's packets"

# ------------------------------------- packets sent after the process exited
# The client queues more than the server's small window takes, closes
# (SO_LINGER off) and exits at once.  The server reads nothing for a
# while; then the kernel sends the rest of the data, and the FIN after
# it, for a socket whose process is gone.
#
# orphan NAME PORT [--shut-first]: one such exchange, recorded with
# --format pcapng into $WORK/NAME.  With --shut-first the server sends its
# FIN first and the client waits for it before closing, so the client's
# socket ends in LAST_ACK, never TIME_WAIT: every packet of its, the
# server's ACK of its FIN included, belongs to the full socket.  Without,
# the client closes first; its socket becomes a TIME_WAIT mini socket once
# its FIN is acknowledged, and the cgroup hooks do not see packets of
# those (the server's FIN, the client's last ACK).
# Sets DIR, ORPH (the client's pid), QUEUED, CLOSED_NS, F (its file).
DELAY=2
orphan() {
	local name=$1 port=$2 shut=${3:-} unsent
	DIR=$WORK/$name
	rm -f "$WORK/sink.ready" "$WORK/sink.done" "$WORK/drop.done"
	start_netrec_or_bail -w "$DIR" --format pcapng
	bg_ns SINK "$NS_SRV" python3 "$PEER" tcp-sink "$V4_SRV" "$port" --delay "$DELAY" \
		--rcvbuf 4096 --ready "$WORK/sink.ready" --done "$WORK/sink.done" ${shut:+"$shut"}
	wait_until 10 test -e "$WORK/sink.ready" || bail "tcp-sink did not start"
	run_ns ORPH "$NS_CLI" python3 "$PEER" tcp-drop "$V4_SRV" "$port" --bytes 1000000 \
		--done "$WORK/drop.done" ${shut:+--wait-eof}
	ok $? "$name: the client queued its data, closed and exited"
	read -r _ QUEUED _ unsent _ CLOSED_NS <"$WORK/drop.done"
	diag "$name: client $ORPH queued $QUEUED bytes, $unsent not yet sent at close, closed at $CLOSED_NS"
	cmp_ok "${unsent:-0}" '>' 0 "$name: data was left unsent in the socket at close"
	wait_until 20 test -s "$WORK/sink.done"
	is "$(cat "$WORK/sink.done" 2>/dev/null)" "$QUEUED" \
		"$name: the server got all $QUEUED bytes after the client had exited"
	wait_exit "$SINK" 10
	stop_netrec_ok
	F=$(png_file_of "$DIR" "$ORPH" "python3-$ORPH.pcapng")
	is "$(png_pid_files "$DIR" "$ORPH")" "python3-$ORPH.pcapng" "$name: the client's packets -> python3-$ORPH.pcapng"
	tfields "$F" "tcp.port==$port" frame.time_epoch ip.src tcp.flags.str tcp.seq tcp.len \
		tcp.ack frame.packet_flags_direction >"$WORK/$name.txt"
	diag "$name: the client's file, last packets (time, src, flags, seq, len, ack, direction):" \
		"$(tail -n 5 "$WORK/$name.txt")"
}

# tcount0 FILE FILTER: tcount, 0 if there is no FILE.
tcount0() {
	if [ -f "$1" ]; then tcount "$@"; else echo 0; fi
}

# after_close FILE FILTER: the frames matching FILTER that are 0.5 s or
# more later than the client's close.
after_close() {
	tfields "$1" "$2" frame.time_epoch |
		awk -v c="${CLOSED_NS:-0}" '$1 * 1e9 > c + 5e8' | wc -l
}

# --- the client closes first ---
orphan orphan 7303
cli="ip.src==$V4_CLI && tcp.dstport==7303"
srv="ip.src==$V4_SRV && tcp.srcport==7303"
fin_ts=$(tfields "$F" "$cli && tcp.flags.fin==1" frame.time_epoch | head -n 1)
ok "$([ -n "$fin_ts" ]; echo $?)" "orphan: the client's FIN is in its file, though sent after it exited"
if [ -n "$fin_ts" ]; then
	gap=$(awk -v f="$fin_ts" -v c="$CLOSED_NS" 'BEGIN { printf "%d", (f * 1e9 - c) / 1e6 }')
	cmp_ok "$gap" '>=' $((DELAY * 1000 - 500)) \
		"orphan: the FIN went out ${gap} ms after the client closed (the server waited ${DELAY} s)"
fi
cmp_ok "$(after_close "$F" "$cli && tcp.len > 0")" '>' 0 \
	"orphan: data the kernel sent for the client after it exited is in its file"
cmp_ok "$(after_close "$F" "$srv")" '>' 0 \
	"orphan: ACKs the client's socket received after it exited are in its file"
end=$(tfields "$F" "$cli && tcp.len > 0" tcp.seq tcp.len | awk '{ e = $1 + $2; if (e > m) m = e } END { print m + 0 }')
is "$end" $((QUEUED + 1)) "orphan: every byte of data is in the client's file (the last ends at relative seq $((QUEUED + 1)))"
n=$(tcount "$F" "$cli && tcp.flags.fin==1")
is "$(dirs "$F" "$cli && tcp.flags.fin==1")" "0x00000002x$n" "orphan: the FIN is marked outbound"
is "$(tcount "$F" "$cli && tcp.flags.fin==1 && frame.comment contains \"PID: $ORPH\"")" "$n" \
	"orphan: the FIN's comment names the client's pid"
is "$(tcount0 "$DIR/unknown.pcapng" "tcp.port==7303")" 0 "orphan: nothing of the connection went to unknown.pcapng"
diag "orphan: the server's FIN and the client's last ACK (TIME_WAIT): $(tcount "$F" "$srv && tcp.flags.fin==1") and $(tcount "$F" "$cli && tcp.flags.fin==0 && tcp.len==0 && frame.time_epoch > $fin_ts") in the client's file, $(tcount0 "$DIR/unknown.pcapng" "tcp.port==7303") in unknown.pcapng"

# --- the server closes first: the client's socket ends in LAST_ACK ---
orphan orphan2 7304 --shut-first
cli="ip.src==$V4_CLI && tcp.dstport==7304"
srv="ip.src==$V4_SRV && tcp.srcport==7304"
is "$(tcount "$F" "$srv && tcp.flags.fin==1")" 1 "orphan2: the server's FIN is in the client's file"
srv_fin_end=$(tfields "$F" "$srv && tcp.flags.fin==1" tcp.seq | head -n 1)
srv_fin_end=$((${srv_fin_end:-0} + 1))
cmp_ok "$(tcount "$F" "$cli && tcp.ack >= $srv_fin_end")" '>' 0 \
	"orphan2: the client's ACK of the server's FIN is in its file"
fin=$(tfields "$F" "$cli && tcp.flags.fin==1" frame.time_epoch tcp.seq tcp.len | head -n 1)
read -r fin_ts fin_seq fin_len <<<"$fin"
ok "$([ -n "$fin_ts" ]; echo $?)" "orphan2: the client's FIN is in its file, though sent after it exited"
if [ -n "$fin_ts" ]; then
	gap=$(awk -v f="$fin_ts" -v c="$CLOSED_NS" 'BEGIN { printf "%d", (f * 1e9 - c) / 1e6 }')
	cmp_ok "$gap" '>=' $((DELAY * 1000 - 500)) \
		"orphan2: the FIN went out ${gap} ms after the client closed"
	is "$(tcount "$F" "$srv && tcp.ack == $((fin_seq + fin_len + 1))")" 1 \
		"orphan2: the server's ACK of the client's FIN, received after the client exited, is in its file"
fi
end=$(tfields "$F" "$cli && tcp.len > 0" tcp.seq tcp.len | awk '{ e = $1 + $2; if (e > m) m = e } END { print m + 0 }')
is "$end" $((QUEUED + 1)) "orphan2: every byte of data is in the client's file"
is "$(tcount0 "$DIR/unknown.pcapng" "tcp.port==7304")" 0 "orphan2: nothing of the connection went to unknown.pcapng"
is "$(tcount "$F" "tcp.port==7304 && !frame.comment contains \"PID: $ORPH\"")" 0 \
	"orphan2: every packet in the client's file names the client's pid"

done_testing
