#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Run `weir replay` over Suricata verification cases and compare alerts.

A case is a directory with test.rules, one pcap/pcapng and expected.json
(`alert_checks`: a list of {match: {dotted.field: value}, count: N}). For each
case this runs

    WEIR replay --rules CASE/test.rules --eve - CASE/<pcap>

and evaluates every check the way Suricata's verification suite does: the number
of alert events matching all fields of a check must equal its count. Fields
about output format rather than detection (raw packet bytes, link type, MACs,
the stream flag) are dropped from a check, which then requires at least that
many matching alerts. Same logic as ../shared/tools/corpus-check.

Usage: run-corpus.py [--weir PATH] [--timeout S] [--verbose] DIR_OR_CASE...
Prints "PASS name" or "FAIL name: why" per case and "N passed, N failed".
Exit 0 when all pass, 1 when one fails, 2 when no case is found.
"""
import argparse
import glob
import json
import os
import subprocess
import sys

FORMAT_KEYS = ("packet", "packet_info.", "ether.", "stream", "packet.__len")


def is_format_key(key):
    return any(key == k or key.startswith(k) for k in FORMAT_KEYS)


def lookup(event, dotted):
    cur = event
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def same(actual, want):
    if actual is None:
        return False
    if isinstance(want, bool) or isinstance(actual, bool):
        return actual == want
    if isinstance(want, (int, float)) and not isinstance(actual, str):
        return actual == want
    return str(actual) == str(want)


def find_cases(paths):
    cases = []
    for p in paths:
        if os.path.isfile(os.path.join(p, "expected.json")):
            cases.append(p)
        else:
            cases.extend(sorted(os.path.dirname(e) for e in
                                glob.glob(os.path.join(p, "*", "expected.json"))))
    return cases


def pcap_of(case, expected):
    name = expected.get("pcap")
    if name and os.path.exists(os.path.join(case, name)):
        return os.path.join(case, name)
    found = sorted(glob.glob(os.path.join(case, "*.pcap")) +
                   glob.glob(os.path.join(case, "*.pcapng")))
    return found[0] if found else None


def run_weir(weir, case, pcap, timeout):
    """Return (alerts, error)."""
    cmd = [weir, "replay", "--rules", os.path.join(case, "test.rules"), "--eve", "-", pcap]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, text=True)
    except subprocess.TimeoutExpired:
        return None, "timed out after %ss" % timeout
    except OSError as e:
        return None, "cannot run %s: %s" % (weir, e)
    if proc.returncode != 0:
        err = (proc.stderr.strip().splitlines() or ["(no stderr)"])[-1]
        return None, "exit %d: %s" % (proc.returncode, err[:200])
    alerts = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            return None, "not JSON on stdout: %r" % line[:80]
        if ev.get("event_type") == "alert":
            alerts.append(ev)
    return alerts, None


def check_case(case, weir, timeout, verbose):
    with open(os.path.join(case, "expected.json")) as f:
        expected = json.load(f)
    pcap = pcap_of(case, expected)
    if pcap is None:
        return False, "no pcap in case"
    alerts, err = run_weir(weir, case, pcap, timeout)
    if err:
        return False, err
    problems = []
    for check in expected.get("alert_checks", []):
        if "match" in check:
            match = {k: v for k, v in check["match"].items() if not is_format_key(k)}
            at_least = len(match) != len(check["match"])
            got = sum(1 for ev in alerts
                      if all(same(lookup(ev, k), v) for k, v in match.items()))
            want = check["count"]
            if not (got >= want if at_least else got == want):
                problems.append("%s: want %s%d, got %d" % (
                    json.dumps(match, sort_keys=True), ">=" if at_least else "", want, got))
        elif check.get("kind") == "exact" and "expect" in check:
            if len(alerts) != check["expect"]:
                problems.append("total alerts: want %d, got %d" % (check["expect"], len(alerts)))
    if verbose and problems:
        sids = {}
        for ev in alerts:
            sid = lookup(ev, "alert.signature_id")
            sids[sid] = sids.get(sid, 0) + 1
        problems.append("alerts by sid: %s" % json.dumps(sids, sort_keys=True))
    return not problems, "; ".join(problems)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weir", default=os.environ.get("WEIR", ".output/bin/weir"))
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    cases = find_cases(args.paths)
    if not cases:
        print("no cases found under: %s" % " ".join(args.paths), file=sys.stderr)
        return 2
    passed = failed = 0
    for case in cases:
        ok, why = check_case(case, args.weir, args.timeout, args.verbose)
        name = os.path.basename(os.path.normpath(case))
        if ok:
            passed += 1
            print("PASS %s" % name)
        else:
            failed += 1
            print("FAIL %s: %s" % (name, why))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
