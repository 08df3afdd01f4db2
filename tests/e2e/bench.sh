#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh: scripts/bench and its helper work and leave nothing behind.
# It judges no throughput; the bench does not either.
#  - barehook attaches its two programs to the cgroup v2 root with links,
#    lets traffic pass, and is gone from the kernel after SIGINT and after
#    SIGKILL;
#  - bad arguments exit 2 and name the problem;
#  - a short `scripts/bench --only udp-lo,tcp-veth` prints every mode, the
#    hooks-only ceiling and the rounds netrec kept up with tcpdump, and
#    leaves no namespace, program, process or temporary directory.

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init
require_cmds bpftool jq ping iperf3 tcpdump ethtool
BAREHOOK=${BAREHOOK:-$(dirname "$NETREC")/scripts/barehook}
BENCH=$E2E/../../scripts/bench
[ -x "$BAREHOOK" ] || bail "barehook is not built: $BAREHOOK"
netns_pair
CGROOT=$(cgroup2_root)

# attached_of IDS: "ID ATTACH_TYPE" of these programs on the cgroup root.
attached_of() {
	bpftool cgroup show "$CGROOT" -j | jq -r --argjson ids "$1" \
		'.[] | select(.id as $i | $ids | index($i)) | "\(.id) \(.attach_type)"'
}

# loaded_of IDS: the programs among IDS still loaded.
loaded_of() {
	bpftool prog show -j | jq -r --argjson ids "$1" \
		'.[] | select(.id as $i | $ids | index($i)) | "\(.id) \(.name)"'
}

# hold: start barehook, wait for it to attach; sets HOOK and PROGS.
hold() {
	spawn HOOK "" "" "$BAREHOOK"
	wait_until 10 grep -q attached "$(err_of "$HOOK")" ||
		bail "barehook did not attach: $(cat "$(err_of "$HOOK")")"
	local ids
	mapfile -t ids < <(fd_ids "$HOOK" prog_id)
	PROGS=$(json_ids "${ids[@]}")
}

# --- arguments -----------------------------------------------------------
"$BAREHOOK" --now >"$WORK/bh.out" 2>"$WORK/bh.err"
is "$?" 2 "barehook with an argument exits 2"
like "$(cat "$WORK/bh.err")" "no arguments.*--now" "and names the argument"

# --- attached, traffic passes, detached on SIGINT --------------------------
hold
att=$(attached_of "$PROGS")
like "$att" 'cgroup_inet_ingress' "barehook holds an ingress program on the cgroup v2 root"
like "$att" 'cgroup_inet_egress' "and an egress program"
is "$(loaded_of "$PROGS" | grep -vc ' barehook_')" 0 "its programs are named barehook_*"
run_ns P "$NS_CLI" ping -n -c 3 -i 0.2 -W 5 "$V4_SRV"
ok $? "ping between the test namespaces while barehook holds the hooks"
kill -INT "$HOOK"
wait_exit "$HOOK" 10
is "$?" 0 "SIGINT stops barehook with exit 0"
is "$(attached_of "$PROGS")" "" "after SIGINT nothing of it is attached"
is "$(loaded_of "$PROGS")" "" "and none of its programs is loaded"

# --- SIGKILL: the links die with the process -------------------------------
hold
cmp_ok "$(attached_of "$PROGS" | wc -l)" '==' 2 "barehook attached again"
kill -KILL "$HOOK"
wait_exit "$HOOK" 10
wait_until 10 test -z "$(attached_of "$PROGS")"
ok $? "after SIGKILL nothing of it is attached"

# --- scripts/bench ---------------------------------------------------------
"$BENCH" -t 0 >"$WORK/b0.out" 2>"$WORK/b0.err"
is "$?" 2 "scripts/bench -t 0 exits 2"
like "$(cat "$WORK/b0.err")" "-t: want a whole number" "and says what -t wants"
"$BENCH" --only udp-xx >"$WORK/b1.out" 2>"$WORK/b1.err"
is "$?" 2 "scripts/bench --only with an unknown workload exits 2"
like "$(cat "$WORK/b1.err")" "unknown workload 'udp-xx'" "and names it"

tmp_before=$(find /var/tmp -maxdepth 1 -name 'netrec-bench.*' | wc -l)
ns_before=$(ip netns list | grep -c '^netrec-bench-')
RUN_TIMEOUT=300 run_ns B "" "$BENCH" -t 1 --only udp-lo,tcp-veth
is "$?" 0 "scripts/bench -t 1 --only udp-lo,tcp-veth exits 0" ||
	diag_file "$(err_of "$B")"
out=$(cat "$(out_of "$B")")
like "$out" $'\nudp-lo +\\| [0-9.]+ kpps +\\| [0-9.]+ kpps +[0-9.]+% .*\\| [0-9.]+ kpps +[0-9.]+%' \
	"its table has a udp-lo row with all three runs" || diag "$out"
like "$out" $'\ntcp-veth +\\| [0-9.]+ Gbit/s +\\| [0-9.]+ Gbit/s +[0-9.]+% .*\\| [0-9.]+ Gbit/s +[0-9.]+%' \
	"and a tcp-veth row"
like "$out" $'\nhooks only \\(.*\\): udp-lo [0-9.]+%, tcp-veth [0-9.]+%' \
	"and the hooks-only ceiling of both"
like "$out" $'\nrounds where netrec kept at least tcpdump.s throughput: udp-lo [01] of 1, tcp-veth [01] of 1' \
	"and the rounds where netrec kept up with tcpdump"
like "$out" 'hooks only [0-9.]+ kpps' "the hooks-only run is among the sent/dropped figures"
unlike "$out" 'failed' "no run failed"
is "$(find /var/tmp -maxdepth 1 -name 'netrec-bench.*' | wc -l)" "$tmp_before" \
	"the bench removed its temporary directory"
is "$(ip netns list | grep -c '^netrec-bench-')" "$ns_before" "and deleted its namespaces"
left=$(bpftool prog show -j | jq -r '.[] | select(.name | test("^(barehook|netrec)_")) | .name')
is "$left" "" "no barehook or netrec program is left loaded"

done_testing
