#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# container.sh: a real OCI container, run by runc.
#
# The bundle: a rootfs holding only a static busybox; config.json from
# "runc spec", with the container in the test's cli network namespace
# (/run/netns/<cli>), in a cgroupfs-driver-shaped cgroup
# /netrec-test-PID/docker/<64 hex> (the shape Docker's cgroupfs driver
# makes, under a parent the test owns), annotated "nerdctl/name" and
# "org.opencontainers.image.ref.name", and with the test's control
# directory bind-mounted on /ctl.  runc keeps its state in /run/runc, its
# default, where netrec finds the bundle (and so the name) of the
# container whose cgroup holds the id.
#
# The container waits for /ctl/goN, fetches a URL with busybox wget from
# python3 http.server in srv (round N), and waits for the next round.
# Each round records with other options:
#   1  --split container            <name>.pcap for the container (the
#                                   12-hex short id if netrec did not find
#                                   the name), host.pcap for the rest
#   2  --split container --format pcapng
#                                   ContainerId/Name/Image in the comments
#   3  --container <name>           only the container's traffic
#   4  --container <12-hex prefix>  the same, by id prefix

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init
require_cmds curl jq
command -v runc >/dev/null 2>&1 || bail "runc is not installed: container tests cannot run"
[ -x /bin/busybox ] || bail "/bin/busybox (busybox-static) is missing: container tests cannot run"
netns_pair
start_httpd
CG2=$(cgroup2_root) || bail "no cgroup2 file system mounted"

CID=$(random_hex 32)
SHORT=${CID:0:12}
CNAME=nrtest-web
IMAGE=busybox:test
RUNC_ID=${NRT}ctr
CGPATH=/netrec-test-$$/docker/$CID
ROUNDS=4
CTL=$WORK/ctl
BUNDLE=$WORK/bundle
RUNC_ROOT_EXISTED=0
[ -d /run/runc ] && RUNC_ROOT_EXISTED=1
diag "container: runc id $RUNC_ID, cgroup $CGPATH, name $CNAME, short id $SHORT"

# What runc and the container leave behind: the container, its state,
# the parent cgroups runc made in every hierarchy (v1 and v2), /run/runc
# if it was not there before.
# shellcheck disable=SC2317 # called by lib.sh's cleanup
ctr_cleanup() {
	local mnt d
	if runc state "$RUNC_ID" >/dev/null 2>&1; then
		runc delete -f "$RUNC_ID" >/dev/null 2>&1 ||
			diag "runc delete -f $RUNC_ID failed"
	fi
	while read -r _ mnt fstype _; do
		[ "$fstype" = cgroup ] || [ "$fstype" = cgroup2 ] || continue
		mnt=$(printf '%b' "$mnt")
		for d in "$mnt$CGPATH" "$mnt${CGPATH%/*}" "$mnt/netrec-test-$$"; do
			[ -d "$d" ] || continue
			wait_until 5 _cg_empty "$d"
			rmdir "$d" 2>/dev/null || diag "could not remove cgroup $d"
		done
	done </proc/mounts
	if [ "$RUNC_ROOT_EXISTED" = 0 ] && [ -d /run/runc ]; then
		rmdir /run/runc 2>/dev/null
	fi
}
on_cleanup ctr_cleanup

# --- the bundle ---------------------------------------------------------------
mkdir -p "$CTL" "$BUNDLE/rootfs/bin" "$BUNDLE/rootfs/ctl" || bail "cannot make the bundle"
cp /bin/busybox "$BUNDLE/rootfs/bin/busybox" || bail "cannot copy busybox"
for a in sh wget sleep cat echo test; do
	ln -s busybox "$BUNDLE/rootfs/bin/$a"
done
(cd "$BUNDLE" && runc spec) || bail "runc spec failed"
# The container's script: round by round, wait for /ctl/goN (at most 60 s),
# fetch the URL marked with N, note wget's status in /ctl/wgetN.rc.
# (No "wget -T": Debian 12's static busybox 1.35 crashes with it.)
# shellcheck disable=SC2016 # for the container's shell
SCRIPT='r=1
while [ "$r" -le "$ROUNDS" ]; do
	i=0
	while [ ! -e "/ctl/go$r" ]; do
		i=$((i + 1))
		[ "$i" -gt 600 ] && exit 3
		sleep 0.1
	done
	wget -q -O "/ctl/body$r" "$URL&round$r"
	echo $? >"/ctl/wget$r.tmp" && mv "/ctl/wget$r.tmp" "/ctl/wget$r.rc"
	r=$((r + 1))
done
i=0
while [ ! -e /ctl/stop ] && [ "$i" -lt 1200 ]; do
	i=$((i + 1))
	sleep 0.1
done'
URL="http://$V4_SRV:8080/$HELLO"
jq --arg script "$SCRIPT" --arg url "$URL" --arg rounds "$ROUNDS" \
	--arg netns "$(_nspath "$NS_CLI")" --arg cg "$CGPATH" --arg ctl "$CTL" \
	--arg name "$CNAME" --arg image "$IMAGE" '
	.process.terminal = false |
	.process.args = ["sh", "-c", $script] |
	.process.env += ["URL=" + $url, "ROUNDS=" + $rounds] |
	.linux.namespaces |= map(if .type == "network" then .path = $netns else . end) |
	.linux.cgroupsPath = $cg |
	.mounts += [{ destination: "/ctl", type: "bind", source: $ctl,
	              options: ["rbind", "rw"] }] |
	.annotations = { "nerdctl/name": $name,
	                 "org.opencontainers.image.ref.name": $image }' \
	"$BUNDLE/config.json" >"$BUNDLE/config.json.new" ||
	bail "cannot edit config.json"
mv "$BUNDLE/config.json.new" "$BUNDLE/config.json" || bail "cannot replace config.json"

# --- run it ------------------------------------------------------------------
run_ns RUNC "" runc run -d -b "$BUNDLE" "$RUNC_ID"
rc=$?
ok "$rc" "runc run -d starts the container (runc $(runc --version | awk 'NR == 1 { print $3 }'))" || {
	diag_file "$(err_of "$RUNC")"
	diag "cgroup mounts:" "$(grep cgroup /proc/mounts)"
	bail "runc cannot run a container here"
}
CPID=$(runc state "$RUNC_ID" 2>/dev/null | jq -r '.pid // empty')
status=$(runc state "$RUNC_ID" 2>/dev/null | jq -r '.status // empty')
is "$status" running "runc state: the container is running (init pid ${CPID:-?})"
[ -n "$CPID" ] || bail "no pid for the container"
is "$(sed -n 's/^0:://p' "/proc/$CPID/cgroup")" "$CGPATH" \
	"the container's process is in cgroup v2 $CGPATH" ||
	diag "/proc/$CPID/cgroup:" "$(cat "/proc/$CPID/cgroup")"
check "its cgroup is in the cgroup2 file system at $CG2" test -d "$CG2$CGPATH"
is "$(readlink "/proc/$CPID/ns/net")" "$(in_ns "$NS_CLI" readlink /proc/self/ns/net)" \
	"the container is in the test's cli network namespace"
check "runc's state is where netrec looks: /run/runc/$RUNC_ID/state.json" \
	test -f "/run/runc/$RUNC_ID/state.json"

# round N: let the container fetch its URL; wait for wget to finish.
round() {
	touch "$CTL/go$1"
	wait_until 30 test -e "$CTL/wget$1.rc"
	is "$(cat "$CTL/wget$1.rc" 2>/dev/null)" 0 "round $1: wget in the container succeeds"
	is "$(cat "$CTL/body$1" 2>/dev/null)" "$HELLO_BODY" "round $1: and gets hello.txt"
}

# host_curl N: a host process (curl in cli) fetches a URL marked hostN.
host_curl() {
	curl_get HCURL "$NS_CLI" "http://$V4_SRV:8080/$HELLO&host$1"
	like "$(cat "$(out_of "$HCURL")")" '^200 ' "round $1: curl on the host gets HTTP 200"
}

# --- 1: --split container ---------------------------------------------------
D=$WORK/split
start_netrec_or_bail -w "$D" --split container
round 1
host_curl 1
stop_netrec_ok
check_summary "$NR_LOG"
check_pcap_dir "$D" whole
if [ -f "$D/$CNAME.pcap" ]; then
	diag "netrec found the container's name: $CNAME.pcap"
elif [ -f "$D/$SHORT.pcap" ]; then
	diag "netrec did not find the container's name: $SHORT.pcap (the short id)"
fi
check "the container's file is named after it: $CNAME.pcap (from the bundle's nerdctl/name annotation)" \
	test -f "$D/$CNAME.pcap" || diag "files: $(cd "$D" && ls)"
CF=$CNAME.pcap
[ -f "$D/$CF" ] || CF=$SHORT.pcap
check "host.pcap exists" test -f "$D/host.pcap"
where_is "$D" "GET /$HELLO&round1" "1 $CF, 1 host.pcap" \
	"the container's GET: sent in $CF, received by (host) http.server in host.pcap"
where_is "$D" "GET /$HELLO&host1" "2 host.pcap" \
	"the host curl's GET: sent and received in host.pcap, not in $CF"
is "$(tcount "$D/$CF" "ip.src==$V4_CLI && tcp.dstport==8080 && tcp.flags.syn==1 && tcp.flags.ack==0")" 1 \
	"$CF: the container's SYN"
is "$(tcount "$D/$CF" "ip.src==$V4_SRV && http.response.code==200")" 1 "$CF: the HTTP 200 it received"
is "$(tcount "$D/$CF" "!(tcp.port==8080 && ip.addr==$V4_SRV)")" 0 "$CF: nothing but its connection"
is "$(find "$D" -name "*$CID*" | wc -l)" 0 "no file is named after the full container id"
is "$(cd "$D" && find . -type f ! -name '*.idx.jsonl' | LC_ALL=C sort | tr '\n' ' ')" \
	"$(printf '%s\n' "./$CF" ./host.pcap | LC_ALL=C sort | tr '\n' ' ')" "DIR holds $CF and host.pcap only"

# --- 2: --split container --format pcapng -----------------------------------
D=$WORK/splitng
start_netrec_or_bail -w "$D" --split container --format pcapng
round 2
host_curl 2
stop_netrec_ok
check_summary "$NR_LOG"
check_pcapng_dir "$D"
CF=$CNAME.pcapng
[ -f "$D/$CF" ] || CF=$SHORT.pcapng
check "the container's file is $CNAME.pcapng" test -f "$D/$CNAME.pcapng"
png_where_is "$D" "GET /$HELLO&round2" "1 $CF, 1 host.pcapng" \
	"the container's GET: sent in $CF, received in host.pcapng"
png_check "$D/$CF"
n=${PNG[epbs]:-0}
cmp_ok "$n" '>' 0 "$CF has packets"
is "$(tcount "$D/$CF" "frame.comment contains \"ContainerId: $CID\"")" "$n" \
	"$CF: every packet's comment has ContainerId: <the 64-hex id>"
is "$(tcount "$D/$CF" "frame.comment contains \"ContainerName: $CNAME\"")" "$n" \
	"$CF: every packet's comment has ContainerName: $CNAME"
is "$(tcount "$D/$CF" "frame.comment contains \"ContainerImage: $IMAGE\"")" "$n" \
	"$CF: every packet's comment has ContainerImage: $IMAGE"
is "$(png_count "$D/$CF" '.comments[0] // "" | test("^PID: [0-9]+\n")')" "$n" \
	"$CF: every comment starts with the (host) PID of its process"
diag "a comment of the container's:" "$(png_comments "$D/$CF" | head -n 1)"
is "$(tcount "$D/$CF" "ip.src==$V4_CLI && http.request && frame.packet_flags_direction==0x00000002")" 1 \
	"$CF: the GET is outbound"
is "$(tcount "$D/host.pcapng" "frame.comment contains \"ContainerId:\"")" 0 \
	"host.pcapng: no packet has a ContainerId"
cmp_ok "$(tcount "$D/host.pcapng" "frame.comment contains \"PID: $HTTPD\"")" '>' 0 \
	"host.pcapng: http.server's packets, with its PID"

# --- 3, 4: --container NAME, --container ID-PREFIX ---------------------------
r=3
for sel in "$CNAME" "$SHORT"; do
	D=$WORK/filter$r
	start_netrec_or_bail -w "$D" --container "$sel"
	round "$r"
	host_curl "$r"
	stop_netrec_ok
	check_summary "$NR_LOG"
	check_pcap_dir "$D" whole
	got=$(cd "$D" && find . -type f ! -name '*.idx.jsonl' | sed 's|^\./||' | sort | tr '\n' ' ')
	got=${got% }
	like "$got" '^wget-[0-9]+\.pcap$' "--container $sel: only the container's wget has a file ($got)"
	where_is "$D" "GET /$HELLO&round$r" "1 $got" "--container $sel: the container's GET is recorded"
	where_is "$D" "GET /$HELLO&host$r" "" "--container $sel: the host curl's GET is not"
	is "$(pcount "$D/$got" "$HELLO_BODY")" 1 "--container $sel: the response the container received is recorded"
	left=$(nr_count "$NR_LOG" "packets left out by the filters")
	cmp_ok "${left:-0}" '>=' 8 "--container $sel: the summary counts the packets left out ($left)"
	r=$((r + 1))
done

touch "$CTL/stop"
done_testing
