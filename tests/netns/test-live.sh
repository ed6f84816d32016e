#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End to end with the real `weir run` in a namespace "node": pods on a bridge,
# real traffic between them, alerts and flows checked in the EVE output, and
# traffic checked to pass intact. Needs root.
set -u
. "$(dirname "$0")/lib.sh"

ALL_TESTS="test_signature_between_pods test_ping_udp_flows test_tcpreplay_into_pod
test_new_pod_covered test_delete_veth_under_traffic test_file_intact test_kill9_restart
test_sigterm_detaches test_sighup_reload test_publish_tail"

RULES=$WORK/test.rules
cat >"$RULES" <<'R'
alert tcp any any -> any 8080 (msg:"WEIR TEST marker to 8080"; flow:established,to_server; content:"WEIR-TEST-ATTACK"; sid:9990001; rev:1;)
alert udp any any -> any 5353 (msg:"WEIR TEST udp marker"; content:"WEIR-UDP"; sid:9990002; rev:1;)
alert tcp any any -> any any (msg:"WEIR TEST user agent"; flow:established,to_server; content:"User-Agent|3a|"; sid:9990003; rev:1;)
R

netns_init
pod_add a 11
pod_add b 12
pod_add c 13

# Count Weir's TC filters and XDP programs on the node's interfaces.
tc_filters() { # dev
	node tc filter show dev "$1" ingress 2>/dev/null | grep -c "handle 0x5745" ;
}
tc_filters_all() {
	local n=0 d
	for d in $(node ls /sys/class/net); do
		n=$((n + $(node tc filter show dev "$d" ingress 2>/dev/null | grep -c "handle 0x5745")))
		n=$((n + $(node tc filter show dev "$d" egress 2>/dev/null | grep -c "handle 0x5745")))
	done
	echo $n
}

start_or_fail() {
	if ! weir_start --rules "$RULES" -v "$@"; then
		fail "$1" "weir run did not start: $(tail -n 3 "$WORK/weir.err")"
		return 1
	fi
}

test_signature_between_pods() {
	start_or_fail || return
	pod b socat -u TCP-LISTEN:8080,reuseaddr OPEN:/dev/null &
	local srv=$!
	sleep 0.3
	printf 'GET /x HTTP/1.1\r\nX: WEIR-TEST-ATTACK\r\n\r\n' | pod a socat -u - TCP:10.244.1.12:8080
	wait $srv 2>/dev/null
	if ! wait_eve 'e["event_type"]=="alert" and e["alert"]["signature_id"]==9990001' 1 5; then
		fail signature_between_pods "no alert 9990001 in EVE"
	elif [ "$(eve_count 'e["event_type"]=="alert" and e["alert"]["signature_id"]==9990001 and e["src_ip"]=="10.244.1.11" and e["dest_ip"]=="10.244.1.12" and e["dest_port"]==8080 and e["direction"]=="to_server" and e["proto"]=="TCP"')" -ne 1 ]; then
		fail signature_between_pods "alert tuple/direction wrong or duplicated: $(grep 9990001 "$WORK/eve.json" | head -c 600)"
	else
		pass signature_between_pods
	fi
	weir_stop
}

test_ping_udp_flows() {
	start_or_fail || return
	pod a ping -c 3 -i 0.2 -q 10.244.1.13 >/dev/null
	pod c socat -u UDP-RECV:5353 OPEN:/dev/null &
	local srv=$!
	sleep 0.3
	echo "WEIR-UDP hello" | pod a socat -u - UDP:10.244.1.13:5353
	sleep 1
	kill $srv 2>/dev/null
	weir_stop
	local icmp udp
	icmp=$(eve_count 'e["event_type"]=="flow" and e["proto"]=="ICMP" and e["src_ip"]=="10.244.1.11" and e["flow"]["pkts_toserver"]==3 and e["flow"]["pkts_toclient"]==3')
	udp=$(eve_count 'e["event_type"]=="alert" and e["alert"]["signature_id"]==9990002 and e["dest_port"]==5353')
	if [ "$icmp" -ne 1 ]; then
		fail ping_udp_flows "expected 1 ICMP flow 3/3 packets, got $icmp: $(grep ICMP "$WORK/eve.json" | head -c 500)"
	elif [ "$udp" -ne 1 ]; then
		fail ping_udp_flows "expected 1 UDP alert, got $udp"
	else
		pass ping_udp_flows
	fi
}

test_tcpreplay_into_pod() {
	local pcap
	pcap=$(dirname "$0")/../data/pcaps/log4shell-ldap-user-agent-ev0.pcap
	start_or_fail || return
	pod a tcpreplay -q -i eth0 "$pcap" >/dev/null 2>&1
	# The capture holds 10 HTTP requests; `weir replay` raises 10 alerts on it.
	if ! wait_eve 'e["event_type"]=="alert" and e["alert"]["signature_id"]==9990003' 10 5; then
		fail tcpreplay_into_pod "$(eve_count 'e["event_type"]=="alert"') alerts from the replayed capture, want 10"
	elif [ "$(eve_count 'e["event_type"]=="alert" and e["alert"]["signature_id"]==9990003')" -ne 10 ]; then
		fail tcpreplay_into_pod "$(eve_count 'e["event_type"]=="alert" and e["alert"]["signature_id"]==9990003') alerts, want exactly 10 (each packet once per node)"
	else
		pass tcpreplay_into_pod
	fi
	weir_stop
}

test_new_pod_covered() {
	start_or_fail || return
	pod_add d 14
	sleep 1
	pod d socat -u TCP-LISTEN:8080,reuseaddr OPEN:/dev/null &
	local srv=$!
	sleep 0.2
	printf 'WEIR-TEST-ATTACK\n' | pod a socat -u - TCP:10.244.1.14:8080
	wait $srv 2>/dev/null
	if wait_eve 'e["event_type"]=="alert" and e["dest_ip"]=="10.244.1.14"' 1 5; then
		pass new_pod_covered
	else
		fail new_pod_covered "no alert for the pod created after start: $(grep -c . "$WORK/eve.json") lines; $(tail -n 2 "$WORK/weir.err")"
	fi
	weir_stop
	pod_del d
}

test_delete_veth_under_traffic() {
	pod_add e 15
	start_or_fail || return
	pod a ping -i 0.01 -c 300 -q 10.244.1.15 >/dev/null 2>&1 &
	local pinger=$!
	sleep 0.5
	pod_del e
	wait $pinger 2>/dev/null
	sleep 0.5
	if ! kill -0 "$WEIR_PID" 2>/dev/null; then
		fail delete_veth_under_traffic "weir exited: $(tail -n 3 "$WORK/weir.err")"
		return
	fi
	weir_stop
	local rc=$?
	if [ $rc -ne 0 ]; then
		fail delete_veth_under_traffic "exit $rc after SIGTERM"
	elif grep -qiE "error|warning" "$WORK/weir.err"; then
		fail delete_veth_under_traffic "diagnostics: $(grep -iE 'error|warning' "$WORK/weir.err" | head -n 2)"
	else
		pass delete_veth_under_traffic
	fi
}

test_file_intact() {
	head -c 8000000 /dev/urandom >"$WORK/blob"
	start_or_fail || return
	pod b socat -u TCP-LISTEN:9000,reuseaddr "OPEN:$WORK/blob.recv,creat,trunc" &
	local srv=$!
	sleep 0.3
	pod a socat -u "OPEN:$WORK/blob" TCP:10.244.1.12:9000
	wait $srv 2>/dev/null
	weir_stop
	if cmp -s "$WORK/blob" "$WORK/blob.recv"; then
		local f
		f=$(eve_count 'e["event_type"]=="flow" and e.get("dest_port")==9000 and e["flow"]["bytes_toserver"]>8000000')
		if [ "$f" -eq 1 ]; then
			pass file_intact
		else
			fail file_intact "file intact but flow event missing or undercounted ($f)"
		fi
	else
		fail file_intact "received file differs ($(stat -c %s "$WORK/blob.recv" 2>/dev/null) bytes)"
	fi
}

test_kill9_restart() {
	start_or_fail || return
	weir_stop KILL
	start_or_fail || return
	local n
	n=$(tc_filters_all)
	# 3 pods (a, b, c) x ingress + egress = 6 filters, one set.
	if [ "$n" -eq 6 ]; then
		pass kill9_restart
	else
		fail kill9_restart "expected 6 Weir TC filters after restart, found $n"
	fi
	weir_stop
}

test_sigterm_detaches() {
	start_or_fail || return
	weir_stop TERM
	local rc=$? n
	n=$(tc_filters_all)
	if [ $rc -ne 0 ]; then
		fail sigterm_detaches "exit $rc"
	elif [ "$n" -ne 0 ]; then
		fail sigterm_detaches "$n Weir TC filters left after SIGTERM"
	elif node ip -d link show | grep -q "prog/xdp"; then
		fail sigterm_detaches "an XDP program is still attached"
	else
		pass sigterm_detaches
	fi
}

test_sighup_reload() {
	start_or_fail || return
	kill -HUP "$WEIR_PID"
	sleep 1
	if grep -q "rules reloaded" "$WORK/weir.err" && kill -0 "$WEIR_PID"; then
		pass sighup_reload
	else
		fail sighup_reload "no reload message: $(tail -n 2 "$WORK/weir.err")"
	fi
	weir_stop
}

# weir run --publish: a real `weir tail` subscriber gets the same alert line as the EVE file.
test_publish_tail() {
	local url="ipc://$WORK/events.ipc"
	start_or_fail --publish "$url" || return
	"$WEIR" tail --type alert --count 1 "$url" >"$WORK/tail.out" 2>"$WORK/tail.err" &
	local tailer=$!
	sleep 0.5
	pod b socat -u TCP-LISTEN:8080,reuseaddr OPEN:/dev/null &
	local srv=$!
	sleep 0.3
	printf 'WEIR-TEST-ATTACK\n' | pod a socat -u - TCP:10.244.1.12:8080
	wait $srv 2>/dev/null
	local i
	for i in $(seq 1 50); do
		kill -0 $tailer 2>/dev/null || break
		sleep 0.1
	done
	kill $tailer 2>/dev/null
	wait $tailer 2>/dev/null
	weir_stop
	local line
	line=$(grep '"event_type":"alert"' "$WORK/eve.json" | head -n 1)
	if [ ! -s "$WORK/tail.out" ]; then
		fail publish_tail "weir tail received nothing: $(tail -n 2 "$WORK/tail.err")"
	elif [ "$(head -n 1 "$WORK/tail.out")" != "$line" ]; then
		fail publish_tail "tail line differs from the EVE line: $(head -c 300 "$WORK/tail.out")"
	elif ! grep -q '"seq":' "$WORK/tail.out"; then
		fail publish_tail "no seq in the published event"
	else
		pass publish_tail
	fi
}

netns_run_tests
