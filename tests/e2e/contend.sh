#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# contend.sh: records stay whole when the CPUs are oversubscribed.
#
# Small packets are staged per CPU (bpf/netrec.h).  With more runnable
# tasks than CPUs, a packet program in process context is preempted or
# interrupted (by softirqs, by the reader's flush) in the middle of
# staging, and another program takes the same CPU's stage.  A stage let go
# of too early shows as torn or duplicated records: garbage timestamps,
# packets out of time order, malformed samples.  A race, so not every
# broken build fails here; the release order is also spelled out in the
# program (stage_release()).

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init
netns_pair

DIR=$WORK/contended
start_netrec_or_bail -w "$DIR" --split single -s 96

# Two busy loops per CPU, and four processes each sending to itself over
# loopback: everything runs in process context and gets preempted.
ncpu=$(nproc)
HOGS=()
for _ in $(seq $((2 * ncpu))); do
	spawn H "" "" sh -c 'while :; do :; done'
	HOGS+=("$H")
done
BULKS=()
for port in 7020 7021 7022 7023; do
	bg_ns B "$NS_CLI" python3 "$PEER" bulk 127.0.0.1 "$port" --bytes 2000000000
	BULKS+=("$B")
done
fails=0
for b in "${BULKS[@]}"; do
	wait_exit "$b" 120 || fails=$((fails + 1))
done
is "$fails" 0 "four bulk transfers of 2 GB over loopback end, beside $((2 * ncpu)) busy loops"
for h in "${HOGS[@]}"; do
	stop_pid "$h"
done
stop_netrec_ok
check_summary "$NR_LOG"
unlike "$(cat "$NR_LOG")" 'malformed' "no malformed perf sample"
f=$DIR/all.pcap
pcap_check "$f"
is "${PC[ok]:-}" 1 "the file is a valid pcap (${PC[error]:-})"
rec=$(nr_count "$NR_LOG" "packets recorded")
is "$(capinfos -M -c "$f" 2>/dev/null | awk '/Number of packets/ { print $NF }')" \
	"$rec" "it holds every packet the summary counts"
# Each packet once: a torn stage sends entries twice.  Loopback TCP
# packets of one connection differ at least in sequence, ack or TSval.
dups=$(tshark -r "$f" -T fields -e frame.time_epoch -e tcp.srcport \
	-e tcp.dstport -e tcp.seq_raw -e tcp.ack_raw -e tcp.options.timestamp.tsval \
	-e frame.len 2>/dev/null | sort | uniq -d | wc -l)
is "$dups" 0 "no packet is recorded twice"
# Both copies of each packet (sender's egress, receiver's ingress), and
# the timestamps of records never run backwards.
cmp_ok "$(tshark -r "$f" -T fields -e frame.time_delta 2>/dev/null |
	awk '$1 < 0 { n++ } END { print n + 0 }')" '==' 0 \
	"timestamps never run backwards"

done_testing
