#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# service.sh: what netrec does with a chunk once it is finished, and what it
# does as a long-running service.
#
#   --compress -z    each finished chunk X becomes X.zst (via X.zst.part,
#                    then X is removed): at no moment is neither there, no
#                    .pcap or .part is left, zstd -t passes, and zstdcat
#                    gives back exactly the bytes the chunk had (compared
#                    with hard links taken of the .part while it was being
#                    written); tcpdump reads it; together the chunks hold
#                    the summary's recorded packets.  The -z hook (a path
#                    with spaces) gets each .zst path exactly once, after
#                    compression, as its one argument, at nice 10; a
#                    process named 'x;touch pwned' never gets a shell to
#                    run its name
#   -z, status 3     without --compress the hook gets the .pcap paths; its
#                    failure is logged per chunk ("exited with status 3")
#   SIGHUP           with --compress, the chunks SIGHUP finishes get
#                    compressed while netrec runs on
#   --max-total      on an 8 MiB tmpfs, ~13 MB of traffic in 200 KiB
#                    chunks: the finished chunks stay within the budget,
#                    the oldest go first, every deletion is logged, a chunk
#                    with a .hold beside it stays, .part files are never
#                    touched, nothing fails to be written
#   --min-free N%    the same tmpfs keeps N% free
#   ENOSPC           a 1 MiB tmpfs, no retention, heavy traffic: netrec runs
#                    on, says so once (not per packet), counts the write
#                    errors, leaves only valid files; once space is freed
#                    the same process's packets go to a new chunk
#   -Z USER          ids and capabilities dropped in every thread, capture
#                    goes on, the files are the user's; an unknown user is
#                    refused before capturing

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init
require_cmds zstd zstdcat tcpdump useradd userdel mount umount cmp
netns_pair
RUN=$$-$(random_hex 3)
# <stem>.<YYYYMMDDTHHMMSSZ>.<seq>.pcap (see rotate.sh)
ROT_RE='^(.+)\.([0-9]{8}T[0-9]{6}Z)\.([0-9]+)(\.[0-9]+)?\.pcap$'

SVC=$WORK/svc.py
cat >"$SVC" <<'PY'
#!/usr/bin/env python3
"""Helpers of service.sh.

  svc.py burst PORT --dir D --size S --phase N:MARK [--phase N:MARK ...]
               [--interval SEC]
      One process, both ends of UDP on 127.0.0.1:PORT: per phase, send N
      datagrams of S bytes starting with MARK to itself (reading them back
      as it goes), write D/phaseI.done ("sent received"), and, before the
      next phase, wait for D/phaseI.go.
  svc.py watch DIR --stop F --out O [--link SAVE]
      Until F exists, list DIR (top level) as often as it can.  With
      --link, hard-link every "*.pcap.part" (not ".zst.part") as it appears
      to SAVE/<name without .part>: the link keeps the chunk's final
      content even once it is renamed, compressed and removed.  O gets
      key=value lines: snapshots, linked, maxsum (the largest sum of the
      sizes of the finished chunks *.pcap, *.pcap.zst at one time), gaps
      (finished chunks X seen, then absent along with X.zst), zstpart
      (distinct .zst.part names seen); O.parts the .part names seen.
"""
import argparse
import os
import socket
import sys
import time


def atomic_write(path, text):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def wait_file(path, limit=120.0):
    end = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > end:
            sys.exit("svc: gave up waiting for %s" % path)
        time.sleep(0.02)


def burst(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("127.0.0.1", a.port))
    s.setblocking(False)
    phases = []
    for p in a.phase:
        n, mark = p.split(":", 1)
        phases.append((int(n), mark.encode()))
    for i, (n, mark) in enumerate(phases, 1):
        payload = (mark + b"." * a.size)[:a.size]
        got = 0
        for k in range(n):
            s.sendto(payload, ("127.0.0.1", a.port))
            while True:
                try:
                    s.recv(65536)
                    got += 1
                except BlockingIOError:
                    break
            if a.interval and k + 1 < n:
                time.sleep(a.interval)
        end = time.monotonic() + 5
        while got < n and time.monotonic() < end:
            try:
                s.recv(65536)
                got += 1
            except BlockingIOError:
                time.sleep(0.01)
        atomic_write(os.path.join(a.dir, "phase%d.done" % i),
                     "%d %d\n" % (n, got))
        if i < len(phases):
            wait_file(os.path.join(a.dir, "phase%d.go" % i))


FINISHED = (".pcap", ".pcapng", ".pcap.zst", ".pcapng.zst")


def watch(a):
    linked = set()
    seen_final = set()
    gaps = []
    zstpart = set()
    parts = set()
    maxsum = 0
    snaps = 0
    end = time.monotonic() + 180
    while not os.path.exists(a.stop) and time.monotonic() < end:
        try:
            names = set(os.listdir(a.dir))
        except FileNotFoundError:
            time.sleep(0.01)
            continue
        snaps += 1
        total = 0
        for n in names:
            if n.endswith(".zst.part"):
                zstpart.add(n)
                continue
            if n.endswith(".part"):
                parts.add(n)
                if a.link and n.endswith(".pcap.part") and n not in linked:
                    try:
                        os.link(os.path.join(a.dir, n),
                                os.path.join(a.link, n[:-5]))
                        linked.add(n)
                    except OSError:
                        pass
                continue
            if n.endswith(FINISHED):
                try:
                    total += os.lstat(os.path.join(a.dir, n)).st_size
                except OSError:
                    pass
        maxsum = max(maxsum, total)
        for x in seen_final:
            if x not in names and x + ".zst" not in names:
                gaps.append(x)
        seen_final |= {n for n in names if n.endswith(".pcap")}
        seen_final -= set(gaps)
    with open(a.out + ".parts", "w") as f:
        for n in sorted(parts):
            f.write(n + "\n")
    with open(a.out, "w") as f:
        f.write("snapshots=%d\nlinked=%d\nmaxsum=%d\nzstpart=%d\n"
                % (snaps, len(linked), maxsum, len(zstpart)))
        f.write("gaps=%s\n" % " ".join(sorted(set(gaps))))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    b = sub.add_parser("burst")
    b.add_argument("port", type=int)
    b.add_argument("--dir", required=True)
    b.add_argument("--size", type=int, required=True)
    b.add_argument("--phase", action="append", required=True)
    b.add_argument("--interval", type=float, default=0.0)
    b.set_defaults(fn=burst)
    w = sub.add_parser("watch")
    w.add_argument("dir")
    w.add_argument("--stop", required=True)
    w.add_argument("--out", required=True)
    w.add_argument("--link")
    w.set_defaults(fn=watch)
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
PY

# ------------------------------------------------------------- helpers ---

# files DIR: the regular files directly in DIR, sorted (C locale); the
# chunks' indexes (index.sh tests those) left out.
files() {
	find "$1" -maxdepth 1 -type f ! -name '*.idx.jsonl*' -printf '%f\n' |
		LC_ALL=C sort
}

# all_files DIR: every regular file under DIR, relative paths, sorted;
# the chunks' indexes left out.
all_files() {
	find "$1" -type f ! -name '*.idx.jsonl*' -printf '%P\n' | LC_ALL=C sort
}

# wkey KEY FILE: the value of KEY in a key=value FILE.
wkey() {
	sed -n "s/^$1=//p" "$2"
}

# seq_of NAME: the chunk sequence number in a rotated chunk's name.
seq_of() {
	[[ $1 =~ $ROT_RE ]] && echo "$((10#${BASH_REMATCH[3]}))"
}

# mount_tmpfs DIR SIZE: a tmpfs of SIZE on DIR, unmounted at exit.
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2,mode=0700" "nrtest$$" "$1" ||
		bail "cannot mount a tmpfs on $1"
	on_cleanup _umount "$1"
}

# shellcheck disable=SC2317 # called through on_cleanup
_umount() {
	mountpoint -q "$1" || return 0
	umount "$1" 2>/dev/null || umount -l "$1" ||
		diag "could not unmount $1"
}

# start_watch NAME DIR [SAVE]: svc.py watch on DIR; stop_watch NAME ends it.
start_watch() {
	local name=$1 dir=$2 save=${3:-} extra=()
	[ -n "$save" ] && extra=(--link "$save")
	rm -f "$WORK/$name.stop"
	bg_ns "WATCH_$name" "" python3 "$SVC" watch "$dir" \
		--stop "$WORK/$name.stop" --out "$WORK/$name.watch" "${extra[@]}"
}

stop_watch() {
	local pid_var=WATCH_$1
	touch "$WORK/$1.stop"
	wait_exit "${!pid_var}" 20 || diag "watcher $1 did not stop"
	[ -s "$WORK/$1.watch" ] || bail "watcher $1 wrote nothing"
}

# burst VAR PORT DIR SIZE PHASE... [-- EXTRA...]: svc.py burst in $NS_CLI,
# in the background.
burst() {
	local var=$1 port=$2 dir=$3 size=$4 a=()
	shift 4
	mkdir -p "$dir"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		a+=(--phase "$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	bg_ns "$var" "$NS_CLI" python3 "$SVC" burst "$port" --dir "$dir" \
		--size "$size" "${a[@]}" "$@"
}

# phase_done DIR I [SECONDS]: wait for phase I of a burst; "sent received".
phase_done() {
	wait_until "${3:-60}" test -e "$1/phase$2.done"
	cat "$1/phase$2.done" 2>/dev/null || echo none
}

# zcount FILE.zst: packets in its decompressed content ("bad" if not
# a whole pcap).
zcount() {
	local tmp=$WORK/zcount.pcap
	zstdcat -q "$1" >"$tmp" 2>/dev/null || { echo bad; return; }
	pcap_check "$tmp"
	if [ "${PC[ok]:-0}" = 1 ]; then echo "${PC[count]}"; else echo bad; fi
}

HOOKD="$WORK/hook dir"
HOOK="$HOOKD/post hook.sh"
mkdir -p "$HOOKD" "$WORK/cwd"
# The hook notes, tab-separated: its argument count, its argument, whether
# that file exists, whether the file without .zst does, and its nice value;
# then exits with the status in "$HOOKD/status".
cat >"$HOOK" <<'SH'
#!/bin/sh
d=$(dirname "$0")
if [ -e "$1" ]; then there=y; else there=n; fi
if [ -e "${1%.zst}" ] && [ "${1%.zst}" != "$1" ]; then orig=y; else orig=n; fi
ni=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f17)
printf '%s\t%s\t%s\t%s\t%s\n' "$#" "$1" "$there" "$orig" "$ni" >>"$d/calls.log"
exit "$(cat "$d/status")"
SH
chmod 755 "$HOOK"

# The name a process gets: ';' and ' ' would be shell syntax.  netrec's
# file name has them percent-encoded; the hook must get it as one argument.
HOSTILE='x;touch pwned'
HOSTILE_STEM='x%3Btouch%20pwned'

# ============================================== --compress and -z hook ===
D=$WORK/cz
SAVE=$WORK/cz.saved
mkdir -p "$D" "$SAVE"
chmod 700 "$D"
echo 0 >"$HOOKD/status"
: >"$HOOKD/calls.log"
start_watch cz "$D" "$SAVE"
# netrec (and so the hook) runs in a directory of its own: where a shell
# given the hostile name would make "pwned".
HERE=$PWD
cd "$WORK/cwd" || bail "cd $WORK/cwd"
start_netrec_or_bail -w "$D" -C 10k --compress -z "$HOOK"
cd "$HERE" || bail "cd $HERE"
PORT=7401
udp_receiver RECV "" "$NS_CLI" 127.0.0.1 "$PORT" 40
# 40 datagrams of 1032 captured bytes, 10 ms apart: 4 chunks of 10.
run_ns SEND "$NS_CLI" python3 "$PEER" udp-send 127.0.0.1 "$PORT" --count 40 \
	--size 1000 --interval 0.01 --mark "NRZ-$RUN" --name "$HOSTILE"
ok $? "compress: a process named '$HOSTILE' sent 40 datagrams"
is "$(udp_received "$PORT")" 40 "compress: the receiver got them all"
stop_netrec_ok
stop_watch cz
check_summary "$NR_LOG"
S=$HOSTILE_STEM-$SEND
mapfile -t all < <(files "$D")
is "$(printf '%s\n' "${all[@]}" | grep -v '\.pcap\.zst$')" "" \
	"compress: every file left is a .pcap.zst (no .pcap, .part or .zst.part)"
mapfile -t mine < <(printf '%s\n' "${all[@]}" | grep -F "$S." | sed 's/\.zst$//' |
	grep -E "$ROT_RE")
is "${#mine[@]}" 4 "compress: the sender's 4 chunks are named $S.<time>.<seq>.pcap.zst"
bad=''
for f in "${all[@]}"; do
	zstd -q -t "$D/$f" 2>/dev/null || bad+="$f "
done
is "$bad" "" "compress: zstd -t passes on all ${#all[@]} files"
bad='' total=0 modes=''
for f in "${all[@]}"; do
	n=$(zcount "$D/$f")
	if [ "$n" = bad ]; then bad+="$f "; else total=$((total + n)); fi
	[ "$(mode_of "$D/$f")" = 600 ] || modes+="$f ($(mode_of "$D/$f")) "
done
is "$bad" "" "compress: each decompresses to a pcap that parses to its last byte"
is "$total" "$(nr_count "$NR_LOG" "packets recorded")" \
	"compress: their packets add up to the summary's recorded count"
is "$modes" "" "compress: every .zst has mode 0600"
n=0
for f in "${mine[@]}"; do
	zstdcat -q "$D/$f.zst" >"$WORK/cz.one.pcap"
	n=$((n + $(pcount "$WORK/cz.one.pcap" "NRZ-$RUN")))
done
is "$n" 40 "compress: the sender's chunks hold its 40 datagrams"
first=${mine[0]:-none}
got=$(zstdcat "$D/$first.zst" 2>/dev/null | tcpdump -nn -r - 2>"$WORK/cz.tcpdump" | grep -c 'UDP')
is "$got" 10 "compress: 'zstdcat $first.zst | tcpdump -r -' shows its 10 datagrams" ||
	diag_file "$WORK/cz.tcpdump" 3
# Byte for byte: the links the watcher took of each .part.
mapfile -t saved < <(files "$SAVE")
same=0 differ='' missing=''
for f in "${saved[@]}"; do
	[ -e "$D/$f.zst" ] || continue
	if zstdcat -q "$D/$f.zst" | cmp -s - "$SAVE/$f"; then
		same=$((same + 1))
	else
		differ+="$f "
	fi
done
for f in "${mine[@]}"; do
	[ -e "$SAVE/$f" ] || missing+="$f "
done
is "$missing" "" "compress: the watcher caught each of the sender's chunks while it was written"
is "$differ" "" "compress: zstdcat X.zst is byte for byte the chunk X was ($same compared)"
cmp_ok "$same" '>=' 4 "compress: at least the sender's 4 chunks were compared"
is "$(wkey gaps "$WORK/cz.watch")" "" \
	"compress: no chunk was ever missing both as X and as X.zst (over $(wkey snapshots "$WORK/cz.watch") listings)"
diag "compress: .zst.part names seen while compressing: $(wkey zstpart "$WORK/cz.watch")"
unlike "$(cat "$NR_LOG")" 'cannot compress|zstd ' "compress: no compression error is logged"

# --- the hook, as run with --compress ---
CALLS=$HOOKD/calls.log
is "$(cut -f2 "$CALLS" | LC_ALL=C sort | uniq -d)" "" "-z: no chunk is handed to the hook twice"
is "$(cut -f2 "$CALLS" | LC_ALL=C sort)" "$(printf "$D/%s\n" "${all[@]}")" \
	"-z: the hook got each finished chunk, as DIR/<name>.zst, and nothing else"
is "$(cut -f1 "$CALLS" | sort -u)" 1 "-z: always as its one argument, spaces in its own path or not"
is "$(cut -f3,4 "$CALLS" | sort -u | tr '\t' ' ')" "y n" \
	"-z: it runs after compression: X.zst exists, X is gone"
is "$(cut -f5 "$CALLS" | sort -u)" 10 "-z: the hook runs at nice 10"
check "-z: the hostile name ran nothing (no 'pwned' in netrec's directory)" \
	test ! -e "$WORK/cwd/pwned"
check "-z: ... nor in the output or the hook's directory" \
	test ! -e "$D/pwned" -a ! -e "$HOOKD/pwned"
unlike "$(cat "$NR_LOG")" 'exited with status|killed by signal' \
	"-z: a hook that exits 0 draws no warning"

# ========================================= -z alone, a failing hook ===
D=$WORK/hz
echo 3 >"$HOOKD/status"
: >"$CALLS"
# Chunks in subdirectories: host/<comm>-<pid>.<time>.<seq>.pcap.
start_netrec_or_bail -w "$D" -C 10k -z "$HOOK" --split container,process
PORT=7402
udp_receiver RECV "" "$NS_CLI" 127.0.0.1 "$PORT" 30
run_ns SEND "$NS_CLI" python3 "$PEER" udp-send 127.0.0.1 "$PORT" --count 30 \
	--size 1000 --interval 0.005 --mark "NRX-$RUN"
ok $? "-z status 3: the sender sent 30 datagrams"
stop_netrec_ok
mapfile -t all < <(all_files "$D")
is "$(cut -f2 "$CALLS" | LC_ALL=C sort)" "$(printf "$D/%s\n" "${all[@]}")" \
	"-z status 3: without --compress the hook gets each .pcap (DIR/sub/name), once"
is "$(cut -f3 "$CALLS" | sort -u)" y "-z status 3: the file exists when the hook runs"
cmp_ok "$(grep -c "^1	$D/host/python3-$SEND\.[^/]*\.pcap	" "$CALLS")" '==' 3 \
	"-z status 3: the sender's 3 chunks are among them, as $D/host/python3-$SEND.*.pcap"
mapfile -t warned < <(grep -F "exited with status 3" "$NR_LOG")
is "${#warned[@]}" "$(grep -c . "$CALLS")" \
	"-z status 3: each failed run is logged 'exited with status 3'"
nonaming=''
while IFS=$'\t' read -r _ p _; do
	grep -qF "$p exited with status 3" "$NR_LOG" || nonaming+="$p "
done <"$CALLS"
is "$nonaming" "" "-z status 3: each warning names the chunk"
check_pcap_dir "$D" whole

# ================================================== SIGHUP, --compress ===
D=$WORK/hupz
start_netrec_or_bail -w "$D" --compress
PORT=7403
udp_receiver RECV "" "$NS_CLI" 127.0.0.1 "$PORT" 5
bg_ns SEND "$NS_CLI" python3 "$PEER" udp-send 127.0.0.1 "$PORT" --count 5 \
	--size 300 --mark "NRH-$RUN" --linger 30
S=python3-$SEND
is "$(udp_received "$PORT")" 5 "SIGHUP: the sender's 5 datagrams arrived"
wait_until 5 test -e "$D/$S.pcap.part"
ok $? "SIGHUP: the sender's chunk is open ($S.pcap.part)"
# Watch the post-processing's system calls, to see the order of the steps.
# shellcheck disable=SC2317 # called through wait_until
traced() {
	local st
	for st in /proc/"$NR_PID"/task/*/status; do
		[ "$(awk '/^TracerPid:/ { print $2 }' "$st")" = "$STRACE" ] || return 1
	done
}
STRACE=
if command -v strace >/dev/null 2>&1; then
	bg_ns STRACE "" strace -f -qq -p "$NR_PID" -o "$WORK/hupz.strace" \
		-e trace=openat2,fsync,renameat2,unlinkat
	wait_until 10 traced || diag "strace did not attach to every thread"
fi
kill -HUP "$NR_PID"
# shellcheck disable=SC2317 # called through wait_until
hup_done() {
	[ -e "$D/$S.pcap.zst" ] && [ ! -e "$D/$S.pcap" ] && [ ! -e "$D/$S.pcap.part" ]
}
wait_until 10 hup_done
ok $? "SIGHUP: the chunk is finished and compressed to $S.pcap.zst, nothing else left of it"
check "SIGHUP: netrec keeps running" proc_alive "$NR_PID"
check "SIGHUP: the sender is still alive (its chunk was finished by SIGHUP)" proc_alive "$SEND"
check "SIGHUP: zstd -t passes" zstd -q -t "$D/$S.pcap.zst"
zstdcat -q "$D/$S.pcap.zst" >"$WORK/hupz.pcap"
is "$(pcount "$WORK/hupz.pcap" "NRH-$RUN")" 5 "SIGHUP: it decompresses to the 5 datagrams"
if [ -n "$STRACE" ]; then
	stop_pid "$STRACE"
	# The line numbers of: the .zst.part created (its fd), that fd
	# fsync'ed, the .zst.part renamed to .zst, the chunk unlinked.
	order=$(awk -v s="$S" '
		index($0, "openat2(") && index($0, "\"" s ".pcap.zst.part\"") && / = [0-9]+$/ { o = NR; fd = $NF }
		o && !f && $0 ~ ("fsync\\(" fd "\\) += 0$") { f = NR }
		index($0, "renameat2(") && index($0, "\"" s ".pcap.zst.part\"") &&
			index($0, "\"" s ".pcap.zst\"") && / = 0$/ { r = NR }
		index($0, "unlinkat(") && index($0, "\"" s ".pcap\", 0)") && / = 0$/ { u = NR }
		END { print (o && f && r && u && o < f && f < r && r < u) ? "ok" : "create " o ", fsync " f ", rename " r ", unlink " u }
	' "$WORK/hupz.strace")
	is "$order" ok "SIGHUP: (strace) $S.pcap.zst.part is created, fsync'ed, renamed to .zst; only then is $S.pcap unlinked" ||
		diag_file "$WORK/hupz.strace" 12
else
	skip "no strace: the order of the compression's steps is not checked"
fi
stop_pid "$SEND"
stop_netrec_ok
is "$(files "$D" | grep -v '\.pcap\.zst$')" "" "SIGHUP: after exit every file is compressed"

# ====================================================== --max-total ===
T=$WORK/rt
mount_tmpfs "$T" 8m
D=$T/out
BUDGET=$((1024 * 1024))
CHUNK=$((200 * 1024))
# Chunks an earlier run left: 1.8 MB.  The pass at start deletes the two
# oldest, which brings them under 1 MiB.
mkdir -p "$D"
for i in 0 1 2; do
	head -c 600000 /dev/zero >"$D/old.$i.pcap"
	touch -d "$((3 - i)) hours ago" "$D/old.$i.pcap"
done
start_netrec_or_bail -w "$D" -C 200k --max-total 1m
# shellcheck disable=SC2317 # called through wait_until
start_pass() { [ ! -e "$D/old.0.pcap" ] && [ ! -e "$D/old.1.pcap" ]; }
wait_until 5 start_pass
ok $? "--max-total: at start, the two oldest of 1.8 MB of old chunks are deleted"
check "--max-total: ... and only those" test -e "$D/old.2.pcap"
start_watch rt "$D"
B=$WORK/rt.burst
# 32000-byte datagrams; phase 1 makes a few chunks (under the budget),
# phase 2 ~6.4 MB each way: far more than the budget, or the tmpfs.
burst BURST 7404 "$B" 32000 "8:NRA-$RUN" "200:NRB-$RUN" -- --interval 0.003
like "$(phase_done "$B" 1)" '^8 8$' "--max-total: phase 1 sent and got 8 datagrams"
S=python3-$BURST
# shellcheck disable=SC2317 # called through wait_until
first_chunk() { find "$D" -maxdepth 1 -name "$S.*.000000.pcap" | grep -q .; }
wait_until 10 first_chunk
ok $? "--max-total: the burst's first chunk is finished"
HELD=$(find "$D" -maxdepth 1 -name "$S.*.000000.pcap" -printf '%f\n' | head -n 1)
touch "$D/$HELD.hold"
touch "$B/phase1.go"
like "$(phase_done "$B" 2)" '^200 200$' "--max-total: phase 2 sent and got 200 datagrams"
check "--max-total: netrec kept running" proc_alive "$NR_PID"
stop_netrec_ok
stop_watch rt
is "$(nr_count "$NR_LOG" "write errors")" 0 "--max-total: no write errors (the tmpfs never filled)"
mapfile -t chunks < <(files "$D" | grep -E '\.pcap$')
sum=0
for f in "${chunks[@]}"; do
	sum=$((sum + $(stat -c %s "$D/$f")))
done
cmp_ok "$sum" '<=' "$BUDGET" "--max-total: at the end the chunks take $sum bytes, within 1 MiB"
maxsum=$(wkey maxsum "$WORK/rt.watch")
cmp_ok "$maxsum" '<=' $((BUDGET + 2 * (CHUNK + 64 * 1024))) \
	"--max-total: while running, never more than the budget + the chunks not yet seen to ($maxsum bytes at most)"
check "--max-total: the held chunk $HELD is still there" test -f "$D/$HELD"
check "--max-total: its .hold is still there" test -e "$D/$HELD.hold"
rm -f "$D/$HELD.hold"
mapfile -t mine < <(printf '%s\n' "${chunks[@]}" | grep -F "$S." | grep -E "$ROT_RE")
mapfile -t deleted < <(grep -v '(sidecar of ' "$NR_LOG" | grep -Eo "deleted [^ ]+ \(" | sed 's/^deleted //; s/ ($//')
mapfile -t mydel < <(printf '%s\n' "${deleted[@]}" | grep -F "$S.")
kept=$(for f in "${mine[@]}"; do seq_of "$f"; done | sort -n | tr '\n' ' ')
dels=$(for f in "${mydel[@]}"; do seq_of "$f"; done | tr '\n' ' ')
diag "kept seqs: $kept" "deleted seqs (log order): $dels"
top=$(for f in "${mine[@]}" "${mydel[@]}"; do seq_of "$f"; done | sort -n | tail -n 1)
cmp_ok "${top:-0}" '>=' 40 "--max-total: the burst made many chunks ($((${top:-0} + 1)))"
is "$(for f in "${mine[@]}" "${mydel[@]}"; do seq_of "$f"; done | sort -n | tr '\n' ' ')" \
	"$(seq 0 "${top:-0}" | tr '\n' ' ')" \
	"--max-total: each of the burst's chunks is either kept or logged as deleted, exactly once"
nheld=$(seq_of "$HELD")
rest=$(for f in "${mine[@]}"; do seq_of "$f"; done | grep -vx "$nheld" | sort -n | tr '\n' ' ')
is "$rest" "$(seq $((top - $(wc -w <<<"$rest") + 1)) "$top" | tr '\n' ' ')" \
	"--max-total: besides the held one, the chunks kept are the newest"
is "$dels" "$(for f in "${mydel[@]}"; do seq_of "$f"; done | sort -n | tr '\n' ' ')" \
	"--max-total: they were deleted oldest first"
gone=''
for f in "${deleted[@]}"; do
	[ -e "$D/$f" ] && gone+="$f "
done
is "$gone" "" "--max-total: every chunk logged as deleted is gone"
is "${deleted[*]:0:3} $(seq_of "${deleted[3]:-}")" "old.0.pcap old.1.pcap old.2.pcap 1" \
	"--max-total: deleted in order: old.0, old.1, old.2, then the burst's chunk 1 (0 is held)"
is "$(grep -E 'deleted ' "$NR_LOG" | grep -v '\.idx\.jsonl (sidecar of ' | grep -Ev 'deleted [^ ]+\.pcap \(chunks take [0-9]+ bytes, more than 1048576\)$')" "" \
	"--max-total: every deletion line is 'deleted <chunk>.pcap (chunks take N bytes, more than 1048576)'"
unlike "$(cat "$NR_LOG")" 'deleted [^ ]+(\.part|\.hold)|cannot finish|error writing' \
	"--max-total: no .part or .hold deleted, no chunk failed to finish"
# Every .part the watcher saw was finished: it is there, or was deleted.
lost=''
while read -r p; do
	f=${p%.part}
	[[ $f == *.idx.jsonl ]] && continue # an index goes with its chunk
	[ -e "$D/$f" ] || printf '%s\n' "${deleted[@]}" | grep -qxF "$f" || lost+="$f "
done <"$WORK/rt.watch.parts"
is "$lost" "" "--max-total: every .part seen while running became a chunk ($(grep -c . "$WORK/rt.watch.parts") seen)"
check_pcap_dir "$D" whole

# ======================================= --min-free N% and SIZE ===
rm -rf "$D"
# 75% of 8 MiB is 6 MiB.
for MF in 75% 6m; do
	D=$T/free
	start_netrec_or_bail -w "$D" -C 200k --min-free "$MF"
	B=$WORK/mf$MF.burst
	burst BURST 7405 "$B" 32000 "200:NRM-$RUN" -- --interval 0.003
	like "$(phase_done "$B" 1)" '^200 200$' "--min-free $MF: the burst sent and got 200 datagrams"
	stop_netrec_ok
	is "$(nr_count "$NR_LOG" "write errors")" 0 "--min-free $MF: no write errors"
	read -r blocks bfree bsize < <(stat -f -c '%b %a %S' "$T")
	need=$((6 * 1024 * 1024))
	nfiles=$(files "$D" | grep -c .)
	cmp_ok "$((bfree * bsize + (nfiles + 1) * bsize))" '>=' "$need" \
		"--min-free $MF: at the end $((bfree * bsize)) of $((blocks * bsize)) bytes are free: 6 MiB, give or take a block per file"
	cmp_ok "$(grep -Ec 'deleted [^ ]+ \([0-9]+ bytes free, 6291456 wanted\)' "$NR_LOG")" '>' 0 \
		"--min-free $MF: deletions are logged with the free space they were for (6291456 bytes)"
	cmp_ok "$(files "$D" | grep -c "python3-$BURST\.")" '>=' 1 "--min-free $MF: the burst's newest chunks are kept"
	check_pcap_dir "$D" whole
	rm -rf "$D"
done

# ============================================================ ENOSPC ===
F=$WORK/full
mount_tmpfs "$F" 1m
start_netrec_or_bail -w "$F"
B=$WORK/full.burst
# Phase 1: 40 datagrams of 20000 bytes, 1.6 MB captured (out and in), into
# 1 MiB.  Phase 2, once files are deleted: 10 small ones.  Phase 3: 2.4 MB,
# and netrec is stopped with the disk full.
burst BURST 7406 "$B" 20000 "40:NRF1-$RUN" "10:NRF2-$RUN" "60:NRF3-$RUN" -- \
	--interval 0.002
S=python3-$BURST
like "$(phase_done "$B" 1)" '^40 40$' "ENOSPC: phase 1: 40 datagrams of 20000 bytes, out and in, into 1 MiB"
# shellcheck disable=SC2317 # called through wait_until
holding() { [ "$(grep -c 'No space left on device: holding packets' "$NR_LOG")" -ge "$1" ]; }
wait_until 10 holding 1
ok $? "ENOSPC: the file system fills up; netrec says it holds packets in memory"
check "ENOSPC: netrec keeps running on a full file system" proc_alive "$NR_PID"
mapfile -t done1 < <(files "$F" | grep -v '\.part$')
cmp_ok "${#done1[@]}" '>=' 1 "ENOSPC: the file system is full of finished files (${#done1[@]})"
diag "ENOSPC: files while full: $(cd "$F" && stat -c '%n (%s bytes)' "${done1[@]}" | paste -sd, -)"
(cd "$F" && capinfos "${done1[@]}" >/dev/null 2>"$WORK/full.capinfos")
ok $? "ENOSPC: every finished file opens with capinfos" || diag_file "$WORK/full.capinfos" 5
bad='' disk1=0 f1=0
for f in "${done1[@]}"; do
	pcap_check "$F/$f"
	[ "${PC[ok]:-0}" = 1 ] || bad+="$f: ${PC[error]:-} "
	disk1=$((disk1 + ${PC[count]:-0}))
	f1=$((f1 + $(pcount "$F/$f" "NRF1-$RUN")))
done
is "$bad" "" "ENOSPC: every finished file parses as pcap to its last byte"
cmp_ok "$f1" '<' 80 "ENOSPC: not all of phase 1 fit ($f1 of its 80 packets are on disk)"
# Free the space: delete the finished files.
for f in "${done1[@]}"; do rm -f "$F/$f"; done
wait_until 5 grep -q 'writing again' "$NR_LOG"
ok $? "ENOSPC: once files are deleted, netrec says it is writing again"
touch "$B/phase1.go"
like "$(phase_done "$B" 2)" '^10 10$' "ENOSPC: after the freeing, the same process sends 10 more"
# shellcheck disable=SC2317 # called through wait_until
marks_in() { where "$F" "$1" | awk -F '\t' '{ n += $1 } END { print n + 0 }'; }
# shellcheck disable=SC2317 # called through wait_until
landed() { [ "$(marks_in "NRF2-$RUN")" -ge 20 ]; }
wait_until 10 landed
ok $? "ENOSPC: writing resumed: the 10 datagrams sent after the freeing reach a file"
mapfile -t res < <(where "$F" "NRF2-$RUN" | cut -f2)
like "${res[*]}" "^$S\\.[^ ]*pcap(\\.part)?\$" "ENOSPC: ... one chunk of the same process's key (${res[*]})"
is "$(pcount "$F/${res[0]}" "NRF1-$RUN")" $((80 - f1)) \
	"ENOSPC: the rest of phase 1, held in memory meanwhile ($((80 - f1)) packets), is there too"
# Full again, and stopped while full.
touch "$B/phase2.go"
like "$(phase_done "$B" 3)" '^60 60$' "ENOSPC: phase 3: another 2.4 MB"
wait_until 10 holding 2
ok $? "ENOSPC: the file system fills up again and netrec holds packets again"
stop_pid "$BURST"
stop_netrec
cmp_ok "$NR_RC" '<' 128 "ENOSPC: stopped while the disk is full, netrec exits normally (status $NR_RC)"
wr=$(nr_count "$NR_LOG" "write errors")
cmp_ok "${wr:-0}" '>' 0 "ENOSPC: the summary counts the packets it could not write ($wr write errors)"
rec=$(nr_count "$NR_LOG" "packets recorded")
seen=$(nr_count "$NR_LOG" "packets seen")
lost=$(nr_count "$NR_LOG" "packets lost")
is "$((rec + lost))" "$seen" "ENOSPC: recorded + lost == seen ($rec + $lost vs $seen)"
disk2=0
mapfile -t left < <(files "$F")
for f in "${left[@]}"; do
	pcap_check "$F/$f"
	disk2=$((disk2 + ${PC[count]:-0}))
done
# Packets counted as recorded must be in a file: else they were lost
# without being counted as lost.
is "$((disk1 + disk2))" "$rec" \
	"ENOSPC: the files (deleted ones included) hold exactly the recorded packets ($disk1 + $disk2)" ||
	diag "phase 3 packets in the files: $(marks_in "NRF3-$RUN")" \
		"$(grep -E 'cutting off|removed' "$NR_LOG")"
is "$(printf '%s\n' "${left[@]}" | grep '\.part$')" "" "ENOSPC: no .part is left"
nspc=$(grep -c 'No space left on device' "$NR_LOG")
nhold=$(grep -c 'holding packets in memory' "$NR_LOG")
nagain=$(grep -c 'writing again' "$NR_LOG")
diag "$(grep -E 'No space|writing again' "$NR_LOG")"
cmp_ok "$(grep -c 'error writing .*No space left' "$NR_LOG")" '<=' 1 \
	"ENOSPC: 'error writing ...: No space left on device' is logged once, not per packet"
cmp_ok "$nhold" '<=' $((nagain + 1)) \
	"ENOSPC: 'holding packets' once per full spell ($nhold lines, $nagain recoveries)"
cmp_ok "$nspc" '<=' 6 "ENOSPC: $nspc lines about ENOSPC in all, for $wr packets lost and many more held"
# Stopped with the disk full: the last chunks' indexes may not fit.
NO_INDEX_CHECK=1 check_pcap_dir "$F"

# ============================================================== -Z USER ===
NRUSER=nrtest$$
useradd --system --no-create-home --shell /usr/sbin/nologin "$NRUSER" ||
	bail "cannot add user $NRUSER"
on_cleanup _deluser "$NRUSER"
# shellcheck disable=SC2317 # called through on_cleanup
_deluser() {
	userdel "$1" 2>/dev/null || diag "could not delete user $1"
	if getent group "$1" >/dev/null; then
		groupdel "$1" 2>/dev/null || diag "could not delete group $1"
	fi
}
NUID=$(id -u "$NRUSER")
NGID=$(id -g "$NRUSER")
D=$WORK/priv
start_netrec_or_bail -w "$D" -C 10k -Z "$NRUSER"
like "$(cat "$NR_LOG")" "running as $NRUSER \\(uid $NUID\\)" "-Z: netrec logs 'running as $NRUSER (uid $NUID)'"
bad=''
for st in /proc/"$NR_PID"/task/*/status; do
	t=${st%/status}
	t=${t##*/}
	u=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")
	g=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "$st")
	ce=$(awk '/^CapEff:/ { print $2 }' "$st")
	cp=$(awk '/^CapPrm:/ { print $2 }' "$st")
	[ "$u" = "$NUID $NUID $NUID $NUID" ] || bad+="task $t Uid $u; "
	[ "$g" = "$NGID $NGID $NGID $NGID" ] || bad+="task $t Gid $g; "
	[ "$ce" = 0000000000000000 ] || bad+="task $t CapEff $ce; "
	[ "$cp" = 0000000000000000 ] || bad+="task $t CapPrm $cp; "
done
is "$bad" "" "-Z: every thread has Uid/Gid $NUID/$NGID (real, effective, saved, fs), CapEff and CapPrm 0"
is "$(awk '/^Uid:/ { print $2 }' "/proc/$NR_PID/status") $(awk '/^CapEff:/ { print $2 }' "/proc/$NR_PID/status")" \
	"$NUID 0000000000000000" "-Z: /proc/<netrec>/status: Uid $NUID, CapEff 0000000000000000"
PORT=7407
udp_receiver RECV "" "$NS_CLI" 127.0.0.1 "$PORT" 40
run_ns SEND "$NS_CLI" python3 "$PEER" udp-send 127.0.0.1 "$PORT" --count 40 \
	--size 1000 --interval 0.002 --mark "NRU-$RUN"
ok $? "-Z: after the drop, a sender sends 40 datagrams"
is "$(udp_received "$PORT")" 40 "-Z: the receiver got them"
check "-Z: netrec keeps running as $NRUSER" proc_alive "$NR_PID"
stop_netrec_ok
check_summary "$NR_LOG"
mapfile -t mine < <(files "$D" | grep -F "python3-$SEND.")
is "${#mine[@]}" 4 "-Z: the sender's 4 chunks were written after the drop"
n=0
for f in "${mine[@]}"; do n=$((n + $(pcount "$D/$f" "NRU-$RUN"))); done
is "$n" 40 "-Z: they hold its 40 datagrams"
is "$(find "$D" -mindepth 1 \( ! -uid "$NUID" -o ! -gid "$NGID" \) -printf '%P (%U:%G)\n')" "" \
	"-Z: every file is owned by $NRUSER ($NUID:$NGID)"
is "$(stat -c '%u:%g %a' "$D")" "$NUID:$NGID 700" "-Z: so is the output directory, mode 0700"
check_pcap_dir "$D" whole

# --- an unknown user ---
NOUSER=nrnouser$$
timeout 20 "$NETREC" -w "$WORK/nouser" -Z "$NOUSER" --duration 1 \
	>"$WORK/nouser.out" 2>"$WORK/nouser.err" </dev/null
rc=$?
cmp_ok "$rc" '!=' 0 "-Z $NOUSER (no such user): exits non-zero"
cmp_ok "$rc" '!=' 124 "-Z $NOUSER: ... at once"
like "$(cat "$WORK/nouser.err")" "$NOUSER" "-Z $NOUSER: the message names the user"
unlike "$(cat "$WORK/nouser.err")" 'capturing' "-Z $NOUSER: it never starts capturing"
check "-Z $NOUSER: not even the output directory is made" test ! -e "$WORK/nouser"

done_testing
