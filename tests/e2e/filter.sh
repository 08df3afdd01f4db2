#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# filter.sh: recording only some processes, the filter applied in the
# kernel, and "netrec -- COMMAND".
#
#   --pid PID (once, twice)  only those processes' packets
#   --uid UID                only that user's (a sender run as nobody)
#   --comm NAME              only processes of that name (prctl-renamed)
#   --container ID           only that container's (docker-<64 hex>.scope
#                            cgroups made here), by 12-hex prefix and by
#                            full id, also a container that starts after
#                            netrec did
#   -- COMMAND ARGS          run COMMAND in a cgroup of its own
#                            (netrec-run-<netrec's pid>), record it and its
#                            children from their first packet, nothing
#                            else, stop when it exits, remove the cgroup
#
# Datagrams carry a marker per sender; "where" lists the files holding it.
# Every run also has senders that must be left out, and the summary must
# count what the filters left out.

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init
require_cmds curl setpriv
netns_pair
start_httpd
RUN=$$-$(random_hex 3)
K=10
# For the sender run as nobody: a python3 it may execute (a pyenv shim
# under /root may not be).
SYS_PY=/usr/bin/python3
[ -x "$SYS_PY" ] || SYS_PY=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')

# sender VAR CGROUP COUNT MARK [peer.py options]: COUNT datagrams of 200
# bytes to the receiver on $PORT, in the background, from CGROUP ("" for
# none), waiting for $WORK/go.$PORT first.
sender() {
	local var=$1 cg=$2 count=$3 mark=$4
	shift 4
	spawn "$var" "$cg" "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$PORT" \
		--count "$count" --size 200 --mark "$mark" --start "$WORK/go.$PORT" "$@"
}

# go N: let the senders go; wait for them and for the receiver's N.
go() {
	local pid rc=0
	touch "$WORK/go.$PORT"
	for pid in "${SENDERS[@]}"; do
		wait_exit "$pid" 30 || rc=1
	done
	ok "$rc" "port $PORT: every sender sent its datagrams"
	is "$(udp_received "$PORT")" "$1" "port $PORT: the receiver got all $1"
}

# left_out MIN: the summary's "N packets left out by the filters", N >= MIN.
left_out() {
	local n
	n=$(nr_count "$NR_LOG" "packets left out by the filters")
	cmp_ok "${n:-0}" '>=' "$1" "the summary says ${n:-no} packets were left out by the filters (>= $1)" ||
		diag_file "$NR_LOG" 8
}

# files_are DIR WANT DESC: the files under DIR, sorted, space-separated.
files_are() {
	is "$(cd "$1" && find . -type f ! -name '*.idx.jsonl' | sed 's|^\./||' | LC_ALL=C sort | paste -sd' ' -)" \
		"$(printf '%s\n' "$2" | tr ' ' '\n' | LC_ALL=C sort | paste -sd' ' -)" "$3"
}

# ------------------------------------------------------------------ --pid
PORT=7401
udp_receiver RECV "" "$NS_SRV" "$V4_SRV" "$PORT" $((2 * K))
SENDERS=()
sender S1 "" "$K" "NRP1-$RUN"
SENDERS+=("$S1")
sender S2 "" "$K" "NRP2-$RUN"
SENDERS+=("$S2")
D=$WORK/pid
start_netrec_or_bail -w "$D" --pid "$S1"
go $((2 * K))
stop_netrec_ok
check_summary "$NR_LOG"
check_pcap_dir "$D" whole
files_are "$D" "python3-$S1.pcap" "--pid $S1: only its file, python3-$S1.pcap"
where_is "$D" "NRP1-$RUN" "$K python3-$S1.pcap" "--pid $S1: its $K datagrams are recorded"
where_is "$D" "NRP2-$RUN" "" "--pid $S1: the other sender's are not"
is "$(nr_count "$NR_LOG" "packets recorded")" "$K" "--pid $S1: $K packets recorded, nothing else"
left_out $((3 * K))

PORT=7402
udp_receiver RECV "" "$NS_SRV" "$V4_SRV" "$PORT" $((3 * K))
SENDERS=()
for i in 1 2 3; do
	sender S "" "$K" "NRPP$i-$RUN"
	SENDERS+=("$S")
done
D=$WORK/pid2
start_netrec_or_bail -w "$D" --pid "${SENDERS[0]}" --pid "${SENDERS[2]}"
go $((3 * K))
stop_netrec_ok
check_summary "$NR_LOG"
files_are "$D" "python3-${SENDERS[0]}.pcap python3-${SENDERS[2]}.pcap" \
	"--pid A --pid C: their two files only"
where_is "$D" "NRPP1-$RUN" "$K python3-${SENDERS[0]}.pcap" "--pid A --pid C: A's datagrams are recorded"
where_is "$D" "NRPP3-$RUN" "$K python3-${SENDERS[2]}.pcap" "--pid A --pid C: C's datagrams are recorded"
where_is "$D" "NRPP2-$RUN" "" "--pid A --pid C: B's are not"
left_out $((4 * K))

# ------------------------------------------------------------------ --uid
PORT=7403
D=$WORK/uid
start_netrec_or_bail -w "$D" --uid 65534
udp_receiver RECV "" "$NS_SRV" "$V4_SRV" "$PORT" $((2 * K))
# The script comes on stdin, opened by root: nobody cannot read $WORK.
# shellcheck disable=SC2016 # $0 and $@ belong to the inner sh
run_ns NOBODY "$NS_CLI" sh -c 'py=$1; shift; exec setpriv --reuid=65534 --regid=65534 --clear-groups -- "$py" - "$@" <"$0"' \
	"$PEER" "$SYS_PY" udp-send "$V4_SRV" "$PORT" --count "$K" --size 200 --mark "NRU1-$RUN"
ok $? "a sender running as uid 65534 sent $K datagrams"
run_ns ROOTS "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$PORT" --count "$K" --size 200 --mark "NRU0-$RUN"
ok $? "a sender running as root sent $K datagrams"
is "$(udp_received "$PORT")" $((2 * K)) "the receiver got all $((2 * K))"
stop_netrec_ok
check_summary "$NR_LOG"
check_pcap_dir "$D" whole
files_are "$D" "python3-$NOBODY.pcap" "--uid 65534: only the nobody sender's file"
where_is "$D" "NRU1-$RUN" "$K python3-$NOBODY.pcap" "--uid 65534: its $K datagrams are recorded"
where_is "$D" "NRU0-$RUN" "" "--uid 65534: root's are not"
left_out $((3 * K))

# ----------------------------------------------------------------- --comm
PORT=7404
NAME=nrflt$(random_hex 2)
D=$WORK/comm
start_netrec_or_bail -w "$D" --comm "$NAME"
udp_receiver RECV "" "$NS_SRV" "$V4_SRV" "$PORT" $((2 * K))
run_ns RENAMED "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$PORT" --count "$K" --size 200 \
	--mark "NRC1-$RUN" --name "$NAME"
ok $? "a sender named $NAME sent $K datagrams"
run_ns PLAIN "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$PORT" --count "$K" --size 200 \
	--mark "NRC0-$RUN" --name "${NAME}x"
ok $? "a sender named ${NAME}x sent $K datagrams"
is "$(udp_received "$PORT")" $((2 * K)) "the receiver got all $((2 * K))"
stop_netrec_ok
check_summary "$NR_LOG"
files_are "$D" "$NAME-$RENAMED.pcap" "--comm $NAME: only its file, $NAME-$RENAMED.pcap"
where_is "$D" "NRC1-$RUN" "$K $NAME-$RENAMED.pcap" "--comm $NAME: its $K datagrams are recorded"
where_is "$D" "NRC0-$RUN" "" "--comm $NAME: those of ${NAME}x (same prefix) are not"
left_out $((3 * K))

# ------------------------------------------------------------ --container
if ! cgroup2_root >/dev/null; then
	skip "no cgroup2 file system mounted: --container untested"
	done_testing
fi
ID1=$(random_hex 32)
ID2=$(random_hex 32)
ID3=$(random_hex 32)
cg_make CG1 "docker-$ID1.scope"
cg_make CG2 "docker-$ID2.scope"
diag "containers: ${ID1:0:12} (chosen), ${ID2:0:12} (not)"
for sel in "${ID1:0:12}" "$ID1"; do
	PORT=$((PORT + 1))
	udp_receiver RECV "" "$NS_SRV" "$V4_SRV" "$PORT" $((3 * K))
	SENDERS=()
	sender C1 "$CG1" "$K" "NRK1-$RUN-$PORT"
	SENDERS+=("$C1")
	sender C2 "$CG2" "$K" "NRK2-$RUN-$PORT"
	SENDERS+=("$C2")
	sender H "" "$K" "NRKH-$RUN-$PORT"
	SENDERS+=("$H")
	D=$WORK/ctr$PORT
	start_netrec_or_bail -w "$D" --container "$sel"
	go $((3 * K))
	curl_get HCURL "$NS_CLI" "http://$V4_SRV:8080/$HELLO&$PORT"
	like "$(cat "$(out_of "$HCURL")")" '^200 ' "curl on the host gets HTTP 200"
	stop_netrec_ok
	check_summary "$NR_LOG"
	check_pcap_dir "$D" whole
	files_are "$D" "python3-$C1.pcap" "--container $sel: only the container's sender has a file"
	where_is "$D" "NRK1-$RUN-$PORT" "$K python3-$C1.pcap" "--container $sel: its $K datagrams are recorded"
	where_is "$D" "NRK2-$RUN-$PORT" "" "--container $sel: the other container's are not"
	where_is "$D" "NRKH-$RUN-$PORT" "" "--container $sel: the host sender's are not"
	where_is "$D" "GET /$HELLO&$PORT" "" "--container $sel: the host's HTTP traffic is not"
	left_out $((5 * K))
done

# A container that starts while netrec runs: found by its rescan.
PORT=$((PORT + 1))
D=$WORK/ctrlate
start_netrec_or_bail -w "$D" --container "${ID3:0:12}"
cg_make CG3 "docker-$ID3.scope"
N=40
udp_receiver RECV "" "$NS_SRV" "$V4_SRV" "$PORT" "$N"
run_cg LATE "$CG3" "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$PORT" --count "$N" \
	--size 200 --interval 0.1 --mark "NRKL-$RUN"
ok $? "a container made after netrec started sent $N datagrams over 4 s"
is "$(udp_received "$PORT")" "$N" "the receiver got all $N"
stop_netrec_ok
f=$(file_of "$D" "$LATE" "python3-$LATE.pcap")
n=$(pcount "$f" "NRKL-$RUN")
cmp_ok "$n" '>=' $((N / 2)) "--container ${ID3:0:12}, made later: its datagrams are recorded from within 2 s on ($n of $N)"
files_are "$D" "python3-$LATE.pcap" "--container ${ID3:0:12}, made later: only its file"

# ------------------------------------------------------ netrec -- COMMAND
PORT=$((PORT + 1))
CG2ROOT=$(cgroup2_root)
# Unrelated traffic all along: a sender started outside, 5 s of datagrams.
udp_receiver RECV "" "$NS_SRV" "$V4_SRV" "$PORT" 100
bg_ns BUSY "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$PORT" --count 100 --size 200 \
	--interval 0.05 --mark "NRBUSY-$RUN"
D=$WORK/cmd
URL1="http://$V4_SRV:8080/$HELLO&cmd1"
URL2="http://[$V6_SRV]:8080/$HELLO&cmd2"
# The command: where it runs (its cgroup), two curls, when it ended.
# shellcheck disable=SC2016 # for the inner sh
CMD='cat /proc/self/cgroup >"$0/cmd.cgroup"
curl --noproxy "*" -g -sS -o /dev/null -w "%{http_code}\n" "$1" &&
curl --noproxy "*" -g -sS -o /dev/null -w "%{http_code}\n" "$2"
rc=$?
date +%s.%N >"$0/cmd.end"
exit $rc'
start_netrec -w "$D" -- ip netns exec "$NS_CLI" sh -c "$CMD" "$WORK" "$URL1" "$URL2"
ok $? "netrec -w DIR -- ip netns exec <cli> sh -c 'curl ...; curl ...' starts" ||
	bail "netrec did not start with a command"
CMD_PID=$NR_PID
# shellcheck disable=SC2016 # for the inner sh
on_cleanup sh -c '[ ! -d "$0" ] || rmdir "$0"' "$CG2ROOT/netrec-run-$CMD_PID"
wait_exit "$NR_PID" 30
NR_RC=$?
t_exit=$(date +%s.%N)
is "$NR_RC" 0 "netrec exits 0 by itself when the command exits" || {
	diag_file "$NR_LOG"
	[ "$NR_RC" = 124 ] && stop_netrec
}
NR_PID=
is "$(paste -sd' ' "$NR_OUT")" "200 200" "the command's two curls got HTTP 200 (its output is netrec's stdout)"
is "$(sed -n 's/^0:://p' "$WORK/cmd.cgroup" 2>/dev/null)" "/netrec-run-$CMD_PID" \
	"the command ran in cgroup /netrec-run-$CMD_PID"
took=$(awk -v a="$(cat "$WORK/cmd.end" 2>/dev/null || echo 0)" -v b="$t_exit" 'BEGIN { printf "%d", (b - a) * 1000 }')
cmp_ok "$took" '<' 3000 "netrec was gone ${took} ms after the command ended (< 3 s)"
check "the cgroup netrec made for the command is removed" test ! -e "$CG2ROOT/netrec-run-$CMD_PID"
check_summary "$NR_LOG"
check_pcap_dir "$D" whole
curls=$(cd "$D" && find . -type f ! -name '*.idx.jsonl' | sed 's|^\./||' | LC_ALL=C sort | paste -sd' ' -)
like "$curls" '^curl-[0-9]+\.pcap curl-[0-9]+\.pcap$' "-- COMMAND: exactly two files, one per curl ($curls)"
for c in $curls; do
	is "$(tcount "$D/$c" "frame.number==1 && tcp.dstport==8080 && tcp.flags.syn==1 && tcp.flags.ack==0")" 1 \
		"$c: its first packet is the SYN (recorded from the start)"
	is "$(tcount "$D/$c" "http.response.code==200")" 1 "$c: the HTTP 200 response"
done
is "$(where "$D" "GET /$HELLO&cmd1" | cut -f1 | paste -sd' ' -)" 1 "-- COMMAND: the first curl's GET is recorded, once"
is "$(where "$D" "GET /$HELLO&cmd2" | cut -f1 | paste -sd' ' -)" 1 "-- COMMAND: the second curl's (IPv6) too"
where_is "$D" "NRBUSY-$RUN" "" "-- COMMAND: the sender running outside at the same time is not recorded"
is "$(pid_files "$D" "$HTTPD")" "" "-- COMMAND: http.server (outside) has no file"
left_out 10
wait_exit "$BUSY" 30
ok $? "the unrelated sender ran to its end"

done_testing
