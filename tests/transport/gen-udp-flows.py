#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write a pcap of N one-packet UDP flows (10.1.x.y:40000+ -> 10.2.x.y:53).

Usage: gen-udp-flows.py N OUT.pcap

Each packet is its own flow, so `weir replay` emits N flow events at the end:
a cheap way to push many events through the publisher, all of them after
the whole capture was read (packets are 10 us apart, so no flow times out). Plain struct packing
(no scapy) so thousands of packets take milliseconds. The same packets in
scapy: Ether()/IP(src=..., dst=...)/UDP(sport=40000 + i % 20000, dport=53)/(b"q" * 32)
"""
import struct
import sys


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        payload = b"q" * 32
        for i in range(n):
            src = bytes([10, 1, (i >> 8) & 0xff, i & 0xff])
            dst = bytes([10, 2, (i >> 8) & 0xff, i & 0xff])
            udp = struct.pack("!HHHH", 40000 + i % 20000, 53, 8 + len(payload), 0) + payload
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                             src, dst)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            frame = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip + udp
            # 10 us apart: no flow times out before the end of the capture
            ts = 1795965549 + i // 100000
            f.write(struct.pack("<IIII", ts, (i % 100000) * 10, len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main()
