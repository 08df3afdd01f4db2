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
#
# And a writer held up for seconds (its file system frozen) catches up in
# time order: its backlog holds the watermarks it has not read yet, so it
# must not fall back on releasing whatever waited over a second.
#
# A busy writer runs at nice 19 while it keeps up (src/priority.c).
# Beside busy loops that leaves it almost no CPU: it must be brought back
# to netrec's priority when the queue fills, before packets could be lost.

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init
netns_pair

DIR=$WORK/contended
start_netrec_or_bail -w "$DIR" --split single -s 96

# netrec's writer thread, found by its name.
writer_tid() {
	local t
	for t in /proc/"$NR_PID"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = netrec-writer ] || continue
		echo "${t##*/}"
		return 0
	done
	return 1
}
writer_nice() { awk '{ print $19 }' "/proc/$NR_PID/task/$(writer_tid)/stat"; }
NR_NICE=$(awk '{ print $19 }' "/proc/$NR_PID/stat")
sleep 0.5
is "$(writer_nice)" "$NR_NICE" "with little to write, the writer keeps netrec's nice $NR_NICE"

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
is "${PC[ts_sorted]:-}" 1 "timestamps never run backwards" || diag "${PC[bad]:-}"

# --- a writer starved at nice 19 is brought back -----------------------------
# The writer alone on a CPU with two busy loops.  A flood of small
# datagrams keeps it busy: while it keeps up it steps aside to nice 19,
# where it gets next to nothing of the CPU, and the queue fills.  The
# reader must bring it back to netrec's nice level, which gives it a third
# of the CPU: plenty.  Left at nice 19 it would fall behind until the perf
# buffers overflowed.
if [ "$ncpu" -ge 2 ] && command -v taskset >/dev/null; then
	DIR=$WORK/starved
	start_netrec_or_bail -w "$DIR" --split single -s 96
	taskset -p -c 0 "$(writer_tid)" >/dev/null
	ok $? "the writer is pinned to CPU 0"
	HOGS=()
	for _ in 1 2; do
		spawn H "" "" taskset -c 0 sh -c 'while :; do :; done'
		HOGS+=("$H")
	done
	bg_ns R "$NS_CLI" python3 "$PEER" udp-recv 127.0.0.1 7040 \
		--count 1000000000 --ready "$WORK/ready-starved" --done "$WORK/done-starved"
	wait_until 10 test -s "$WORK/ready-starved" || bail "udp-recv did not start"
	# Flood until the writer stepped aside and came back, for at most 30 s.
	aside=0 back=0 end=$((SECONDS + 30))
	while [ "$SECONDS" -lt "$end" ]; do
		bg_ns S "$NS_CLI" taskset -c 1 python3 "$PEER" udp-send 127.0.0.1 7040 \
			--count 20000 --size 64 --mark starved
		while proc_alive "$S"; do
			case $(writer_nice) in
			19) aside=1 ;;
			"$NR_NICE") [ "$aside" = 0 ] || back=1 ;;
			esac
			sleep 0.02
		done
		wait_exit "$S" 10
		[ "$back" = 1 ] && break
	done
	is "$aside" 1 "the busy writer stepped aside to nice 19"
	is "$back" 1 "the starved writer was brought back to netrec's nice $NR_NICE"
	for h in "${HOGS[@]}"; do
		stop_pid "$h"
	done
	stop_pid "$R"
	stop_netrec_ok
	check_summary "$NR_LOG"
else
	skip "a starved writer: needs two CPUs and taskset"
fi

# --- a writer held up for seconds catches up in order ------------------------
# Two senders, one on each of two CPUs, so that every pass of the reader
# interleaves two CPUs' packets in the queue.  The output directory is on
# a file system of its own, frozen for 2.5 s: write() blocks, the backlog
# grows to tens of thousands of packets (a few MB, far below the queue),
# and is written once the file system thaws.
MNT=$WORK/mnt
mkdir -p "$MNT"
if [ "$ncpu" -lt 2 ] || ! command -v fsfreeze >/dev/null ||
	! command -v taskset >/dev/null || ! command -v mkfs.ext4 >/dev/null ||
	! { truncate -s 256M "$WORK/fs.img" &&
		mkfs.ext4 -q -F "$WORK/fs.img" &&
		mount -o loop "$WORK/fs.img" "$MNT"; }; then
	skip "a writer held up: needs two CPUs, fsfreeze, taskset, mkfs.ext4 and a loop device"
	done_testing
	exit 0
fi
thaw_and_umount() {
	fsfreeze -u "$1" 2>/dev/null
	umount -l "$1"
}
on_cleanup thaw_and_umount "$MNT"
DIR=$MNT/out
start_netrec_or_bail -w "$DIR" --split single -s 96
RECVS=()
SENDS=()
for cpu in 0 1; do
	port=$((7030 + cpu))
	bg_ns R "$NS_CLI" python3 "$PEER" udp-recv 127.0.0.1 "$port" \
		--count 20000 --ready "$WORK/ready$cpu" --done "$WORK/done$cpu"
	RECVS+=("$R")
	wait_until 10 test -s "$WORK/ready$cpu" || bail "udp-recv did not start"
done
for cpu in 0 1; do
	bg_ns S "$NS_CLI" taskset -c "$cpu" python3 "$PEER" udp-send \
		127.0.0.1 $((7030 + cpu)) --count 20000 --size 64 --mark held \
		--interval 0.0002
	SENDS+=("$S")
done
sleep 1
fsfreeze -f "$MNT"
ok $? "the output file system is frozen"
sleep 2.5
fsfreeze -u "$MNT"
ok $? "and thawed 2.5 s later"
fails=0
for p in "${SENDS[@]}" "${RECVS[@]}"; do
	wait_exit "$p" 60 || fails=$((fails + 1))
done
is "$fails" 0 "two senders on two CPUs send 20000 datagrams each, received"
stop_netrec_ok
check_summary "$NR_LOG"
is "$(tcount "$DIR/all.pcap" "udp.dstport==7030 || udp.dstport==7031")" 80000 \
	"the file holds every datagram twice (sent and received)"
pcap_check "$DIR/all.pcap"
is "${PC[ts_sorted]:-}" 1 "its timestamps never run backwards" || diag "${PC[bad]:-}"

done_testing
