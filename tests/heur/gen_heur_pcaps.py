#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
#
# gen_heur_pcaps.py - generate the heuristics test captures (attack + benign per heuristic).
#
# Deterministic: fixed addresses, ports, sequence numbers and timestamps, no
# randomness, so regenerating gives byte-identical files. Uses Debian's
# python3-scapy (hence /usr/bin/python3). Each capture is small (< 100 KB).
#
#   tests/heur/gen_heur_pcaps.py [OUTDIR]     (default: tests/data/pcaps)
#
# What each file holds, and what it must raise, is in tests/heur/expected.txt.
import os
import sys

from scapy.all import Ether, IP, TCP, UDP, ICMP, Raw, wrpcap  # noqa: E402

T0 = 1700000000.0
MAC_C = "02:00:00:00:00:01"
MAC_S = "02:00:00:00:00:02"


class Cap:
    """Packets with explicit timestamps, written in time order."""

    def __init__(self):
        self.pkts = []

    def add(self, t, pkt):
        pkt.time = T0 + t
        self.pkts.append(pkt)

    def write(self, path):
        self.pkts.sort(key=lambda p: float(p.time))
        wrpcap(path, self.pkts)


def eth(src, dst):
    return Ether(src=MAC_C, dst=MAC_S) / IP(src=src, dst=dst, ttl=64)


def tcp(cap, t, src, dst, sport, dport, flags, seq=0, ack=0, data=b"", win=64240):
    p = eth(src, dst) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=win)
    if data:
        p = p / Raw(load=data)
    cap.add(t, p)


def session(cap, t, c, cport, s, sport, exchanges, close="fin", gap=0.01):
    """A whole TCP session: handshake, request/response pairs, then FIN or RST.

    Return: the time of its last packet."""
    cs, ss = 1000, 50000
    tcp(cap, t, c, s, cport, sport, "S", cs)
    tcp(cap, t + 0.001, s, c, sport, cport, "SA", ss, cs + 1)
    cs += 1
    ss += 1
    t += 0.002
    tcp(cap, t, c, s, cport, sport, "A", cs, ss)
    for req, resp in exchanges:
        t += gap
        if req:
            tcp(cap, t, c, s, cport, sport, "PA", cs, ss, req)
            cs += len(req)
        if resp:
            tcp(cap, t + 0.001, s, c, sport, cport, "PA", ss, cs, resp)
            ss += len(resp)
        tcp(cap, t + 0.002, c, s, cport, sport, "A", cs, ss)
    t += gap
    if close == "rst":
        tcp(cap, t, c, s, cport, sport, "RA", cs, ss)
        return t
    tcp(cap, t, c, s, cport, sport, "FA", cs, ss)
    tcp(cap, t + 0.001, s, c, sport, cport, "FA", ss, cs + 1)
    tcp(cap, t + 0.002, c, s, cport, sport, "A", cs + 1, ss + 1)
    return t + 0.002


HTTP_REQ = b"GET / HTTP/1.1\r\nHost: svc\r\nUser-Agent: curl/8.0\r\n\r\n"
HTTP_RESP = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def portscan(out):
    # attack: SYN scan of 10.1.0.9 ports 1-30 from 10.1.0.66 (nmap -sS style):
    # closed ports answer RST, ports 22/80 answer SYN/ACK and get the scanner's RST.
    a = Cap()
    for i, port in enumerate(range(1, 31)):
        t = i * 0.01
        tcp(a, t, "10.1.0.66", "10.1.0.9", 40000 + i, port, "S", 7000)
        if port in (22, 80):
            tcp(a, t + 0.001, "10.1.0.9", "10.1.0.66", port, 40000 + i, "SA", 9000, 7001)
            tcp(a, t + 0.002, "10.1.0.66", "10.1.0.9", 40000 + i, port, "R", 7001)
        else:
            tcp(a, t + 0.001, "10.1.0.9", "10.1.0.66", port, 40000 + i, "RA", 0, 7001)
    a.write(os.path.join(out, "heur-portscan-attack.pcap"))
    # benign: a client using 20 services of one host (ports 8000-8019) with full sessions,
    # and one refused connection (a service that is down).
    b = Cap()
    for i in range(20):
        session(b, i * 0.5, "10.1.0.5", 41000 + i, "10.1.0.9", 8000 + i, [(HTTP_REQ, HTTP_RESP)])
    tcp(b, 11.0, "10.1.0.5", "10.1.0.9", 41100, 9000, "S", 5000)
    tcp(b, 11.001, "10.1.0.9", "10.1.0.5", 9000, 41100, "RA", 0, 5001)
    b.write(os.path.join(out, "heur-portscan-benign.pcap"))


def sweep(out):
    # attack: 10.1.0.77 probes port 8080 on 40 hosts of 10.2.0.0/24; nobody answers.
    a = Cap()
    for i in range(40):
        tcp(a, i * 0.05, "10.1.0.77", "10.2.0.%d" % (i + 1), 42000 + i, 8080, "S", 3000)
    a.write(os.path.join(out, "heur-sweep-attack.pcap"))
    # benign: a client load-balancing over 30 replicas on port 8080, full sessions.
    b = Cap()
    for i in range(30):
        session(b, i * 0.2, "10.1.0.5", 43000 + i, "10.2.0.%d" % (i + 1), 8080,
                [(HTTP_REQ, HTTP_RESP)])
    b.write(os.path.join(out, "heur-sweep-benign.pcap"))


def synflood(out):
    # attack: 300 SYNs from spoofed 172.16.x.y to 10.9.0.1:80 in 3 s; the server's
    # SYN/ACKs are never acknowledged.
    a = Cap()
    for i in range(300):
        src = "172.16.%d.%d" % (i // 250, i % 250 + 1)
        tcp(a, i * 0.01, src, "10.9.0.1", 1024 + i, 80, "S", 100 + i)
        tcp(a, i * 0.01 + 0.0005, "10.9.0.1", src, 80, 1024 + i, "SA", 9000, 101 + i)
    a.write(os.path.join(out, "heur-synflood-attack.pcap"))
    # benign: 300 clients in 3 s that complete their handshakes (a busy web server).
    b = Cap()
    for i in range(300):
        src = "10.8.%d.%d" % (i // 250, i % 250 + 1)
        t = i * 0.01
        tcp(b, t, src, "10.9.0.1", 1024 + i, 80, "S", 100)
        tcp(b, t + 0.0005, "10.9.0.1", src, 80, 1024 + i, "SA", 9000, 101)
        tcp(b, t + 0.001, src, "10.9.0.1", 1024 + i, 80, "A", 101, 9001)
    b.write(os.path.join(out, "heur-synflood-benign.pcap"))


def icmpsweep(out):
    # attack: ping to 40 hosts of 10.3.0.0/24 (nmap -sn); 10 of them answer.
    a = Cap()
    for i in range(40):
        dst = "10.3.0.%d" % (i + 1)
        a.add(i * 0.02, eth("10.1.0.77", dst) / ICMP(type=8, id=0x100 + i, seq=1) / Raw(b"x" * 8))
        if i % 4 == 0:
            a.add(i * 0.02 + 0.001, eth(dst, "10.1.0.77") / ICMP(type=0, id=0x100 + i, seq=1) /
                  Raw(b"x" * 8))
    a.write(os.path.join(out, "heur-icmpsweep-attack.pcap"))
    # benign: a monitor pinging the same 3 hosts every 10 s for 10 minutes.
    b = Cap()
    for n in range(60):
        for h in range(3):
            dst = "10.3.0.%d" % (h + 1)
            t = n * 10.0 + h * 0.01
            b.add(t, eth("10.1.0.6", dst) / ICMP(type=8, id=0x200 + h, seq=n) / Raw(b"y" * 8))
            b.add(t + 0.001, eth(dst, "10.1.0.6") / ICMP(type=0, id=0x200 + h, seq=n) /
                  Raw(b"y" * 8))
    b.write(os.path.join(out, "heur-icmpsweep-benign.pcap"))


def statsd(cap, t, src, dst, sport):
    cap.add(t, eth(src, dst) / UDP(sport=sport, dport=8125) / Raw(b"app.requests:1|c"))


def fanout(out):
    # attack: 10.1.0.5 talks to the same 5 peers every minute for 5 minutes, then
    # opens sessions to 80 new peers (port 8080) within one minute.
    a = Cap()
    for m in range(5):
        for p in range(5):
            statsd(a, m * 60.0 + p, "10.1.0.5", "10.4.0.%d" % (p + 1), 30000 + m * 10 + p)
    for i in range(80):
        session(a, 300.0 + i * 0.5, "10.1.0.5", 44000 + i, "10.5.0.%d" % (i + 1), 8080,
                [(HTTP_REQ, HTTP_RESP)])
    a.write(os.path.join(out, "heur-fanout-attack.pcap"))
    # benign: an SNMP poller that queries the same 60 peers every minute for 6 minutes.
    b = Cap()
    for m in range(6):
        for i in range(60):
            peer = "10.5.0.%d" % (i + 1)
            t = m * 60.0 + i * 0.5
            b.add(t, eth("10.1.0.6", peer) / UDP(sport=20000 + i, dport=161) / Raw(b"\x30\x26get"))
            b.add(t + 0.001, eth(peer, "10.1.0.6") / UDP(sport=161, dport=20000 + i) /
                  Raw(b"\x30\x30resp"))
    b.write(os.path.join(out, "heur-fanout-benign.pcap"))


def service(out):
    # attack: a pod reaches the kubelet API (10250) of node 192.168.1.10 and the cloud
    # metadata endpoint 169.254.169.254:80.
    a = Cap()
    session(a, 0.0, "10.1.0.5", 45000, "192.168.1.10", 10250,
            [(b"\x16\x03\x01\x00\x05hello", b"\x16\x03\x03\x00\x05hello")])
    session(a, 1.0, "10.1.0.5", 45001, "169.254.169.254", 80,
            [(b"GET /latest/meta-data/iam/security-credentials/ HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n",
              b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nrole")])
    a.write(os.path.join(out, "heur-service-attack.pcap"))
    # benign: the same pod uses HTTP on an ordinary pod (port 80 elsewhere is not metadata),
    # and its SYN to the kubelet is refused (no access happened).
    b = Cap()
    session(b, 0.0, "10.1.0.5", 45000, "10.2.0.7", 80, [(HTTP_REQ, HTTP_RESP)])
    tcp(b, 1.0, "10.1.0.5", "192.168.1.10", 45002, 10250, "S", 100)
    tcp(b, 1.001, "192.168.1.10", "10.1.0.5", 10250, 45002, "RA", 0, 101)
    b.write(os.path.join(out, "heur-service-benign.pcap"))


SSH_BANNER_C = b"SSH-2.0-libssh_0.9.6\r\n"
SSH_BANNER_S = b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n"


def bruteforce(out):
    # attack: 12 short SSH sessions from 10.1.0.88 to 10.1.0.9:22, one every 15 s
    # (banner, key exchange, a failed password, close): hydra -t 1.
    a = Cap()
    for i in range(12):
        ex = [(SSH_BANNER_C, SSH_BANNER_S), (b"\x00" * 600, b"\x00" * 900),
              (b"\x01" * 100, b"\x02" * 100), (b"\x03" * 80, b"\x04" * 60)]
        session(a, i * 15.0, "10.1.0.88", 46000 + i, "10.1.0.9", 22, ex, gap=0.5)
    a.write(os.path.join(out, "heur-bruteforce-attack.pcap"))
    # benign: the same service, two interactive sessions of an admin (minutes long, many
    # keystrokes) -- SSH access itself is policy (service_access), brute force must stay quiet.
    b = Cap()
    for s in range(2):
        ex = [(SSH_BANNER_C, SSH_BANNER_S), (b"\x00" * 600, b"\x00" * 900)]
        ex += [(b"\x05" * 48, b"\x06" * 48)] * 100
        session(b, s * 700.0, "10.1.0.10", 47000 + s, "10.1.0.9", 22, ex, gap=2.0)
    b.write(os.path.join(out, "heur-bruteforce-benign.pcap"))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "data", "pcaps")
    os.makedirs(out, exist_ok=True)
    for gen in (portscan, sweep, synflood, icmpsweep, fanout, service, bruteforce):
        gen(out)


if __name__ == "__main__":
    main()
