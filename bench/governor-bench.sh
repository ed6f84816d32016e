#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/governor-bench.sh - the CPU governor on a namespace node (tests/netns/lib.sh):
#  1. CPU used vs offered load: for each budget (none, 0.25, 0.5, 1.0 core)
#     and offered rate, tcpreplay loops the bulk east-west capture into a pod
#     veth for 12 s; the sensor's CPU (/proc/PID/stat) is measured over 8 s,
#     during which the attack capture (12 flow-head attacks) is sent once at
#     the same rate; detection = distinct (flow, sid) attack alerts / 12.
#  2. Settling time: from idle, a top-speed flood starts; /metrics is scraped
#     every 250 ms; reported: time to the first shed, time from which the
#     sensor's CPU stays within 110% of the budget, and the governor's changes
#     while the flood lasts (12 s; later ones are restores once the looped
#     capture's flow heads are past and the load falls).
# Same load as tests/netns/test-governor.sh: --sample-rate 1 and two pcre
# rules that run on every TCP payload (~35 us a record), so the offered load
# needs more than a core at the default sampling.
# Prints markdown tables. Needs root, tcpreplay, curl. About 4 minutes.
#   bench/governor-bench.sh [RATES]      (default "20000 50000 topspeed"; "" = settling only)
set -u
cd "$(dirname "$0")/.."
. tests/netns/lib.sh

RATES=${1-20000 50000 topspeed}
BUDGETS="none 0.25 0.5 1.0"
ADDR=127.0.0.1:9465
BULK=.output/tests/governor-bulk.pcap
ATTACKS=.output/tests/governor-attacks.pcap
mkdir -p .output/tests
[ -s "$BULK" ] || /usr/bin/python3 bench/gen_eastwest.py -o "$BULK" --packets 200000 --seed 8 || exit 1
[ -s "$ATTACKS" ] || /usr/bin/python3 bench/gen_eastwest.py -o "$ATTACKS" --packets 40000 --seed 7 \
	--inject-attacks 12 --attack-every 20 || exit 1
RULES=$WORK/cost.rules
cat >"$RULES" <<'R'
alert tcp any any -> any any (msg:"WEIR TEST cost 1"; pcre:"/([a-z0-9]+[ \/]){3,}zq{2,}x/i"; sid:9995001; rev:1;)
alert tcp any any -> any any (msg:"WEIR TEST cost 2"; pcre:"/(\w+\s*[=:]\s*){2,}qqzzy/"; sid:9995002; rev:1;)
R

netns_init
pod_add a 11
pod a sysctl -qw net.ipv6.conf.all.disable_ipv6=1

attack_keys() { # EVE
	/usr/bin/python3 - "$1" <<'PY'
import json, sys
s = set()
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event_type") == "alert" and e["alert"]["signature_id"] in (9106001, 9108001, 9111001):
        s.add((e["src_ip"], e["src_port"], e["dest_ip"], e["dest_port"], e["alert"]["signature_id"]))
print(len(s))
PY
}
rate_arg() { [ "$1" = topspeed ] && echo --topspeed || echo "--pps=$1"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
sent_pps() { awk '/Rated:/ { for (i = 1; i <= NF; i++) if ($i ~ /pps/) { print int($(i-1)); exit } }' "$1"; }

start() { # BUDGET
	local b=()
	[ "$1" != none ] && b=(--cpu-budget "$1")
	weir_start "${b[@]}" --sample-rate 1 --ring-bytes 32M --rules signatures --rules "$RULES" \
		--metrics "$ADDR" -v || { echo "weir did not start" >&2; exit 1; }
}

[ -n "$RATES" ] && echo "### CPU used vs offered load (sample-rate 1 + 2 pcre rules on every payload)" &&
	echo && echo "| budget | offered | sent pps | sensor CPU (cores) | final level | shed records | attacks detected |" &&
	echo "|---|---|---|---|---|---|---|"
[ -n "$RATES" ] && for b in $BUDGETS; do
	for r in $RATES; do
		start "$b"
		pod a tcpreplay $(rate_arg "$r") --loop 0 --duration 12 -i eth0 "$BULK" >"$WORK/bulk.out" 2>&1 &
		rp=$!
		sleep 3
		c0=$(cpu_ticks "$WEIR_PID"); t0=$(date +%s.%N)
		sleep 1
		pod a tcpreplay $(rate_arg "$r") -i eth0 "$ATTACKS" >/dev/null 2>&1
		sleep 5
		c1=$(cpu_ticks "$WEIR_PID"); t1=$(date +%s.%N)
		node curl -s "http://$ADDR/metrics" >"$WORK/m.txt"
		wait $rp
		sleep 1
		weir_stop
		cores=$(awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" -v hz="$(getconf CLK_TCK)" \
			'BEGIN { printf "%.2f", (b - a) / hz / (e - s) }')
		lvl=$(awk '$1 == "weir_governor_level" { print $2 }' "$WORK/m.txt")
		shed=$(awk '$1 ~ /^weir_governor_shed_level[0-9]_total$/ { n += $2 } END { print n + 0 }' "$WORK/m.txt")
		echo "| $b | $r | $(sent_pps "$WORK/bulk.out") | $cores | $lvl | $shed | $(attack_keys "$WORK/eve.json")/12 |"
	done
done

echo
echo "### Settling time after a load step (idle -> tcpreplay --topspeed)"
echo
echo "| budget | first shed (s) | within 110% from (s) | level changes | final level | mean CPU after (cores) |"
echo "|---|---|---|---|---|---|"
for b in 0.25 0.5 1.0; do
	start "$b"
	sleep 1
	: >"$WORK/trace"
	pod a tcpreplay --topspeed --loop 0 --duration 12 -i eth0 "$BULK" >/dev/null 2>&1 &
	rp=$!
	t0=$(date +%s.%N)
	while kill -0 $rp 2>/dev/null; do
		node curl -s --max-time 1 "http://$ADDR/metrics" |
			awk -v t="$(date +%s.%N)" -v t0="$t0" '$1 == "weir_governor_level" { l = $2 }
				$1 == "weir_cpu_used_cores" { c = $2 } END { printf "%.2f %d %s\n", t - t0, l, c }' \
			>>"$WORK/trace"
		sleep 0.25
	done
	weir_stop
	awk -v b="$b" '{ t[NR] = $1; l[NR] = $2; c[NR] = $3 }
		END { first = -1; n = 0; from = t[1]
		      for (i = 2; i <= NR; i++) { if (l[i] != l[i-1]) { n++; if (first < 0) first = t[i] } }
		      for (i = 1; i <= NR; i++) if (c[i] > 1.1 * b) from = (i < NR ? t[i+1] : t[i])
		      s = 0; k = 0; for (i = 1; i <= NR; i++) if (t[i] >= from) { s += c[i]; k++ }
		      printf "| %s | %.2f | %.2f | %d | %d | %.2f |\n", b, first, from, n, l[NR], k ? s / k : 0 }' "$WORK/trace"
	cp "$WORK/trace" ".output/tests/governor-trace-$b.txt"
done
