# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for netrec's end-to-end tests.  A test script does
#
#	. "$(dirname "$0")/lib.sh"
#	e2e_init                 # root check, tools, work dir, cleanup trap
#	netns_pair               # optional: namespaces cli/srv joined by a veth
#	...assertions...
#	done_testing
#
# Everything the tests create (namespaces, cgroups, processes, the work dir)
# is recorded as it is made and removed by the EXIT trap, also after a
# failure or an interrupt.  Only processes the test itself started are ever
# signalled.  All waits are bounded polls, never bare sleeps.
#
# Environment:
#   NETREC             binary under test (default: ../../netrec from here)
#   NETREC_E2E_KEEP=1  keep the work directory (output files, logs)

E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NETREC=${NETREC:-$E2E/../../netrec}
# Absolute, since some tests run netrec from another directory.
case $NETREC in
/*) ;;
*/*) NETREC=$PWD/$NETREC ;;
*) NETREC=$(command -v "$NETREC" || echo "$NETREC") ;;
esac
# Unique prefix for everything named in shared namespaces (netns, cgroups).
NRT=nrt$$

# ---------------------------------------------------------------- TAP ----

_tap_n=0
_tap_failed=0
_tap_plan=

_tap_desc() {
	local d=${1//\\/\\\\}
	printf '%s' "${d//#/\\#}"
}

# diag LINE...: TAP diagnostic lines (each argument may hold newlines).
diag() {
	local a line
	for a in "$@"; do
		while IFS= read -r line; do
			printf '# %s\n' "$line"
		done <<<"$a"
	done
}

# diag_file FILE [LINES]: the last LINES (default 20) lines of FILE.
diag_file() {
	[ -s "$1" ] || { diag "($1: empty or missing)"; return 0; }
	diag "--- $1 (tail) ---"
	diag "$(tail -n "${2:-20}" "$1")"
}

# ok STATUS DESCRIPTION: STATUS is a shell status, 0 passes.
ok() {
	local st=$1
	shift
	_tap_n=$((_tap_n + 1))
	if [ "$st" = 0 ]; then
		printf 'ok %d - %s\n' "$_tap_n" "$(_tap_desc "$*")"
		return 0
	fi
	_tap_failed=$((_tap_failed + 1))
	printf 'not ok %d - %s\n' "$_tap_n" "$(_tap_desc "$*")"
	# The line of the test script that led here, however deep in lib.sh.
	diag "  failed at $0 line ${BASH_LINENO[${#BASH_LINENO[@]} - 2]}"
	return 1
}

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	local desc=$1
	shift
	"$@" >&2
	ok $? "$desc"
}

# is GOT WANT DESCRIPTION: string equality.
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "       got: '$1'" "  expected: '$2'"
		return 1
	fi
}

# cmp_ok GOT OP WANT DESCRIPTION: integer comparison, OP one of
# == != < <= > >=.
cmp_ok() {
	local got=$1 op=$2 want=$3 desc=$4 r=1
	if [[ $got =~ ^-?[0-9]+$ && $want =~ ^-?[0-9]+$ ]]; then
		case $op in
		'==') ((got == want)) && r=0 ;;
		'!=') ((got != want)) && r=0 ;;
		'<') ((got < want)) && r=0 ;;
		'<=') ((got <= want)) && r=0 ;;
		'>') ((got > want)) && r=0 ;;
		'>=') ((got >= want)) && r=0 ;;
		*) diag "cmp_ok: bad operator '$op'" ;;
		esac
	fi
	ok "$r" "$desc" || diag "  want: '$got' $op '$want'"
	return "$r"
}

# like TEXT REGEX DESCRIPTION: extended regex match (bash =~).
like() {
	if [[ $1 =~ $2 ]]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "  '$(printf '%s' "$1" | head -c 600)'" "  does not match /$2/"
		return 1
	fi
}

unlike() {
	if [[ $1 =~ $2 ]]; then
		ok 1 "$3"
		diag "  '$(printf '%s' "$1" | head -c 600)'" "  matches /$2/"
		return 1
	fi
	ok 0 "$3"
}

# skip REASON [COUNT]: COUNT skipped tests.
skip() {
	local i
	for ((i = 0; i < ${2:-1}; i++)); do
		_tap_n=$((_tap_n + 1))
		printf 'ok %d # SKIP %s\n' "$_tap_n" "$(_tap_desc "$1")"
	done
}

skip_all() {
	printf '1..0 # SKIP %s\n' "$(_tap_desc "$1")"
	exit 0
}

bail() {
	printf 'Bail out! %s\n' "$(_tap_desc "$*")"
	exit 1
}

# plan N: announce N tests up front (optional; else done_testing does).
plan() {
	_tap_plan=$1
	printf '1..%d\n' "$1"
}

done_testing() {
	if [ -z "$_tap_plan" ]; then
		printf '1..%d\n' "$_tap_n"
	elif [ "$_tap_plan" != "$_tap_n" ]; then
		diag "planned $_tap_plan tests but ran $_tap_n"
		exit 1
	fi
	if [ "$_tap_failed" -gt 0 ]; then
		diag "failed $_tap_failed of $_tap_n"
		exit 1
	fi
	exit 0
}

# ------------------------------------------------------- requirements ----

require_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root"
}

require_cmds() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip_all "needs $c"
	done
}

require_netrec() {
	[ -x "$NETREC" ] || bail "netrec binary not found at $NETREC (build it, or set NETREC)"
}

# e2e_init: the start of every test script.
e2e_init() {
	require_root
	require_cmds ip nsenter ss python3 tshark capinfos find stat timeout
	require_netrec
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/netrec-e2e.XXXXXX") ||
		bail "cannot make a work directory"
	mkdir -p "$WORK/proc"
	_write_helpers
	# Markers unique to this run: netrec records the whole host, and other
	# tests (or other runs of this one) may be sending at the same time.
	RUN_ID=$$-$(random_hex 4)
	HELLO="hello.txt?$RUN_ID"
	# shellcheck disable=SC2034 # for the test scripts
	GET_HELLO="GET /$HELLO"
	HELLO_BODY="hello from the netrec e2e tests, run $RUN_ID"
	trap _cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# ----------------------------------------------------------- processes ---

_PIDS=()     # every process this test started and has not reaped yet
_NETNS=()    # namespaces to delete
_CGROUPS=()  # cgroups to remove, in creation order
_spawn_n=0
NR_PID=

_forget_pid() {
	local i
	for i in "${!_PIDS[@]}"; do
		[ "${_PIDS[$i]}" = "$1" ] && unset '_PIDS[i]'
	done
}

# proc_alive PID: running (not a zombie waiting to be reaped).
proc_alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st%% *}
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# wait_until SECONDS COMMAND...: poll COMMAND every 0.1 s; 1 on timeout.
wait_until() {
	local tries=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

proc_gone() { ! proc_alive "$1"; }

# wait_exit PID SECONDS: reap a child started here and return its exit
# status; 124 (and the process is left alone) if it outlives SECONDS.
wait_exit() {
	local pid=$1 rc
	wait_until "${2:-10}" proc_gone "$pid" || return 124
	wait "$pid"
	rc=$?
	_forget_pid "$pid"
	return "$rc"
}

# stop_pid PID: SIGTERM, then SIGKILL after 5 s; reaps it.
stop_pid() {
	local pid=$1
	if proc_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		if ! wait_until 5 proc_gone "$pid"; then
			kill -KILL "$pid" 2>/dev/null
			wait_until 5 proc_gone "$pid"
		fi
	fi
	wait "$pid" 2>/dev/null
	_forget_pid "$pid"
}

_nspath() {
	if [ -e "/run/netns/$1" ]; then
		printf '/run/netns/%s' "$1"
	else
		printf '/var/run/netns/%s' "$1"
	fi
}

# spawn VAR CGROUP NETNS COMMAND...: start COMMAND in the background, in
# cgroup directory CGROUP and network namespace NETNS ("" for none: stay in
# this script's).  The cgroup is joined first, then the namespace entered,
# then COMMAND exec'd, all in one process: VAR gets COMMAND's pid.  (nsenter
# is used rather than "ip netns exec", which remounts /sys and so would hide
# the cgroup file system.)  Output goes to "$WORK/proc/PID.out" and ".err".
spawn() {
	local var=$1 cg=$2 ns=$3 n pid
	shift 3
	if [ -n "$ns" ]; then
		set -- nsenter --net="$(_nspath "$ns")" -- "$@"
	fi
	if [ -n "$cg" ]; then
		# shellcheck disable=SC2016 # $$ and $0 belong to the inner sh
		set -- sh -c 'echo $$ >"$0/cgroup.procs" || exit 126; exec "$@"' "$cg" "$@"
	fi
	_spawn_n=$((_spawn_n + 1))
	n=$_spawn_n
	"$@" >"$WORK/proc/spawn$n.out" 2>"$WORK/proc/spawn$n.err" </dev/null &
	pid=$!
	_PIDS+=("$pid")
	ln -sf "spawn$n.out" "$WORK/proc/$pid.out"
	ln -sf "spawn$n.err" "$WORK/proc/$pid.err"
	printf -v "$var" '%s' "$pid"
}

# out_of PID / err_of PID: where a spawned process's output went.
out_of() { printf '%s/proc/%s.out' "$WORK" "$1"; }
err_of() { printf '%s/proc/%s.err' "$WORK" "$1"; }

# bg_ns VAR NETNS COMMAND...: background COMMAND in NETNS.
bg_ns() {
	local var=$1 ns=$2
	shift 2
	spawn "$var" "" "$ns" "$@"
}

# run_ns VAR NETNS COMMAND...: run COMMAND in NETNS to the end (at most
# RUN_TIMEOUT, default 60 s); VAR gets its pid, the status is returned.
run_ns() {
	local var=$1 ns=$2
	shift 2
	run_cg "$var" "" "$ns" "$@"
}

# run_cg VAR CGROUP NETNS COMMAND...: run_ns, inside a cgroup.
run_cg() {
	local var=$1 cg=$2 ns=$3 rc
	shift 3
	spawn "$var" "$cg" "$ns" "$@"
	wait_exit "${!var}" "${RUN_TIMEOUT:-60}"
	rc=$?
	if [ "$rc" = 124 ] && proc_alive "${!var}"; then
		diag "timed out: $*"
		stop_pid "${!var}"
	fi
	return "$rc"
}

# in_ns NETNS COMMAND...: run in the foreground (for quick queries).
in_ns() {
	local ns=$1
	shift
	nsenter --net="$(_nspath "$ns")" -- "$@"
}

# ----------------------------------------------------- network namespaces -

# netns_pair: namespaces $NS_CLI and $NS_SRV joined by a veth pair (veth0 on
# both sides), loopback up in both:
#   $V4_CLI = 10.199.X.1/24  <->  $V4_SRV = 10.199.X.2/24
#   $V6_CLI = fd00:199:X::1/64 <-> $V6_SRV = fd00:199:X::2/64 (nodad)
# All test traffic stays between (or inside) these two namespaces.
netns_pair() {
	local x=$(($$ % 250 + 1)) ns
	NS_CLI=${NRT}cli
	NS_SRV=${NRT}srv
	V4_CLI=10.199.$x.1
	V4_SRV=10.199.$x.2
	V6_CLI=fd00:199:$x::1
	V6_SRV=fd00:199:$x::2
	for ns in "$NS_CLI" "$NS_SRV"; do
		ip netns add "$ns" || bail "ip netns add $ns failed"
		_NETNS+=("$ns")
		ip -n "$ns" link set lo up || bail "lo up in $ns failed"
	done
	ip -n "$NS_CLI" link add veth0 type veth peer name veth0 netns "$NS_SRV" ||
		bail "cannot create the veth pair"
	if ! { ip -n "$NS_CLI" addr add "$V4_CLI/24" dev veth0 &&
		ip -n "$NS_SRV" addr add "$V4_SRV/24" dev veth0 &&
		ip -n "$NS_CLI" -6 addr add "$V6_CLI/64" dev veth0 nodad &&
		ip -n "$NS_SRV" -6 addr add "$V6_SRV/64" dev veth0 nodad &&
		ip -n "$NS_CLI" link set veth0 up &&
		ip -n "$NS_SRV" link set veth0 up; }; then
		bail "cannot configure the veth pair"
	fi
	wait_until 10 _veth_ready || bail "veth pair did not come up"
}

_veth_ready() {
	ip -n "$NS_CLI" link show veth0 | grep -q LOWER_UP &&
		ip -n "$NS_SRV" link show veth0 | grep -q LOWER_UP &&
		[ -z "$(ip -n "$NS_CLI" -6 addr show dev veth0 tentative)" ] &&
		[ -z "$(ip -n "$NS_SRV" -6 addr show dev veth0 tentative)" ]
}

# listening NETNS PROTO PORT: a socket is bound to PORT (PROTO tcp or udp).
listening() {
	local opt=-Hltn
	[ "$2" = udp ] && opt=-Hlun
	[ -n "$(in_ns "$1" ss "$opt" "sport = :$3")" ]
}

# ------------------------------------------------------ traffic endpoints -

# start_httpd: "python3 -m http.server" on [::]:8080 in $NS_SRV (IPv4 and
# IPv6), serving $WWW, which holds hello.txt ($HELLO_BODY).  Fetch it as
# $HELLO: the request line then holds this run's id too.  Sets HTTPD.
start_httpd() {
	WWW=$WORK/www
	mkdir -p "$WWW"
	echo "$HELLO_BODY" >"$WWW/hello.txt"
	bg_ns HTTPD "$NS_SRV" python3 -m http.server --bind :: \
		--directory "$WWW" 8080
	wait_until 10 listening "$NS_SRV" tcp 8080 ||
		bail "http.server did not start: $(tail -n 3 "$(err_of "$HTTPD")")"
}

# start_dnsmasq: dnsmasq on $V4_SRV:53 (UDP and TCP) in
# $NS_SRV, answering test.example A $V4_SRV.  --no-daemon keeps every query,
# TCP ones too, in this one process.  Extra options: array DNSMASQ_EXTRA.
# Sets DNSMASQ (its pid).
start_dnsmasq() {
	bg_ns DNSMASQ "$NS_SRV" dnsmasq --no-daemon --conf-file=/dev/null \
		--listen-address="$V4_SRV" --bind-interfaces --port=53 \
		--no-resolv --no-hosts --address="/test.example/$V4_SRV" \
		--pid-file="$WORK/dnsmasq.pid" --log-facility=- \
		"${DNSMASQ_EXTRA[@]}"
	if ! { wait_until 10 listening "$NS_SRV" udp 53 &&
		wait_until 10 listening "$NS_SRV" tcp 53; }; then
		bail "dnsmasq did not start: $(tail -n 3 "$(err_of "$DNSMASQ")")"
	fi
}

# pre_connection PORT MARK: a TCP connection from $NS_CLI to $V4_SRV:PORT,
# made now (before netrec starts) and kept open: PRESRV and PRECLI get the
# two processes' pids.  "touch $WORK/pre.go" has the client send MARK and
# wait for "ACK MARK"; then $WORK/pre.done appears.
pre_connection() {
	bg_ns PRESRV "$NS_SRV" python3 "$PEER" tcp-server "$V4_SRV" "$1" \
		--ready "$WORK/presrv.ready"
	wait_until 10 test -e "$WORK/presrv.ready" || bail "pre-existing server did not start"
	bg_ns PRECLI "$NS_CLI" python3 "$PEER" tcp-client "$V4_SRV" "$1" \
		--ready "$WORK/precli.ready" --trigger "$WORK/pre.go" \
		--done "$WORK/pre.done" --mark "$2"
	wait_until 10 test -e "$WORK/precli.ready" || bail "pre-existing client did not connect"
}

# udp_receiver VAR CGROUP NETNS HOST PORT COUNT: a receiver that waits for
# COUNT datagrams (CGROUP may be "").  Wait for them with udp_received.
udp_receiver() {
	local var=$1 cg=$2 ns=$3 host=$4 port=$5 count=$6
	rm -f "$WORK/udp$port.ready" "$WORK/udp$port.done"
	spawn "$var" "$cg" "$ns" python3 "$PEER" udp-recv "$host" "$port" \
		--count "$count" --ready "$WORK/udp$port.ready" \
		--done "$WORK/udp$port.done"
	wait_until 10 test -e "$WORK/udp$port.ready" ||
		bail "UDP receiver on port $port did not start"
}

# udp_received PORT: how many datagrams the receiver on PORT got (it stops
# at its COUNT, or gives up 30 s after it started).
udp_received() {
	wait_until 35 test -e "$WORK/udp$1.done"
	cat "$WORK/udp$1.done" 2>/dev/null || echo none
}

# curl_get VAR NETNS URL: fetch URL (no proxy, 10 s at most, body to
# $WORK/body.last); its stdout (see out_of) gets "HTTPCODE SIZE".
curl_get() {
	local var=$1 ns=$2 url=$3
	run_ns "$var" "$ns" curl --noproxy '*' -g -sS --max-time 10 \
		-o "$WORK/body.last" -w '%{http_code} %{size_download}' "$url"
}

# ---------------------------------------------------------------- BPF ----

# fd_ids PID KEY: the KEY ("prog_id", "link_id") of PID's BPF fds.
fd_ids() {
	grep -h "^$2:" /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un
}

# json_ids IDS: "[1,2,3]".
json_ids() {
	printf '[%s]' "$(printf '%s\n' "$@" | grep . | paste -sd, -)"
}

# ---------------------------------------------------------------- cgroups -

# cgroup2_root: where the cgroup v2 hierarchy is mounted, from /proc/mounts.
cgroup2_root() {
	local mnt fstype
	while read -r _ mnt fstype _; do
		if [ "$fstype" = cgroup2 ]; then
			printf '%b\n' "$mnt" # undo /proc/mounts' \040 escapes
			return 0
		fi
	done </proc/mounts
	return 1
}

# ascii_hex STRING: STRING's bytes in hex (for ping -p).
ascii_hex() {
	printf '%s' "$1" | od -An -tx1 | tr -d ' \n'
}

# random_hex BYTES: 2*BYTES lower-case hex digits.
random_hex() {
	od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'
}

# cg_make VAR NAME: make cgroup <root>/netrec-test-PID/NAME, path in VAR.
cg_make() {
	local var=$1 root base
	root=$(cgroup2_root) || bail "no cgroup2 file system mounted"
	base=$root/netrec-test-$$
	if [ ! -d "$base" ]; then
		mkdir "$base" || bail "cannot create cgroup $base"
		_CGROUPS+=("$base")
	fi
	mkdir "$base/$2" || bail "cannot create cgroup $base/$2"
	_CGROUPS+=("$base/$2")
	printf -v "$var" '%s' "$base/$2"
}

_cg_empty() {
	[ ! -s "$1/cgroup.procs" ]
}

# ----------------------------------------------------------------- netrec -

_nr_n=0
DNSMASQ_EXTRA=()

# start_netrec ARGS...: run "$NETREC ARGS..." in the background and wait
# (up to 15 s) for the "capturing" line on its stderr.  Sets NR_PID, NR_LOG
# (stderr) and NR_OUT (stdout).  Returns 1, with the log shown, if netrec
# exits or never says it is capturing.
start_netrec() {
	_nr_n=$((_nr_n + 1))
	NR_LOG=$WORK/netrec$_nr_n.err
	NR_OUT=$WORK/netrec$_nr_n.out
	# A script's background jobs start with SIGINT ignored; give netrec
	# the default disposition, as an interactive Ctrl-C would find it.
	env --default-signal=INT "$NETREC" "$@" >"$NR_OUT" 2>"$NR_LOG" </dev/null &
	NR_PID=$!
	_PIDS+=("$NR_PID")
	if wait_until 15 _nr_started_or_gone && grep -q capturing "$NR_LOG"; then
		return 0
	fi
	diag "netrec $* did not report 'capturing' (within 15 s)"
	diag_file "$NR_LOG"
	proc_alive "$NR_PID" || { wait "$NR_PID"; diag "netrec exited with $?"; }
	_forget_pid "$NR_PID"
	stop_pid "$NR_PID"
	NR_PID=
	return 1
}

_nr_started_or_gone() {
	grep -q capturing "$NR_LOG" || ! proc_alive "$NR_PID"
}

# start_netrec_or_bail ARGS...: start_netrec, as a test; bail out on failure
# (nothing after it could mean anything).
start_netrec_or_bail() {
	start_netrec "$@"
	ok $? "netrec $* starts and reports 'capturing'" ||
		bail "netrec did not start"
}

# stop_netrec: SIGINT, wait up to 20 s.  Sets and returns NR_RC (124 if it
# had to be killed).
stop_netrec() {
	NR_RC=
	[ -n "$NR_PID" ] || { NR_RC=1; return 1; }
	kill -INT "$NR_PID"
	wait_exit "$NR_PID" 20
	NR_RC=$?
	if [ "$NR_RC" = 124 ]; then
		diag "netrec ignored SIGINT for 20 s; killing it"
		stop_pid "$NR_PID"
	fi
	NR_PID=
	return "$NR_RC"
}

# stop_netrec_ok: stop_netrec as a test ("exits 0 on SIGINT").
stop_netrec_ok() {
	stop_netrec
	is "$NR_RC" 0 "netrec exits 0 on SIGINT" || diag_file "$NR_LOG"
}

# nr_count LOG WHAT: the number N from the last "N WHAT" line in LOG
# (WHAT: "packets recorded", "packets seen", "packets lost", "files written").
nr_count() {
	grep -Eo "(^|[^0-9])[0-9]+ $2" "$1" 2>/dev/null | tail -n 1 |
		grep -Eo '^[^0-9]?[0-9]+' | tr -dc '0-9'
}

# check_summary LOG [any]: the summary lines are there and consistent,
# nothing was lost or written out of time order;
# unless "any", some packets were recorded.
check_summary() {
	local rec seen lost files
	rec=$(nr_count "$1" "packets recorded")
	seen=$(nr_count "$1" "packets seen")
	lost=$(nr_count "$1" "packets lost")
	files=$(nr_count "$1" "files written")
	like "$rec" '^[0-9]+$' "summary has 'N packets recorded'"
	like "$seen" '^[0-9]+$' "summary has 'N packets seen'"
	like "$lost" '^[0-9]+$' "summary has 'N packets lost'"
	like "$files" '^[0-9]+$' "summary has 'N files written'"
	cmp_ok "${rec:-x}" '<=' "${seen:-x}" "packets recorded <= packets seen"
	[ "${2:-}" = any ] || cmp_ok "${rec:-0}" '>' 0 "some packets were recorded"
	is "${lost:-x}" 0 "no packets lost"
	is "$(grep -c 'out of time order' "$1")" 0 \
		"no packet was written out of time order" ||
		diag "$(grep 'out of time order' "$1")"
}

# --------------------------------------------------------- pcap inspection -

declare -gA PC

# _tool_check ARRAY TOOL FILE: fill ARRAY[key] from "TOOL check FILE".
_tool_check() {
	local -n _arr=$1
	local k v
	_arr=()
	while IFS='=' read -r k v; do
		# shellcheck disable=SC2004 # an associative array, by name
		_arr[$k]=$v
	done < <(python3 "$2" check "$3")
}

# pcap_check FILE: fill PC[key] from "pcaptool.py check" (see there).
pcap_check() { _tool_check PC "$PCAPTOOL" "$1"; }

# pcount FILE STRING: packets in FILE whose bytes contain STRING ("no file"
# if there is no FILE, which fails any count comparison).
pcount() {
	[ -f "$1" ] || { echo "no file"; return; }
	python3 "$PCAPTOOL" grep "$1" "$2"
}

# where DIR STRING: "COUNT<TAB>PATH-RELATIVE-TO-DIR" for every file under
# DIR with packets holding STRING, sorted by path, one per line.
where() {
	local dir=$1 files=()
	mapfile -d '' files < <(find "$dir" -type f -print0)
	[ "${#files[@]}" -gt 0 ] || return 0
	python3 "$PCAPTOOL" where "$2" "${files[@]}" |
		while IFS=$'\t' read -r n path; do
			printf '%s\t%s\n' "$n" "${path#"$dir"/}"
		done | LC_ALL=C sort -t $'\t' -k2
}

# where_is DIR STRING WANT DESC: where() as a test; WANT lists "N path"
# pairs joined with ", " (e.g. "3 a.pcap, 5 b.pcap"), in any order.
where_is() {
	local got want
	got=$(where "$1" "$2" | tr '\t' ' ' | _canon_where)
	want=$(printf '%s\n' "$3" | sed 's/, /\n/g' | _canon_where)
	is "$got" "$want" "$4"
}

_canon_where() {
	grep . | LC_ALL=C sort -k2 | paste -sd, - | sed 's/,/, /g'
}

# pdump FILE: one tab-separated line per packet (header line starts '#').
pdump() {
	python3 "$PCAPTOOL" dump "$1"
}

# pkts FILE CONDITION: how many packets of FILE satisfy CONDITION, an awk
# expression over the columns of "pcaptool.py dump": idx incl orig fam ver
# proto src dst sport dport iphl iplen l4hl paylen tcpflags icmptype (incl
# and orig include the 4-byte NULL header; iplen is the IP header's length
# field; -1 where the captured bytes do not tell), and min(a, b).
# "no file" if there is no FILE.
pkts() {
	[ -f "$1" ] || { echo "no file"; return; }
	python3 "$PCAPTOOL" dump "$1" | awk -F '\t' "$(_pkts_awk "$2")"
}

# pkts_dir DIR CONDITION: the same, summed over every file under DIR; the
# first offending packets are shown on stderr as "file: dump line".
pkts_dir() {
	local f n=0 c
	while IFS= read -r -d '' f; do
		c=$(python3 "$PCAPTOOL" dump "$f" |
			awk -F '\t' -v show="${f#"$1"/}" "$(_pkts_awk "$2")")
		n=$((n + ${c:-0}))
	done < <(find "$1" -type f -print0)
	echo "$n"
}

# shellcheck disable=SC2016 # awk's $N, not the shell's
_pkts_awk() {
	printf '%s\n' \
		'function min(a, b) { return a < b ? a : b }' \
		'/^#/ { next }' \
		'{ idx = $1; incl = $3; orig = $4; fam = $5; ver = $6; proto = $7' \
		'  src = $8; dst = $9; sport = $10; dport = $11; iphl = $12' \
		'  iplen = $13; l4hl = $14; paylen = $15; tcpflags = $16' \
		'  icmptype = $17 }' \
		"($1) { n++; if (show != \"\" && n <= 3) print \"# \" show \": \" \$0 > \"/dev/stderr\" }" \
		'END { print n + 0 }'
}

# tcount FILE FILTER: frames matching a Wireshark display filter ("no file"
# if there is no FILE; a tshark error is shown as a diagnostic).
tcount() {
	[ -f "$1" ] || { echo "no file"; return; }
	tshark -n -r "$1" -d tcp.port==8080,http -Y "$2" -T fields \
		-e frame.number 2>"$WORK/tshark.err" | grep -c .
	# (On stderr: stdout is the count.)
	if grep -qv 'Running as user' "$WORK/tshark.err"; then
		diag "tshark -Y '$2' $1:" "$(grep -v 'Running as user' "$WORK/tshark.err" | head -n 3)" >&2
	fi
	return 0
}

# file_of DIR PID NAME: DIR/X when X is the one file for process PID
# (whatever it is called), else DIR/NAME.  For checks of a file's content
# that should not all fail just because the file has the wrong name.
file_of() {
	local f
	f=$(pid_files "$1" "$2")
	if [ -n "$f" ] && [ "$(printf '%s\n' "$f" | wc -l)" = 1 ]; then
		printf '%s/%s' "$1" "$f"
	else
		printf '%s/%s' "$1" "$3"
	fi
}

# tfields FILE FILTER FIELD...: tshark -T fields output.
tfields() {
	local f=$1 filt=$2 a=()
	shift 2
	local x
	for x in "$@"; do a+=(-e "$x"); done
	tshark -n -r "$f" -d tcp.port==8080,http -Y "$filt" -T fields "${a[@]}" \
		2>/dev/null
}

# pid_files DIR PID: files (paths relative to DIR) for process PID.
pid_files() {
	(cd "$1" 2>/dev/null && find . -type f \( -name "*-$2.pcap" -o \
		-name "*-$2.[0-9]*.pcap" \) | sed 's|^\./||' | sort)
}

# pid_file_is DIR PID NAME DESC: PID's traffic is in DIR/NAME and nowhere
# else.
pid_file_is() {
	local got
	got=$(pid_files "$1" "$2" | tr '\n' ' ')
	is "${got% }" "$3" "$4"
}

# mode_of PATH: octal permission bits.
mode_of() { stat -c %a "$1" 2>/dev/null; }

# check_pcap_dir DIR [whole]: every pcap in DIR opens with capinfos, is mode
# 0600, nanosecond pcap with link type NULL, in time order, NULL header
# matching the IP version, original length true to the IP header, captured
# length sane; with "whole", no packet is truncated.
check_pcap_dir() {
	local dir=$1 whole=${2:-} f n=0 k
	local -A badn=() badf=()
	local keys=(capinfos mode format linktype ts_sorted family_ok len_ok cap_ok)
	[ "$whole" = whole ] && keys+=(whole)
	while IFS= read -r -d '' f <&3; do
		n=$((n + 1))
		capinfos "$f" >/dev/null 2>&1 || _bad capinfos "$f"
		[ "$(mode_of "$f")" = 600 ] || _bad mode "$f ($(mode_of "$f"))"
		pcap_check "$f"
		if [ "${PC[ok]:-0}" != 1 ]; then
			_bad format "$f: ${PC[error]:-unreadable}"
			continue
		fi
		[ "${PC[magic]}" = nsec ] || _bad format "$f: ${PC[magic]} timestamps"
		[ "${PC[linktype]}" = 0 ] || _bad linktype "$f: ${PC[linktype]}"
		for k in ts_sorted family_ok len_ok cap_ok whole; do
			[ "${PC[$k]}" = 1 ] || _bad "$k" "$f: ${PC[bad]}"
		done
		_check_index "$f"
	done 3< <(find "$dir" -type f ! -name '*.idx.jsonl' -print0)
	cmp_ok "$n" '>' 0 "$dir holds pcap files"
	_report capinfos "every file opens with capinfos"
	_report mode "every file has mode 0600"
	_report format "every file is a nanosecond pcap"
	_report linktype "every file has link type NULL (0)"
	_report ts_sorted "timestamps are non-decreasing in every file"
	_report family_ok "NULL header is 2 for IPv4 and 24 for IPv6 in every packet"
	_report len_ok "original length == 4 + IP length in every packet"
	_report cap_ok "captured length <= original length in every packet"
	[ "$whole" = whole ] && _report whole "no packet truncated (default -s max)"
	_report index "every file has its index: valid JSON, first and last lines the chunk's, SHA-256 and packet count right"
	return 0
}

# _check_index FILE: FILE.idx.jsonl (docs/INDEX.md) is whole and agrees
# with FILE (a helper of check_pcap_dir and check_pcapng_dir).
_check_index() {
	local f=$1 i=$1.idx.jsonl end n
	[ -n "${NO_INDEX_CHECK:-}" ] && return
	[ -f "$i" ] || { _bad index "$i: missing"; return; }
	jq -e . "$i" >/dev/null 2>&1 || { _bad index "$i: not JSON Lines"; return; }
	[ "$(head -n 1 "$i" | jq -r '.type + "/" + .event')" = chunk/start ] ||
		_bad index "$i: first line is not the chunk's start"
	end=$(tail -n 1 "$i")
	[ "$(jq -r '.type + "/" + .event' <<<"$end")" = chunk/end ] ||
		{ _bad index "$i: last line is not the chunk's end"; return; }
	[ "$(jq -r .sha256 <<<"$end")" = "$(sha256sum "$f" | cut -d' ' -f1)" ] ||
		_bad index "$i: sha256 is not the file's"
	n=$(capinfos -Mc "$f" 2>/dev/null | awk '/^Number of packets/ {print $NF}')
	[ "$(jq -r .packets <<<"$end")" = "$n" ] ||
		_bad index "$i: $(jq -r .packets <<<"$end") packets, the file has $n"
}

# helpers of check_pcap_dir (they use its locals badn/badf).
_bad() {
	badn[$1]=$((${badn[$1]:-0} + 1))
	[ "${badn[$1]}" -le 5 ] && badf[$1]+="$2"$'\n'
	return 0
}

_report() {
	if [ "${badn[$1]:-0}" = 0 ]; then
		ok 0 "$2"
	else
		ok 1 "$2"
		diag "${badn[$1]} bad file(s), e.g.:" "${badf[$1]}"
	fi
}

# check_dir_mode DIR: the output directory is mode 0700.
check_dir_mode() {
	is "$(mode_of "$1")" 700 "output directory $1 has mode 0700"
}

# ------------------------------------------------------ pcapng inspection -

declare -gA PNG

# png_check FILE: fill PNG[key] from "pngtool.py check" (see there).
png_check() { _tool_check PNG "$PNGTOOL" "$1"; }

# png_packets FILE: one JSON object per packet (see pngtool.py).
png_packets() {
	python3 "$PNGTOOL" packets "$1"
}

# png_count FILE CONDITION: how many packets of FILE satisfy CONDITION, a
# jq expression over png_packets' objects (.dir, .src, .tcpflags,
# .comments, ...).  "no file" if there is no FILE.
png_count() {
	[ -f "$1" ] || { echo "no file"; return; }
	python3 "$PNGTOOL" packets "$1" | jq -s "map(select($2)) | length"
}

# png_comments FILE [CONDITION]: the distinct first comments of the
# packets (that satisfy CONDITION), each as one JSON string per line.
png_comments() {
	[ -f "$1" ] || return 0
	python3 "$PNGTOOL" packets "$1" |
		jq -c "select(${2:-true}) | .comments[0] // empty" | sort -u
}

# png_pid_files DIR PID: .pcapng files (paths relative to DIR) of PID.
png_pid_files() {
	(cd "$1" 2>/dev/null && find . -type f \( -name "*-$2.pcapng" -o \
		-name "*-$2.[0-9]*.pcapng" \) | sed 's|^\./||' | sort)
}

# png_file_of DIR PID NAME: file_of for .pcapng files.
png_file_of() {
	local f
	f=$(png_pid_files "$1" "$2")
	if [ -n "$f" ] && [ "$(printf '%s\n' "$f" | wc -l)" = 1 ]; then
		printf '%s/%s' "$1" "$f"
	else
		printf '%s/%s' "$1" "$3"
	fi
}

# png_where_is DIR STRING WANT DESC: where_is for the .pcapng files.
png_where_is() {
	local dir=$1 files=() got want
	mapfile -d '' files < <(find "$dir" -type f -name '*.pcapng' -print0)
	got=$(if [ "${#files[@]}" -gt 0 ]; then
		python3 "$PNGTOOL" where "$2" "${files[@]}"
	fi | while IFS=$'\t' read -r n path; do
		printf '%s %s\n' "$n" "${path#"$dir"/}"
	done | _canon_where)
	want=$(printf '%s\n' "$3" | sed 's/, /\n/g' | _canon_where)
	is "$got" "$want" "$4"
}

# check_pcapng_dir DIR [SNAPLEN]: every file in DIR is a .pcapng of mode
# 0600 that capinfos opens and calls pcapng, with one section whose SHB
# names this machine, its kernel and netrec, and whose comment starts with
# "netrec: snapshot length"; one interface, link type NULL, if_tsresol 9,
# snaplen SNAPLEN (default 65284); at least one ISB; packets in time
# order, caplen <= len and <= snaplen; every packet with epb_flags giving
# a direction and epb_dropcount 0; comments (when there are any) made only
# of known "Key: value" lines, valid UTF-8, with epb_processid_threadid
# on every packet with an owner, equal to the comment's PID and ThreadId.
check_pcapng_dir() {
	local dir=$1 snap=${2:-65284} f n=0 os
	local -A badn=() badf=()
	os="Linux $(uname -r)"
	while IFS= read -r -d '' f <&3; do
		n=$((n + 1))
		[[ $f == *.pcapng ]] || _bad name "$f"
		capinfos "$f" >/dev/null 2>&1 || _bad capinfos "$f"
		[[ $(capinfos -t "$f" 2>/dev/null) =~ pcapng ]] ||
			_bad filetype "$f: $(capinfos -t "$f" 2>&1 | tail -n 1)"
		[ "$(mode_of "$f")" = 600 ] || _bad mode "$f ($(mode_of "$f"))"
		png_check "$f"
		if [ "${PNG[ok]:-0}" != 1 ]; then
			_bad format "$f: ${PNG[error]:-unreadable}"
			continue
		fi
		[ "${PNG[sections]}/${PNG[idbs]}/${PNG[other]}" = 1/1/0 ] ||
			_bad format "$f: ${PNG[sections]} SHB, ${PNG[idbs]} IDB, ${PNG[other]} other blocks"
		{ [ "${PNG[shb_hardware]:-}" = "$(uname -m)" ] &&
			[ "${PNG[shb_os]:-}" = "$os" ] &&
			[[ ${PNG[shb_userappl]:-} =~ ^netrec\ [0-9] ]] &&
			[[ ${PNG[shb_comment]:-} == "netrec: snapshot length"* ]]; } ||
			_bad shb "$f: hardware '${PNG[shb_hardware]:-}' os '${PNG[shb_os]:-}' userappl '${PNG[shb_userappl]:-}' comment '${PNG[shb_comment]:-}'"
		[ "${PNG[linktype]}/${PNG[tsresol]}/${PNG[snaplen]}" = "0/9/$snap" ] ||
			_bad idb "$f: linktype/tsresol/snaplen ${PNG[linktype]}/${PNG[tsresol]}/${PNG[snaplen]}"
		[ "${PNG[isbs]}" -ge 1 ] || _bad isb "$f"
		[ "${PNG[ts_sorted]}" = 1 ] || _bad ts_sorted "$f: ${PNG[bad]}"
		[ "${PNG[cap_ok]}" = 1 ] || _bad cap_ok "$f: ${PNG[bad]}"
		{ [ "${PNG[with_flags]}" = "${PNG[epbs]}" ] &&
			[ $((PNG[dir_in] + PNG[dir_out])) = "${PNG[epbs]}" ]; } ||
			_bad flags "$f: ${PNG[epbs]} packets, ${PNG[with_flags]} with flags, ${PNG[dir_in]} in, ${PNG[dir_out]} out"
		[ "${PNG[with_drop]}/${PNG[drop_nonzero]}" = "${PNG[epbs]}/0" ] ||
			_bad drop "$f: ${PNG[epbs]} packets, ${PNG[with_drop]} with epb_dropcount, ${PNG[drop_nonzero]} non-zero"
		{ [ "${PNG[lines_ok]}" = "${PNG[with_comment]}" ] &&
			[ "${PNG[comment_utf8]}" = "${PNG[with_comment]}" ]; } ||
			_bad comment "$f: ${PNG[with_comment]} comments, ${PNG[lines_ok]} well-formed, ${PNG[comment_utf8]} UTF-8: ${PNG[bad]}"
		[ "${PNG[with_comment]}" = 0 ] ||
			[ "${PNG[with_pidtid]}/${PNG[pidtid_agree]}" = "${PNG[owned]}/${PNG[owned]}" ] ||
			_bad pidtid "$f: ${PNG[owned]} packets with an owner, ${PNG[with_pidtid]} with option 8, ${PNG[pidtid_agree]} agreeing with the comment"
		_check_index "$f"
	done 3< <(find "$dir" -type f ! -name '*.idx.jsonl' -print0)
	cmp_ok "$n" '>' 0 "$dir holds pcapng files"
	_report name "every file is named *.pcapng"
	_report capinfos "every file opens with capinfos"
	_report filetype "capinfos -t calls every file pcapng"
	_report mode "every file has mode 0600"
	_report format "every file is one pcapng section with one interface, nothing else"
	_report shb "every SHB: hardware $(uname -m), os '$os', userappl 'netrec <version>', comment 'netrec: snapshot length ...'"
	_report idb "every IDB: link type NULL (0), if_tsresol 9, snaplen $snap"
	_report isb "every file ends with (has) an Interface Statistics Block"
	_report ts_sorted "timestamps are non-decreasing in every file"
	_report cap_ok "captured length <= original length and <= snaplen in every packet"
	_report flags "every packet has epb_flags with a direction (inbound or outbound)"
	_report drop "every packet has epb_dropcount 0"
	_report comment "every comment is UTF-8 'Key: value' lines, known keys, each at most once"
	_report pidtid "every packet with an owner has epb_processid_threadid == the comment's PID/ThreadId"
	_report index "every file has its index: valid JSON, first and last lines the chunk's, SHA-256 and packet count right"
	return 0
}

# ------------------------------------------------------- python helpers ---
# Small Python programs the tests need, kept in this file so that the
# test scripts and lib.sh are all there is to ship.  e2e_init writes them
# into the work directory: $PCAPTOOL reads pcap files, $PNGTOOL pcapng
# files, $PEER makes traffic.

_write_helpers() {
	PCAPTOOL=$WORK/pcaptool.py
	PEER=$WORK/peer.py
	PNGTOOL=$WORK/pngtool.py
	cat >"$PCAPTOOL" <<'PY'
#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read netrec's pcap files with nothing but the standard library.

  pcaptool.py check FILE         key=value lines: format and per-packet checks
  pcaptool.py dump FILE          one tab-separated line per packet
  pcaptool.py grep FILE STRING   number of packets whose bytes hold STRING
  pcaptool.py where STRING FILE...
                                 "COUNT<TAB>FILE" for each FILE that has
                                 packets holding STRING
  pcaptool.py chunks FILE...     per FILE, one tab-separated line: FILE,
                                 ok (1 if it parses), packets, first and
                                 last timestamp (ns), the sum of the
                                 captured lengths, the last packet's
                                 captured length, the file's size

netrec writes nanosecond pcap, link-type NULL: each packet starts with a
4-byte address family in host byte order (2 = IPv4, 24 = IPv6) and then the
IP header.  "check" verifies, for every packet:
  ts_sorted   timestamps never go backwards
  family_ok   the NULL header is 2 for an IPv4 packet and 24 for an IPv6 one
  len_ok      original length == 4 + the IP header's total length
              (IPv6: 4 + 40 + payload length); a GSO packet over 64 KiB
              has length 0 there, and then any original length > 64 KiB
              is taken as true (counted in "gso")
  cap_ok      4 <= captured length <= original length, <= file snaplen
  whole       captured length == original length (except for packets longer
              than the recorder's NR_MAX_CAPLEN, 65280 bytes of IP)
"""
import os
import signal
import socket
import struct
import sys

MAGIC_NS = 0xA1B23C4D
MAGIC_US = 0xA1B2C3D4
NR_MAX_CAPLEN = 65280
AF_NULL_INET = 2
AF_NULL_INET6 = 24


class PcapError(Exception):
    pass


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise PcapError("file shorter than a pcap global header (%d bytes)"
                        % len(data))
    for endian in "<>":
        (magic,) = struct.unpack(endian + "I", data[:4])
        if magic in (MAGIC_NS, MAGIC_US):
            break
    else:
        raise PcapError("bad magic %s" % data[:4].hex())
    _, vmaj, vmin, _, _, snaplen, linktype = struct.unpack(
        endian + "IHHiIII", data[:24])
    hdr = {
        "endian": endian,
        "nsec": magic == MAGIC_NS,
        "version": "%d.%d" % (vmaj, vmin),
        "snaplen": snaplen,
        "linktype": linktype,
    }
    pkts = []
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            raise PcapError("truncated record header at offset %d" % off)
        sec, frac, incl, orig = struct.unpack(endian + "IIII",
                                              data[off:off + 16])
        off += 16
        if off + incl > len(data):
            raise PcapError("record %d: truncated data at offset %d"
                            % (len(pkts) + 1, off))
        ts = sec * 10**9 + (frac if hdr["nsec"] else frac * 1000)
        pkts.append((ts, incl, orig, data[off:off + incl]))
        off += incl
    return hdr, pkts


def parse(pkt):
    """Decode what the captured bytes allow; -1 / '-' for what they don't."""
    ts, incl, orig, b = pkt
    p = {
        "ts": ts, "incl": incl, "orig": orig, "fam": -1, "ver": -1,
        "proto": -1, "src": "-", "dst": "-", "sport": -1, "dport": -1,
        "iphl": -1, "iplen": -1, "l4hl": -1, "paylen": -1, "tcpflags": -1,
        "icmptype": -1, "gso": 0,
    }
    if len(b) < 4:
        return p
    p["fam"] = int.from_bytes(b[:4], sys.byteorder)
    ip = b[4:]
    if not ip:
        return p
    p["ver"] = ip[0] >> 4
    if p["ver"] == 4 and len(ip) >= 20:
        p["iphl"] = (ip[0] & 15) * 4
        p["iplen"] = struct.unpack(">H", ip[2:4])[0]
        p["proto"] = ip[9]
        p["src"] = socket.inet_ntop(socket.AF_INET, ip[12:16])
        p["dst"] = socket.inet_ntop(socket.AF_INET, ip[16:20])
    elif p["ver"] == 6 and len(ip) >= 40:
        p["iphl"] = 40
        p["iplen"] = 40 + struct.unpack(">H", ip[4:6])[0]  # 40: see below
        p["proto"] = ip[6]
        p["src"] = socket.inet_ntop(socket.AF_INET6, ip[8:24])
        p["dst"] = socket.inet_ntop(socket.AF_INET6, ip[24:40])
    else:
        return p
    if p["iplen"] in (0, 40) and orig - 4 > 0xFFFF:
        # A GSO/GRO super-packet over 64 KiB ("BIG TCP"): the kernel sets
        # the IPv4 total length (IPv6 payload length) to 0; the true length
        # is the skb's, i.e. the original length.
        p["iplen"] = orig - 4
        p["gso"] = 1
    l4 = ip[p["iphl"]:]
    if p["proto"] in (6, 17) and len(l4) >= 4:
        p["sport"], p["dport"] = struct.unpack(">HH", l4[:4])
    if p["proto"] == 6 and len(l4) >= 14:
        p["l4hl"] = (l4[12] >> 4) * 4
        p["tcpflags"] = l4[13]
    elif p["proto"] == 17:
        p["l4hl"] = 8
    elif p["proto"] in (1, 58):
        p["l4hl"] = 8
        if l4:
            p["icmptype"] = l4[0]
    if p["l4hl"] >= 0:
        p["paylen"] = p["iplen"] - p["iphl"] - p["l4hl"]
    return p


def cmd_check(path):
    out = {"file": path}
    try:
        hdr, pkts = read_pcap(path)
    except (OSError, PcapError) as e:
        out.update(ok=0, error=str(e).replace("\n", " "))
        return out
    out.update(ok=1, magic="nsec" if hdr["nsec"] else "usec",
               byteorder="little" if hdr["endian"] == "<" else "big",
               version=hdr["version"], snaplen=hdr["snaplen"],
               linktype=hdr["linktype"], count=len(pkts))
    flags = dict(ts_sorted=1, family_ok=1, len_ok=1, cap_ok=1, whole=1)
    bad = []
    truncated = 0
    gso = 0
    max_incl = 0
    last = None
    for i, pkt in enumerate(pkts, 1):
        p = parse(pkt)
        ts, incl, orig = p["ts"], p["incl"], p["orig"]
        max_incl = max(max_incl, incl)
        gso += p["gso"]
        if incl < orig:
            truncated += 1

        def fail(key, why):
            if flags[key]:
                bad.append("%s: packet %d: %s" % (key, i, why))
            flags[key] = 0

        if last is not None and ts < last:
            fail("ts_sorted", "%d.%09d < previous %d.%09d" % (
                ts // 10**9, ts % 10**9, last // 10**9, last % 10**9))
        last = ts
        want_fam = {4: AF_NULL_INET, 6: AF_NULL_INET6}.get(p["ver"])
        if want_fam is None or p["fam"] != want_fam:
            fail("family_ok", "NULL header %d, IP version %d"
                 % (p["fam"], p["ver"]))
        if p["iplen"] < 0 or orig != 4 + p["iplen"]:
            fail("len_ok", "original length %d, IP length %d"
                 % (orig, p["iplen"]))
        if incl < 4 or incl > orig or incl > hdr["snaplen"]:
            fail("cap_ok", "captured %d, original %d, snaplen %d"
                 % (incl, orig, hdr["snaplen"]))
        if incl != orig and orig <= 4 + NR_MAX_CAPLEN:
            fail("whole", "captured %d of %d" % (incl, orig))
    out.update(flags)
    out.update(truncated=truncated, max_incl=max_incl, gso=gso,
               bad="; ".join(bad))
    return out


FIELDS = ("idx", "ts", "incl", "orig", "fam", "ver", "proto", "src", "dst",
          "sport", "dport", "iphl", "iplen", "l4hl", "paylen", "tcpflags",
          "icmptype")


def main(argv):
    if len(argv) < 3 or argv[1] not in ("check", "dump", "grep", "where",
                                        "chunks"):
        sys.stderr.write(__doc__)
        return 2
    cmd, path = argv[1], argv[2]
    if cmd == "chunks":
        for path in argv[2:]:
            try:
                _, pkts = read_pcap(path)
                size = os.path.getsize(path)
            except (OSError, PcapError):
                print("%s\t0\t0\t0\t0\t0\t0\t0" % path)
                continue
            print("\t".join(str(x) for x in (
                path, 1, len(pkts),
                pkts[0][0] if pkts else 0, pkts[-1][0] if pkts else 0,
                sum(p[1] for p in pkts), pkts[-1][1] if pkts else 0, size)))
        return 0
    if cmd == "where":
        needle = argv[2].encode("utf-8", "surrogateescape")
        rc = 0
        for path in argv[3:]:
            try:
                _, pkts = read_pcap(path)
            except (OSError, PcapError) as e:
                sys.stderr.write("pcaptool: %s: %s\n" % (path, e))
                rc = 1
                continue
            n = sum(1 for pkt in pkts if needle in pkt[3])
            if n:
                print("%d\t%s" % (n, path))
        return rc
    if cmd == "check":
        for k, v in cmd_check(path).items():
            print("%s=%s" % (k, v))
        return 0
    try:
        _, pkts = read_pcap(path)
    except (OSError, PcapError) as e:
        sys.stderr.write("pcaptool: %s: %s\n" % (path, e))
        return 1
    if cmd == "dump":
        print("#" + "\t".join(FIELDS))
        for i, pkt in enumerate(pkts, 1):
            p = parse(pkt)
            p["idx"] = i
            print("\t".join(str(p[k]) for k in FIELDS))
        return 0
    needle = argv[3].encode("utf-8", "surrogateescape") if len(argv) > 3 \
        else b""
    print(sum(1 for pkt in pkts if needle in pkt[3]))
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # for "dump | head"
    sys.exit(main(sys.argv))
PY
	cat >"$PEER" <<'PY'
#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Small traffic endpoints for the end-to-end tests.

Every mode writes its "ready"/"done" files atomically (write, then rename), so
the shell side can poll for them with a bounded wait instead of sleeping.

  tcp-server HOST PORT --ready F
      Accept one connection; answer each line "X" with "ACK X"; exit on EOF.
  tcp-client HOST PORT --ready F --trigger T --done D --mark M
      Connect and exchange one line ("HELLO"), then write F.  When T appears,
      send "M", wait for "ACK M", write D, then idle until killed.
  udp-recv HOST PORT --count N --ready F --done D
      Count datagrams until N arrived (or --timeout), write the count to D.
  udp-send HOST PORT --count N --size S --mark M [--interval SEC]
           [--name COMM] [--start FILE] [--linger SEC]
      Optionally rename the thread (prctl PR_SET_NAME) *before* making the
      socket, optionally wait for FILE, then send N datagrams of S bytes that
      start with M; with --linger, stay alive (and silent) SEC more.
  bulk HOST PORT --bytes N
      One process, both ends: listen, connect to itself, send N bytes in
      large writes and read them all back on the accepted socket.
  tcp-sink HOST PORT --ready F --done D [--delay SEC] [--rcvbuf N]
           [--shut-first]
      Listen (receive buffer N if given), accept one connection (with
      --shut-first, send a FIN at once: shutdown(SHUT_WR)), wait SEC
      before reading anything, then read to EOF, write the byte count to
      D and close.
  tcp-drop HOST PORT --bytes N --done D [--wait-eof]
      Connect, queue up to N bytes without blocking (SO_LINGER off),
      (with --wait-eof, wait for the peer's FIN), note how many bytes the
      kernel took and how many it had not sent yet, close and exit at
      once: the kernel sends the rest, and the FIN, on its own.  D gets
      "queued Q unsent U closed_ns T".
  http-slow HOST PORT --ready F [--delay SEC]
      Accept one connection, read an HTTP request, wait SEC, answer
      "200 OK" with a short body and close: keeps an HTTP client alive.
"""
import argparse
import ctypes
import os
import socket
import struct
import sys
import time

PR_SET_NAME = 15
WAIT_MAX = 120.0


def atomic_write(path, text):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def wait_file(path, limit=WAIT_MAX):
    end = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > end:
            sys.exit("peer: gave up waiting for %s" % path)
        time.sleep(0.05)


def tcp_server(a):
    s = socket.socket(family(a.host), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.host, a.port))
    s.listen(1)
    atomic_write(a.ready, "listening\n")
    c, _ = s.accept()
    f = c.makefile("rwb", buffering=0)
    for line in f:
        c.sendall(b"ACK " + line)


def tcp_client(a):
    c = socket.create_connection((a.host, a.port), timeout=30)
    f = c.makefile("rwb", buffering=0)
    c.sendall(b"HELLO\n")
    if f.readline() != b"ACK HELLO\n":
        sys.exit("peer: bad greeting reply")
    atomic_write(a.ready, "connected\n")
    wait_file(a.trigger)
    mark = a.mark.encode()
    c.sendall(mark + b"\n")
    reply = f.readline()
    if reply != b"ACK " + mark + b"\n":
        sys.exit("peer: bad reply %r" % reply)
    atomic_write(a.done, reply.decode())
    time.sleep(WAIT_MAX)


def udp_recv(a):
    s = socket.socket(family(a.host), socket.SOCK_DGRAM)
    s.bind((a.host, a.port))
    atomic_write(a.ready, "bound\n")
    n = 0
    end = time.monotonic() + a.timeout
    while n < a.count:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            s.recv(65535)
        except socket.timeout:
            break
        n += 1
    atomic_write(a.done, "%d\n" % n)


def udp_send(a):
    if a.name is not None:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_NAME, os.fsencode(a.name), 0, 0, 0) != 0:
            sys.exit("peer: prctl failed: errno %d" % ctypes.get_errno())
    s = socket.socket(family(a.host), socket.SOCK_DGRAM)
    if a.start:
        wait_file(a.start)
    mark = a.mark.encode()
    payload = (mark + b"." * a.size)[:a.size]
    for i in range(a.count):
        s.sendto(payload, (a.host, a.port))
        if a.interval and i + 1 < a.count:
            time.sleep(a.interval)
    if a.linger:
        time.sleep(a.linger)


def bulk(a):
    srv = socket.socket(family(a.host), socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.host, a.port))
    srv.listen(1)
    c = socket.create_connection((a.host, a.port), timeout=30)
    s, _ = srv.accept()
    chunk = b"B" * (1 << 20)
    got = 0
    sent = 0
    # Interleave writes and reads so neither side's buffer stalls the other.
    s.setblocking(False)
    while got < a.bytes:
        if sent < a.bytes:
            n = min(len(chunk), a.bytes - sent)
            c.sendall(chunk[:n])
            sent += n
        while True:
            try:
                data = s.recv(1 << 20)
            except BlockingIOError:
                break
            if not data:
                sys.exit("peer: early EOF")
            got += len(data)
        if sent >= a.bytes and got < a.bytes:
            time.sleep(0.001)
    c.close()
    s.close()


def tcp_sink(a):
    s = socket.socket(family(a.host), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.rcvbuf:
        # Before listen(): the accepted socket inherits it, and with it
        # the small window that makes the sender queue.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    s.bind((a.host, a.port))
    s.listen(1)
    atomic_write(a.ready, "listening\n")
    c, _ = s.accept()
    if a.shut_first:
        c.shutdown(socket.SHUT_WR)
    time.sleep(a.delay)
    c.settimeout(WAIT_MAX)
    n = 0
    while True:
        data = c.recv(1 << 16)
        if not data:
            break
        n += len(data)
    atomic_write(a.done, "%d\n" % n)
    c.close()
    s.close()


def http_slow(a):
    s = socket.socket(family(a.host), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.host, a.port))
    s.listen(1)
    atomic_write(a.ready, "listening\n")
    c, _ = s.accept()
    c.settimeout(30)
    req = b""
    while b"\r\n\r\n" not in req:
        data = c.recv(4096)
        if not data:
            sys.exit("peer: no HTTP request")
        req += data
    time.sleep(a.delay)
    body = b"slow hello\n"
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s"
              % (len(body), body))
    c.close()
    s.close()


SIOCOUTQNSD = 0x894B


def tcp_drop(a):
    import fcntl
    c = socket.create_connection((a.host, a.port), timeout=30)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 0, 0))
    c.setblocking(False)
    chunk = b"D" * 65536
    queued = 0
    while queued < a.bytes:
        try:
            queued += c.send(chunk[:min(len(chunk), a.bytes - queued)])
        except BlockingIOError:
            break
    if a.wait_eof:
        c.setblocking(True)
        c.settimeout(30)
        if c.recv(1) != b"":
            sys.exit("peer: data instead of the peer's FIN")
    buf = fcntl.ioctl(c.fileno(), SIOCOUTQNSD, b"\0" * 4)
    unsent = struct.unpack("i", buf)[0]
    c.close()
    atomic_write(a.done, "queued %d unsent %d closed_ns %d\n"
                 % (queued, unsent, time.time_ns()))


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)

    def add(name, fn):
        sp = sub.add_parser(name)
        sp.add_argument("host")
        sp.add_argument("port", type=int)
        sp.set_defaults(fn=fn)
        return sp

    sp = add("tcp-server", tcp_server)
    sp.add_argument("--ready", required=True)
    sp = add("tcp-client", tcp_client)
    for opt in ("--ready", "--trigger", "--done", "--mark"):
        sp.add_argument(opt, required=True)
    sp = add("udp-recv", udp_recv)
    sp.add_argument("--count", type=int, required=True)
    sp.add_argument("--ready", required=True)
    sp.add_argument("--done", required=True)
    sp.add_argument("--timeout", type=float, default=30.0)
    sp = add("udp-send", udp_send)
    sp.add_argument("--count", type=int, required=True)
    sp.add_argument("--size", type=int, required=True)
    sp.add_argument("--mark", required=True)
    sp.add_argument("--interval", type=float, default=0.0)
    sp.add_argument("--name")
    sp.add_argument("--start")
    sp.add_argument("--linger", type=float, default=0.0)
    sp = add("bulk", bulk)
    sp.add_argument("--bytes", type=int, required=True)
    sp = add("tcp-sink", tcp_sink)
    sp.add_argument("--ready", required=True)
    sp.add_argument("--done", required=True)
    sp.add_argument("--delay", type=float, default=0.0)
    sp.add_argument("--rcvbuf", type=int, default=0)
    sp.add_argument("--shut-first", action="store_true")
    sp = add("tcp-drop", tcp_drop)
    sp.add_argument("--bytes", type=int, required=True)
    sp.add_argument("--done", required=True)
    sp.add_argument("--wait-eof", action="store_true")
    sp = add("http-slow", http_slow)
    sp.add_argument("--ready", required=True)
    sp.add_argument("--delay", type=float, default=0.5)
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
PY
	cat >"$PNGTOOL" <<'PY'
#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read netrec's pcapng files with nothing but the standard library.

  pngtool.py check FILE          key=value lines: structure, the SHB, IDB
                                 and ISB options, per-packet checks
  pngtool.py packets FILE        one JSON object per Enhanced Packet Block
  pngtool.py grep FILE STRING    number of packets whose bytes hold STRING
  pngtool.py where STRING FILE...
                                 "COUNT<TAB>FILE" for each FILE that has
                                 packets holding STRING

"packets" gives, per EPB: n (1-based), ts (ns, by if_tsresol), caplen, len,
flags (epb_flags or null), dir (its direction bits: 0 unknown, 1 inbound,
2 outbound), drop (epb_dropcount or null), pid and tid (option 8,
epb_processid_threadid, or null), comments (opt_comment strings; bytes
that are not UTF-8 shown as \\xNN by Python's backslashreplace), and what
pcaptool.py's dump decodes of the data (src, dst, proto, sport, dport,
tcpflags, paylen, ...).

"check" counts, over the whole file: sections (SHBs), idbs, epbs, isbs,
other (blocks of other types); ts_sorted, cap_ok (caplen <= len and <=
the IDB's snaplen); with_flags, dir_in, dir_out; with_drop, drop_nonzero;
with_pidtid; pidtid_agree (option 8 equals the comment's "PID:" and
"ThreadId:" lines); with_comment; owned (comments with a "PID:" line);
comment_utf8 (comments that are valid UTF-8); lines_ok (comments whose
every line is "Key: value" with a key netrec writes, each key at most
once, and no control byte but the line breaks); the SHB's options
(shb_*), the first IDB's (linktype, snaplen, tsresol) and the last ISB's
(isb_*).
"""
import json
import os
import re
import signal
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcaptool  # noqa: E402  (its packet decoder)

BT_SHB = 0x0A0D0D0A
BT_IDB = 1
BT_ISB = 5
BT_EPB = 6
KEYS = ("PID", "Cmd", "Args", "ThreadId", "ThreadName", "UserId",
        "ParentPID", "ContainerId", "ContainerName", "ContainerImage",
        "PodName", "PodNamespace")
LINE = re.compile(r"^(%s): [^\x00-\x1f\x7f]*$" % "|".join(KEYS))


class PngError(Exception):
    pass


def options(body, e):
    out = []
    off = 0
    while off + 4 <= len(body):
        code, ln = struct.unpack(e + "HH", body[off:off + 4])
        off += 4
        if code == 0:
            break
        if off + ln > len(body):
            raise PngError("option %d overruns its block" % code)
        out.append((code, body[off:off + ln]))
        off += (ln + 3) & ~3
    return out


def text(v):
    return v.decode("utf-8", "backslashreplace")


def read_png(path):
    """[(type, endian, body)] for every block; raises PngError."""
    with open(path, "rb") as f:
        data = f.read()
    blocks = []
    off = 0
    e = None
    while off < len(data):
        if off + 12 > len(data):
            raise PngError("truncated block header at offset %d" % off)
        if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            magic = data[off + 8:off + 12]
            if magic == b"\x4d\x3c\x2b\x1a":
                e = "<"
            elif magic == b"\x1a\x2b\x3c\x4d":
                e = ">"
            else:
                raise PngError("bad byte-order magic at offset %d" % off)
        elif e is None:
            raise PngError("the file does not start with an SHB")
        btype, blen = struct.unpack(e + "II", data[off:off + 8])
        if blen < 12 or blen % 4 or off + blen > len(data):
            raise PngError("block at offset %d: bad length %d" % (off, blen))
        (trail,) = struct.unpack(e + "I", data[off + blen - 4:off + blen])
        if trail != blen:
            raise PngError("block at offset %d: trailing length %d != %d"
                           % (off, trail, blen))
        blocks.append((btype, e, data[off + 8:off + blen - 4]))
        off += blen
    return blocks


def epb(body, e, n, resol):
    ifid, hi, lo, caplen, olen = struct.unpack(e + "IIIII", body[:20])
    if 20 + caplen > len(body):
        raise PngError("packet %d: data overruns its block" % n)
    pkt = body[20:20 + caplen]
    p = {"n": n, "ifid": ifid, "ts": ((hi << 32) | lo) * resol,
         "caplen": caplen, "len": olen, "flags": None, "dir": 0,
         "drop": None, "pid": None, "tid": None, "comments": [], "raw": []}
    for code, v in options(body[20 + ((caplen + 3) & ~3):], e):
        if code == 1:
            p["raw"].append(v)
            p["comments"].append(text(v))
        elif code == 2 and len(v) == 4:
            (p["flags"],) = struct.unpack(e + "I", v)
            p["dir"] = p["flags"] & 3
        elif code == 4 and len(v) == 8:
            (p["drop"],) = struct.unpack(e + "Q", v)
        elif code == 8 and len(v) == 8:
            p["pid"], p["tid"] = struct.unpack(e + "II", v)
    d = pcaptool.parse((p["ts"], caplen, olen, pkt))
    for k in ("fam", "ver", "proto", "src", "dst", "sport", "dport",
              "tcpflags", "paylen", "icmptype"):
        p[k] = d[k]
    p["data"] = pkt
    return p


def walk(path):
    """(summary dict, [packet dicts])"""
    blocks = read_png(path)
    s = {"sections": 0, "idbs": 0, "epbs": 0, "isbs": 0, "other": 0}
    pkts = []
    resol = 1000  # microseconds, the default
    snaplen = 0
    for btype, e, body in blocks:
        if btype == BT_SHB:
            s["sections"] += 1
            s["shb_version"] = "%d.%d" % struct.unpack(e + "HH", body[4:8])
            for code, v in options(body[16:], e):
                key = {1: "shb_comment", 2: "shb_hardware", 3: "shb_os",
                       4: "shb_userappl"}.get(code)
                if key:
                    s[key] = text(v)
        elif btype == BT_IDB:
            s["idbs"] += 1
            linktype, _, snap = struct.unpack(e + "HHI", body[:8])
            tsresol = 6
            for code, v in options(body[8:], e):
                if code == 9 and len(v) == 1:
                    tsresol = v[0]
            if s["idbs"] == 1:
                s.update(linktype=linktype, snaplen=snap, tsresol=tsresol)
                snaplen = snap
                if tsresol & 0x80:
                    raise PngError("binary if_tsresol %#x" % tsresol)
                resol = 10 ** max(0, 9 - tsresol)
        elif btype == BT_EPB:
            if not s["idbs"]:
                raise PngError("a packet before any IDB")
            pkts.append(epb(body, e, len(pkts) + 1, resol))
            pkts[-1]["snaplen"] = snaplen
        elif btype == BT_ISB:
            s["isbs"] += 1
            s["isb_after_packets"] = len(pkts)
            for code, v in options(body[12:], e):
                key = {2: "isb_starttime", 3: "isb_endtime",
                       4: "isb_ifrecv", 5: "isb_ifdrop"}.get(code)
                if key and len(v) == 8:
                    if code in (2, 3):
                        hi, lo = struct.unpack(e + "II", v)
                        s[key] = ((hi << 32) | lo) * resol
                    else:
                        (s[key],) = struct.unpack(e + "Q", v)
        else:
            s["other"] += 1
    s["epbs"] = len(pkts)
    return s, pkts


def field_of(comment, key):
    for line in comment.split("\n"):
        if line.startswith(key + ": "):
            return line[len(key) + 2:]
    return None


def check(path):
    try:
        s, pkts = walk(path)
    except (OSError, PngError, struct.error) as err:
        return {"ok": 0, "error": str(err).replace("\n", " ")}
    out = {"ok": 1}
    out.update(s)
    c = dict(ts_sorted=1, cap_ok=1, with_flags=0, dir_in=0, dir_out=0,
             with_drop=0, drop_nonzero=0, with_pidtid=0, pidtid_agree=0,
             with_comment=0, owned=0, comment_utf8=0, lines_ok=0)
    bad = []
    last = None
    for p in pkts:
        if last is not None and p["ts"] < last and c["ts_sorted"]:
            c["ts_sorted"] = 0
            bad.append("ts_sorted: packet %d" % p["n"])
        last = p["ts"]
        if p["caplen"] > p["len"] or (p["snaplen"] and
                                      p["caplen"] > p["snaplen"]):
            if c["cap_ok"]:
                bad.append("cap_ok: packet %d" % p["n"])
            c["cap_ok"] = 0
        c["with_flags"] += p["flags"] is not None
        c["dir_in"] += p["dir"] == 1
        c["dir_out"] += p["dir"] == 2
        c["with_drop"] += p["drop"] is not None
        c["drop_nonzero"] += bool(p["drop"])
        c["with_pidtid"] += p["pid"] is not None
        if p["comments"]:
            c["with_comment"] += 1
            cm = p["comments"][0]
            try:
                p["raw"][0].decode("utf-8")
                c["comment_utf8"] += 1
            except UnicodeDecodeError:
                pass
            lines = cm.split("\n")
            keys = [ln.split(":", 1)[0] for ln in lines]
            if (len(p["comments"]) == 1 and
                    all(LINE.match(ln) for ln in lines) and
                    len(keys) == len(set(keys))):
                c["lines_ok"] += 1
            elif len(bad) < 8:
                bad.append("lines_ok: packet %d: %r" % (p["n"], cm[:300]))
            c["owned"] += field_of(cm, "PID") is not None
            if (p["pid"] is not None and
                    field_of(cm, "PID") == str(p["pid"]) and
                    field_of(cm, "ThreadId") == str(p["tid"])):
                c["pidtid_agree"] += 1
    out.update(c)
    out["bad"] = "; ".join(bad)
    return out


def dumpable(p):
    q = dict(p)
    del q["raw"], q["data"], q["snaplen"]
    return q


def main(argv):
    if len(argv) < 3 or argv[1] not in ("check", "packets", "grep", "where"):
        sys.stderr.write(__doc__)
        return 2
    cmd = argv[1]
    if cmd == "check":
        for k, v in check(argv[2]).items():
            if isinstance(v, str):
                v = v.replace("\\", "\\\\").replace("\n", "\\n")
            print("%s=%s" % (k, v))
        return 0
    if cmd == "where":
        needle = argv[2].encode("utf-8", "surrogateescape")
        rc = 0
        for path in argv[3:]:
            try:
                _, pkts = walk(path)
            except (OSError, PngError, struct.error) as err:
                sys.stderr.write("pngtool: %s: %s\n" % (path, err))
                rc = 1
                continue
            n = sum(1 for p in pkts if needle in p["data"])
            if n:
                print("%d\t%s" % (n, path))
        return rc
    try:
        _, pkts = walk(argv[2])
    except (OSError, PngError, struct.error) as err:
        sys.stderr.write("pngtool: %s: %s\n" % (argv[2], err))
        return 1
    if cmd == "packets":
        for p in pkts:
            print(json.dumps(dumpable(p), ensure_ascii=False))
        return 0
    needle = argv[3].encode("utf-8", "surrogateescape") if len(argv) > 3 \
        else b""
    print(sum(1 for p in pkts if needle in p["data"]))
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main(sys.argv))
PY
}

# ---------------------------------------------------------------- cleanup -

# on_cleanup COMMAND [ARGS...]: run COMMAND at exit, after netrec is
# stopped and before the test's processes, cgroups and namespaces are
# removed; the last registered runs first.  For what lib.sh does not know
# how to remove (containers, cgroup v1 directories, ...).
_ON_CLEANUP=()
on_cleanup() {
	_ON_CLEANUP+=("$(printf '%q ' "$@")")
}

_cleanup() {
	local rc=$? pid i ns cg
	set +e
	trap - INT TERM HUP
	if [ -n "${NR_PID:-}" ] && proc_alive "$NR_PID"; then
		kill -INT "$NR_PID" 2>/dev/null
		wait_until 10 proc_gone "$NR_PID" ||
			kill -KILL "$NR_PID" 2>/dev/null
	fi
	for ((i = ${#_ON_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${_ON_CLEANUP[$i]}"
	done
	# By index: _forget_pid leaves holes, so ${#_PIDS[@]} is no bound.
	local idx=("${!_PIDS[@]}")
	for ((i = ${#idx[@]} - 1; i >= 0; i--)); do
		pid=${_PIDS[${idx[$i]}]:-}
		[ -n "$pid" ] && stop_pid "$pid"
	done
	for ((i = ${#_CGROUPS[@]} - 1; i >= 0; i--)); do
		cg=${_CGROUPS[$i]}
		[ -d "$cg" ] || continue
		wait_until 5 _cg_empty "$cg"
		rmdir "$cg" 2>/dev/null || diag "could not remove cgroup $cg"
	done
	for ns in "${_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null || diag "could not delete netns $ns"
	done
	if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		if [ "${NETREC_E2E_KEEP:-0}" = 1 ]; then
			diag "work directory kept: $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$rc"
}
