#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make demo-replay`: replay the bundled east-west capture (synthetic pod
# traffic with a few attacks in flow heads, bench/gen_eastwest.py) followed by
# four generated attack captures (Redis, Docker API, kubelet, a port scan) with
# the bundled signatures and heuristics, print the EVE JSON, then a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
WEIR=.output/bin/weir
D=tests/data/pcaps
PCAPS=("$D/demo-eastwest.pcap" "$D/rules-redis-attack.pcap" "$D/rules-docker-attack.pcap"
	"$D/rules-kubelet-attack.pcap" "$D/heur-portscan-attack.pcap")
OUT=.output/demo
mkdir -p "$OUT"
rm -f "$OUT/eve.json"

echo "# weir replay --workers 2 --eve $OUT/eve.json ${PCAPS[*]}" >&2
"$WEIR" replay --quiet --workers 2 --eve "$OUT/eve.json" "${PCAPS[@]}"
cat "$OUT/eve.json"
echo >&2
echo "# summary ($OUT/eve.json):" >&2
/usr/bin/python3 - "$OUT/eve.json" >&2 <<'PY'
import json, sys, collections
types = collections.Counter()
alerts = collections.Counter()
for line in open(sys.argv[1]):
    ev = json.loads(line)
    types[ev["event_type"]] += 1
    if ev["event_type"] == "alert":
        a = ev["alert"]
        alerts["%s -> %s:%s  [%d] %s" % (ev["src_ip"], ev["dest_ip"], ev.get("dest_port", "-"),
                                         a["signature_id"], a["signature"])] += 1
for t, n in sorted(types.items()):
    print("#   %-6s %d" % (t, n))
for a, n in sorted(alerts.items()):
    print("#   alert x%d  %s" % (n, a))
PY
