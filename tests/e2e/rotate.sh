#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rotate.sh: output written as chunks.
#
#   -C 100k      an 8 MB transfer by one process: many chunks, each finished
#                once its captured bytes reach 100 KiB; names
#                <stem>.<UTC start>.<seq>.pcap sort (ls, C locale) in time
#                order; together they hold every recorded packet
#   -G 2         a sender that sends 6 datagrams 0.5 s apart, then idles:
#                chunks start on even seconds and are finished by the timer
#                within ~1 s of their period's end, packets or not
#   -C -W 2      only the last 2 finished chunks of each key are kept, the
#                deletions are logged
#   .part        an open chunk is only <final>.part, never <final>: a glob of
#                *.pcap sees finished files only
#   SIGHUP       every open chunk is finished at once; a later packet of the
#                same key starts a new chunk (<stem>.1.pcap)
#   --idle-close 1   a short-lived curl's chunk is finished while netrec runs
#   kill -9      during heavy traffic, then a new run on the same directory
#                finishes the .part chunks left behind (in subdirectories
#                too): cut to the last whole record, renamed, logged

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init
require_cmds curl date cmp
netns_pair
RUN=$$-$(random_hex 3)

# The parts of a rotated chunk's name: <stem>.<YYYYMMDDTHHMMSSZ>.<seq>.pcap
# (maybe with a .N before .pcap, if the name was taken).
ROT_RE='^(.+)\.([0-9]{8}T[0-9]{6}Z)\.([0-9]+)(\.[0-9]+)?\.pcap$'

# stamp_epoch YYYYMMDDTHHMMSSZ: seconds since the epoch.
stamp_epoch() {
	local s=$1
	date -u -d "${s:0:4}-${s:4:2}-${s:6:2} ${s:9:2}:${s:11:2}:${s:13:2}" +%s
}

# key_chunks DIR STEM: the finished rotated chunks of STEM (names relative
# to DIR), sorted as ls sorts them in the C locale.
key_chunks() {
	find "$1" -maxdepth 1 -type f -name "$2.*.pcap" -printf '%f\n' |
		grep -E "$ROT_RE" | LC_ALL=C sort
}

# parts DIR: every .part file under DIR, relative paths, sorted.
parts() {
	(cd "$1" && find . -type f -name '*.part' ! -name '*.idx.jsonl.part' | sed 's|^\./||' | LC_ALL=C sort)
}

# none_exist DIR REL...: none of DIR/REL exists.
# shellcheck disable=SC2317 # called through wait_until
none_exist() {
	local d=$1 r
	shift
	for r in "$@"; do
		[ -e "$d/$r" ] && return 1
	done
	return 0
}

# capinfos_ok FILE...: capinfos opens every FILE (its report not shown).
# shellcheck disable=SC2317 # called through check
capinfos_ok() {
	capinfos "$@" >/dev/null
}

# now_ms: wall clock, milliseconds.
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# ============================================================ -C 100k ===
D=$WORK/size
LIMIT=$((100 * 1024))
start_netrec_or_bail -w "$D" -C 100k -B 65536
run_ns BULK "$NS_CLI" python3 "$PEER" bulk 127.0.0.1 7301 --bytes 8000000
ok $? "-C 100k: 8 MB over loopback TCP by one process"
stop_netrec_ok
check_summary "$NR_LOG"
is "$(parts "$D")" "" "-C 100k: no .part is left after exit"
S=python3-$BULK
mapfile -t names < <(key_chunks "$D" "$S")
cmp_ok "${#names[@]}" '>=' 10 \
	"-C 100k: the transfer's ~16 MB of packets are in many chunks (${#names[@]})"
all=()
mapfile -t all < <(cd "$D" && find . -type f ! -name '*.idx.jsonl' | sed 's|^\./||' | LC_ALL=C sort)
badnames=$(printf '%s\n' "${all[@]}" | grep -Ev "$ROT_RE")
is "$badnames" "" "-C 100k: every file is named <stem>.<YYYYMMDDTHHMMSSZ>.<seq>.pcap"
(cd "$D" && capinfos "${all[@]}" >/dev/null 2>"$WORK/size.capinfos")
ok $? "-C 100k: every one of the ${#all[@]} files opens with capinfos" ||
	diag_file "$WORK/size.capinfos" 5
(cd "$D" && python3 "$PCAPTOOL" chunks "${all[@]}") >"$WORK/size.chunks"
is "$(awk -F '\t' '$2 != 1' "$WORK/size.chunks")" "" \
	"-C 100k: every file parses as pcap to its last byte"
total=$(awk -F '\t' '{ n += $3 } END { print n + 0 }' "$WORK/size.chunks")
is "$total" "$(nr_count "$NR_LOG" "packets recorded")" \
	"-C 100k: the packets of all chunks add up to the summary's recorded count"
# Per file: ok, packets, first and last timestamp, captured bytes, the
# last packet's captured bytes, file size.
declare -A CH=()
while IFS=$'\t' read -r f okp cnt first last capsum lastcap size; do
	CH[$f]="$okp $cnt $first $last $capsum $lastcap $size"
done <"$WORK/size.chunks"
# The chunks in the order of their sequence numbers, and in time order.
mapfile -t by_seq < <(for f in "${names[@]}"; do
	[[ $f =~ $ROT_RE ]] && printf '%s\t%s\n' "${BASH_REMATCH[3]}" "$f"
done | sort -n | cut -f2)
mapfile -t by_time < <(for f in "${names[@]}"; do
	read -r _ _ first _ <<<"${CH[$f]}"
	printf '%s\t%s\n' "$first" "$f"
done | sort -n | cut -f2)
# note VAR TEXT: add TEXT to the list VAR (the first 3, then a count).
declare -A NOTES=()
note() {
	NOTES[$1]=$((${NOTES[$1]:-0} + 1))
	if [ "${NOTES[$1]}" -le 3 ]; then
		printf -v "$1" '%s%s; ' "${!1}" "$2"
	elif [ "${NOTES[$1]}" = 4 ]; then
		printf -v "$1" '%s...' "${!1}"
	fi
}
order_bad='' seq_bad='' stamp_bad='' over='' under='' big='' name_bad=''
prev_last=0 i=0
for f in "${by_seq[@]}"; do
	read -r _ cnt first last capsum lastcap size <<<"${CH[$f]}"
	[[ $f =~ $ROT_RE ]]
	# Zero-padded in the name, so ls sorts them; compared as numbers.
	stamp=${BASH_REMATCH[2]} seq=$((10#${BASH_REMATCH[3]}))
	[ "$seq" = "$i" ] || note seq_bad "no chunk numbered $i (next is $f)"
	# One chunk after the other, no overlap.
	[ "$first" -ge "$prev_last" ] ||
		note order_bad "$f starts at $first, before the previous chunk's last packet $prev_last"
	prev_last=$last
	[ "$(stamp_epoch "$stamp")" = $((first / 1000000000)) ] ||
		note stamp_bad "$f: first packet at $((first / 1000000000))"
	# Finished as soon as the captured bytes reach the limit ...
	[ $((capsum - lastcap)) -lt "$LIMIT" ] ||
		note over "$f: $capsum captured bytes, $((capsum - lastcap)) before its last packet"
	# ... and not before (but the key's last chunk ends at exit).
	if [ $((i + 1)) -lt "${#by_seq[@]}" ] && [ "$capsum" -lt "$LIMIT" ]; then
		note under "$f: $capsum captured bytes"
	fi
	[ "$size" -le $((LIMIT + 16 + 65284 + 24 + 16 * cnt)) ] ||
		note big "$f: $size bytes, $cnt packets"
	[ "${names[$i]}" = "${by_time[$i]}" ] ||
		note name_bad "number $i in name order is ${names[$i]}, in time order ${by_time[$i]}"
	i=$((i + 1))
done
is "$seq_bad" "" "-C 100k: the sequence numbers run 0, 1, 2, ... without a gap"
is "$order_bad" "" "-C 100k: in sequence order, the chunks follow each other in time"
is "$name_bad" "" "-C 100k: sorted by name (C locale, as ls), the chunks are in time order"
is "$stamp_bad" "" "-C 100k: each name's timestamp is the UTC second of its first packet"
is "$over" "" "-C 100k: no chunk goes on after its captured bytes reach 100 KiB"
is "$under" "" "-C 100k: every chunk but the key's last reaches 100 KiB"
is "$big" "" "-C 100k: each file is at most 100 KiB + one packet + headers"

# ================================================================ -G 2 ===
D=$WORK/period
PORT=7302
start_netrec_or_bail -w "$D" -G 2
udp_receiver RECV "" "$NS_SRV" "$V4_SRV" "$PORT" 6
rm -f "$WORK/period.go"
bg_ns SEND "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$PORT" --count 6 \
	--size 200 --interval 0.5 --mark "NRG-$RUN" --linger 5 \
	--start "$WORK/period.go"
S=python3-$SEND
# Go 0.25 s into a period: the datagrams leave at about +0.3, 0.8, 1.3, 1.8
# (chunk 1, finished at +2) and +2.3, 2.8 (chunk 2, finished at +4 by the
# timer alone: the sender is silent from +2.8 to +7.8).
t=$(now_ms)
go=$(((t / 2000 + 1) * 2000 + 250))
sleep "$(((go - t) / 1000)).$(printf '%03d' $(((go - t) % 1000)))"
touch "$WORK/period.go"
# Watch the sender's .part files until it exits: "TIME_MS NAME..." lines.
OBS=$WORK/period.obs
: >"$OBS"
nr_died=
for ((n = 0; n < 300; n++)); do
	alive=0
	proc_alive "$SEND" && alive=1
	t=$(now_ms)
	printf '%s %s %s\n' "$t" "$alive" \
		"$(find "$D" -maxdepth 1 -name "$S.*.pcap.part" -printf '%f ')" >>"$OBS"
	proc_alive "$NR_PID" || nr_died=1
	[ "$alive" = 1 ] || break
	sleep 0.05
done
wait_exit "$SEND" 5
ok $? "-G 2: the sender sent 6 datagrams 0.5 s apart, then idled 5 s and exited"
is "$(udp_received "$PORT")" 6 "-G 2: the receiver got the 6 datagrams"
is "${nr_died:-0}" 0 "-G 2: netrec kept running all the while"
stop_netrec_ok
is "$(parts "$D")" "" "-G 2: no .part is left after exit"
mapfile -t names < <(key_chunks "$D" "$S")
is "${#names[@]}" 2 "-G 2: 6 datagrams over 2.5 s, from 0.3 s into a period, make 2 chunks"
mapfile -t seen < <(awk '{ for (i = 3; i <= NF; i++) print $i }' "$OBS" |
	sed 's/\.part$//' | LC_ALL=C sort -u)
is "$(printf '%s\n' "${seen[@]}")" "$(printf '%s\n' "${names[@]}")" \
	"-G 2: each chunk was seen as <final>.part while open, then finished under its name"
odd='' outside='' late='' n_dgrams=0 timing=''
for f in "${names[@]}"; do
	[[ $f =~ $ROT_RE ]]
	start=$(stamp_epoch "${BASH_REMATCH[2]}")
	[ $((start % 2)) = 0 ] || odd+="$f "
	# Every packet inside the chunk's period [start, start + 2).
	n=$(pkts "$D/$f" "\$2 < $start * 1e9 || \$2 >= ($start + 2) * 1e9")
	[ "$n" = 0 ] || outside+="$f: $n packets outside [$start, $((start + 2))); "
	n_dgrams=$((n_dgrams + $(pcount "$D/$f" "NRG-$RUN")))
	# When was the .part last seen, and then first seen gone?
	read -r last_seen gone_at alive_then < <(awk -v f="$f.part" '
		{ has = 0; for (i = 3; i <= NF; i++) if ($i == f) has = 1 }
		has { last = $1; gone = ""; next }
		last != "" && gone == "" { gone = $1; alive = $2 }
		END { print (last == "" ? "-" : last), (gone == "" ? "-" : gone), (alive == "" ? "-" : alive) }' "$OBS")
	end_ms=$(((start + 2) * 1000))
	if [ "$gone_at" = - ]; then
		late+="$f: still .part when the sender exited; "
	elif [ $((gone_at - end_ms)) -gt 1000 ]; then
		late+="$f: finished $((gone_at - end_ms)) ms after its period ended; "
	fi
	timing+="$f: period ends $end_ms, .part last seen $last_seen, gone by $gone_at (sender alive: $alive_then)"$'\n'
done
diag "$timing"
is "$odd" "" "-G 2: every chunk name's timestamp is an even second"
is "$outside" "" "-G 2: every chunk holds only packets of its own 2 s period"
is "$n_dgrams" 6 "-G 2: the sender's chunks hold its 6 datagrams"
is "$late" "" "-G 2: each chunk is finished (renamed) within 1 s after its period ends"
last=${names[${#names[@]} - 1]}
read -r gone_alive after < <(awk -v f="$last.part" -v s="$S." '
	{ has = 0; other = 0
	  for (i = 3; i <= NF; i++) if ($i == f) has = 1; else if (index($i, s) == 1) other = 1 }
	has { last = NR; next }
	last && !done { done = 1; alive = $2 }
	done && other { after = 1 }
	END { print (alive == "" ? "-" : alive), after + 0 }' "$OBS")
is "$gone_alive" 1 \
	"-G 2: the last chunk is finished by the timer while the sender lives on, silent"
is "$after" 0 "-G 2: no new chunk is started for the silent sender"

# ============================================================ -C -W 2 ===
D=$WORK/ring
PORT=7303
start_netrec_or_bail -w "$D" -C 10k -W 2
udp_receiver RECV "" "$NS_SRV" "$V4_SRV" "$PORT" 40
# 40 datagrams of 1032 captured bytes: 4 chunks of 10 (10 * 1032 >= 10 KiB).
run_ns SEND "$NS_CLI" python3 "$PEER" udp-send "$V4_SRV" "$PORT" --count 40 \
	--size 1000 --mark "NRW-$RUN"
ok $? "-W 2: the sender sent 40 datagrams of 1000 bytes"
is "$(udp_received "$PORT")" 40 "-W 2: the receiver got them all"
stop_netrec_ok
S=python3-$SEND
mapfile -t names < <(key_chunks "$D" "$S")
seqs=$(for f in "${names[@]}"; do [[ $f =~ $ROT_RE ]] && echo "$((10#${BASH_REMATCH[3]}))"; done |
	sort -n | tr '\n' ' ')
is "${#names[@]}" 2 "-W 2: two finished chunks of the sender are kept"
is "$seqs" "2 3 " "-W 2: they are the last two of its 4 chunks (seq 2 and 3)"
deleted=$(grep -E "deleted $S\.[^ ]+ \(-W 2\)" "$NR_LOG" | grep -Eo "$S\.[^ ]+")
is "$(printf '%s\n' "$deleted" | grep -c .)" 2 \
	"-W 2: the deletion of the sender's 2 older chunks is logged ('deleted ... (-W 2)')"
is "$(printf '%s\n' "$deleted" | sed -E 's/.*\.([0-9]+)\.pcap$/\1/' | awk '{ print $1 + 0 }' | sort -n | tr '\n' ' ')" \
	"0 1 " "-W 2: the deleted ones are seq 0 and 1"
mapfile -t deleted_a < <(printf '%s\n' "$deleted" | grep .)
check "-W 2: the chunks logged as deleted are gone" none_exist "$D" "${deleted_a[@]}"
n=0
for f in "${names[@]}"; do
	n=$((n + $(pcount "$D/$f" "NRW-$RUN")))
done
is "$n" 20 "-W 2: the two kept chunks hold the last 20 datagrams"
many=$(find "$D" -type f ! -name '*.idx.jsonl' -printf '%f\n' | while read -r f; do
	[[ $f =~ $ROT_RE ]] && echo "${BASH_REMATCH[1]}" || echo "(not rotated) $f"
done | sort | uniq -c | awk '$1 > 2')
is "$many" "" "-W 2: no key has more than 2 files"
is "$(grep -c 'deleted .* (-W 2)' "$NR_LOG")" \
	"$(grep -Ec 'deleted [^ ]+\.[0-9]{8}T[0-9]{6}Z\.[0-9]+\.pcap \(-W 2\)' "$NR_LOG")" \
	"-W 2: every deletion line names a chunk"
check_pcap_dir "$D" whole

# ============================================= .part while open, SIGHUP ===
D=$WORK/hup
PORT=7304
MARK=NRH-$RUN
start_netrec_or_bail -w "$D"
bg_ns SRV "$NS_SRV" python3 "$PEER" tcp-server "$V4_SRV" "$PORT" \
	--ready "$WORK/hup.srv"
wait_until 10 test -e "$WORK/hup.srv" || bail "tcp-server did not start"
bg_ns CLI "$NS_CLI" python3 "$PEER" tcp-client "$V4_SRV" "$PORT" \
	--ready "$WORK/hup.cli" --trigger "$WORK/hup.go" --done "$WORK/hup.done" \
	--mark "$MARK"
wait_until 10 test -e "$WORK/hup.cli" || bail "tcp-client did not connect"
C=python3-$CLI
wait_until 5 test -e "$D/$C.pcap.part"
ok $? "open chunk: the client's traffic goes to $C.pcap.part"
check "open chunk: there is no $C.pcap while it is open" test ! -e "$D/$C.pcap"
is "$(cd "$D" && find . -name "$C*.pcap")" "" \
	"open chunk: a glob of *.pcap does not see the client's chunk"
mapfile -t visible < <(find "$D" -type f -name '*.pcap')
if [ "${#visible[@]}" -gt 0 ]; then
	check "open chunk: every *.pcap visible meanwhile (${#visible[@]}) is whole (capinfos)" \
		capinfos_ok "${visible[@]}"
else
	ok 0 "open chunk: no *.pcap visible meanwhile, so none is partial"
fi
mapfile -t before < <(parts "$D")
diag "open before SIGHUP: ${before[*]}"
kill -HUP "$NR_PID"
wait_until 5 none_exist "$D" "${before[@]}"
ok $? "SIGHUP: every open chunk (${#before[@]}) is finished at once (its .part is gone)"
missing='' invalid=''
for p in "${before[@]}"; do
	f=$D/${p%.part}
	if [ ! -f "$f" ]; then
		missing+="${p%.part} "
	elif ! capinfos "$f" >/dev/null 2>&1; then
		invalid+="${p%.part} "
	fi
done
is "$missing" "" "SIGHUP: each one is renamed to its final name"
is "$invalid" "" "SIGHUP: each finished file opens with capinfos"
check "SIGHUP: netrec keeps running" proc_alive "$NR_PID"
cmp_ok "$(pcount "$D/$C.pcap" "HELLO")" '>=' 1 "SIGHUP: $C.pcap holds the client's greeting"
touch "$WORK/hup.go"
wait_until 10 test -e "$WORK/hup.done"
ok $? "after SIGHUP: the client exchanges its marked line"
wait_until 5 test -e "$D/$C.1.pcap.part"
ok $? "after SIGHUP: the client's later packets start a new chunk, $C.1.pcap.part"
check "after SIGHUP: $C.pcap is left as it was finished" test ! -e "$D/$C.pcap.part"
stop_pid "$CLI"
wait_exit "$SRV" 10
stop_netrec_ok
is "$(parts "$D")" "" "after exit: no .part is left"
is "$(pcount "$D/$C.1.pcap" "$MARK")" 2 "$C.1.pcap holds the marked line and its ACK"
is "$(pcount "$D/$C.pcap" "$MARK")" 0 "$C.pcap holds nothing sent after SIGHUP"
check_pcap_dir "$D" whole

# ==================================================== --idle-close 1 ===
start_httpd
D=$WORK/idle
start_netrec_or_bail -w "$D" --idle-close 1
curl_get CURL "$NS_CLI" "http://$V4_SRV:8080/$HELLO"
t0=$(now_ms)
like "$(cat "$(out_of "$CURL")")" '^200 ' "--idle-close 1: curl gets HTTP 200"
wait_until 6 test -e "$D/curl-$CURL.pcap"
ok $? "--idle-close 1: curl's chunk is finished (curl-$CURL.pcap) while netrec runs"
dt=$(($(now_ms) - t0))
check "--idle-close 1: netrec is still running" proc_alive "$NR_PID"
check "--idle-close 1: curl-$CURL.pcap.part is gone" test ! -e "$D/curl-$CURL.pcap.part"
# 1 s idle, plus up to 1 s in the reorder window, plus slack.
cmp_ok "$dt" '<=' 3500 "--idle-close 1: ... within 3.5 s of curl's exit ($dt ms)"
check "--idle-close 1: the finished file opens with capinfos" capinfos_ok "$D/curl-$CURL.pcap"
is "$(pcount "$D/curl-$CURL.pcap" "$GET_HELLO")" 1 "--idle-close 1: it holds curl's GET"
stop_netrec_ok
pid_file_is "$D" "$CURL" "curl-$CURL.pcap" "--idle-close 1: curl has that one file"
is "$(parts "$D")" "" "--idle-close 1: no .part is left after exit"
stop_pid "$HTTPD"

# ====================================================== kill -9, recovery ===
D=$WORK/crash
# Subdirectories: host/<comm>-<pid>.pcap.
start_netrec_or_bail -w "$D" --split container,process
# Heavy but paced traffic (the writer keeps up: no backlog to confuse what
# the crash leaves): iperf3 at 200 Mbit/s over loopback, else peer.py bulk.
if command -v iperf3 >/dev/null 2>&1; then
	bg_ns IPERF_S "$NS_CLI" iperf3 -s -1 -B 127.0.0.1 -p 7305
	wait_until 10 listening "$NS_CLI" tcp 7305 || bail "iperf3 -s did not start"
	bg_ns HEAVY "$NS_CLI" iperf3 -c 127.0.0.1 -p 7305 -t 20 -b 200M
	HP=host/iperf3-$HEAVY.pcap.part
else
	IPERF_S=
	bg_ns HEAVY "$NS_CLI" python3 "$PEER" bulk 127.0.0.1 7305 --bytes 400000000
	HP=host/python3-$HEAVY.pcap.part
fi
# shellcheck disable=SC2317 # called through wait_until
grown() { [ "$(stat -c %s "$D/$HP" 2>/dev/null || echo 0)" -ge 2000000 ]; }
wait_until 20 grown
ok $? "crash: heavy loopback traffic is being written to $HP (2 MB and growing)"
# And a process that has only just begun: its chunk is brand new.
run_ns FRESH "$NS_CLI" python3 "$PEER" udp-send 127.0.0.1 7306 --count 3 \
	--size 100 --mark "NRF-$RUN"
ok $? "crash: a new process sends 3 datagrams just before the crash"
FP=host/python3-$FRESH.pcap.part
wait_until 5 test -e "$D/$FP"
ok $? "crash: its chunk $FP is begun"
kill -KILL "$NR_PID"
wait_exit "$NR_PID" 10
is "$?" 137 "crash: netrec is killed by SIGKILL in the middle of it"
NR_PID=
stop_pid "$HEAVY"
[ -n "$IPERF_S" ] && stop_pid "$IPERF_S"
mapfile -t left < <(parts "$D")
cmp_ok "${#left[@]}" '>=' 1 "crash: the killed run left ${#left[@]} .part chunk(s)"
check "crash: the heavy transfer's chunk is one of them" test -f "$D/$HP"
check "crash: the new process's chunk is one of them" test -f "$D/$FP"
diag "left behind: $(cd "$D" && stat -c '%n (%s bytes)' "${left[@]}" | paste -sd, -)"
SAVED=$WORK/crash.saved
for p in "${left[@]}"; do
	mkdir -p "$SAVED/$(dirname "$p")"
	cp "$D/$p" "$SAVED/$p"
done
timeout 30 "$NETREC" -w "$D" --split container,process --duration 1 \
	>"$WORK/crash2.out" 2>"$WORK/crash2.err" </dev/null
is "$?" 0 "crash: a new run on the same directory (--duration 1) exits 0" ||
	diag_file "$WORK/crash2.err"
like "$(cat "$WORK/crash2.err")" "finished ${#left[@]} chunk\\(s\\) an earlier run left" \
	"crash: it logs 'finished ${#left[@]} chunk(s) an earlier run left'"
is "$(parts "$D")" "" "crash: no .part remains"
missing='' notprefix='' notcut=''
for p in "${left[@]}"; do
	f=$D/${p%.part}
	if [ ! -f "$f" ]; then
		missing+="$p ($(stat -c %s "$SAVED/$p") bytes when left) "
		continue
	fi
	sz=$(stat -c %s "$f")
	osz=$(stat -c %s "$SAVED/$p")
	# Cut back, never changed: a prefix of what the crashed run wrote ...
	cmp -s -n "$sz" "$f" "$SAVED/$p" && [ "$sz" -le "$osz" ] ||
		notprefix+="${p%.part} ($sz of $osz bytes) "
	# ... short of it by less than one whole record.
	[ $((osz - sz)) -lt $((16 + 65284)) ] || notcut+="${p%.part} ($sz of $osz bytes) "
done
is "$missing" "" "crash: every .part is renamed to its final name"
is "$notprefix" "" "crash: each finished chunk is a prefix of the .part it was"
is "$notcut" "" "crash: ... cut back by less than one record (to the last whole one)"
pcap_check "$D/${HP%.part}"
cmp_ok "${PC[count]:-0}" '>' 0 \
	"crash: the heavy transfer's finished chunk keeps its ${PC[count]:-0} whole packets"
check_pcap_dir "$D"

done_testing
