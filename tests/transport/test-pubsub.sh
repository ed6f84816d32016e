#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Live pub/sub: `weir replay --publish URL` into a real `weir tail`.
#
#   pubsub-<ipc|tcp>:content   tail's lines are byte-identical to the replay's --eve lines
#   pubsub-<ipc|tcp>:seq       seq is 1..N with no gap, one sensor_id, tail reports no loss
#   pubsub-<ipc|tcp>:schema    every line tail printed validates against docs/eve.schema.json
#   pubsub:type-count          --type alert,stats --count 2 prints exactly those and exits
#   pubsub:restart             a second sensor run on the same host is a restart, not loss
#   pubsub:stopped-subscriber  a SIGSTOPped tail does not slow the replay down; after
#                              SIGCONT tail reports the loss from seq gaps, and the
#                              publisher's stats event counts what it can (sent, failures)
#
# Prints PASS/FAIL/SKIP lines (tests/run counts them). Needs `weir tail` and
# `weir replay --publish/--publish-wait`; SKIPs when the binary lacks them.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
WEIR=${WEIR:-$ROOT/.output/bin/weir}
export WEIR_SIGNATURES=${WEIR_SIGNATURES:-$ROOT/signatures}
PY=/usr/bin/python3
CAP=tests/data/pcaps/log4shell-ldap-user-agent-ev0.pcap
TMP=$(mktemp -d /tmp/weir-transport-XXXXXX)
TAIL_PID=

cleanup() {
	[ -n "$TAIL_PID" ] && kill -CONT "$TAIL_PID" 2>/dev/null && kill "$TAIL_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

ALL="pubsub-ipc pubsub-tcp pubsub:type-count pubsub:restart pubsub:stopped-subscriber"
if ! "$WEIR" tail --help >/dev/null 2>&1 ||
   ! "$WEIR" replay --help 2>/dev/null | grep -q -- '--publish-wait'; then
	for t in $ALL; do skip "$t" "$WEIR has no 'tail' or 'replay --publish-wait' yet"; done
	exit 0
fi

# A free TCP port on loopback (the kernel picks one; nanomsg cannot bind :0).
free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_tail() { # out err args...
	local out=$1 err=$2; shift 2
	"$WEIR" tail "$@" >"$out" 2>"$err" &
	TAIL_PID=$!
}

stop_tail() {
	kill -INT "$TAIL_PID" 2>/dev/null
	wait "$TAIL_PID" 2>/dev/null
	TAIL_PID=
}

# seq check: one sensor_id, seq 1..N in order. Prints "ok N" or the problem.
seq_check() {
	$PY - "$1" <<'EOF'
import json, sys
ids, seqs = set(), []
for line in open(sys.argv[1]):
    e = json.loads(line)
    ids.add(e.get("sensor_id"))
    seqs.append(e.get("seq"))
if len(ids) != 1:
    print("sensor_ids: %s" % sorted(map(str, ids)))
elif seqs != list(range(1, len(seqs) + 1)):
    bad = next(i for i, s in enumerate(seqs) if s != i + 1)
    print("seq %s at line %d, expected %d" % (seqs[bad], bad + 1, bad + 1))
else:
    print("ok %d" % len(seqs))
EOF
}

live() { # name url
	local name=$1 url=$2 d=$TMP/$1 rc res
	mkdir -p "$d"
	start_tail "$d/tail.out" "$d/tail.err" "$url"
	"$WEIR" replay --quiet --eve "$d/eve.json" --publish "$url" --publish-wait 5000 \
		"$CAP" tests/data/pcaps/eastwest-mix.pcap 2>"$d/replay.err"
	rc=$?
	sleep 0.3
	stop_tail
	if [ $rc -ne 0 ]; then
		fail "$name:content" "replay exit $rc: $(head -n 1 "$d/replay.err")"
		return
	fi
	if [ ! -s "$d/eve.json" ]; then
		fail "$name:content" "replay wrote no events"
	elif cmp -s "$d/eve.json" "$d/tail.out"; then
		pass "$name:content"
	else
		fail "$name:content" "tail printed $(wc -l <"$d/tail.out") lines, --eve has $(wc -l <"$d/eve.json"); first difference: $(cmp "$d/eve.json" "$d/tail.out" 2>&1 | head -n 1)"
	fi
	res=$(seq_check "$d/tail.out" 2>&1)
	if [ "${res%% *}" != ok ]; then
		fail "$name:seq" "$res"
	elif ! grep -q 'missed 0, garbage 0, restarts 0, sensors 1' "$d/tail.err"; then
		fail "$name:seq" "tail summary: $(tail -n 1 "$d/tail.err")"
	else
		pass "$name:seq"
	fi
	if tests/tools/validate-eve.py "$d/tail.out" 2>"$d/validate.err"; then
		pass "$name:schema"
	else
		fail "$name:schema" "$(tail -n 1 "$d/validate.err")"
	fi
}

live pubsub-ipc "ipc://$TMP/events.ipc"
live pubsub-tcp "tcp://127.0.0.1:$(free_port)"

# --type and --count: the log4shell capture has one alert and one stats event.
t=pubsub:type-count
url="ipc://$TMP/tc.ipc"
start_tail "$TMP/tc.out" "$TMP/tc.err" --type alert,stats --count 2 "$url"
"$WEIR" replay --quiet --eve /dev/null --publish "$url" --publish-wait 5000 "$CAP" 2>/dev/null
for _ in $(seq 50); do kill -0 "$TAIL_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$TAIL_PID" 2>/dev/null; then
	fail $t "tail still running after --count 2 events"
	stop_tail
else
	wait "$TAIL_PID"
	rc=$?
	TAIL_PID=
	types=$($PY -c 'import json,sys; print(",".join(json.loads(l)["event_type"] for l in open(sys.argv[1])))' "$TMP/tc.out" 2>&1)
	if [ $rc -eq 0 ] && [ "$types" = "alert,stats" ]; then
		pass $t
	else
		fail $t "exit $rc, printed types '$types'"
	fi
fi

# Two sensor runs on one host, one tail: a restart, no loss.
t=pubsub:restart
url="ipc://$TMP/rs.ipc"
start_tail "$TMP/rs.out" "$TMP/rs.err" "$url"
for _ in 1 2; do
	"$WEIR" replay --quiet --host node-a --eve /dev/null --publish "$url" --publish-wait 5000 \
		"$CAP" 2>/dev/null
done
sleep 0.3
stop_tail
if grep -q 'missed 0, garbage 0, restarts 1, sensors 2' "$TMP/rs.err" &&
   [ "$(wc -l <"$TMP/rs.out")" -eq 44 ]; then
	pass $t
else
	fail $t "$(wc -l <"$TMP/rs.out") lines (want 44); $(tail -n 1 "$TMP/rs.err")"
fi

# A stopped subscriber: 50000 flow events (about 15 MB of msgpack, more than
# the 8 MiB send buffer plus the socket's), all emitted at the end of the
# capture, into a tail that connected and was then SIGSTOPped. The replay
# must take about as long as with nobody listening. nanomsg's PUB drops for
# that subscriber without telling the publisher, so the publisher's stats
# show every event sent and no failure; the loss shows at the subscriber
# (received < events). What was already buffered for the stopped subscriber
# is lost too once the replay exits: nanomsg keeps received data per pipe
# and discards it when the peer closes. A gap *report* needs events after
# the subscriber resumes: test-tail-gaps.sh covers that with a steady
# publisher.
t=pubsub:stopped-subscriber
$PY tests/transport/gen-udp-flows.py 50000 "$TMP/flows.pcap"
path=$TMP/st.ipc
url="ipc://$path"
now() { date +%s.%N; }
t0=$(now)
"$WEIR" replay --quiet --no-detect --eve "$TMP/st-base.json" --publish "$url" \
	--publish-wait 0 "$TMP/flows.pcap" 2>/dev/null
base=$(echo "$t0 $(now)" | awk '{ printf "%.3f", $2 - $1 }')
start_tail "$TMP/st.out" "$TMP/st.err" "$url"
t0=$(now)
"$WEIR" replay --quiet --no-detect --eve "$TMP/st.json" --publish "$url" \
	--publish-wait 10000 "$TMP/flows.pcap" 2>/dev/null &
rpid=$!
# connected: the listening socket and the accepted one both show the path
for _ in $(seq 1000); do
	[ "$(grep -c -- "$path" /proc/net/unix)" -ge 2 ] && break
	sleep 0.005
done
sleep 0.05 # the SP handshake, so the pipe is in the PUB set
kill -STOP "$TAIL_PID"
wait $rpid
stopped=$(echo "$t0 $(now)" | awk '{ printf "%.3f", $2 - $1 }')
kill -CONT "$TAIL_PID"
sleep 1
stop_tail
n=$(grep -c . "$TMP/st.json")
summary=$(tail -n 1 "$TMP/st.err")
recv=$(echo "$summary" | sed -n 's/.*received \([0-9]*\),.*/\1/p')
pubstats=$(grep '"event_type":"stats"' "$TMP/st.json" | $PY -c 'import json,sys; p=json.loads(sys.stdin.read())["stats"]["output"]["publish"]; print(p["sent"], p["send_failed"], p["no_subscriber"])')
read -r sent sfail nosub <<<"$pubstats"
slow=$(echo "$base $stopped" | awk '{ print ($2 > 2 * $1 + 1.0) ? 1 : 0 }')
res=$(seq_check "$TMP/st.out" 2>&1)
if [ -z "${recv:-}" ] || [ -z "${sent:-}" ]; then
	fail $t "no summary from tail ('$summary') or no publisher stats ('$pubstats')"
elif [ "$slow" -ne 0 ]; then
	fail $t "replay took ${stopped}s with a stopped subscriber, ${base}s without"
elif [ "$recv" -ge "$n" ]; then
	fail $t "the stopped subscriber got all $n events: the test did not overflow its buffers"
elif [ "$recv" -gt 0 ] && [ "${res%% *}" != ok ]; then
	fail $t "what the subscriber got is not seq 1..$recv: $res"
elif [ "$sent" -ne $((n - 1)) ] || [ "$sfail" -ne 0 ] || [ "$nosub" -ne 0 ]; then
	fail $t "$n events; publisher sent $sent, send_failed $sfail, no_subscriber $nosub"
else
	pass $t
	echo "NOTE $t: replay ${base}s alone, ${stopped}s with a stopped subscriber (incl. its connect); $n events, the subscriber got $recv; publisher: sent $sent, send_failed $sfail"
fi
