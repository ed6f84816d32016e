#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check `weir replay` flow events against flows computed independently with scapy.

For each capture: count the flows with scapy (same key, client and timeout rules
as Weir's flow stage, written down in flows_of() below), run
`weir replay --quiet --eve - --workers N` for N = 1, 2, 4 and check
  count    - the number of flow events equals the independent count;
  counters - each flow's packets and bytes per direction, start and end time
             and end reason (timeout or shutdown) agree (flows are paired by oriented tuple, VLANs and start order);
  stats    - one stats event, on the last line, with capture.packets = records;
  workers  - the events (stats event and line order aside) are identical for
             N = 1, 2, 4.
Prints "PASS <capture>:<check>" / "FAIL <capture>:<check>: why" /
"SKIP <capture>: why", then "N passed, N failed, N skipped"; exits 1 on any
failure. Without arguments it checks tests/data/pcaps/ and, when the shared
corpus exists (${WEIR_SHARED:-../shared}/corpus/pcaps), its captures that may
not be redistributed.

  check-flows.py [--weir PATH] [--workers 1,2,4] [--dump] [CAPTURE...]

--dump prints the independently computed flows as JSON lines and runs nothing.
"""

import argparse
import datetime
import ipaddress
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict

# Scapy prints warnings about unknown link types etc. on import; keep stdout clean.
import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (CookedLinux, Dot1AD, Dot1Q, GRE, ICMP, IP, IPv6,  # noqa: E402
                       IPv6ExtHdrFragment, PcapReader, TCP, UDP, VXLAN, conf)
from scapy.layers.inet6 import _ICMPv6  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED_ONLY = ("scan-", "lm-", "ssh-bruteforce-")

PROTO_NAME = {6: "TCP", 17: "UDP", 1: "ICMP", 58: "IPv6-ICMP"}
# EVE names of other IP protocols (flow rules for them are unspecified: NOTEd)
OTHER_NAME = {2: "IGMP", 4: "IPIP", 41: "IPv6", 47: "GRE", 50: "ESP", 51: "AH", 103: "PIM",
              112: "VRRP", 132: "SCTP"}
ECHO_TYPES = {1: (8, 0), 58: (128, 129)}

# Timeouts in seconds, by protocol and state (Weir's defaults, flow.h).
TCP_NEW, TCP_EST, TCP_CLOSED = 30, 300, 10
UDP_NEW, UDP_EST = 30, 300
ICMP_TO = 30
OTHER_NEW, OTHER_EST = 30, 300


def proto_name(p):
    return PROTO_NAME.get(p) or OTHER_NAME.get(p) or str(p)


class Flow:
    __slots__ = ("key", "cli", "srv", "proto", "ip_ver", "vlan", "start", "last",
                 "pkts", "bytes", "syn", "synack", "fin", "rst", "est", "seen", "reason")

    def __init__(self, key, cli, srv, proto, ip_ver, vlan, ts):
        self.key = key
        self.cli, self.srv = cli, srv          # (address string, port)
        self.proto, self.ip_ver, self.vlan = proto, ip_ver, vlan
        self.start = self.last = ts            # microseconds since the epoch
        self.pkts = [0, 0]                     # to server, to client
        self.bytes = [0, 0]
        self.syn = self.synack = False
        self.fin = [False, False]
        self.rst = False
        self.est = False
        self.seen = [False, False]

    def timeout(self):
        if self.proto == 6:
            if self.rst or (self.fin[0] and self.fin[1]):
                return TCP_CLOSED
            return TCP_EST if self.est else TCP_NEW
        if self.proto == 17:
            return UDP_EST if self.seen[0] and self.seen[1] else UDP_NEW
        if self.proto in (1, 58):
            return ICMP_TO
        return OTHER_EST if self.seen[0] and self.seen[1] else OTHER_NEW

    def as_dict(self):
        return {"proto": proto_name(self.proto),
                "src": list(self.cli), "dest": list(self.srv), "vlan": list(self.vlan),
                "start_us": self.start, "end_us": self.last,
                "pkts": self.pkts, "bytes": self.bytes}


def link_offset(pkt, layer):
    """Bytes before @layer in the frame (headers only; trailers stay with the layer)."""
    return len(bytes(pkt)) - len(bytes(layer))


def innermost_ip(pkt):
    """The last IPv4/IPv6 layer, the VLAN ids before it and the innermost tunnel id."""
    ip = None
    vlans = []
    tunnel = 0
    layer = pkt
    while layer is not None and layer.__class__.__name__ != "NoPayload":
        if isinstance(layer, (Dot1Q, Dot1AD)):
            vlans.append(layer.vlan)
        elif isinstance(layer, (IP, IPv6)):
            ip = layer
            # a fragment's payload is not a transport header: stop here
            if isinstance(layer, IP) and (layer.flags.MF or layer.frag):
                break
        elif isinstance(layer, IPv6ExtHdrFragment):
            break
        elif isinstance(layer, (ICMP, _ICMPv6, TCP)):
            # an ICMP error quotes the offending IP header (scapy: IPerror, a
            # subclass of IP): that is payload, not a tunnel
            break
        elif isinstance(layer, VXLAN):
            tunnel = layer.vni
        elif isinstance(layer, GRE):
            tunnel = layer.key if layer.key_present else 0
        layer = layer.payload
    return ip, tuple(vlans[:2]), tunnel


class Defrag:
    """Holds IP fragments until a datagram is complete (first data wins on overlap)."""

    def __init__(self):
        self.held = {}

    def add(self, ip, frame_off, key):
        """Return (l4 proto, transport bytes, reassembled IP length, link offset) or None."""
        if isinstance(ip, IP):
            fkey = (key, 4, ip.src, ip.dst, ip.id, ip.proto)
            off, more, data = ip.frag * 8, bool(ip.flags.MF), bytes(ip.payload)
            data = data[:max(0, ip.len - ip.ihl * 4)]
            hlen, nh = ip.ihl * 4, ip.proto
        else:
            fh = ip[IPv6ExtHdrFragment]
            fkey = (key, 6, ip.src, ip.dst, fh.id)
            off, more, data = fh.offset * 8, bool(fh.m), bytes(fh.payload)
            # unfragmentable part: IPv6 header + extension headers before the fragment header
            hlen, nh = len(bytes(ip)) - len(bytes(fh)), fh.nh
        ent = self.held.setdefault(fkey, {"parts": {}, "end": None, "off": None,
                                          "hlen": hlen, "nh": nh})
        ent["parts"].setdefault(off, data)
        if off == 0:
            ent["off"], ent["hlen"], ent["nh"] = frame_off, hlen, nh
        if not more:
            ent["end"] = off + len(data)
        if ent["end"] is None or ent["off"] is None:
            return None
        buf = bytearray()
        for o in sorted(ent["parts"]):
            d = ent["parts"][o]
            if o > len(buf):
                return None            # a hole: wait for more
            buf += d[len(buf) - o:] if o < len(buf) else d
        if len(buf) < ent["end"]:
            return None
        del self.held[fkey]
        buf = bytes(buf[:ent["end"]])
        return ent["nh"], buf, ent["hlen"] + len(buf), ent["off"]


def l4_invalid(proto, l4):
    """Transport header that decode rejects (such packets get no flow, as in Suricata)."""
    if proto == 6:
        return len(l4) < 20 or not 20 <= (l4[12] >> 4) * 4 <= len(l4)
    if proto == 17:
        return len(l4) < 8 or not 8 <= int.from_bytes(l4[4:6], "big") <= len(l4)
    return False


def transport(proto, l4):
    """(sport, dport, tcp flags, icmp type) from transport bytes; ports are echo ids for echo."""
    if proto == 6 and len(l4) >= 14:
        return int.from_bytes(l4[0:2], "big"), int.from_bytes(l4[2:4], "big"), l4[13], None
    if proto == 17 and len(l4) >= 4:
        return int.from_bytes(l4[0:2], "big"), int.from_bytes(l4[2:4], "big"), 0, None
    if proto in ECHO_TYPES and len(l4) >= 1:
        t = l4[0]
        if t in ECHO_TYPES[proto] and len(l4) >= 6:
            eid = int.from_bytes(l4[4:6], "big")
            return eid, eid, 0, t
        return 0, 0, 0, t
    return 0, 0, 0, None


def read_packets(path):
    """(time in us, frame, wire length) for each record; scapy picks the link type."""
    with PcapReader(path) as rd:
        for p in rd:
            yield int(round(p.time * 1000000)), p, p.wirelen or len(p)


def flows_of(path, notes):
    """(flows, records) of a capture under Weir's flow rules; @notes gets ambiguities."""
    table = {}
    done = []
    nrec = 0
    defrag = Defrag()
    nonip = 0
    other = Counter()
    invalid = 0
    for ts, pkt, wirelen in read_packets(path):
        nrec += 1
        ip, vlan, tunnel = innermost_ip(pkt)
        if ip is None:
            nonip += 1
            continue
        nbytes = wirelen
        frag = (isinstance(ip, IP) and (ip.flags.MF or ip.frag)) or IPv6ExtHdrFragment in ip
        if frag:
            r = defrag.add(ip, link_offset(pkt, ip), (vlan, tunnel))
            if r is None:
                continue
            proto, l4, iplen, loff = r
            nbytes = loff + iplen
        else:
            proto = ip.proto if isinstance(ip, IP) else None
            if proto is None:
                # IPv6: the transport header follows the extension header chain
                layer = ip.payload
                proto = ip.nh
                while layer.__class__.__name__ not in ("NoPayload", "Raw") and \
                        not isinstance(layer, (TCP, UDP, _ICMPv6)) and hasattr(layer, "nh"):
                    proto = layer.nh
                    layer = layer.payload
                l4 = bytes(layer)
            else:
                l4 = bytes(ip.payload)[:max(0, ip.len - ip.ihl * 4)]
        if l4_invalid(proto, l4):
            invalid += 1
            continue
        sport, dport, flags, icmp_type = transport(proto, l4)
        if proto not in PROTO_NAME:
            other[proto] += 1
        src, dst = str(ip.src), str(ip.dst)
        a, b = (src, sport), (dst, dport)
        key = (ip.version, proto, min(a, b), max(a, b), vlan, tunnel)
        f = table.get(key)
        if f is not None and ts - f.last > f.timeout() * 1000000:
            if ts - f.last > 10 * 1000000:
                notes.append("%s flow %s -> %s: %.1f s gap ends it (timeout %d s)" % (
                    proto_name(proto), f.cli, f.srv, (ts - f.last) / 1e6, f.timeout()))
            done.append(f)
            f = None
        if f is not None and ts - f.last > 10 * 1000000:
            notes.append("%s flow %s -> %s: %.1f s gap within timeout %d s (state-dependent)" % (
                proto_name(proto), f.cli, f.srv, (ts - f.last) / 1e6, f.timeout()))
        if f is None:
            # client: sender of the first packet, or the receiver of a first SYN/ACK
            if proto == 6 and flags & 0x12 == 0x12:
                f = Flow(key, b, a, proto, ip.version, vlan, ts)
            else:
                f = Flow(key, a, b, proto, ip.version, vlan, ts)
            table[key] = f
        elif proto == 6 and flags & 0x12 == 0x02 and (f.rst or f.fin[0] or f.fin[1]):
            notes.append("TCP %s -> %s: SYN on a closing flow (port reuse: one flow here)" % (
                f.cli, f.srv))
        d = 0 if (src, sport) == f.cli else 1
        f.pkts[d] += 1
        f.bytes[d] += nbytes
        f.last = ts
        f.seen[d] = True
        if proto == 6:
            if flags & 0x04:
                f.rst = True
            if flags & 0x01:
                f.fin[d] = True
            if flags & 0x12 == 0x02 and d == 0:
                f.syn = True
            elif flags & 0x12 == 0x12 and d == 1 and f.syn:
                f.synack = True
            elif flags & 0x10 and d == 0 and f.synack:
                f.est = True
    done.extend(table.values())
    # Why each flow ended: a flow whose timeout passed before the last packet of
    # the capture times out (packet-time ticks); the others end at shutdown.
    # Within 2 s of the boundary either is right (ticks are once a second).
    last_ts = max((f.last for f in done), default=0)
    for f in done:
        left = f.last + f.timeout() * 1000000 - last_ts
        f.reason = "shutdown" if left > 0 else "timeout" if left < -2000000 else None
    if defrag.held:
        notes.append("%d incomplete fragmented datagrams (no flow)" % len(defrag.held))
    for proto, n in sorted(other.items()):
        notes.append("%d packets of IP protocol %d (flow rules unspecified)" % (n, proto))
    if invalid:
        notes.append("%d packets with an invalid TCP/UDP header (no flow)" % invalid)
    if nonip:
        notes.append("%d non-IP frames (no flow)" % nonip)
    return done, nrec


# ---- weir's side ------------------------------------------------------------

def run_weir(weir, path, workers):
    cmd = [weir, "replay", "--quiet", "--eve", "-", "--workers", str(workers), path]
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    except subprocess.TimeoutExpired:
        return None, "timed out after 300 s: %s" % " ".join(cmd)
    except OSError as ex:
        return None, "cannot run %s: %s" % (weir, ex)
    if r.returncode != 0:
        err = r.stderr.decode(errors="replace").strip().splitlines()
        return None, "exit %d: %s" % (r.returncode, err[-1] if err else "(no stderr)")
    events = []
    for i, line in enumerate(r.stdout.decode(errors="replace").splitlines()):
        if not line.strip():
            continue
        try:
            events.append(json.loads(line))
        except ValueError:
            return None, "output line %d is not JSON: %.80s" % (i + 1, line)
    return events, None


def parse_time_us(s):
    """EVE time ("2026-01-01T00:00:00.000123+0000") as microseconds since the epoch."""
    try:
        t = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z")
    except (TypeError, ValueError):
        return None
    return int(t.timestamp()) * 1000000 + t.microsecond


def norm_ip(s):
    try:
        return ipaddress.ip_address(s).compressed
    except ValueError:
        return s


def tuple_key(proto, src, dst, vlan):
    """Pairing key: ICMP events carry no ports, so ICMP flows pair by addresses only."""
    if proto in ("ICMP", "IPv6-ICMP") or proto not in ("TCP", "UDP"):
        return (proto, src[0], dst[0], tuple(vlan))
    return (proto, src, dst, tuple(vlan))


def event_view(e):
    fl = e.get("flow", {})
    src = (norm_ip(e.get("src_ip")), e.get("src_port", 0))
    dst = (norm_ip(e.get("dest_ip")), e.get("dest_port", 0))
    proto = e.get("proto")
    if isinstance(proto, int):
        proto = proto_name(proto)
    return {"key": tuple_key(proto, src, dst, e.get("vlan", [])),
            "rkey": tuple_key(proto, dst, src, e.get("vlan", [])),
            "start": parse_time_us(fl.get("start")),
            "end": parse_time_us(fl.get("end")),
            "reason": fl.get("reason"),
            "pkts": [fl.get("pkts_toserver"), fl.get("pkts_toclient")],
            "bytes": [fl.get("bytes_toserver"), fl.get("bytes_toclient")],
            "desc": "%s %s:%s -> %s:%s" % (proto, src[0], src[1], dst[0], dst[1])}


def flow_view(f):
    proto = proto_name(f.proto)
    cli, srv = (norm_ip(f.cli[0]), f.cli[1]), (norm_ip(f.srv[0]), f.srv[1])
    return {"key": tuple_key(proto, cli, srv, f.vlan), "start": f.start, "end": f.last,
            "reason": f.reason,
            "pkts": f.pkts, "bytes": f.bytes,
            "desc": "%s %s:%s -> %s:%s" % (proto, cli[0], cli[1], srv[0], srv[1])}


def compare_counters(flows, events):
    """Pair flows with events by oriented tuple and start order; return problems."""
    mine = defaultdict(list)
    for f in flows:
        v = flow_view(f)
        mine[v["key"]].append(v)
    theirs = defaultdict(list)
    for e in events:
        v = event_view(e)
        theirs[v["key"]].append(v)
    probs = []
    for k in sorted(set(mine) | set(theirs), key=repr):
        a = sorted(mine.get(k, []), key=lambda v: v["start"])
        b = sorted(theirs.get(k, []), key=lambda v: (v["start"] or 0))
        for x, y in zip(a, b):
            if x["pkts"] != y["pkts"] or x["bytes"] != y["bytes"]:
                probs.append("%s: pkts %s bytes %s, weir pkts %s bytes %s" % (
                    x["desc"], x["pkts"], x["bytes"], y["pkts"], y["bytes"]))
            elif y["start"] != x["start"] or y["end"] != x["end"]:
                probs.append("%s: start/end %s/%s us, weir %s/%s us" % (
                    x["desc"], x["start"], x["end"], y["start"], y["end"]))
            elif x["reason"] is not None and x["reason"] != y["reason"]:
                probs.append("%s: reason %s, weir %s" % (x["desc"], x["reason"], y["reason"]))
        for x in a[len(b):]:
            rev = theirs.get((k[0], k[2], k[1], k[3]))
            why = " (weir has it the other way round: client/server swapped)" if rev else ""
            probs.append("%s: no weir flow event%s" % (x["desc"], why))
        for y in b[len(a):]:
            probs.append("%s: weir flow event not expected (pkts %s)" % (y["desc"], y["pkts"]))
    return probs


def canon(events):
    return Counter(json.dumps(e, sort_keys=True) for e in events if e.get("event_type") != "stats")


class Report:
    def __init__(self):
        self.n = Counter()

    def result(self, ok, name, why=""):
        self.n["passed" if ok else "failed"] += 1
        print("PASS %s" % name if ok else "FAIL %s: %s" % (name, why), flush=True)

    def skip(self, name, why):
        self.n["skipped"] += 1
        print("SKIP %s: %s" % (name, why), flush=True)


def check_capture(rep, weir, path, workers):
    name = os.path.basename(path)
    notes = []
    try:
        flows, nrec = flows_of(path, notes)
    except Exception as ex:  # scapy could not read it: that is the test's fault
        rep.result(False, name + ":count", "scapy cannot read the capture: %s" % ex)
        return
    for n in dict.fromkeys(notes):
        print("NOTE %s: %s" % (name, n))
    runs = {}
    for w in workers:
        ev, err = run_weir(weir, path, w)
        if err:
            rep.result(False, "%s:run-w%d" % (name, w), err)
            return
        runs[w] = ev
    first = runs[workers[0]]
    fev = [e for e in first if e.get("event_type") == "flow"]
    rep.result(len(fev) == len(flows), name + ":count",
               "weir %d flow events, expected %d" % (len(fev), len(flows)))
    probs = compare_counters(flows, fev)
    rep.result(not probs, name + ":counters",
               "%d flows differ, e.g. %s" % (len(probs), "; ".join(probs[:3])))
    # One stats event, the last line, counting every record of the capture.
    st = [i for i, e in enumerate(first) if e.get("event_type") == "stats"]
    cap = first[st[-1]].get("stats", {}).get("capture", {}) if st else {}
    why = ("%d stats events, expected 1" % len(st) if len(st) != 1 else
           "the stats event is not the last line" if st[0] != len(first) - 1 else
           "stats.capture.packets %s, the capture has %d records" % (cap.get("packets"), nrec)
           if cap.get("packets") != nrec else "")
    rep.result(not why, name + ":stats", why)
    base = canon(first)
    diffs = []
    for w in workers[1:]:
        c = canon(runs[w])
        if c != base:
            only1 = sum((base - c).values())
            onlyw = sum((c - base).values())
            diffs.append("--workers %d: %d events only with %d worker(s), %d only with %d" % (
                w, only1, workers[0], onlyw, w))
    rep.result(not diffs, name + ":workers", "; ".join(diffs))


def default_captures():
    caps = []
    d = os.path.join(ROOT, "tests", "data", "pcaps")
    for f in sorted(os.listdir(d)):
        if f.endswith((".pcap", ".pcapng")):
            caps.append(os.path.join(d, f))
    shared = os.environ.get("WEIR_SHARED", os.path.join(ROOT, "..", "shared"))
    return caps, os.path.join(shared, "corpus", "pcaps")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weir", default=os.environ.get("WEIR", os.path.join(ROOT, ".output", "bin",
                                                                            "weir")))
    ap.add_argument("--workers", default="1,2,4", help="worker counts to compare (1,2,4)")
    ap.add_argument("--dump", action="store_true", help="print the computed flows, run nothing")
    ap.add_argument("captures", nargs="*")
    a = ap.parse_args()
    workers = [int(x) for x in a.workers.split(",")]
    rep = Report()
    caps = a.captures
    shared_dir = None
    if not caps:
        caps, shared_dir = default_captures()
    if a.dump:
        for c in caps:
            notes = []
            for f in sorted(flows_of(c, notes)[0], key=lambda f: f.start):
                print(json.dumps(dict(f.as_dict(), capture=os.path.basename(c))))
            for n in dict.fromkeys(notes):
                print("NOTE %s: %s" % (os.path.basename(c), n), file=sys.stderr)
        return 0
    if not os.access(a.weir, os.X_OK):
        print("check-flows: %s is not an executable (make, or --weir PATH)" % a.weir,
              file=sys.stderr)
        return 2
    conf.verb = 0
    # a weir built outside the tree (sanitizer builds) finds the bundled rules here
    if os.path.isdir(os.path.join(ROOT, "signatures")):
        os.environ.setdefault("WEIR_SIGNATURES", os.path.join(ROOT, "signatures"))
    for c in caps:
        check_capture(rep, a.weir, c, workers)
    if shared_dir is not None:
        # Captures without a licence that lets them into the tree: used where present.
        names = ["scan-masscan-tcp-0-1000.pcap", "scan-nmap-A-port80.pcap",
                 "lm-psexec-smb-svcctl.pcapng", "lm-smbexec-smb-svcctl.pcapng",
                 "ssh-bruteforce-hydra-1task.pcap"]
        for n in names:
            p = os.path.join(shared_dir, n)
            if os.path.isdir(shared_dir) and os.path.exists(p):
                check_capture(rep, a.weir, p, workers)
            else:
                rep.skip(n, "corpus not present")
    print("%d passed, %d failed, %d skipped" % (rep.n["passed"], rep.n["failed"],
                                              rep.n["skipped"]))
    return 1 if rep.n["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
