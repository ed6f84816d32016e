# SPDX-License-Identifier: GPL-2.0-only
#
# tests/netns/lib.sh - a small "node" made of network namespaces, for end-to-end
# tests of the live sensor and for the demo.
#
#   node namespace  $NODE: bridge br0 (10.244.1.1/24), host-side pod veths
#                   "veth<name>" (match the sensor's default glob veth*)
#   pod namespaces  $PFX-<name>: eth0 10.244.1.<n>/24, default route via br0
#
# Everything is created under a unique prefix and removed by netns_cleanup,
# installed as an EXIT trap by netns_init. Tests source this file, define
# test_*() functions and list them in ALL_TESTS, then call netns_run_tests.
# Each test prints "PASS name" or "FAIL name: why"; SKIP=249 as in xdp-tools.

SKIP=249
PFX=${PFX:-wt$$}
NODE=$PFX-node
WEIR=${WEIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.output/bin/weir}
WORK=${WORK:-$(mktemp -d /tmp/weir-netns.XXXXXX)}
WEIR_PID=

nsx() { ip netns exec "$@"; }
node() { ip netns exec "$NODE" "$@"; }
pod() { local p=$1; shift; ip netns exec "$PFX-$p" "$@"; }

netns_cleanup() {
	[ -n "$WEIR_PID" ] && kill -KILL "$WEIR_PID" 2>/dev/null
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PFX-"); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}

netns_init() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP $(basename "$0"): needs root"
		exit 0
	fi
	trap netns_cleanup EXIT
	ip netns add "$NODE"
	node ip link set lo up
	node ip link add br0 type bridge
	node ip addr add 10.244.1.1/24 dev br0
	node ip link set br0 up
	# Bridged frames must not go through the host's iptables.
	node sysctl -qw net.ipv4.ip_forward=1
}

# pod_add NAME N: namespace $PFX-NAME with 10.244.1.N behind node veth "veth$NAME".
pod_add() {
	local name=$1 n=$2
	ip netns add "$PFX-$name"
	pod "$name" ip link set lo up
	node ip link add "veth$name" type veth peer name eth0 netns "$PFX-$name"
	node ip link set "veth$name" master br0 up
	pod "$name" ip addr add "10.244.1.$n/24" dev eth0
	pod "$name" ip link set eth0 up
	pod "$name" ip route add default via 10.244.1.1
}

pod_del() {
	node ip link del "veth$1" 2>/dev/null
	ip netns del "$PFX-$1" 2>/dev/null
}

# weir_start ARGS...: start `weir run` in the node namespace; EVE to $WORK/eve.json.
weir_start() {
	: >"$WORK/eve.json"
	# Not through the node() function: $! must be weir's own pid.
	ip netns exec "$NODE" "$WEIR" run --workers 2 --eve "$WORK/eve.json" --stats-interval 1 \
		--host test-node "$@" >"$WORK/weir.out" 2>"$WORK/weir.err" &
	WEIR_PID=$!
	# Ready when it says so (-v) or after the interfaces are attached.
	local i
	for i in $(seq 1 100); do
		grep -q "running:" "$WORK/weir.err" 2>/dev/null && return 0
		kill -0 "$WEIR_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# weir_stop [SIG]: stop the sensor and wait; returns its exit status.
weir_stop() {
	local sig=${1:-TERM} rc
	[ -n "$WEIR_PID" ] || return 0
	kill -"$sig" "$WEIR_PID" 2>/dev/null
	wait "$WEIR_PID"
	rc=$?
	WEIR_PID=
	return $rc
}

# eve_count FILTER: number of EVE lines matching a python expression on `e`.
eve_count() {
	/usr/bin/python3 - "$WORK/eve.json" "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    try:
        if eval(sys.argv[2], {}, {"e": e}):
            n += 1
    except (KeyError, TypeError):
        pass
print(n)
PY
}

# wait_eve FILTER MIN SECONDS: wait until at least MIN lines match.
wait_eve() {
	local i
	for i in $(seq 1 $(($3 * 10))); do
		[ "$(eve_count "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

pass() { echo "PASS $(basename "$0" .sh):$1"; }
fail() { echo "FAIL $(basename "$0" .sh):$1: $2"; FAILED=1; }

netns_run_tests() {
	FAILED=0
	local t
	for t in $ALL_TESTS; do
		"$t"
	done
	return $FAILED
}
