#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Validate Weir EVE JSON lines (stdin, or files) against docs/eve.schema.json.

Usage: weir replay --eve - x.pcap | tests/tools/validate-eve.py [--min N] [FILE...]

Every line must be one JSON object valid under the schema (draft 2020-12,
formats ipv4/ipv6 checked). Prints each bad line's number and the reasons on
stderr, then a summary "validate-eve: N lines, N valid, N invalid" with the
count per event_type. Exit 0 when every line is valid and there are at least
--min lines (default 1), 1 otherwise, 2 on usage errors.

Runs with Debian's python3-jsonschema (>= 4.0), hence /usr/bin/python3.
"""
import argparse
import collections
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    sys.stderr.write("validate-eve: needs python3-jsonschema (apt-get install python3-jsonschema)\n")
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "..", "docs", "eve.schema.json")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", help="EVE files (default: stdin)")
    ap.add_argument("--schema", default=SCHEMA, help="schema path (default: docs/eve.schema.json)")
    ap.add_argument("--min", type=int, default=1, help="fewest lines accepted (default 1)")
    ap.add_argument("--max-errors", type=int, default=20, help="bad lines reported in full")
    args = ap.parse_args()

    with open(args.schema, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    validator = cls(schema, format_checker=jsonschema.FormatChecker())

    streams = [open(p, encoding="utf-8") for p in args.files] or [sys.stdin]
    total = bad = 0
    types = collections.Counter()
    for stream in streams:
        name = getattr(stream, "name", "<stdin>")
        for lineno, line in enumerate(stream, 1):
            total += 1
            reasons = []
            try:
                ev = json.loads(line)
            except ValueError as e:
                reasons.append("not JSON: %s" % e)
                ev = None
            if ev is not None:
                if not isinstance(ev, dict):
                    reasons.append("not a JSON object")
                else:
                    types[str(ev.get("event_type"))] += 1
                    for err in sorted(validator.iter_errors(ev), key=lambda e: list(e.path)):
                        where = "/".join(str(p) for p in err.absolute_path) or "(line)"
                        reasons.append("%s: %s" % (where, err.message))
            if reasons:
                bad += 1
                if bad <= args.max_errors:
                    sys.stderr.write("%s:%d: invalid EVE line\n" % (name, lineno))
                    for r in reasons:
                        sys.stderr.write("    %s\n" % r)
    summary = ", ".join("%s %d" % kv for kv in sorted(types.items()))
    sys.stderr.write("validate-eve: %d lines, %d valid, %d invalid (%s)\n"
                     % (total, total - bad, bad, summary or "no events"))
    if total < args.min:
        sys.stderr.write("validate-eve: expected at least %d lines\n" % args.min)
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
