#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `weir run -c FILE`: settings from YAML are applied (the sensor runs with them,
# the command line wins), and every bad file gives one "file:line: reason"
# error and a non-zero exit before anything is loaded. Needs root for the
# good case (the sensor really starts).
set -u
. "$(dirname "$0")/lib.sh"

ALL_TESTS="test_bad_key test_bad_value test_bad_yaml test_missing_file test_shipped_example
test_good_file"

expect_error() { # name file pattern
	local rc
	"$WEIR" run -c "$2" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	if [ $rc -eq 0 ]; then
		fail "$1" "exit 0 for a bad config"
	elif ! grep -qE "$3" "$WORK/err"; then
		fail "$1" "message does not match /$3/: $(head -c 300 "$WORK/err")"
	else
		pass "$1"
	fi
}

test_bad_key() {
	printf 'workers: 1\nheadbytes: 5\n' >"$WORK/bad.yaml"
	expect_error bad_key "$WORK/bad.yaml" "bad.yaml:2: unknown setting 'headbytes'"
}

test_bad_value() {
	printf 'workers: 1\nhead-bytes: lots\n' >"$WORK/bad.yaml"
	expect_error bad_value "$WORK/bad.yaml" "bad.yaml:2: --head-bytes: bad size 'lots'"
}

test_bad_yaml() {
	printf 'workers: [1\n' >"$WORK/bad.yaml"
	expect_error bad_yaml "$WORK/bad.yaml" "bad.yaml:[0-9]+: "
}

test_missing_file() {
	expect_error missing_file "$WORK/nope.yaml" "nope.yaml: No such file"
}

# deploy/weir.yaml: every key and value is accepted (--help exits 0 after the file).
test_shipped_example() {
	local ex
	ex=$(dirname "$0")/../../deploy/weir.yaml
	if "$WEIR" run -c "$ex" --help >/dev/null 2>"$WORK/err"; then
		pass shipped_example
	else
		fail shipped_example "$(head -n 1 "$WORK/err")"
	fi
}

test_good_file() {
	cat >"$WORK/weir.yaml" <<Y
# a node's settings
workers: 3
no-heur: true
stats-interval: 0
rules:
  - $WORK/a.rules
  - $WORK/b.rules
Y
	echo 'alert tcp any any -> any 8080 (msg:"A"; content:"AAA"; sid:1;)' >"$WORK/a.rules"
	echo 'alert tcp any any -> any 8080 (msg:"B"; content:"BBB"; sid:2;)' >"$WORK/b.rules"
	# --workers on the command line overrides the file's 3.
	if ! weir_start -c "$WORK/weir.yaml" --workers 2 -v; then
		fail good_file "did not start: $(tail -n 2 "$WORK/weir.err")"
		return
	fi
	weir_stop
	if ! grep -q "running: 2 workers" "$WORK/weir.err"; then
		fail good_file "command line did not win: $(grep running "$WORK/weir.err")"
	elif ! grep -q "rules: 2 loaded" "$WORK/weir.err"; then
		fail good_file "rules list from the file not loaded: $(grep rules: "$WORK/weir.err")"
	elif grep -q '"heur"' "$WORK/eve.json" && [ "$(eve_count 'e["event_type"]=="stats" and e["stats"]["heur"]["records"]>0')" -ne 0 ]; then
		fail good_file "no-heur: true not applied"
	else
		pass good_file
	fi
}

netns_init
netns_run_tests
