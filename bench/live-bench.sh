#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/live-bench.sh - the live sensor on a namespace "node" (tests/netns/lib.sh):
#
#  1. pod-to-pod TCP throughput (iperf3, veth + bridge) with no sensor, with
#     `weir run --mode tc`, `--mode xdp` (generic XDP) and `--mode xdp --xdp-native`,
#     interleaved, REPS times each: median Gbit/s and the ratio to no sensor;
#  2. tcpreplay --topspeed of the synthetic capture into a pod veth, with and
#     without the sensor: packets/s, and how many packets reached userspace
#     (kernel.recorded vs decoder.pkts, ring losses);
#  3. packet-to-alert latency (record timestamp to EVE write), p50/p99, from
#     attack requests sent at a low rate while (3b) tcpreplay loads the node.
#
# Usage: sudo bench/live-bench.sh [--reps N] [--seconds S] [--packets N]
# Prints markdown tables. Needs root, iperf3, tcpreplay.
set -u
cd "$(dirname "$0")/.."
REPS=3 SECS=5 PACKETS=200000
while [ $# -gt 0 ]; do
	case "$1" in
	--reps) REPS=$2; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	--packets) PACKETS=$2; shift 2 ;;
	*) echo "usage: $0 [--reps N] [--seconds S] [--packets N]" >&2; exit 2 ;;
	esac
done
export PFX=wbench
. tests/netns/lib.sh
netns_init
pod_add a 11
pod_add b 12

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

iperf_once() { # -> Gbit/s
	pod b iperf3 -s -1 -B 10.244.1.12 >/dev/null 2>&1 &
	local srv=$!
	sleep 0.3
	pod a iperf3 -c 10.244.1.12 -t "$SECS" -J 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
	wait $srv 2>/dev/null
}

sensor_args() { # mode -> weir run args
	case "$1" in
	tc) echo "--mode tc" ;;
	xdp) echo "--mode xdp" ;;
	xdp-native) echo "--mode xdp --xdp-native" ;;
	esac
}

declare -A tput
MODES="none tc xdp xdp-native"
for r in $(seq 1 "$REPS"); do
	for m in $MODES; do
		if [ "$m" != none ]; then
			weir_start --no-detect --no-heur --stats-interval 0 -v $(sensor_args "$m") || { echo "weir failed: $(tail -n 2 "$WORK/weir.err")" >&2; exit 1; }
		fi
		g=$(iperf_once)
		tso=$(pod a ethtool -k eth0 2>/dev/null | awk '/tcp-segmentation-offload/ {print $2}')
		[ "$m" != none ] && weir_stop
		tput[$m]="${tput[$m]:-} $g"
		echo "iperf3 rep $r $m: $g Gbit/s (pod TSO ${tso:-?})" >&2
	done
done
base=$(echo ${tput[none]} | tr ' ' '\n' | median)
echo
echo "### Pod-to-pod TCP throughput (iperf3 -t $SECS, $REPS reps, interleaved)"
echo
echo "| sensor | median Gbit/s | vs none | runs |"
echo "|---|---|---|---|"
for m in $MODES; do
	med=$(echo ${tput[$m]} | tr ' ' '\n' | median)
	echo "| $m | $med | $(awk -v a="$med" -v b="$base" 'BEGIN {printf "%.1f%%", 100*a/b}') | ${tput[$m]} |"
done

# 2. tcpreplay of the synthetic capture into pod a's veth.
CAP=.output/bench/eastwest-live-$PACKETS.pcap
mkdir -p .output/bench
[ -f "$CAP" ] || /usr/bin/python3 bench/gen_eastwest.py -o "$CAP" --packets "$PACKETS" --seed 3 \
	--inject-attacks 12 --attack-every 200 2>"$CAP.txt"
replay_pps() {
	pod a tcpreplay --topspeed -i eth0 "$CAP" 2>&1 | awk '/Rated:/ {for (i=1;i<=NF;i++) if ($i ~ /pps/) {print $(i-1); exit}}'
}
declare -A pps
for r in $(seq 1 "$REPS"); do
	p=$(replay_pps); pps[none]="${pps[none]:-} $p"
	weir_start --stats-interval 0 -v || exit 1
	p=$(replay_pps); pps[tc]="${pps[tc]:-} $p"
	sleep 1
	weir_stop
	cp "$WORK/eve.json" "$WORK/replay-$r.json"
done
echo
echo "### tcpreplay --topspeed of $(basename "$CAP") ($PACKETS packets) into a pod veth"
echo
echo "| sensor | median pps | runs |"
echo "|---|---|---|"
for m in none tc; do
	echo "| $m | $(echo ${pps[$m]} | tr ' ' '\n' | median) | ${pps[$m]} |"
done
echo
echo "Capture: $(cat "$CAP.txt" 2>/dev/null)"
echo
echo "| run | kernel seen | recorded | sampled out | ring full | decoded in userspace | alerts |"
echo "|---|---|---|---|---|---|---|"
for r in $(seq 1 "$REPS"); do
	/usr/bin/python3 - "$WORK/replay-$r.json" "$r" <<'PY'
import json, sys
st, alerts = None, 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "stats":
        st = e["stats"]
    elif e["event_type"] == "alert":
        alerts += 1
k = st["kernel"]
seen = sum(k["seen"].values())
print("| %s | %d | %d | %d | %d | %d | %d |" % (sys.argv[2], seen, k["recorded"], k["sampled_out"],
      k["lost"]["ring_full"], st["decoder"]["pkts"], alerts))
PY
done

# 3. Latency: one attack request every 100 ms, idle and under tcpreplay load.
latency_run() { # label load?
	weir_start --stats-interval 0 -v || exit 1
	(pod b socat -u TCP-LISTEN:8080,reuseaddr,fork OPEN:/dev/null >/dev/null 2>&1 &)
	sleep 0.3
	local loader=
	if [ "$2" = load ]; then
		pod a tcpreplay --topspeed --loop 3 -i eth0 "$CAP" >/dev/null 2>&1 &
		loader=$!
	fi
	for i in $(seq 1 50); do
		printf 'GET / HTTP/1.1\r\nUser-Agent: ${jndi:ldap://x/a}\r\n\r\n' | pod a socat -u - TCP:10.244.1.12:8080 2>/dev/null
		sleep 0.1
	done
	[ -n "$loader" ] && kill "$loader" 2>/dev/null
	sleep 0.5
	weir_stop
	/usr/bin/python3 - "$WORK/eve.json" "$1" <<'PY'
import json, sys
st = None
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "stats":
        st = e["stats"]
l = st["pipeline"]["alert_latency_us"]
print("| %s | %d | %d | %d | %d |" % (sys.argv[2], st["output"]["events"]["alert"], l["p50"], l["p99"], l["max"]))
PY
}
echo
echo "### Packet-to-alert latency (record timestamp to EVE write)"
echo
echo "| load | alerts | p50 us | p99 us | max us |"
echo "|---|---|---|---|---|"
latency_run idle idle
latency_run "tcpreplay --topspeed" load
