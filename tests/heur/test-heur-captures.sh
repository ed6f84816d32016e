#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The L4 heuristics on captures: `weir replay --heur` on every capture listed
# in expected.txt (generated attack/benign pairs, and the real scan and brute
# force captures of the shared corpus when present) must raise exactly the
# heuristic alerts listed there, at most once per (sid, source, destination),
# and the same alerts -- same order, times, evidence -- with 1, 2 and 4
# workers. Prints PASS/FAIL/SKIP per check; exits 1 if any failed.
#
#   tests/heur/test-heur-captures.sh    (WEIR=path/to/weir, WEIR_SHARED=dir of corpus/)
set -u
cd "$(dirname "$0")/../.."
WEIR=${WEIR:-$PWD/.output/bin/weir}
SHARED=${WEIR_SHARED:-../shared}
PY=${PYTHON:-python3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failed=0

pass() { echo "PASS heur:$1"; }
fail() { echo "FAIL heur:$1: $2"; failed=1; }
skip() { echo "SKIP heur:$1: $2"; }

if [ ! -x "$WEIR" ]; then
	fail build "$WEIR is not an executable (run make)"
	exit 1
fi

# check NAME PCAP EXPECT ARGS... : counts on 1 worker, identical alerts on 2 and 4.
check() {
	local name=$1 pcap=$2 expect=$3 w got want sid n dup
	shift 3
	for w in 1 2 4; do
		rm -f "$TMP/eve.$w"    # --eve appends
		if ! timeout 120 "$WEIR" replay --quiet --no-detect --heur \
			--services=signatures/services.yaml "$@" --workers "$w" \
			--eve "$TMP/eve.$w" "$pcap" 2>"$TMP/err.$w"; then
			fail "$name" "weir replay --workers $w failed: $(head -c 300 "$TMP/err.$w")"
			return
		fi
		"$PY" tests/heur/heur_alerts.py "$TMP/eve.$w" >"$TMP/alerts.$w" || {
			fail "$name" "cannot read the EVE output of --workers $w"
			return
		}
	done
	# counts by sid, as "sid=count" sorted, against the expectation
	got=$(cut -d' ' -f1 "$TMP/alerts.1" | sort | uniq -c | awk '{print $2"="$1}' | paste -sd, -)
	want=$(tr ',' '\n' <<<"$expect" | grep -v '^-$' | sort | paste -sd, -)
	if [ "$got" != "$want" ]; then
		fail "$name" "alerts ${got:-none}, expected ${want:-none}: $(head -c 400 "$TMP/alerts.1" | tr '\n' '|')"
		return
	fi
	dup=$(cut -d' ' -f1,2,4 "$TMP/alerts.1" | sort | uniq -d | head -n 1)
	if [ -n "$dup" ]; then
		fail "$name" "more than one alert for one incident (sid src dst): $dup"
		return
	fi
	for w in 2 4; do
		if ! cmp -s "$TMP/alerts.1" "$TMP/alerts.$w"; then
			fail "$name" "--workers $w differs from --workers 1: $(diff "$TMP/alerts.1" "$TMP/alerts.$w" | head -n 4 | tr '\n' '|')"
			return
		fi
	done
	cat "$TMP/eve.1" >>"$TMP/all.json"
	pass "$name (${got:-no alerts}; identical for 1, 2, 4 workers)"
}

while read -r file expect args; do
	case $file in
	'' | '#'*) continue ;;
	esac
	args=${args%%#*}
	if [[ $file == corpus/* ]]; then
		pcap=$SHARED/corpus/pcaps/${file#corpus/}
		if [ ! -r "$pcap" ]; then
			skip "$file" "$pcap not found (set WEIR_SHARED)"
			continue
		fi
	else
		pcap=tests/data/pcaps/$file
		if [ ! -r "$pcap" ]; then
			fail "$file" "missing (run tests/heur/gen_heur_pcaps.py)"
			continue
		fi
	fi
	# shellcheck disable=SC2086 # extra arguments are words
	check "$file" "$pcap" "$expect" $args
done <tests/heur/expected.txt

# Heuristic alerts (anomaly object included) follow the EVE schema.
if [ ! -s "$TMP/all.json" ]; then
	skip eve-schema "no EVE output to validate"
elif ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
	skip eve-schema "python3-jsonschema is not installed"
elif /usr/bin/python3 tests/tools/validate-eve.py "$TMP/all.json" >"$TMP/schema" 2>&1; then
	pass "eve-schema ($(tail -n 1 "$TMP/schema"))"
else
	fail eve-schema "$(tail -n 3 "$TMP/schema" | tr '\n' '|')"
fi

# The shipped policy is valid and the defaults need no file.
if "$WEIR" replay --quiet --no-detect --heur --services=signatures/services.yaml \
	--eve /dev/null tests/data/pcaps/heur-service-benign.pcap 2>"$TMP/err"; then
	pass services.yaml
else
	fail services.yaml "$(head -c 300 "$TMP/err")"
fi
exit $failed
