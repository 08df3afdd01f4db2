#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools.sh: netrec-query and netrec-extract (tools/).
#
# 1. A fixture capture directory (tools-fixture.py: known packets in pcap,
#    pcapng and zstd chunks, with their indexes; one index cut short with
#    bad lines; a conversation between two local processes recorded in
#    both their files).  Every kind of query must return exactly the flows
#    the fixture holds, and every extraction exactly what tcpdump -r with
#    the same filter finds in the same chunks, in the same order.  Needs
#    no root.
# 2. Real captures (as root, when netrec writes indexes): netrec records
#    known traffic between two namespaces, plain and compressed, and the
#    tools must find it and extract it as tcpdump -r does.
#
# Environment: NETREC (as for every test); NETREC_QUERY and NETREC_EXTRACT
# (default: beside NETREC).

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

TOOLS=$(dirname "$NETREC")
QUERY=${NETREC_QUERY:-$TOOLS/netrec-query}
EXTRACT=${NETREC_EXTRACT:-$TOOLS/netrec-extract}
FIXTURE_PY=$E2E/tools-fixture.py

# Without root, only the fixture part: no namespaces, no netrec.
tools_init() {
	require_cmds python3 tcpdump zstd jq mergecap sha256sum
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/netrec-tools.XXXXXX") ||
		bail "cannot make a work directory"
	trap _cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

if [ "$(id -u)" -eq 0 ] && [ -x "$NETREC" ]; then
	e2e_init
	require_cmds tcpdump zstd jq mergecap sha256sum
	REAL=1
else
	tools_init
	REAL=0
fi
[ -x "$QUERY" ] || bail "netrec-query not found at $QUERY (build it, or set NETREC_QUERY)"
[ -x "$EXTRACT" ] || bail "netrec-extract not found at $EXTRACT (or set NETREC_EXTRACT)"

# ---------------------------------------------------------------- helpers -

# q ARGS...: netrec-query; its output in QOUT, stderr in $WORK/q.err, the
# status in QRC.
q() {
	QOUT=$("$QUERY" "$@" 2>"$WORK/q.err")
	QRC=$?
}

# flows_are DESC WANT ARGS...: netrec-query --json ARGS finds exactly the
# flows WANT (uids, space separated, any order).
flows_are() {
	local desc=$1 want got
	want=$(tr ' ' '\n' <<<"$2" | grep . | LC_ALL=C sort | paste -sd' ')
	shift 2
	got=$("$QUERY" --json "$@" 2>"$WORK/q.err" | jq -r .uid |
		LC_ALL=C sort | paste -sd' ')
	is "$got" "$want" "$desc" || diag_file "$WORK/q.err" 5
}

# ts_text PCAP: tcpdump's text of a pcap, nanosecond times.
ts_text() {
	tcpdump --time-stamp-precision=nano -nn -tt -r "$1" 2>/dev/null
}

# chunk_pcap CHUNK OUT: a chunk as a plain pcap (decompressed if .zst).
chunk_pcap() {
	case $1 in
	*.zst) zstd -q -dc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

# tcpdump_merged OUT FILTER CHUNK...: what tcpdump -r FILTER finds in each
# chunk, merged in time order (mergecap), as one pcap.
tcpdump_merged() {
	local out=$1 filt=$2 i=0 parts=() c
	shift 2
	for c in "$@"; do
		i=$((i + 1))
		chunk_pcap "$c" "$WORK/chunk$i.pcap"
		tcpdump -r "$WORK/chunk$i.pcap" -w "$WORK/part$i.pcap" ${filt:+"$filt"} \
			2>/dev/null || return 1
		parts+=("$WORK/part$i.pcap")
	done
	mergecap -F nsecpcap -w "$out" "${parts[@]}"
}

# extract_is DESC FILTER EXTRACT-ARGS -- CHUNK...: netrec-extract FILTER
# writes exactly what tcpdump -r FILTER finds in the CHUNKs, in order.
extract_is() {
	local desc=$1 filt=$2 args=() want got
	shift 2
	while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	shift
	"$EXTRACT" -q "${args[@]}" -w "$WORK/x.pcap" "$filt" 2>"$WORK/x.err"
	XRC=$?
	tcpdump_merged "$WORK/want.pcap" "$filt" "$@" || bail "tcpdump failed"
	want=$(ts_text "$WORK/want.pcap")
	got=$(ts_text "$WORK/x.pcap")
	if [ -n "$want" ] && [ "$got" = "$want" ] && [ "$XRC" = 0 ]; then
		ok 0 "$desc ($(grep -c . <<<"$want") packets)"
		return 0
	fi
	ok 1 "$desc"
	diag "exit $XRC" "--- tcpdump -r:" "$want" "--- netrec-extract:" "$got"
	diag_file "$WORK/x.err" 5
	return 1
}

# pcap_count PCAP: its packets.
pcap_count() {
	ts_text "$1" | grep -c .
}

# ---------------------------------------------------------------- fixture -

FIX=$WORK/fixture
T0=$(python3 "$FIXTURE_PY" "$FIX" | sed -n 's/^T0=//p')
[ -n "$T0" ] || bail "tools-fixture.py failed"
ALL="CflowA0000000001 CdnsB00000000001 CflowC0000000001 CflowD0000000001
CflowE1000000001 CflowE2000000001 CflowF1000000001 CflowF2000000001
CflowG0000000001 CflowH0000000001 CflowI0000000001"
A=CflowA0000000001 B=CdnsB00000000001 C=CflowC0000000001
D=CflowD0000000001 E1=CflowE1000000001 E2=CflowE2000000001
F1=CflowF1000000001 F2=CflowF2000000001 G=CflowG0000000001
H=CflowH0000000001 I=CflowI0000000001

# --- netrec-query: flows ---------------------------------------------------
flows_are "every flow, merged across chunks" "$ALL" -r "$FIX"
q -r "$FIX"
is "$QRC" 0 "a query that finds flows exits 0"
flows_are "pid 4242: curl's four flows (pcap and zstd chunks)" \
	"$A $B $C $D" -r "$FIX" pid 4242
flows_are "comm nc" "$E1 $F1" -r "$FIX" comm nc
flows_are "comm python3: the server side of the same conversation" \
	"$E2 $F2" -r "$FIX" comm python3
flows_are "comm glob: comm 'py*'" "$E2 $F2" -r "$FIX" comm 'py*'
flows_are "container web (by name, pcapng chunk in a subdirectory)" "$G" \
	-r "$FIX" container web
flows_are "container c0ffee12 (by id prefix)" "$G" -r "$FIX" container c0ffee12
flows_are "uid 1000" "$A $B $C $D $E1 $F1 $H" -r "$FIX" uid 1000
flows_are "uid 0" "$E2 $F2 $I" -r "$FIX" uid 0
flows_are "name www.example.com: the connection and its DNS lookup" "$A $B" \
	-r "$FIX" name www.example.com
flows_are "name glob *.evil.example.net: a CNAME of the lookup" "$H" \
	-r "$FIX" name '*.evil.example.net'
flows_are "name web.internal: an HTTP Host" "$G" -r "$FIX" name web.internal
flows_are "host 10.0.0.53" "$B $H" -r "$FIX" host 10.0.0.53
flows_are "src host 93.184.216.34" "$A" -r "$FIX" src host 93.184.216.34
flows_are "dst port 22" "$I" -r "$FIX" dst port 22
flows_are "net 172.16.0.0/12" "$G" -r "$FIX" net 172.16.0.0/12
flows_are "net fd00::/8" "$C" -r "$FIX" net fd00::/8
flows_are "ip6" "$C" -r "$FIX" ip6
flows_are "port 8080: both local ends" "$E1 $E2" -r "$FIX" port 8080
flows_are "udp" "$B $F1 $F2 $H" -r "$FIX" udp
flows_are "icmp" "$D" -r "$FIX" icmp
flows_are "proto 1" "$D" -r "$FIX" proto 1
flows_are "tcp and not port 80" "$C $E1 $E2 $I" -r "$FIX" tcp and not port 80
flows_are "orig host 172.17.0.1" "$G" -r "$FIX" orig host 172.17.0.1
flows_are "pcap precedence: udp or tcp and port 53" "$B $H" \
	-r "$FIX" udp or tcp and port 53
flows_are "parentheses: udp or (tcp and port 443)" "$B $C $F1 $F2 $H" \
	-r "$FIX" 'udp or (tcp and port 443)'
flows_are "flow UID" "$A" -r "$FIX" flow "$A"
flows_are "--until a day ago" "$I" -r "$FIX" --until "@$((T0 - 3600))"
flows_are "--since/--until: T0+5 s to T0+15 s" "$A $D" \
	-r "$FIX" --since "@$((T0 + 5))" --until "@$((T0 + 15))"
flows_are "RFC 3339 --since with an offset" "$G $H" \
	-r "$FIX" --since "$(date -u -d "@$((T0 + 25))" +%Y-%m-%dT%H:%M:%S+00:00)"

J=$("$QUERY" -r "$FIX" --json flow "$A" 2>/dev/null)
is "$(jq -r '[.orig_pkts, .resp_pkts, (.chunks | length)] | join(" ")' <<<"$J")" \
	"7 4 2" "flow A: counts summed over its two chunks"
is "$(jq -r '[.chunks[].file] | join(" ")' <<<"$J")" \
	"curl-4242.pcap curl-4242.1.pcap.zst" "flow A: its chunks, with offsets"
J=$("$QUERY" -r "$FIX" --json --since "@$((T0 + 5))" flow "$A" 2>/dev/null)
is "$(jq -r '[.orig_pkts, .resp_pkts] | join(" ")' <<<"$J")" "3 2" \
	"flow A after T0+5 s: the second chunk's counts only"

out=$("$QUERY" -r "$FIX" pid 4242 2>/dev/null)
like "$(head -n 1 <<<"$out")" '^FIRST +DURATION +PROTO +ORIG +RESP +STATE' \
	"the table has a header"
is "$(grep -c . <<<"$out")" 5 "the table: a header and four flows"
like "$(grep CflowC <<<"$out")" '\[fd00::1\]:40200 +\[fd00::2\]:443 .* v6\.example\.org' \
	"the table: IPv6 endpoints and names"
is "$("$QUERY" -r "$FIX" -H pid 4242 2>/dev/null | grep -c .)" 4 "-H: no header"

# --- netrec-query: dns, chunks, summary -----------------------------------
is "$("$QUERY" -r "$FIX" --dns --json 2>/dev/null | jq -r '"\(.query) \(.qr)"' | paste -sd,)" \
	"www.example.com false,www.example.com true,evil.example.net false,evil.example.net true" \
	"--dns: every DNS message, in time order"
is "$("$QUERY" -r "$FIX" --dns --json name 'cdn.evil*' 2>/dev/null | jq -r .qr)" true \
	"--dns name: a CNAME in the answers"
is "$("$QUERY" -r "$FIX" --dns --json pid 4242 2>/dev/null | jq -r .chunk | sort -u)" \
	curl-4242.pcap "--dns --json: the chunk of each message"
out=$("$QUERY" -r "$FIX" --dns 2>/dev/null)
like "$(grep evil <<<"$out" | tail -n 1)" 'response +evil\.example\.net +A +NOERROR +cdn\.evil\.example\.net,203\.0\.113\.7' \
	"--dns table: a response with its answers"

is "$("$QUERY" -r "$FIX" --chunks --json 2>/dev/null | jq -r .path | sort | paste -sd' ')" \
	"curl-4242.1.pcap.zst curl-4242.pcap dig-600.pcap nc-300.pcap python3-200.pcap ssh-700.pcap web/nginx-500.pcapng" \
	"--chunks: every chunk, in subdirectories too, compressed too"
# An archive of output directories: found at any depth, never through a
# symlink (the link would show every chunk twice).
mkdir -p "$WORK/archive/host1"
cp -a "$FIX" "$WORK/archive/host1/day1"
ln -s "$FIX" "$WORK/archive/link"
is "$("$QUERY" -r "$WORK/archive" --chunks --json 2>/dev/null | jq -r .path | sort | paste -sd' ')" \
	"$(printf 'host1/day1/%s ' curl-4242.1.pcap.zst curl-4242.pcap dig-600.pcap nc-300.pcap python3-200.pcap ssh-700.pcap web/nginx-500.pcapng | sed 's/ $//')" \
	"--chunks of an archive: two levels down, not through a symlink"
is "$("$QUERY" -r "$FIX" --chunks --json pid 4242 2>/dev/null | jq -r .path | paste -sd' ')" \
	"curl-4242.pcap curl-4242.1.pcap.zst" "--chunks pid 4242: curl's two chunks, in time order"
is "$("$QUERY" -r "$FIX" --chunks --json comm dig 2>/dev/null | jq -r .status)" cut-short \
	"--chunks: an index without its end line is cut-short"
is "$("$QUERY" -r "$FIX" --chunks --json --since "@$((T0 + 25))" 2>/dev/null | jq -r .path | paste -sd' ')" \
	"web/nginx-500.pcapng dig-600.pcap" "--chunks --since: only chunks in the time range"

# Independent sums from the indexes themselves, with jq.
idx_lines() {
	for f in "$FIX"/*.idx.jsonl "$FIX"/*/*.idx.jsonl; do cat "$f"; done
	zstd -q -dc "$FIX"/*.idx.jsonl.zst
}
sums=$(idx_lines 2>/dev/null | jq -Rnr '[inputs | fromjson? | select(.type == "flow" and .pid == 4242)] |
	"\(map(if .local == "orig" then .orig_ip_bytes else .resp_ip_bytes end) | add) " +
	"\(map(if .local == "orig" then .resp_ip_bytes else .orig_ip_bytes end) | add)"')
J=$("$QUERY" -r "$FIX" --summary --json 2>/dev/null)
is "$(jq -r 'select(.type == "process" and .pid == 4242) | "\(.sent) \(.received) \(.flows) \(.hosts) \(.names)"' <<<"$J")" \
	"$sums 4 4 2" "--summary: curl's bytes sent and received, flows, hosts, names"
is "$(jq -r 'select(.type == "process" and .pid == 300) | "\(.comm) \(.flows) \(.hosts)"' <<<"$J")" \
	"nc 2 1" "--summary: nc, two flows to one host"
is "$(jq -r 'select(.type == "container") | .container // "-"' <<<"$J" | sort | paste -sd' ')" \
	"- web" "--summary: per container (and outside any)"
out=$("$QUERY" -r "$FIX" --summary container web 2>/dev/null)
like "$out" 'PID +COMM +CONTAINER +SENT +RECEIVED +FLOWS +HOSTS +NAMES' "--summary table: processes"
like "$out" '500 +nginx +web ' "--summary table: nginx in web"

# --- netrec-query: errors, exit codes --------------------------------------
q -r "$FIX" pid 99999
is "$QRC" 1 "nothing matched: exit 1"
is "$QOUT" "" "nothing matched: nothing printed"
q -r "$FIX" tcp port abc
is "$QRC" 2 "bad expression: exit 2"
is "$(grep -v warning "$WORK/q.err")" "netrec-query: bad expression: 'abc' is not a port number or service name
  tcp port abc
           ^~~" "bad expression: the caret is under the offending word"
q -r "$FIX" host 10.0.0.1 and '(' udp or
like "$(grep -A2 'bad expression' "$WORK/q.err" | tail -n 1)" '^ +\^$' \
	"bad expression: the caret at the end when it ends too soon"
mkdir -p "$WORK/empty" "$WORK/pcaps"
q -r "$WORK/empty"
is "$QRC" 2 "a directory without indexes: exit 2"
like "$(cat "$WORK/q.err")" 'no index files' "... and says so"
cp "$FIX/ssh-700.pcap" "$WORK/pcaps/"
q -r "$WORK/pcaps"
like "$(cat "$WORK/q.err")" 'no index files .* 1 chunk files' \
	"a directory of chunks without indexes: says so"
q -r "$WORK/nonexistent"
is "$QRC" 2 "a missing directory: exit 2"
q -r "$FIX" --since yesterday
is "$QRC" 2 "a bad --since: exit 2"
like "$(cat "$WORK/q.err")" "since 'yesterday'" "... naming it"
q -r "$FIX" --frobnicate
is "$QRC" 2 "an unknown option: exit 2"

q -r "$FIX"
like "$(cat "$WORK/q.err")" 'dig-600\.pcap\.idx\.jsonl:3: not JSON' \
	"a truncated index line: reported with file and line"
like "$(cat "$WORK/q.err")" 'dig-600\.pcap\.idx\.jsonl:4: no valid "id\.orig_h"' \
	"a line without an address: reported with file and line"
like "$(cat "$WORK/q.err")" 'dig-600\.pcap\.idx\.jsonl: no end line' \
	"an index without its end line: reported"

# --- integrity -------------------------------------------------------------
q -r "$FIX" --verify --chunks
is "$QRC" 0 "--verify: the untouched fixture verifies"
like "$(cat "$WORK/q.err")" 'dig-600\.pcap: its index has no SHA-256' \
	"--verify: a chunk without SHA-256 is reported"
TAMP=$WORK/tampered
cp -a "$FIX" "$TAMP"
# One byte of a plain chunk, one of a zstd chunk (recompressed).
python3 - "$TAMP/curl-4242.pcap" "$TAMP/curl-4242.1.pcap.zst" <<'PY'
import subprocess, sys
plain, zst = sys.argv[1:]
b = bytearray(open(plain, "rb").read())
b[b.index(b"GET / HTTP") + 4] = ord("!")
open(plain, "wb").write(b)
b = bytearray(subprocess.run(["zstd", "-q", "-dc", zst], check=True,
                             capture_output=True).stdout)
b[b.index(b"yyyy")] = ord("z")
subprocess.run(["zstd", "-q", "-f", "-o", zst], input=bytes(b), check=True)
PY
q -r "$TAMP" --verify --chunks --json
is "$QRC" 2 "--verify: a changed chunk exits 2"
is "$(jq -r 'select(.verified == "MISMATCH") | .path' <<<"$QOUT" 2>/dev/null | paste -sd' ')" \
	"curl-4242.pcap curl-4242.1.pcap.zst" "--verify: the two changed chunks (plain and zstd) are MISMATCH" ||
	diag "$QOUT"
like "$(cat "$WORK/q.err")" 'SHA-256 MISMATCH: .*/curl-4242\.pcap no longer matches its index' \
	"--verify: said loudly, with the file"
like "$(cat "$WORK/q.err")" 'evidence may have been altered' "--verify: ... and what it means"

# --- netrec-extract against tcpdump -r -------------------------------------
NOLOCAL="not port 8080 and not port 9999" # the doubly recorded ones
OTHERS=("$FIX/ssh-700.pcap" "$FIX/curl-4242.pcap" "$FIX/curl-4242.1.pcap.zst"
	"$FIX/web/nginx-500.pcapng" "$FIX/dig-600.pcap")
extract_is "host 93.184.216.34: a flow across a plain and a zstd chunk" \
	"host 93.184.216.34" -r "$FIX" -- "$FIX/curl-4242.pcap" "$FIX/curl-4242.1.pcap.zst"
extract_is "everything but the local conversation, all formats" "$NOLOCAL" \
	-r "$FIX" -- "${OTHERS[@]}"
extract_is "udp" "udp and $NOLOCAL" -r "$FIX" -- "${OTHERS[@]}"
extract_is "ip6" "ip6" -r "$FIX" -- "${OTHERS[@]}"
extract_is "icmp (only in the zstd chunk)" "icmp" -r "$FIX" -- "${OTHERS[@]}"
extract_is "src host 10.0.0.1 and tcp: one direction of flows" \
	"src host 10.0.0.1 and tcp and $NOLOCAL" -r "$FIX" -- "${OTHERS[@]}"
extract_is "tcp and port 80 or port 53 (pcap precedence)" \
	"tcp and port 80 or port 53" -r "$FIX" -- "${OTHERS[@]}"
extract_is "net 172.16.0.0/12: the pcapng chunk in a subdirectory" \
	"net 172.16.0.0/12" -r "$FIX" -- "$FIX/web/nginx-500.pcapng"

# Extensions, against tcpdump -r of the chunks they name.
"$EXTRACT" -q -r "$FIX" -w "$WORK/x.pcap" pid 4242 2>/dev/null
tcpdump_merged "$WORK/want.pcap" "" "$FIX/curl-4242.pcap" "$FIX/curl-4242.1.pcap.zst"
is "$(ts_text "$WORK/x.pcap")" "$(ts_text "$WORK/want.pcap")" \
	"pid 4242: all of curl's packets, both chunks, in order"
"$EXTRACT" -q -r "$FIX" -w - container web 2>/dev/null >"$WORK/x.pcap"
is "$(ts_text "$WORK/x.pcap")" "$(ts_text "$FIX/web/nginx-500.pcapng")" \
	"container web, to standard output: the pcapng chunk's packets"
"$EXTRACT" -q -r "$FIX" -w "$WORK/x.pcap" name '*.evil.example.net' 2>/dev/null
is "$(ts_text "$WORK/x.pcap")" "$(ts_text "$FIX/dig-600.pcap")" \
	"name: a flow found by a CNAME, from a chunk whose index was cut short"

# Time range, -c, --max-bytes.
"$EXTRACT" -q -r "$FIX" -w "$WORK/x.pcap" --since "@$((T0 + 10))" \
	host 93.184.216.34 2>/dev/null
tcpdump_merged "$WORK/want.pcap" "host 93.184.216.34" "$FIX/curl-4242.1.pcap.zst"
is "$(ts_text "$WORK/x.pcap")" "$(ts_text "$WORK/want.pcap")" \
	"--since: only the later packets (zstd chunk)"
"$EXTRACT" -q -r "$FIX" -w "$WORK/x.pcap" --since "@$T0.2" \
	--until "@$T0.300001" host 93.184.216.34 2>/dev/null
is "$(pcap_count "$WORK/x.pcap")" 5 "--since/--until with fractions: [since, until)"
"$EXTRACT" -q -r "$FIX" -w "$WORK/x.pcap" -c 3 "$NOLOCAL" 2>/dev/null
tcpdump_merged "$WORK/want.pcap" "$NOLOCAL" "${OTHERS[@]}"
is "$(ts_text "$WORK/x.pcap")" "$(ts_text "$WORK/want.pcap" | head -n 3)" \
	"-c 3: the first three packets"
"$EXTRACT" -q -r "$FIX" -w "$WORK/x.pcap" --max-bytes 500 "$NOLOCAL" 2>/dev/null
size=$(stat -c %s "$WORK/x.pcap")
fit=$(python3 - "$WORK/want.pcap" 500 <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
off, n, size = 24, 0, 24
while off < len(b):
    incl = struct.unpack("<I", b[off + 8:off + 12])[0]
    if size + 16 + incl > int(sys.argv[2]):
        break
    size += 16 + incl
    off += 16 + incl
    n += 1
print(n)
PY
)
cmp_ok "$size" '<=' 500 "--max-bytes 500: the file is at most 500 bytes"
is "$(pcap_count "$WORK/x.pcap")" "$fit" "--max-bytes 500: as many packets as fit ($fit)"
is "$(ts_text "$WORK/x.pcap")" "$(ts_text "$WORK/want.pcap" | head -n "$fit")" \
	"--max-bytes: the first ones"

# Both ends local: each packet once, as the first view recorded it.
"$EXTRACT" -q -r "$FIX" -w "$WORK/x.pcap" port 8080 or port 9999 2>/dev/null
is "$(pcap_count "$WORK/x.pcap")" 10 \
	"local conversation: 10 packets from 20 copies in two files"
is "$(tcpdump -nn -t -x -r "$WORK/x.pcap" 2>/dev/null)" \
	"$(tcpdump -nn -t -x -r "$FIX/nc-300.pcap" 2>/dev/null)" \
	"... the same packets, in the same order, as one side's file"
ts_text "$WORK/x.pcap" | awk '{print $1}' >"$WORK/got.ts"
{
	ts_text "$FIX/nc-300.pcap" | awk '{print $1}'
	ts_text "$FIX/python3-200.pcap" | awk '{print $1}'
} | sort | awk 'NR % 2 == 1' >"$WORK/want.ts"
is "$(cat "$WORK/got.ts")" "$(cat "$WORK/want.ts")" \
	"... each at the time of its first copy (the sender's)"
is "$(tcpdump -nn -r "$WORK/x.pcap" udp 2>/dev/null | grep -c .)" 2 \
	"the same datagram sent twice is written twice"
"$EXTRACT" -q -r "$FIX" -w "$WORK/x.pcap" --keep-duplicates port 8080 or port 9999 2>/dev/null
is "$(pcap_count "$WORK/x.pcap")" 20 "--keep-duplicates: all 20 copies"

# The chain-of-custody log.
"$EXTRACT" -r "$FIX" -w "$WORK/x.pcap" host 93.184.216.34 2>"$WORK/x.err"
XRC=$?
is "$XRC" 0 "netrec-extract exits 0 when it wrote packets"
log=$(cat "$WORK/x.err")
like "$log" 'expression: host 93\.184\.216\.34' "log: the expression"
like "$log" 'time: all' "log: the time range"
sha=$(sha256sum "$FIX/curl-4242.pcap" | cut -d' ' -f1)
like "$log" "chunk curl-4242\.pcap: sha256 $sha \(verified\)" \
	"log: each chunk with its SHA-256, verified"
sha=$(zstd -q -dc "$FIX/curl-4242.1.pcap.zst" | sha256sum | cut -d' ' -f1)
like "$log" "chunk curl-4242\.1\.pcap\.zst: sha256 $sha \(verified\)" \
	"log: a zstd chunk with the SHA-256 of its uncompressed content"
sha=$(sha256sum "$WORK/x.pcap" | cut -d' ' -f1)
like "$log" "wrote 11 packets \([0-9]+ bytes\) to .*x\.pcap, sha256 $sha" \
	"log: what was written, with its SHA-256"

# Errors.
"$EXTRACT" -r "$TAMP" -w "$WORK/x.pcap" host 93.184.216.34 2>"$WORK/x.err"
is "$?" 2 "a changed chunk: exit 2"
like "$(cat "$WORK/x.err")" 'SHA-256 MISMATCH: .*curl-4242\.pcap' "... said loudly"
like "$(cat "$WORK/x.err")" 'MISMATCH: the file no longer has this SHA-256' \
	"... and in the log of the chunks used"
"$EXTRACT" -r "$TAMP" -w "$WORK/x.pcap" --no-verify host 93.184.216.34 2>"$WORK/x.err"
is "$?" 0 "--no-verify: no check"
like "$(cat "$WORK/x.err")" 'not verified \(--no-verify\)' "--no-verify: logged as such"
"$EXTRACT" -r "$FIX" -w "$WORK/x.pcap" pid 99999 2>/dev/null
is "$?" 1 "nothing matched: exit 1"
"$EXTRACT" -r "$FIX" -w "$WORK/x.pcap" 'host 1.2.3.4 and (tcp' 2>"$WORK/x.err"
is "$?" 2 "bad expression: exit 2"
like "$(cat "$WORK/x.err")" "never closed" "... with the reason"
"$EXTRACT" -r "$WORK/empty" -w "$WORK/x.pcap" 2>"$WORK/x.err"
is "$?" 2 "no indexes: exit 2"
"$EXTRACT" -r "$FIX" tcp 2>"$WORK/x.err"
is "$?" 2 "no -w: exit 2"
"$EXTRACT" -r "$FIX" -w "$WORK/x.pcap" -c 0 tcp 2>"$WORK/x.err"
is "$?" 2 "-c 0: exit 2"
rm "$TAMP/curl-4242.pcap"
"$EXTRACT" -r "$TAMP" -w "$WORK/x.pcap" --no-verify pid 4242 2>"$WORK/x.err"
is "$?" 2 "a chunk deleted since: exit 2"
like "$(cat "$WORK/x.err")" 'curl-4242\.pcap: the chunk is missing' \
	"a chunk deleted since: reported"
is "$(pcap_count "$WORK/x.pcap")" 7 "... and the other chunk still extracted"
CUT=$WORK/cut
cp -a "$FIX" "$CUT"
truncate -s 600 "$CUT/curl-4242.pcap" # inside flow A's records
"$EXTRACT" -r "$CUT" -w "$WORK/x.pcap" --no-verify host 93.184.216.34 2>"$WORK/x.err"
is "$?" 2 "a chunk cut short: exit 2"
like "$(cat "$WORK/x.err")" 'curl-4242\.pcap: (not a record|the file ends before)' \
	"a chunk cut short: reported"
is "$(pcap_count "$WORK/x.pcap")" 8 "... what it still has extracted, and the other chunk"

# --- real captures ----------------------------------------------------------

# real_run NAME ARGS...: netrec ARGS records curl fetching a 3 MB file over
# IPv4, then a small one over IPv6, in one process (two flows, one file);
# sets DIR_REAL and CURL.
real_run() {
	DIR_REAL=$WORK/real-$1
	shift
	start_netrec_or_bail -w "$DIR_REAL" "$@"
	run_ns CURL "$NS_CLI" curl --noproxy '*' -g -sS --max-time 30 \
		-o /dev/null -o /dev/null "http://$V4_SRV:8080/big" \
		"http://[$V6_SRV]:8080/$HELLO"
	ok $? "curl fetches over IPv4 and IPv6 while netrec $* records"
	stop_netrec_ok
}

# real_file PATTERN: the one file of curl's process matching PATTERN.
real_file() {
	find "$DIR_REAL" -type f -name "curl-$CURL$1" | head -n 1
}

# as_pcap FILE OUT: FILE as a plain pcap tcpdump reads (pcapng and zstd
# too), for the comparisons.
as_pcap() {
	case $1 in
	*.zst) zstd -q -dc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

real_tests() {
	local f n
	require_cmds curl
	netns_pair
	start_httpd
	head -c 3000000 /dev/urandom >"$WWW/big"

	real_run pcap
	if [ -z "$(find "$DIR_REAL" -name '*.idx.jsonl' -print -quit)" ]; then
		skip "netrec wrote no index files" 16
		return
	fi
	f=$(real_file .pcap)
	flows_are "real: curl's two flows by pid" \
		"$(jq -r 'select(.type == "flow") | .uid' "$f.idx.jsonl" | paste -sd' ')" \
		-r "$DIR_REAL" pid "$CURL"
	n=$("$QUERY" -r "$DIR_REAL" --json host "$V4_SRV" and port 8080 2>/dev/null |
		jq -r .comm | sort -u | paste -sd' ')
	is "$n" "curl python3" "real: host and port find both local ends"
	"$EXTRACT" -q -r "$DIR_REAL" -w "$WORK/x.pcap" pid "$CURL" 2>/dev/null
	is "$(ts_text "$WORK/x.pcap")" "$(ts_text "$f")" \
		"real: pid: exactly what tcpdump -r reads in curl's file"
	# (Only our two processes: other tests may use the same addresses.)
	"$EXTRACT" -q -r "$DIR_REAL" -w "$WORK/x.pcap" host "$V4_SRV" and \
		port 8080 and "(pid $CURL or pid $HTTPD)" 2>/dev/null
	# The same packets as curl's own file, each once; in the order of
	# their first copies (the sender's), not of curl's view, where a
	# packet that crossed one going the other way comes later.
	is "$(tcpdump -nn -t -r "$WORK/x.pcap" 2>/dev/null | sort)" \
		"$(tcpdump -nn -t -r "$f" ip 2>/dev/null | sort)" \
		"real: both local ends of the IPv4 flow, each packet once"
	ts_text "$WORK/x.pcap" | awk '{ print $1 }' >"$WORK/ts"
	check "real: ... in time order" sort -c -n "$WORK/ts"

	real_run pcapng --format pcapng
	f=$(real_file .pcapng)
	"$EXTRACT" -q -r "$DIR_REAL" -w "$WORK/x.pcap" pid "$CURL" and ip6 2>/dev/null
	is "$(ts_text "$WORK/x.pcap")" "$(tcpdump --time-stamp-precision=nano -nn -tt -r "$f" ip6 2>/dev/null)" \
		"real pcapng: pid and ip6 equals tcpdump -r ip6 of curl's file"

	real_run zst --compress
	f=$(real_file .pcap.zst)
	as_pcap "$f" "$WORK/curl.pcap"
	cmp_ok "$(stat -c %s "$WORK/curl.pcap")" '>' 3000000 \
		"real zstd: curl's chunk spans several zstd frames"
	"$EXTRACT" -q -r "$DIR_REAL" -w "$WORK/x.pcap" pid "$CURL" and ip6 2>/dev/null
	is "$(ts_text "$WORK/x.pcap")" "$(tcpdump --time-stamp-precision=nano -nn -tt -r "$WORK/curl.pcap" ip6 2>/dev/null)" \
		"real zstd: the IPv6 flow, from the middle of the chunk"
	"$EXTRACT" -q -r "$DIR_REAL" -w "$WORK/x.pcap" pid "$CURL" 2>/dev/null
	is "$(ts_text "$WORK/x.pcap")" "$(ts_text "$WORK/curl.pcap")" \
		"real zstd: pid: all of curl's packets"
	"$QUERY" -r "$DIR_REAL" --chunks --verify pid "$CURL" >/dev/null 2>"$WORK/q.err"
	is "$?" 0 "real zstd: the chunks verify against their indexes" ||
		diag_file "$WORK/q.err"
}

if [ "$REAL" = 1 ]; then
	real_tests
else
	skip "real captures need root and netrec" 19
fi

done_testing
