#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# heur_alerts.py EVE_FILE - print the heuristic alerts (gid 9000) of an EVE file,
# one normalised line each, in file order: sid, tuple, time, pcap_cnt, flow_id
# and the anomaly evidence. Two runs compare equal when they raised the same alerts.
import json
import sys

for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event_type") != "alert" or e["alert"].get("gid") != 9000:
        continue
    a = e["alert"]
    an = e.get("anomaly") or a.get("anomaly") or {}
    print(a["signature_id"], e.get("src_ip"), e.get("src_port"), e.get("dest_ip"),
          e.get("dest_port"), e.get("proto"), e["timestamp"], e.get("pcap_cnt"),
          e.get("flow_id"), json.dumps(an, sort_keys=True))
