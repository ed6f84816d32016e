#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Tests of Weir's east-west ruleset (signatures/weir-*.rules).

Prints one "PASS name", "FAIL name: why" or "SKIP name: why" line per test
(tests/run counts them); exits 1 if any failed.

- rules-check-*: `weir rules check --strict signatures/` loads every rule;
  each weir-*.rules file follows the ruleset conventions (docs/signatures.md).
- rules-pcaps-reproducible: gen_rules_pcaps.py regenerates the committed
  tests/data/pcaps/rules-*.pcap byte for byte.
- rules-<family>-attack-*: the family's capture raises exactly its sids, each
  once per attacking flow (no repeats on later packets), with 1 or 2 workers;
  rules-<family>-benign-*: the benign capture of the same service raises no
  Weir alert (the false-positive rule is in the name).
- real captures: Log4Shell (Fox-IT), the Fox-IT rules the language supports
  fire as their authors list, PsExec/smbexec from the shared corpus (SKIP when
  ${WEIR_SHARED:-../shared}/corpus/pcaps is absent), and the synthetic
  east-west mix raises nothing.

Only alerts with a Weir sid (9100000-9199999) count: heuristics (own gid) may
alert on the same captures, by design.
"""

import filecmp
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import gen_rules_pcaps as gen  # noqa: E402

WEIR = os.environ.get("WEIR", os.path.join(ROOT, ".output", "bin", "weir"))
SIGS = os.environ.get("WEIR_SIGNATURES", os.path.join(ROOT, "signatures"))
SHARED = os.environ.get("WEIR_SHARED", os.path.join(ROOT, "..", "shared"))
PCAPS = os.path.join(ROOT, "tests", "data", "pcaps")
FOXIT = os.path.join(ROOT, "tests", "data", "rules", "foxit-log4shell-suricata.rules")
# fox-it/log4shell-pcaps README: the sids ldap-user-agent-ev0.pcap raises.
FOXIT_EV0 = {21003732, 21003738, 21003742, 21003750, 21003751}

WEIR_SID_MIN, WEIR_SID_MAX = 9100000, 9199999
# File -> sid range of its family (docs/signatures.md).
FAMILY_RANGES = {
    "weir-docker.rules": (9101000, 9101999),
    "weir-kubelet.rules": (9102000, 9102999),
    "weir-etcd.rules": (9103000, 9103999),
    "weir-redis.rules": (9104000, 9104999),
    "weir-memcached.rules": (9105000, 9105999),
    "weir-rce.rules": (9106000, 9106999),
    "weir-shell.rules": (9107000, 9107999),
    "weir-mining.rules": (9108000, 9108999),
    "weir-lateral.rules": (9109000, 9109999),
    "weir-kerberos.rules": (9110000, 9110999),
    "weir-cloud.rules": (9111000, 9111999),
}
META_KEYS = ("attack_family", "mitre_technique_id", "mitre_tactic", "created_at")

failed = 0


def report(ok, name, why=""):
    global failed
    if ok:
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {why}")
    sys.stdout.flush()


def skip(name, why):
    print(f"SKIP {name}: {why}")


def replay(pcap, rules=(SIGS,), workers=1):
    """Run weir replay; return (exit status, [alert events], stderr)."""
    cmd = [WEIR, "replay", "-q", "--eve", "-", "--workers", str(workers)]
    for r in rules:
        cmd += ["--rules", r]
    p = subprocess.run(cmd + [pcap], capture_output=True, text=True, timeout=120)
    alerts = []
    for line in p.stdout.splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if ev.get("event_type") == "alert":
            alerts.append(ev)
    return p.returncode, alerts, p.stderr


def weir_sids(alerts):
    """Counts of Weir-range sids in @alerts."""
    out = {}
    for a in alerts:
        sid = a["alert"]["signature_id"]
        if WEIR_SID_MIN <= sid <= WEIR_SID_MAX:
            out[sid] = out.get(sid, 0) + 1
    return out


# --- ruleset checks ------------------------------------------------------------

def test_check():
    p = subprocess.run([WEIR, "rules", "check", "--strict", SIGS], capture_output=True,
                       text=True, timeout=120)
    m = re.search(r"(\d+) loaded, (\d+) skipped", p.stdout)
    ok = p.returncode == 0 and m and int(m.group(2)) == 0 and int(m.group(1)) > 0
    report(ok, "rules-check-signatures-zero-errors",
           f"exit {p.returncode}: {(p.stdout + p.stderr).strip()[:400]}")


def classtypes():
    path = os.path.join(SIGS, "classification.config")
    names = set()
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*config classification:\s*([^,\s]+)\s*,", line)
            if m:
                names.add(m.group(1))
    return names


def lint_file(fn, lo, hi, known_cls, seen):
    """Problems of one rules file, as strings."""
    errs = []
    with open(os.path.join(SIGS, fn)) as f:
        lines = f.read().splitlines()
    if not lines or "SPDX-License-Identifier" not in lines[0]:
        errs.append("no SPDX line first")
    n = 0
    for i, line in enumerate(lines):
        if not line.startswith("alert "):
            continue
        n += 1
        where = f"{fn}:{i + 1}"
        sid = re.search(r"[(;]\s*sid:\s*(\d+)\s*;", line)
        sid = int(sid.group(1)) if sid else None
        if sid is None or not lo <= sid <= hi:
            errs.append(f"{where}: sid {sid} outside {lo}-{hi}")
        elif sid in seen:
            errs.append(f"{where}: sid {sid} also in {seen[sid]}")
        else:
            seen[sid] = where
        if not re.search(r'\(msg:"WEIR [A-Z]', line):
            errs.append(f'{where}: msg must come first and start with "WEIR "')
        if not re.search(r";\s*rev:\s*\d+\s*;", line):
            errs.append(f"{where}: no rev")
        cls = re.search(r";\s*classtype:\s*([^;\s]+)\s*;", line)
        if not cls or cls.group(1) not in known_cls:
            errs.append(f"{where}: classtype {cls.group(1) if cls else None} not in "
                        "classification.config")
        meta = " ".join(re.findall(r";\s*metadata:\s*([^;]*);", line))
        for k in META_KEYS:
            if not re.search(rf"(?:^|,)\s*{k}\s+\S", meta):
                errs.append(f"{where}: metadata lacks {k}")
        if not re.search(r"mitre_technique_id\s+T\d{4}(?:\.\d{3})?\b", meta):
            errs.append(f"{where}: mitre_technique_id is not an ATT&CK id")
        if i == 0 or not lines[i - 1].startswith("# Ref: "):
            errs.append(f"{where}: no '# Ref: ' comment line above the rule")
    if n == 0:
        errs.append(f"{fn}: no rules")
    return errs


def test_lint():
    known_cls = classtypes()
    seen = {}
    present = sorted(f for f in os.listdir(SIGS) if f.startswith("weir-") and
                     f.endswith(".rules"))
    unknown = [f for f in present if f not in FAMILY_RANGES]
    report(not unknown, "rules-check-every-weir-file-has-a-documented-range",
           f"no sid range for {unknown}")
    for fn, (lo, hi) in FAMILY_RANGES.items():
        if fn not in present:
            report(False, f"rules-check-conventions-{fn}", "file missing")
            continue
        errs = lint_file(fn, lo, hi, known_cls, seen)
        report(not errs, f"rules-check-conventions-{fn}", "; ".join(errs[:5]))


def test_reproducible():
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.run([sys.executable, os.path.join(HERE, "gen_rules_pcaps.py"), "-o", d],
                           capture_output=True, text=True, timeout=300)
        if p.returncode:
            report(False, "rules-pcaps-reproducible", p.stderr.strip()[-300:])
            return
        names = sorted(os.listdir(d))
        diff = [n for n in names if not os.path.exists(os.path.join(PCAPS, n)) or
                not filecmp.cmp(os.path.join(d, n), os.path.join(PCAPS, n), shallow=False)]
        report(not diff, "rules-pcaps-reproducible",
               f"differ from tests/data/pcaps (regenerate with {HERE}/gen_rules_pcaps.py): {diff}")


# --- generated captures ----------------------------------------------------------

def test_cases():
    for name, _attack, sids, _benign, fp in gen.CASES:
        attack, benign = (os.path.join(PCAPS, f) for f in gen.pcap_names(name))
        tname = f"rules-{name}-attack-raises-" + "-".join(str(s) for s in sorted(set(sids)))
        want = {s: sids.count(s) for s in sids}
        rc, alerts, err = replay(attack)
        got = weir_sids(alerts)
        report(rc == 0 and got == want, tname,
               f"exit {rc}, got {got} want {want} {err.strip()[:200]}")
        rc, alerts, err = replay(benign)
        got = weir_sids(alerts)
        report(rc == 0 and not got, f"rules-{name}-benign-{fp}",
               f"exit {rc}, alerts {got} {err.strip()[:200]}")


def test_workers():
    """The alerts of every attack capture do not depend on the worker count."""
    diff = []
    for name, *_ in gen.CASES:
        attack = os.path.join(PCAPS, gen.pcap_names(name)[0])
        one = weir_sids(replay(attack)[1])
        two = weir_sids(replay(attack, workers=2)[1])
        if one != two:
            diff.append(f"{name}: {one} vs {two}")
    report(not diff, "rules-attack-captures-same-alerts-with-1-and-2-workers", "; ".join(diff))


def test_thresholds():
    """Kerberos spraying alerts once per source and window, not per AS-REQ."""
    _rc, alerts, _err = replay(os.path.join(PCAPS, "rules-kerberos-attack.pcap"))
    got = weir_sids(alerts)
    report(got == {9110001: 1, 9110002: 1},
           "rules-kerberos-attack-threshold-alerts-once-per-source", f"got {got}")


# --- real captures -----------------------------------------------------------------

def test_log4shell():
    pcap = os.path.join(PCAPS, "log4shell-ldap-user-agent-ev0.pcap")
    rc, alerts, err = replay(pcap)
    got = weir_sids(alerts)
    report(rc == 0 and set(got) == {9106002},
           "rules-log4shell-ev0-obfuscated-user-agent-raises-9106002",
           f"exit {rc}, got {got} {err.strip()[:200]}")


def loaded_sids(path):
    """Sids of @path that `weir rules check` loads (lines it reports are not)."""
    p = subprocess.run([WEIR, "rules", "check", path], capture_output=True, text=True,
                       timeout=120)
    bad = {int(m.group(1)) for m in
           re.finditer(re.escape(path) + r":(\d+):", p.stdout + p.stderr)}
    sids = set()
    with open(path) as f:
        for i, line in enumerate(f, 1):
            m = re.search(r"[(;]\s*sid:\s*(\d+)\s*;", line)
            if m and line.lstrip().startswith("alert") and i not in bad:
                sids.add(int(m.group(1)))
    return sids


def foxit_case(name, rules):
    loaded = loaded_sids(rules)
    want = loaded & FOXIT_EV0
    pcap = os.path.join(PCAPS, "log4shell-ldap-user-agent-ev0.pcap")
    rc, alerts, err = replay(pcap, rules=(rules,))
    got = {a["alert"]["signature_id"] for a in alerts}
    report(rc == 0 and want and got == want, name,
           f"exit {rc}, loaded {sorted(loaded)}, fired {sorted(got)}, want {sorted(want)} "
           f"{err.strip()[:200]}")


def test_foxit():
    foxit_case("rules-foxit-supported-rules-fire-as-authors-list", FOXIT)
    with tempfile.TemporaryDirectory() as d:
        fixed = os.path.join(d, "foxit-fixed.rules")
        with open(FOXIT) as f, open(fixed, "w") as o:
            o.write(re.sub(r";\):\s*$", ";)\n", f.read(), flags=re.M))
        foxit_case("rules-foxit-supported-rules-fire-as-authors-list-trailing-colon-fixed",
                   fixed)


def test_lateral_real():
    base = os.path.join(SHARED, "corpus", "pcaps")
    for fn, want in (("lm-psexec-smb-svcctl.pcapng", {9109002, 9109003}),
                     ("lm-smbexec-smb-svcctl.pcapng", {9109002})):
        name = f"rules-real-{fn.split('.')[0]}-raises-" + "-".join(str(s) for s in sorted(want))
        path = os.path.join(base, fn)
        if not os.path.exists(path):
            skip(name, f"{path} absent (not redistributable, never copied)")
            continue
        rc, alerts, err = replay(path)
        got = weir_sids(alerts)
        report(rc == 0 and set(got) == want, name,
               f"exit {rc}, got {got} {err.strip()[:200]}")


def test_eastwest_silent():
    rc, alerts, err = replay(os.path.join(PCAPS, "eastwest-mix.pcap"))
    got = weir_sids(alerts)
    report(rc == 0 and not got, "rules-eastwest-mix-synthetic-pod-traffic-is-silent",
           f"exit {rc}, alerts {got} {err.strip()[:200]}")


def main():
    if not os.access(WEIR, os.X_OK):
        print(f"FAIL rules-weir-binary: {WEIR} not built (make)")
        return 1
    test_check()
    test_lint()
    test_reproducible()
    test_cases()
    test_thresholds()
    test_workers()
    test_log4shell()
    test_foxit()
    test_lateral_real()
    test_eastwest_silent()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
