#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# faults.sh: the output directory turning hostile while netrec runs.
#  - a symlink planted in place of the directory is refused at start;
#  - a directory that becomes read-only: errors are logged once per kind,
#    capture goes on, nothing is written anywhere else, and writing resumes
#    in a new chunk once the directory is writable again;
#  - a directory that disappears: errors logged, nothing recreated or
#    written elsewhere, netrec still stops cleanly.

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init
require_cmds mount umount capinfos
netns_pair

PORT=7301
TAG=$$$(random_hex 4)
BURST_COMM=nrburst
send_burst() { # MARK COUNT
	run_ns "SEND_$1" "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$PORT" \
		--count "$2" --size 200 --mark "$1$TAG" --interval 0.01 \
		--name "$BURST_COMM"
}
marked_in() { # DIR MARK: packets holding MARK in its sender's finished files
	local n=0 f c pid var=SEND_$2
	pid=${!var}
	# Only the sender's files: the kernel's ICMP errors quote the datagram.
	while IFS= read -r f; do
		c=$(pcount "$f" "$2$TAG")
		n=$((n + ${c:-0}))
	done < <(find "$1" -type f \( -name "*-$pid.pcap" -o -name "*-$pid.[0-9]*.pcap" \))
	echo "$n"
}

# --- a symlink in place of the directory -------------------------------------
mkdir -p "$WORK/elsewhere"
ln -s "$WORK/elsewhere" "$WORK/planted"
timeout 20 "$NETREC" -w "$WORK/planted" --duration 1 \
	>"$WORK/planted.out" 2>"$WORK/planted.err"
is "$?" 1 "a symlinked output directory is refused (exit 1)"
like "$(cat "$WORK/planted.err")" 'symlink' "the message says it is a symlink"
is "$(find "$WORK/elsewhere" -mindepth 1 | wc -l)" 0 "nothing is written where it points"

# --- a directory that becomes read-only ---------------------------------------
DIR=$WORK/ro
mkdir -p "$DIR"
# A read-only bind mount: root ignores mode bits, not a read-only mount.
mount --bind "$DIR" "$DIR" || bail "cannot bind-mount $DIR"
on_cleanup umount -l "$DIR"
# Only the bursts: a chunk that other traffic (another test's, in a
# parallel make check) opens would keep the mount from turning read-only.
start_netrec_or_bail -w "$DIR" --idle-close 1 --comm "$BURST_COMM"
send_burst RWA 20
wait_until 10 test "$(marked_in "$DIR" RWA)" -ge 20
is "$(marked_in "$DIR" RWA)" 20 "before: the burst is written (the chunk finished when idle)"
# The chunk's index is finished just after the chunk: nothing may be open
# for writing when the mount turns read-only.
wait_until 10 test -z "$(find "$DIR" -name '*.part')"
mount -o remount,ro,bind "$DIR" || bail "cannot remount $DIR read-only"
send_burst ROB 50
sleep 1.5
proc_alive "$NR_PID"
ok $? "netrec keeps running while it cannot write"
errs=$(grep -c 'Read-only file system' "$NR_LOG")
cmp_ok "$errs" '>=' 1 "the read-only file system is reported"
cmp_ok "$errs" '<=' 5 "... once per kind, not once per packet ($errs lines for 50 packets)"
mount -o remount,rw,bind "$DIR" || bail "cannot remount $DIR read-write"
send_burst RWC 20
wait_until 15 test "$(marked_in "$DIR" RWC)" -ge 20
is "$(marked_in "$DIR" RWC)" 20 "after: writing resumes, in a new chunk"
stop_netrec
is "$NR_RC" 0 "netrec exits 0: nothing was lost"
is "$(marked_in "$DIR" ROB)" 50 "the packets sent while it was read-only were held in memory and written after"
is "$(nr_count "$NR_LOG" "packets lost")" 0 "no packet lost"
bad=0
while IFS= read -r f; do
	capinfos "$f" >/dev/null 2>&1 || { bad=$((bad + 1)); diag "bad: $f"; }
done < <(find "$DIR" -type f -name '*.pcap')
is "$bad" 0 "every file left is a valid pcap"
is "$(find "$DIR" -name '*.part' | wc -l)" 0 "no .part is left"

# --- a directory that disappears ----------------------------------------------
DIR=$WORK/gone
start_netrec_or_bail -w "$DIR"
send_burst GA 10
rm -rf "$DIR"
send_burst GB 10
sleep 1
stop_netrec
is "$NR_RC" 1 "netrec stops and says some packets could not be written (exit 1)"
like "$(cat "$NR_LOG")" 'No such file or directory' "the vanished directory is reported"
check "the directory is not made again behind the user's back" test ! -e "$DIR"
is "$(find "$WORK" -newer "$NR_LOG" -name '*.pcap*' | wc -l)" 0 \
	"nothing was written anywhere else"

done_testing
