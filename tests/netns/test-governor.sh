#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The CPU governor under flood: tcpreplay --topspeed of a synthetic east-west
# capture in a loop, plus once a capture with attacks injected at flow heads,
# into one pod's veth, with `weir run --cpu-budget 0.5`. Checks, on one run:
#  - budget: over a 10 s window under flood the sensor's own CPU (utime +
#    stime of its /proc/PID/stat, all threads) stays within 110% of 0.5 core,
#    and the governor did shed (else the flood did not test anything);
#  - attacks: the attack capture is sent once during the window; every
#    (flow, sid) alert that `weir replay` raises on it is also raised live;
#  - flows: every flow `weir replay` reports on it has a live flow event;
#  - losses: with sent = packets tcpreplay put on the pod's eth0, seen =
#    kernel.seen.tc_ingress (the only hook that sees them), processed =
#    decoder.pkts (records the workers decoded), in the final stats event:
#      seen - sent                  in [0, 20] (stray frames of the pod itself)
#      seen - processed          == kernel.sampled_out + kernel.lost.* +
#                                   kernel.duplicate_skipped + kernel.non_ip +
#                                   kernel.invalid.* + kernel.disabled +
#                                   kernel.uplink_not_tunnel +
#                                   governor.shed.* + capture.ring_malformed
#    i.e. every packet sent and not processed is counted by exactly one cause
#    (the kernel's outcomes are exclusive; a record either reaches decode or
#    is shed or rejected by the ring reader).
# test_userspace_shed_counted: a budget (0.02) below what control packets and
# flow starts alone cost, so the governor reaches userspace shedding: records
# are shed (governor.shed.*), the loss identity still holds, and every flow
# of the capture still gets its flow event (flow starts are never shed).
# Needs root, tcpreplay. About 50 s (the captures are cached in .output/tests/).
set -u
. "$(dirname "$0")/lib.sh"

ALL_TESTS="${ALL_TESTS:-test_budget_under_flood test_userspace_shed_counted}"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUDGET=0.5
WINDOW=10
BULK=$ROOT/.output/tests/governor-bulk.pcap
ATTACKS=$ROOT/.output/tests/governor-attacks.pcap

if ! command -v tcpreplay >/dev/null; then
	echo "SKIP $(basename "$0"): no tcpreplay"
	exit 0
fi
mkdir -p "$(dirname "$BULK")"
# Bulk: 200k packets (190 MB, ~2 s of traffic), looped for the whole test.
# Attacks: 40k packets with 12 attacks in flow heads (4 each of Log4Shell,
# reverse shell, Stratum miner), sent once while the bulk flood runs.
[ -s "$BULK" ] || /usr/bin/python3 "$ROOT/bench/gen_eastwest.py" -o "$BULK" --packets 200000 \
	--seed 8 2>/dev/null || exit 1
[ -s "$ATTACKS" ] || /usr/bin/python3 "$ROOT/bench/gen_eastwest.py" -o "$ATTACKS" \
	--packets 40000 --seed 7 --inject-attacks 12 --attack-every 20 2>/dev/null || exit 1

# The bundled signatures plus two rules with no fast pattern, whose pcre runs
# on every TCP payload and never matches: they make each record cost what a
# large ruleset would (~35 us), so a flood this 2-core machine can send needs
# several cores at the default sampling and the governor has to work.
RULES=$WORK/cost.rules
cat >"$RULES" <<'R'
alert tcp any any -> any any (msg:"WEIR TEST cost 1"; pcre:"/([a-z0-9]+[ \/]){3,}zq{2,}x/i"; sid:9995001; rev:1;)
alert tcp any any -> any any (msg:"WEIR TEST cost 2"; pcre:"/(\w+\s*[=:]\s*){2,}qqzzy/"; sid:9995002; rev:1;)
R

netns_init
pod_add a 11
# No IPv6 autoconfiguration chatter from the pod: seen - sent stays ~0.
pod a sysctl -qw net.ipv6.conf.all.disable_ipv6=1
node sysctl -qw net.ipv6.conf.all.disable_ipv6=1

# cpu_ticks PID: utime + stime of every thread, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# The final stats event, flattened to "dotted.name value" lines.
final_stats() {
	/usr/bin/python3 - "$WORK/eve.json" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event_type") == "stats":
        last = e["stats"]
def walk(d, pfx):
    for k, v in d.items():
        if isinstance(v, dict):
            walk(v, pfx + k + ".")
        else:
            print(pfx + k, v)
walk(last or {}, "")
PY
}

# keys FILE TYPE: sorted "src sport dst dport proto sid" of every alert, or
# "proto community_id" of every flow event.
keys() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
out = set()
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event_type") != sys.argv[2]:
        continue
    if sys.argv[2] == "alert":
        k = "%s %s %s %s %s %d" % (e.get("src_ip"), e.get("src_port"), e.get("dest_ip"),
                                   e.get("dest_port"), e.get("proto"), e["alert"]["signature_id"])
    else:
        # Which side opened a UDP flow can differ when looped captures meet the
        # kernel's flow table: the Community ID is the same either way.
        k = "%s %s" % (e.get("proto"), e.get("community_id"))
    out.add(k)
print("\n".join(sorted(out)))
PY
}

s() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$WORK/stats"; }
sumof() { awk -v p="$1" 'index($1, p) == 1 { n += $2 } END { print n + 0 }' "$WORK/stats"; }

# Sets seen, processed, shed, losses from $WORK/stats (see the header).
loss_terms() {
	seen=$(s kernel.seen.tc_ingress)
	processed=$(s decoder.pkts)
	shed=$(sumof governor.shed.)
	losses=$(($(s kernel.sampled_out) + $(sumof kernel.lost.) + $(s kernel.duplicate_skipped) +
		$(s kernel.non_ip) + $(sumof kernel.invalid.) + $(s kernel.disabled) +
		$(s kernel.uplink_not_tunnel) + shed + $(s capture.ring_malformed)))
}

test_budget_under_flood() {
	local t0 t1 c0 c1 hz cores sent

	"$WEIR" replay --rules "$ROOT/signatures" --rules "$RULES" --eve "$WORK/replay.json" \
		"$ATTACKS" 2>/dev/null
	keys "$WORK/replay.json" alert >"$WORK/want-alerts"
	keys "$WORK/replay.json" flow >"$WORK/want-flows"
	if [ "$(wc -l <"$WORK/want-alerts")" -ne 12 ]; then
		fail budget_under_flood "replay raised $(wc -l <"$WORK/want-alerts") attack alerts, want 12"
		return
	fi

	# --sample-rate 1: every bulk packet is a record, so the looped flood
	# keeps needing several cores after its flow heads are past.
	# 32 MiB rings absorb the burst of the attack replay while the governor reacts.
	if ! weir_start --cpu-budget "$BUDGET" --sample-rate 1 --ring-bytes 32M --rules "$ROOT/signatures" \
		--rules "$RULES" -v; then
		fail budget_under_flood "weir run did not start: $(tail -n 3 "$WORK/weir.err")"
		return
	fi
	pod a tcpreplay --topspeed --loop 0 --duration $((WINDOW + 5)) -i eth0 "$BULK" \
		>"$WORK/tcpreplay-bulk.out" 2>&1 &
	local rp=$!
	sleep 3 # the governor settles
	hz=$(getconf CLK_TCK)
	c0=$(cpu_ticks "$WEIR_PID")
	t0=$(date +%s.%N)
	sleep 1
	pod a tcpreplay --topspeed -i eth0 "$ATTACKS" >"$WORK/tcpreplay-attacks.out" 2>&1
	sleep $((WINDOW - 1)) # ~0.5 s of attack replay makes the window slightly longer
	c1=$(cpu_ticks "$WEIR_PID")
	t1=$(date +%s.%N)
	local flooding=yes
	kill -0 $rp 2>/dev/null || flooding=no
	wait $rp
	sleep 2 # the rings drain
	weir_stop
	cores=$(awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" -v hz="$hz" \
		'BEGIN { printf "%.3f", (b - a) / hz / (e - s) }')
	sent=$(cat "$WORK"/tcpreplay-*.out | awk '/Successful packets:/ { n += $3; f++ } END { if (f == 2) print n }')
	final_stats >"$WORK/stats"
	local seen processed losses shed
	loss_terms
	echo "  cpu ${cores} cores (budget $BUDGET) over ${WINDOW}s; sent ${sent:-?} seen $seen" \
		"processed $processed sampled_out $(s kernel.sampled_out) ring_full" \
		"$(s kernel.lost.ring_full) shed $shed; governor level $(s governor.level)," \
		"adjustments $(s governor.adjustments.shed)/$(s governor.adjustments.restore)"

	comm -23 "$WORK/want-alerts" <(keys "$WORK/eve.json" alert) >"$WORK/missing-alerts"
	comm -23 "$WORK/want-flows" <(keys "$WORK/eve.json" flow) >"$WORK/missing-flows"
	if [ "$flooding" != yes ]; then
		fail budget_under_flood "tcpreplay ended before the window did: $(tail -n 3 "$WORK/tcpreplay-bulk.out")"
	elif awk -v c="$cores" -v b="$BUDGET" 'BEGIN { exit !(c > 1.1 * b) }'; then
		fail budget_under_flood "sensor used $cores cores, budget $BUDGET (+10%)"
	elif [ "$(s governor.adjustments.shed)" -lt 1 ]; then
		fail budget_under_flood "the governor never shed: the flood did not need more than the budget"
	elif [ -s "$WORK/missing-alerts" ]; then
		fail budget_under_flood "$(wc -l <"$WORK/missing-alerts") of 12 attack alerts missing: $(head -n 3 "$WORK/missing-alerts" | tr '\n' ';')"
	elif [ -s "$WORK/missing-flows" ]; then
		fail budget_under_flood "$(wc -l <"$WORK/missing-flows") of $(wc -l <"$WORK/want-flows") flows without a flow event: $(head -n 3 "$WORK/missing-flows" | tr '\n' ';')"
	elif [ -z "$sent" ] || [ "$seen" -lt "$sent" ] || [ "$((seen - sent))" -gt 20 ]; then
		fail budget_under_flood "kernel saw $seen packets, tcpreplay sent ${sent:-?}"
	elif [ "$((seen - processed))" -ne "$losses" ]; then
		fail budget_under_flood "seen - processed = $((seen - processed)) but the loss counters sum to $losses"
	else
		pass budget_under_flood
	fi
}

test_userspace_shed_counted() {
	local seen processed losses shed

	"$WEIR" replay --eve "$WORK/replay-bulk.json" "$BULK" 2>/dev/null
	keys "$WORK/replay-bulk.json" flow >"$WORK/want-bulk-flows"
	if ! weir_start --cpu-budget 0.02 --sample-rate 1 --ring-bytes 32M --rules "$ROOT/signatures" \
		--rules "$RULES" -v; then
		fail userspace_shed_counted "weir run did not start: $(tail -n 3 "$WORK/weir.err")"
		return
	fi
	pod a tcpreplay --topspeed --loop 0 --duration 8 -i eth0 "$BULK" >"$WORK/tcpreplay-shed.out" 2>&1
	sleep 2
	weir_stop
	final_stats >"$WORK/stats"
	loss_terms
	echo "  seen $seen processed $processed shed $shed (by level: $(s governor.shed.level1)" \
		"$(s governor.shed.level2) $(s governor.shed.level3) $(s governor.shed.level4))," \
		"governor level $(s governor.level), capture.loss_ratio_ppm $(s capture.loss_ratio_ppm)"
	comm -23 "$WORK/want-bulk-flows" <(keys "$WORK/eve.json" flow) >"$WORK/missing-flows"
	if [ "$shed" -lt 1 ]; then
		fail userspace_shed_counted "no record shed in userspace at a 0.02-core budget"
	elif [ "$((seen - processed))" -ne "$losses" ]; then
		fail userspace_shed_counted "seen - processed = $((seen - processed)) but the loss counters sum to $losses"
	elif [ "$(s capture.lost)" -lt "$shed" ] || [ "$(s capture.loss_ratio_ppm)" -lt 1 ]; then
		fail userspace_shed_counted "capture.lost $(s capture.lost) / loss_ratio_ppm $(s capture.loss_ratio_ppm) miss the shed records"
	elif [ -s "$WORK/missing-flows" ]; then
		fail userspace_shed_counted "$(wc -l <"$WORK/missing-flows") of $(wc -l <"$WORK/want-bulk-flows") flows without a flow event: $(head -n 3 "$WORK/missing-flows" | tr '\n' ';')"
	else
		pass userspace_shed_counted
	fi
}

netns_run_tests
