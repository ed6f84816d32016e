#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `weir tail` against a steady publisher (bench_pubsub --publish-only: the
# sensor's own output_pub_send() at 50k alert events/s), stopped with SIGSTOP
# for 1.5 s in the middle: about 75k events (30 MB) arrive while it sleeps,
# far more than the 8 MiB buffers hold, so nanomsg drops some for it.
#
#   tail-gaps:reported    stderr names the missing seq ranges as they happen
#   tail-gaps:accounting  printed + missed == last seq - first seq + 1, and
#                         the summary's missed equals the sum of the ranges
#   tail-gaps:order       the printed seqs are strictly increasing
#
# Prints PASS/FAIL/SKIP lines; SKIPs without `weir tail` or bench_pubsub.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
WEIR=${WEIR:-$ROOT/.output/bin/weir}
BENCH=${BENCH_PUBSUB:-$ROOT/.output/bin/bench_pubsub}
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/weir-tail-gaps-XXXXXX)
TAIL_PID= PUB_PID=

cleanup() {
	[ -n "$TAIL_PID" ] && kill -CONT "$TAIL_PID" 2>/dev/null && kill "$TAIL_PID" 2>/dev/null
	[ -n "$PUB_PID" ] && kill "$PUB_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ALL="tail-gaps:reported tail-gaps:accounting tail-gaps:order"
if ! "$WEIR" tail --help >/dev/null 2>&1 || [ ! -x "$BENCH" ]; then
	for t in $ALL; do echo "SKIP $t: needs '$WEIR tail' and $BENCH (make bench)"; done
	exit 0
fi

url="ipc://$TMP/ev.ipc"
"$WEIR" tail "$url" >"$TMP/tail.out" 2>"$TMP/tail.err" &
TAIL_PID=$!
"$BENCH" --publish-only --url "$url" --rate 50000 --seconds 4 2>"$TMP/pub.err" &
PUB_PID=$!
# running: tail has printed something (it flushes every 100 ms)
for _ in $(seq 500); do
	[ -s "$TMP/tail.out" ] && break
	sleep 0.01
done
kill -STOP "$TAIL_PID"
sleep 1.5
kill -CONT "$TAIL_PID"
wait "$PUB_PID"
PUB_PID=
sleep 0.5
kill -INT "$TAIL_PID"
wait "$TAIL_PID"
TAIL_PID=

$PY - "$TMP/tail.out" "$TMP/tail.err" <<'EOF'
import json, re, sys
seqs = [json.loads(l)["seq"] for l in open(sys.argv[1])]
err = open(sys.argv[2]).read()
ranges = [(int(a), int(b), int(n)) for n, a, b in
          re.findall(r"sensor \S+: (\d+) events missed \(seq (\d+)\.\.(\d+)\)", err)]
m = re.search(r"received (\d+), printed (\d+), missed (\d+), garbage (\d+), restarts (\d+)", err)
if not seqs or not m:
    for t in ("reported", "accounting", "order"):
        print("FAIL tail-gaps:%s: no events printed or no summary (%s)" % (t, err.strip()[-200:]))
    sys.exit(0)
recv, printed, missed = int(m.group(1)), int(m.group(2)), int(m.group(3))
ok = bool(ranges) and all(b - a + 1 == n for a, b, n in ranges)
print("PASS tail-gaps:reported" if ok else
      "FAIL tail-gaps:reported: gap lines %r (printed %d events)" % (ranges[:3], len(seqs)))
span = seqs[-1] - seqs[0] + 1
ok = missed > 0 and len(seqs) == printed and printed + missed == span and \
    missed == sum(n for _, _, n in ranges)
print("PASS tail-gaps:accounting" if ok else
      "FAIL tail-gaps:accounting: printed %d + missed %d vs seq span %d..%d (%d); ranges sum %d"
      % (printed, missed, seqs[0], seqs[-1], span, sum(n for _, _, n in ranges)))
ok = all(a < b for a, b in zip(seqs, seqs[1:]))
print("PASS tail-gaps:order" if ok else "FAIL tail-gaps:order: seq not increasing")
print("NOTE tail-gaps: printed %d, missed %d in %d ranges, received %d" % (printed, missed, len(ranges), recv))
EOF
