#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh: what the kernel side promises beyond attribution.
#  - timestamps agree with tcpdump's for the same packets within 1 ms;
#  - TCP super-packets larger than a perf sample (loopback GSO, up to
#    ~128 KB) are truncated with their true original length, never corrupt;
#  - small packets are batched per CPU, yet reach their file while netrec
#    runs, not only when it stops;
#  - nothing is lost silently: with a tiny perf buffer and a burst, the
#    summary counts the losses and recorded + lost == seen;
#  - with no cgroup v2 mounted, netrec mounts one privately, says so, and
#    removes it at exit.

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init
require_cmds tcpdump tshark ping unshare
netns_pair

# --- timestamps against tcpdump ---------------------------------------------
DIR=$WORK/ts
TOK=ts$(random_hex 3)
bg_ns TCPDUMP "$NS_CLI" tcpdump -i veth0 -nn -U --immediate-mode \
	--time-stamp-precision=nano -w "$WORK/td.pcap" icmp
wait_until 10 grep -q listening "$(err_of "$TCPDUMP")" ||
	bail "tcpdump did not start"
start_netrec_or_bail -w "$DIR"
run_ns PING "$NS_CLI" ping -n -c 5 -i 0.2 -W 5 -p "$(ascii_hex "$TOK")" "$V4_SRV"
ok $? "ping -c 5 gets its replies"
stop_netrec_ok
requests_seen() {
	[ "$(tfields "$WORK/td.pcap" "icmp.type==8" frame.number | wc -l)" -ge 5 ]
}
wait_until 10 requests_seen
kill -INT "$TCPDUMP"
wait_exit "$TCPDUMP" 10

# seq -> epoch of the echo requests, as each tool saw them.
tfields "$WORK/td.pcap" "icmp.type==8" icmp.seq frame.time_epoch |
	sort -n >"$WORK/td.ts"
tfields "$DIR/ping-$PING.pcap" "icmp.type==8" icmp.seq frame.time_epoch |
	sort -n >"$WORK/nr.ts"
is "$(wc -l <"$WORK/nr.ts")" 5 "netrec has the 5 echo requests"
is "$(wc -l <"$WORK/td.ts")" 5 "tcpdump has the 5 echo requests"
worst=$(join "$WORK/td.ts" "$WORK/nr.ts" | awk '
	{ d = $2 - $3; if (d < 0) d = -d; if (d > m) m = d; n++ }
	END { if (n != 5) print "unmatched"; else printf "%d\n", m * 1e6 }')
cmp_ok "$worst" '<' 1000 \
	"each request's timestamp is within 1 ms of tcpdump's (worst ${worst} us)"

# --- super-packets larger than a perf sample ---------------------------------
DIR=$WORK/gso
# Whole 64 KB samples at loopback speed: give the burst room to land (the
# loss accounting has its own test below).
start_netrec_or_bail -w "$DIR" -B 65536
# Both ends on the namespace's loopback: TSO there makes egress packets of
# up to ~128 KB that no perf sample can hold.
run_ns BULK "$NS_CLI" python3 "$PEER" bulk 127.0.0.1 7010 --bytes 8000000
ok $? "8 MB over loopback TCP"
stop_netrec_ok
check_summary "$NR_LOG"
f=$(file_of "$DIR" "$BULK" "python3-$BULK.pcap")
pcap_check "$f"
is "${PC[ok]:-}" 1 "the bulk transfer's file is a valid pcap (${PC[error]:-})"
big=$(tfields "$f" "frame.len > 65284" frame.cap_len | sort -u)
cmp_ok "$(tfields "$f" "frame.len > 65284" frame.number | wc -l)" '>' 0 \
	"packets larger than a perf sample were recorded"
is "$big" 65284 "they are cut at 65280 bytes of IP packet (+4 link header)"
bytes=$(tfields "$f" "tcp.srcport==7010 || tcp.dstport==7010" frame.len |
	awk '{ s += $1 - 4 } END { print s + 0 }')
cmp_ok "$bytes" '>' 16000000 \
	"their original lengths are true: both copies of 8 MB add up ($bytes bytes of IP)"

# --- batches are handed over without waiting for more packets ---------------
DIR=$WORK/staged
start_netrec_or_bail -v -w "$DIR" --split single
like "$(cat "$NR_LOG")" 'batching packets under' "small packets are batched per CPU"
run_ns PING "$NS_CLI" ping -n -c 3 -i 0.2 -W 5 "$V4_SRV"
ok $? "ping -c 3 gets its replies"
# Three per ping: the request out, the reply out of the kernel's ICMP
# socket and into ping's.  Far from filling a batch: only the reader's
# flush brings them to the writer while netrec runs.
pings_written() {
	kill -USR1 "$NR_PID"
	sleep 0.3
	[ "$(nr_count "$NR_LOG" "packets recorded")" -ge 9 ]
}
wait_until 10 pings_written
ok $? "a few pings are written while netrec runs ($(nr_count "$NR_LOG" "packets recorded") packets)"
stop_netrec_ok
f=$DIR/all.pcap
pcap_check "$f"
is "$(tcpdump -nn -r "$f" icmp 2>/dev/null | grep -c 'echo request')" 3 \
	"the three echo requests are in the file"

# --- losses are counted, not silent -----------------------------------------
DIR=$WORK/lossy
start_netrec_or_bail -w "$DIR" -B 64
# A burst far beyond a 64 KiB perf buffer.
run_ns BURST "$NS_CLI" python3 "$PEER" bulk 127.0.0.1 7011 --bytes 64000000
ok $? "64 MB over loopback TCP"
stop_netrec_ok
rec=$(nr_count "$NR_LOG" "packets recorded")
seen=$(nr_count "$NR_LOG" "packets seen")
lost=$(nr_count "$NR_LOG" "packets lost")
cmp_ok "${lost:-0}" '>' 0 "a 64 KiB perf buffer overflows and the loss is reported ($lost)"
is "$((rec + lost))" "$seen" "recorded + lost == seen ($rec + $lost vs $seen)"
tot=0
for f in "$DIR"/*.pcap; do
	n=$(capinfos -M -c "$f" 2>/dev/null | awk '/Number of packets/ { print $NF }')
	tot=$((tot + ${n:-0}))
done
is "$tot" "$rec" "the files hold exactly the packets the summary says were recorded"

# --- no cgroup v2 mounted ----------------------------------------------------
root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
DIR=$WORK/nocg
before=$(find /run -maxdepth 1 -name 'netrec-cgroup2.*' | wc -l)
# A private mount namespace in which the cgroup v2 hierarchy is unmounted.
timeout 60 unshare -m --propagation private sh -c \
	'umount -l "$1" && ! grep -q " cgroup2 " /proc/mounts &&
	 exec "$2" -w "$3" --duration 1' sh "$root" "$NETREC" "$DIR" \
	>"$WORK/nocg.out" 2>"$WORK/nocg.err"
is "$?" 0 "with no cgroup v2 mounted, netrec runs and exits 0"
like "$(cat "$WORK/nocg.err")" 'mounted one at' "it says it mounted one"
like "$(cat "$WORK/nocg.err")" 'capturing' "and captures"
is "$(find /run -maxdepth 1 -name 'netrec-cgroup2.*' | wc -l)" "$before" \
	"its private mount point is gone at exit"

done_testing
