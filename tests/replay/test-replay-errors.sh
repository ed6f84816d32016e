#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `weir replay` on bad input: each case must end with a non-zero exit and one
# line on stderr naming the problem (DESIGN.md §6), except a truncated capture,
# which is replayed up to the cut: one line that says "truncated", and the same
# flow events as a clean file holding only the complete records. Its exit
# status may be 0 (a warning) or 1 (`weir replay --help`: "1 on bad input ...
# truncated capture"); anything else (a crash) fails. Prints PASS/FAIL per
# case; exits 1 if any failed.
#
#   tests/replay/test-replay-errors.sh        (WEIR=path/to/weir to override)
set -u
cd "$(dirname "$0")/../.."
WEIR=${WEIR:-$PWD/.output/bin/weir}
# a weir built outside the tree (sanitizer builds) finds the bundled rules here
[ -d signatures ] && export WEIR_SIGNATURES=${WEIR_SIGNATURES:-$PWD/signatures}
MIX=tests/data/pcaps/eastwest-mix.pcap
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failed=0

pass() { echo "PASS replay-errors:$1"; }
fail() { echo "FAIL replay-errors:$1: $2"; failed=1; }

if [ ! -x "$WEIR" ]; then
	fail build "$WEIR is not an executable (run make)"
	exit 1
fi

# run_weir ARGS... : stdout to $TMP/out, stderr to $TMP/err, status in $rc
run_weir() {
	timeout 60 "$WEIR" replay "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

# A bad-input case: non-zero exit (not a crash or a timeout) and exactly one
# non-empty stderr line. argp adds a "Try `weir replay --help'" hint after a
# usage error; that second line is allowed for the unknown-option case only.
expect_error() { # name allow_hint args...
	local name=$1 hint=$2 lines first
	shift 2
	run_weir "$@"
	lines=$(grep -c . "$TMP/err")
	first=$(head -n 1 "$TMP/err")
	if [ "$hint" = hint ] && [ "$lines" -eq 2 ] && sed -n 2p "$TMP/err" | grep -q '^Try '; then
		lines=1
	fi
	if [ $rc -eq 0 ]; then
		fail "$name" "exit 0, expected non-zero (stderr: ${first:-empty})"
	elif [ $rc -ge 124 ]; then
		fail "$name" "exit $rc: timeout or killed by a signal"
	elif [ "$lines" -ne 1 ]; then
		fail "$name" "$lines lines on stderr, expected 1: $(head -c 300 "$TMP/err" | tr '\n' '|')"
	else
		pass "$name"
	fi
}

expect_error missing-file no --quiet --eve - "$TMP/no-such-file.pcap"

cp tests/data/pcaps/SOURCE.txt "$TMP/not-a-capture.pcap"
expect_error not-a-capture no --quiet --eve - "$TMP/not-a-capture.pcap"

: >"$TMP/empty.pcap"
expect_error empty-file no --quiet --eve - "$TMP/empty.pcap"

head -c 10 "$MIX" >"$TMP/short-header.pcap"
expect_error header-cut-short no --quiet --eve - "$TMP/short-header.pcap"

expect_error unknown-option hint --quiet --no-such-option --eve - "$MIX"

# Cut the capture inside record 151: records 1-150 are whole. prefix.pcap holds
# exactly those 150 records, so both files must give the same flow events.
/usr/bin/python3 - "$MIX" "$TMP/prefix.pcap" "$TMP/truncated.pcap" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
off = 24
for _ in range(150):
    off += 16 + struct.unpack_from("<I", data, off + 8)[0]
cap = struct.unpack_from("<I", data, off + 8)[0]
open(sys.argv[2], "wb").write(data[:off])
open(sys.argv[3], "wb").write(data[:off + 16 + cap // 2])
EOF

# flow events as canonical JSON lines, sorted (line order may differ)
flows_of() {
	/usr/bin/python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin if l.strip()]
for e in sorted(json.dumps(e, sort_keys=True) for e in ev if e.get("event_type") == "flow"):
    print(e)' <"$1"
}

run_weir --quiet --eve - "$TMP/prefix.pcap"
if [ $rc -ne 0 ]; then
	fail truncated-capture "the untruncated prefix failed: exit $rc: $(head -n 1 "$TMP/err")"
else
	flows_of "$TMP/out" >"$TMP/want" 2>/dev/null
	run_weir --quiet --eve - "$TMP/truncated.pcap"
	flows_of "$TMP/out" >"$TMP/got" 2>/dev/null
	nwant=$(grep -c . "$TMP/want")
	if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
		fail truncated-capture "exit $rc, expected 0 or 1: $(head -n 1 "$TMP/err")"
	elif ! grep -qi truncated "$TMP/err"; then
		fail truncated-capture "stderr does not mention \"truncated\": $(head -c 200 "$TMP/err")"
	elif [ "$(grep -c . "$TMP/err")" -ne 1 ]; then
		fail truncated-capture "$(grep -c . "$TMP/err") lines on stderr, expected 1"
	elif [ "$nwant" -eq 0 ]; then
		fail truncated-capture "no flow events from the 150 whole records"
	elif ! cmp -s "$TMP/want" "$TMP/got"; then
		fail truncated-capture "flow events differ from the clean prefix's ($(grep -c . "$TMP/got") vs $nwant)"
	else
		pass truncated-capture
	fi
fi

# A capture with a header and no packets is valid: exit 0, no flow events.
head -c 24 "$MIX" >"$TMP/no-packets.pcap"
run_weir --quiet --eve - "$TMP/no-packets.pcap"
if [ $rc -ne 0 ]; then
	fail no-packets "exit $rc, expected 0: $(head -n 1 "$TMP/err")"
elif grep -q '"event_type": *"flow"' "$TMP/out"; then
	fail no-packets "flow events from a capture without packets"
else
	pass no-packets
fi

exit $failed
