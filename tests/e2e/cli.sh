#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cli.sh: the command line and the process's life.
#
#   bad options exit 2 with a message naming the problem, and create nothing
#   --version, --help exit 0; default output directory ./netrec-out (0700)
#   without root it refuses, mentioning root or CAP_BPF
#   --duration stops by itself (exit 0, summary); SIGTERM stops cleanly
#   SIGUSR1 prints the counts and netrec keeps running
#   the BPF programs (netrec_*) are attached to the cgroup v2 root while it
#   runs, and none of them, nor their links, is left once it has stopped

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init
require_cmds bpftool jq setpriv ping

CWD=$WORK/cwd
mkdir -p "$CWD"

# nr VAR ARGS...: run netrec ARGS in $CWD to the end (15 s at most: a bad
# option that netrec wrongly accepts makes it capture, and it is then
# stopped); VAR gets the pid (see out_of, err_of), the status is returned.
nr() {
	local var=$1 rc
	shift
	spawn "$var" "" "" env -C "$CWD" --default-signal=INT "$NETREC" "$@"
	wait_exit "${!var}" 15
	rc=$?
	if [ "$rc" = 124 ]; then
		diag "netrec $* still running after 15 s; stopping it"
		stop_pid "${!var}"
	fi
	return "$rc"
}

# bad_opt REGEX DESC ARGS...: netrec ARGS exits 2, says something matching
# REGEX on stderr, and creates no output directory.
bad_opt() {
	local re=$1 desc=$2 rc
	shift 2
	rm -rf "$CWD/netrec-out"
	nr P "$@"
	rc=$?
	is "$rc" 2 "$desc: exits 2"
	if [ "$rc" = 2 ]; then
		like "$(cat "$(err_of "$P")")" "$re" "$desc: stderr names the problem"
	else
		ok 1 "$desc: stderr names the problem"
		diag "(the option was not rejected; stderr: $(head -c 300 "$(err_of "$P")"))"
	fi
	check "$desc: no output directory created" test ! -e "$CWD/netrec-out"
}

bad_opt 'frobnicate' "unknown option --frobnicate" --frobnicate
bad_opt 'abc' "-s abc" -s abc
bad_opt '(snap|262145)' "-s 262145 (over tcpdump's maximum)" -s 262145
bad_opt '(snap|-1)' "-s -1" -s -1
bad_opt 'bogus' "--split bogus" --split bogus
bad_opt '(single,process|split)' "--split single,process" --split single,process
bad_opt '(-1|duration)' "--duration -1" --duration -1
bad_opt 'abc' "--duration abc" --duration abc
bad_opt '(-w|[Dd]irectory)' "-w ''" -w ''
bad_opt "(-w|'w'|argument)" "-w without its argument" -w
bad_opt 'split' "--split without its argument" --split
bad_opt 'abc' "-B abc" -B abc
bad_opt 'abc' "--max-open abc" --max-open abc
bad_opt 'stray' "a stray argument" stray

nr P --version
is "$?" 0 "--version exits 0"
like "$(cat "$(out_of "$P")")" '^netrec [0-9]+\.[0-9]+' "--version prints 'netrec X.Y...' on stdout"
nr P --help
is "$?" 0 "--help exits 0"
help=$(cat "$(out_of "$P")")
like "$help" '--split' "--help describes --split"
like "$help" '-w' "--help describes -w"
like "$help" '--duration' "--help describes --duration"

# ------------------------------------------------------------- no root ---
chmod 0711 "$WORK"
mkdir -m 1777 "$WORK/nobody"
if setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$NETREC"; then
	spawn P "" "" env -C "$WORK/nobody" setpriv --reuid=65534 --regid=65534 \
		--clear-groups "$NETREC" -w "$WORK/nobody/out" --duration 1
	wait_exit "$P" 15
	rc=$?
	[ "$rc" = 124 ] && stop_pid "$P"
	cmp_ok "$rc" '!=' 0 "as user nobody: exits non-zero"
	cmp_ok "$rc" '!=' 124 "as user nobody: exits at once (does not capture)"
	like "$(cat "$(err_of "$P")")" '(root|CAP_BPF)' "as user nobody: the message mentions root or CAP_BPF"
else
	skip "user nobody cannot execute $NETREC" 3
fi

# ----------------------------------------------- default dir, valid options -
rm -rf "$CWD/netrec-out"
nr P --duration 1
is "$?" 0 "--duration 1 without -w exits 0"
check "without -w, output goes to ./netrec-out" test -d "$CWD/netrec-out"
is "$(mode_of "$CWD/netrec-out")" 700 "./netrec-out has mode 0700"

nr P -w "$WORK/combo" --split container,command -s headers --truncate-all \
	-B 1024 --max-open 4 -q --duration 1
is "$?" 0 "valid options together (--split container,command -s headers --truncate-all -B 1024 --max-open 4 -q) run and exit 0"
nr P -w "$WORK/combo2" --split container -s max -v --duration 1
is "$?" 0 "valid options together (--split container -s max -v) run and exit 0"
nr P -w "$WORK/combo3" --split command -s 96 --duration 1
is "$?" 0 "-s 96 --split command runs and exits 0"
# As in tcpdump, -s 0 means the largest snaplen.
nr P -w "$WORK/combo4" -s 0 --duration 1
is "$?" 0 "-s 0 (tcpdump's 'maximum') runs and exits 0"
like "$(cat "$(err_of "$P")")" 'snapshot length 65280 bytes' "-s 0 captures with the largest snaplen"

# ----------------------------------------------------------- --duration ---
t0=${EPOCHREALTIME/./}
start_netrec_or_bail -w "$WORK/dur" --duration 2
wait_exit "$NR_PID" 20
rc=$?
t1=${EPOCHREALTIME/./}
[ "$rc" = 124 ] && stop_pid "$NR_PID"
NR_PID=
is "$rc" 0 "--duration 2 stops by itself, exit 0"
cmp_ok $(((t1 - t0) / 1000)) '>=' 2000 "--duration 2 does not stop before 2 s"
check_summary "$NR_LOG" any
check_dir_mode "$WORK/dur"

# -------------------------------------------------------------- SIGTERM ---
start_netrec_or_bail -w "$WORK/term"
kill -TERM "$NR_PID"
wait_exit "$NR_PID" 20
rc=$?
[ "$rc" = 124 ] && stop_pid "$NR_PID"
NR_PID=
is "$rc" 0 "SIGTERM stops netrec with exit 0"
like "$(cat "$NR_LOG")" '[0-9]+ packets recorded' "SIGTERM: the summary is printed"

# ----------------------------------------------- SIGUSR1, BPF programs ---
netns_pair
CGROOT=$(cgroup2_root)

start_netrec_or_bail -w "$WORK/usr1"
mapfile -t progs < <(fd_ids "$NR_PID" prog_id)
mapfile -t links < <(fd_ids "$NR_PID" link_id)
ids=$(json_ids "${progs[@]}")
cmp_ok "${#progs[@]}" '>=' 2 "netrec holds BPF programs while it runs"
names=$(bpftool prog show -j | jq -r --argjson ids "$ids" \
	'.[] | select(.id as $i | $ids | index($i)) | .name' | sort)
like "$names" 'netrec_ingress' "netrec_ingress is loaded"
like "$names" 'netrec_egress' "netrec_egress is loaded"
is "$(printf '%s\n' "$names" | grep -vc '^netrec_')" 0 "all of netrec's programs are named netrec_*" ||
	diag "names: $names"
attached=$(bpftool cgroup show "$CGROOT" -j | jq -r --argjson ids "$ids" \
	'.[] | select(.id as $i | $ids | index($i)) | .attach_type' | sort | tr '\n' ' ')
like "$attached" 'ingress' "an ingress program is attached to the cgroup v2 root $CGROOT"
like "$attached" 'egress' "an egress program is attached to the cgroup v2 root"

run_ns P "$NS_CLI" ping -n -c 2 -i 0.2 -W 5 "$V4_SRV"
ok $? "ping in the test namespaces while netrec runs"
kill -USR1 "$NR_PID"
wait_until 10 grep -q 'packets recorded' "$NR_LOG"
ok $? "SIGUSR1 prints 'N packets recorded'"
like "$(cat "$NR_LOG")" '[0-9]+ packets seen' "SIGUSR1 prints 'N packets seen'"
seen1=$(nr_count "$NR_LOG" "packets seen")
cmp_ok "${seen1:-0}" '>' 0 "SIGUSR1's count of packets seen includes the pings"
check "netrec keeps running after SIGUSR1" proc_alive "$NR_PID"
run_ns P "$NS_CLI" ping -n -c 2 -i 0.2 -W 5 "$V4_SRV"
ok $? "ping again after SIGUSR1"
stop_netrec_ok
cmp_ok "$(grep -c 'packets recorded' "$NR_LOG")" '>=' 2 "the final summary follows SIGUSR1's"
cmp_ok "$(nr_count "$NR_LOG" "packets seen")" '>=' "${seen1:-0}" "the final count of packets seen is not smaller"
check_summary "$NR_LOG"

left=$(bpftool prog show -j | jq -r --argjson ids "$ids" \
	'.[] | select(.id as $i | $ids | index($i)) | "\(.id) \(.name)"')
is "$left" "" "after netrec exits, none of its BPF programs is loaded"
left=$(bpftool cgroup show "$CGROOT" -j | jq -r --argjson ids "$ids" \
	'.[] | select(.id as $i | $ids | index($i)) | "\(.id) \(.name)"')
is "$left" "" "after netrec exits, nothing of it is attached to the cgroup v2 root"
left=$(bpftool link show -j | jq -r --argjson ids "$(json_ids "${links[@]}")" \
	'.[] | select(.id as $i | $ids | index($i)) | .id')
is "$left" "" "after netrec exits, none of its BPF links is left"

done_testing
