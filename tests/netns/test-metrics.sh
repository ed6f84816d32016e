#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `weir run --metrics`: /metrics scraped with curl, parsed as Prometheus text
# format by python3-prometheus-client's parser plus strict checks of our own
# (names, TYPE lines, _total on counters, no duplicates), and counters that
# move as traffic flows between two pods; /healthz for probes. Needs root,
# curl, python3-prometheus-client. About 10 s.
set -u
. "$(dirname "$0")/lib.sh"

ALL_TESTS="test_metrics_parse test_metrics_move test_metrics_healthz"

ADDR=127.0.0.1:9464
RULES=$WORK/test.rules
cat >"$RULES" <<'R'
alert tcp any any -> any 8080 (msg:"WEIR TEST marker to 8080"; flow:established,to_server; content:"WEIR-TEST-ATTACK"; sid:9990001; rev:1;)
R

if ! /usr/bin/python3 -c 'import prometheus_client.parser' 2>/dev/null || ! command -v curl >/dev/null; then
	echo "SKIP $(basename "$0"): needs curl and python3-prometheus-client"
	exit 0
fi

netns_init
pod_add a 11
pod_add b 12

scrape() { # FILE
	node curl -sS --max-time 5 -o "$1" -w '%{http_code} %{content_type}' "http://$ADDR/metrics"
}

# check FILE: parse strictly; print "name{labels} value" lines, sorted.
check() {
	/usr/bin/python3 - "$1" <<'PY'
import re, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
name_re = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
types, seen = {}, set()
for line in text.splitlines():
    if line.startswith("# TYPE "):
        _, _, n, t = line.split(" ", 3)
        if n in types:
            sys.exit("duplicate TYPE " + n)
        if not n.startswith("weir_") or not name_re.match(n):
            sys.exit("bad name " + n)
        if t == "counter" and not n.endswith("_total"):
            sys.exit("counter without _total: " + n)
        if t == "gauge" and n.endswith("_total"):
            sys.exit("gauge with _total: " + n)
        types[n] = t
out = []
for fam in text_string_to_metric_families(text):
    for s in fam.samples:
        key = s.name + "".join('{%s="%s"}' % kv for kv in sorted(s.labels.items()))
        if key in seen:
            sys.exit("duplicate sample " + key)
        seen.add(key)
        if s.name not in types:
            sys.exit("sample without TYPE: " + s.name)
        out.append("%s %r" % (key, s.value))
print("\n".join(sorted(out)))
PY
}

val() { # FILE KEY
	awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print "missing" }' "$1"
}

start_or_fail() {
	if ! weir_start --rules "$RULES" --metrics "$ADDR" -v; then
		fail "$1" "weir run did not start: $(tail -n 3 "$WORK/weir.err")"
		return 1
	fi
}

test_metrics_parse() {
	local code want k
	start_or_fail metrics_parse || return
	code=$(scrape "$WORK/m.txt")
	weir_stop
	if [ "$code" != "200 text/plain; version=0.0.4; charset=utf-8" ]; then
		fail metrics_parse "HTTP reply '$code'"
		return
	fi
	if ! check "$WORK/m.txt" >"$WORK/m.parsed" 2>"$WORK/m.err"; then
		fail metrics_parse "not Prometheus text: $(tail -n 2 "$WORK/m.err")"
		return
	fi
	# The loss counters, the governor, the ring, flows, memory, rules, alerts.
	want="weir_kernel_lost_ring_full_total weir_kernel_sampled_out_total
weir_pipeline_queue_full_total weir_output_queue_full_total weir_flow_memcap_drop_total
weir_stream_memcap_drop_total weir_decoder_defrag_memcap_drops_total weir_heur_queue_full_total
weir_output_publish_send_failed_total weir_governor_shed_level1_total weir_capture_lost_total
weir_capture_loss_ratio weir_capture_loss_ratio_ppm weir_cpu_used_cores weir_cpu_budget_cores
weir_governor_level weir_kernel_seen_tc_ingress_total weir_decoder_pkts_total
weir_capture_bytes_total weir_flows_active weir_rules_loaded weir_rules_load_seconds
weir_rules_reloads_total weir_ring_size_bytes weir_ring_used_bytes{shard=\"0\"}
weir_ring_used_bytes{shard=\"1\"} weir_memory_bytes{pool=\"flow\"} weir_alerts_total{gid=\"1\"}
weir_alerts_total{gid=\"9000\"} weir_uptime_seconds"
	for k in $want; do
		k=${k//\\/}
		if [ "$(val "$WORK/m.parsed" "$k")" = missing ]; then
			fail metrics_parse "no $k"
			return
		fi
	done
	if [ "$(val "$WORK/m.parsed" weir_rules_loaded)" = "0.0" ]; then
		fail metrics_parse "weir_rules_loaded is 0"
	else
		pass metrics_parse
	fi
}

test_metrics_move() {
	local a b
	start_or_fail metrics_move || return
	scrape "$WORK/m1.txt" >/dev/null
	pod a ping -c 20 -i 0.05 -q 10.244.1.12 >/dev/null
	pod b socat -u TCP-LISTEN:8080,reuseaddr OPEN:/dev/null &
	local srv=$!
	sleep 0.3
	printf 'GET /x HTTP/1.1\r\nX: WEIR-TEST-ATTACK\r\n\r\n' | pod a socat -u - TCP:10.244.1.12:8080
	wait $srv 2>/dev/null
	wait_eve 'e["event_type"]=="alert"' 1 5
	sleep 0.5 # rings read every 20 ms; give the workers a moment
	scrape "$WORK/m2.txt" >/dev/null
	weir_stop
	check "$WORK/m1.txt" >"$WORK/p1" && check "$WORK/m2.txt" >"$WORK/p2" || {
		fail metrics_move "a scrape does not parse"
		return
	}
	# ping: 20 requests + 20 replies, each seen at ingress of one veth and egress of the other.
	a=$(val "$WORK/p1" weir_kernel_seen_tc_ingress_total)
	b=$(val "$WORK/p2" weir_kernel_seen_tc_ingress_total)
	if ! awk -v a="$a" -v b="$b" 'BEGIN { exit !(b - a >= 40) }'; then
		fail metrics_move "kernel.seen.tc_ingress moved from $a to $b, want +40 or more"
	elif ! awk -v a="$(val "$WORK/p1" weir_decoder_pkts_total)" -v b="$(val "$WORK/p2" weir_decoder_pkts_total)" \
		'BEGIN { exit !(b - a >= 40) }'; then
		fail metrics_move "decoder.pkts did not move by 40: $(val "$WORK/p1" weir_decoder_pkts_total) -> $(val "$WORK/p2" weir_decoder_pkts_total)"
	elif ! awk -v a="$(val "$WORK/p1" 'weir_alerts_total{gid="1"}')" -v b="$(val "$WORK/p2" 'weir_alerts_total{gid="1"}')" \
		'BEGIN { exit !(b - a == 1) }'; then
		fail metrics_move "alerts{gid=1} did not move by 1"
	elif ! awk -v b="$(val "$WORK/p2" weir_flows_active)" 'BEGIN { exit !(b >= 1) }'; then
		fail metrics_move "no active flow"
	else
		pass metrics_move
	fi
}

test_metrics_healthz() {
	local ok nf
	start_or_fail metrics_healthz || return
	ok=$(node curl -sS --max-time 5 -w ' %{http_code}' "http://$ADDR/healthz")
	nf=$(node curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "http://$ADDR/nothing")
	weir_stop
	if [ "$ok" != "ok
 200" ]; then
		fail metrics_healthz "/healthz answered '$ok'"
	elif [ "$nf" != 404 ]; then
		fail metrics_healthz "/nothing answered $nf, want 404"
	else
		pass metrics_healthz
	fi
}

netns_run_tests
