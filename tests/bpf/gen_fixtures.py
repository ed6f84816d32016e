#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
#
# gen_fixtures.py - regenerate tests/bpf/sensor_fixtures.h, the crafted
# packets of tests/bpf/test_sensor.c. Each array carries the scapy line
# that made it. Run: tests/bpf/gen_fixtures.py > tests/bpf/sensor_fixtures.h
from scapy.all import (Ether, Dot1Q, Dot1AD, IP, IPv6, TCP, UDP, ICMP, ARP, Raw,
                       ICMPv6EchoRequest, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrRouting, IPv6ExtHdrFragment, IPOption_RR, PadN)
from scapy.layers.ipsec import AH
from scapy.layers.vxlan import VXLAN
from scapy.contrib.geneve import GENEVE

A, B = '10.0.0.1', '10.0.0.2'
A6, B6 = 'fd00::1', 'fd00::2'
E = "Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')"
O = "Ether(src='02:00:00:00:01:01', dst='02:00:00:00:01:02')"

PKTS = [
    # name, scapy expression, bytes to keep (None = all)
    ('tcp4_syn', E + "/IP(src=A, dst=B)/TCP(sport=40000, dport=80, flags='S', seq=1)", None),
    ('tcp4_synack', "Ether(src='02:00:00:00:00:02', dst='02:00:00:00:00:01')/IP(src=B, dst=A)/TCP(sport=80, dport=40000, flags='SA', seq=100, ack=2)", None),
    ('udp4', E + "/IP(src=A, dst=B)/UDP(sport=5353, dport=53)/Raw(b'abcdefgh')", None),
    ('icmp4', E + "/IP(src=A, dst=B)/ICMP(type=8, id=7, seq=1)/Raw(b'ping')", None),
    ('tcp4_opts', E + "/IP(src=A, dst=B, options=[IPOption_RR(routers=['1.2.3.4'])])/TCP(sport=40001, dport=22, flags='S')", None),
    ('tcp4_big_tcp', E + "/IP(src=A, dst=B, len=0)/TCP(sport=40005, dport=80, flags='S')", None),
    ('tcp6_syn', E + "/IPv6(src=A6, dst=B6)/TCP(sport=40000, dport=443, flags='S')", None),
    ('icmp6', E + "/IPv6(src=A6, dst=B6)/ICMPv6EchoRequest(id=1, seq=1)", None),
    ('udp6_ext', E + "/IPv6(src=A6, dst=B6)/IPv6ExtHdrHopByHop()/IPv6ExtHdrDestOpt()/IPv6ExtHdrRouting()/UDP(sport=1000, dport=2000)/Raw(b'x' * 16)", None),
    ('udp6_ext8', E + "/IPv6(src=A6, dst=B6)" + "/IPv6ExtHdrDestOpt()" * 8 + "/UDP(sport=1000, dport=2000)", None),
    ('udp6_ah', E + "/IPv6(src=A6, dst=B6)/AH(nh=17, payloadlen=4, spi=1, icv=b'\\x00' * 12)/UDP(sport=1001, dport=2001)", None),
    ('udp6_atomic_frag', E + "/IPv6(src=A6, dst=B6)/IPv6ExtHdrFragment(nh=17, offset=0, m=0, id=6)/UDP(sport=1002, dport=2002)", None),
    ('udp6_big_ext', E + "/IPv6(src=A6, dst=B6)/IPv6ExtHdrDestOpt(options=[PadN(optdata=b'\\x00' * 100)])/UDP(sport=1003, dport=2003)", None),
    ('udp6_ext_long', E + "/IPv6(src=A6, dst=B6)" + "/IPv6ExtHdrDestOpt()" * 9 + "/UDP(sport=1000, dport=2000)", None),
    ('vlan1', E + "/Dot1Q(vlan=10)/IP(src=A, dst=B)/TCP(sport=40002, dport=80, flags='S')", None),
    ('vlan2', E + "/Dot1AD(vlan=100)/Dot1Q(vlan=10)/IP(src=A, dst=B)/UDP(sport=1, dport=2)/Raw(b'qinq')", None),
    ('vlan3', E + "/Dot1AD(vlan=100)/Dot1Q(vlan=10)/Dot1Q(vlan=11)/IP(src=A, dst=B)/UDP(sport=1, dport=2)", None),
    ('frag4_first', E + "/IP(src=A, dst=B, id=9, flags='MF', frag=0, proto=17)/Raw(b'F' * 32)", None),
    ('frag4_second', E + "/IP(src=A, dst=B, id=9, flags=0, frag=4, proto=17)/Raw(b'G' * 16)", None),
    ('frag6', E + "/IPv6(src=A6, dst=B6)/IPv6ExtHdrFragment(nh=17, offset=10, m=0, id=5)/Raw(b'H' * 24)", None),
    ('tcp4_data60', E + "/IP(src=A, dst=B)/TCP(sport=40000, dport=80, flags='PA', seq=2, ack=101)/Raw(b'D' * 60)", None),
    ('tcp4_data60_rev', "Ether(src='02:00:00:00:00:02', dst='02:00:00:00:00:01')/IP(src=B, dst=A)/TCP(sport=80, dport=40000, flags='PA', seq=101, ack=62)/Raw(b'R' * 60)", None),
    ('tcp4_data200', E + "/IP(src=A, dst=B)/TCP(sport=40000, dport=80, flags='PA', seq=2, ack=101)/Raw(b'L' * 200)", None),
    ('tcp4_ack', E + "/IP(src=A, dst=B)/TCP(sport=40000, dport=80, flags='A', seq=2, ack=101)", None),
    ('tcp4_fin', E + "/IP(src=A, dst=B)/TCP(sport=40000, dport=80, flags='FA', seq=62, ack=161)", None),
    ('tcp4_rst', "Ether(src='02:00:00:00:00:02', dst='02:00:00:00:00:01')/IP(src=B, dst=A)/TCP(sport=80, dport=40000, flags='R', seq=161)", None),
    ('udp4_rev', "Ether(src='02:00:00:00:00:02', dst='02:00:00:00:00:01')/IP(src=B, dst=A)/UDP(sport=53, dport=5353)/Raw(b'answer')", None),
    ('arp', "Ether(src='02:00:00:00:00:01', dst='ff:ff:ff:ff:ff:ff')/ARP(psrc=A, pdst=B)", None),
    ('trunc_vlan', E + "/Dot1Q(vlan=10)/IP(src=A, dst=B)", 16),
    ('trunc_ipv4', E + "/IP(src=A, dst=B)/TCP()", 14 + 10),
    ('bad_ihl', E + "/IP(src=A, dst=B, ihl=4)/TCP()", None),
    ('trunc_ipv4_opts', E + "/IP(src=A, dst=B, ihl=15)/TCP()", 14 + 40),
    ('trunc_ipv6', E + "/IPv6(src=A6, dst=B6)/TCP()", 14 + 20),
    ('trunc_ipv6_ext', E + "/IPv6(src=A6, dst=B6)/IPv6ExtHdrHopByHop()/UDP()", 14 + 40 + 1),
    ('trunc_ipv6_ext_len', E + "/IPv6(src=A6, dst=B6)/IPv6ExtHdrDestOpt(len=4)/IPv6ExtHdrDestOpt()/UDP()", 14 + 40 + 16),
    ('trunc_tcp', E + "/IP(src=A, dst=B)/TCP(sport=1, dport=2)", 14 + 20 + 10),
    ('trunc_tcp_opts', E + "/IP(src=A, dst=B)/TCP(sport=1, dport=2, dataofs=15)", None),
    ('trunc_udp', E + "/IP(src=A, dst=B)/UDP(sport=1, dport=2)", 14 + 20 + 4),
    ('trunc_icmp', E + "/IP(src=A, dst=B)/ICMP()", 14 + 20 + 2),
    ('vxlan', O + "/IP(src='192.168.1.1', dst='192.168.1.2')/UDP(sport=33333, dport=4789)/VXLAN(vni=42)/" + E + "/IP(src=A, dst=B)/TCP(sport=40003, dport=80, flags='S')", None),
    ('vxlan8472', O + "/IP(src='192.168.1.1', dst='192.168.1.2')/UDP(sport=33333, dport=8472)/VXLAN(vni=1)/" + E + "/IP(src=A, dst=B)/UDP(sport=7, dport=8)/Raw(b'inner')", None),
    ('geneve', O + "/IPv6(src='fd01::1', dst='fd01::2')/UDP(sport=33333, dport=6081)/GENEVE(vni=77, proto=0x6558, optionlen=2, options=b'\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08')/" + E + "/IPv6(src=A6, dst=B6)/TCP(sport=40004, dport=80, flags='S')", None),
    ('trunc_vxlan', O + "/IP(src='192.168.1.1', dst='192.168.1.2')/UDP(sport=33333, dport=4789)/VXLAN(vni=42)", 14 + 20 + 8 + 4),
    ('trunc_vxlan_inner', O + "/IP(src='192.168.1.1', dst='192.168.1.2')/UDP(sport=33333, dport=4789)/VXLAN(vni=42)/" + E + "/IP(src=A, dst=B)", 14 + 20 + 8 + 8 + 14 + 8),
]


def carr(name, expr, keep):
    p = bytes(eval(expr))
    if keep is not None:
        p = p[:keep]
    out = ['/* %s%s */' % (expr.replace('*/', '* /'),
                          '' if keep is None else ' -- first %d bytes' % keep)]
    out.append('static const uint8_t pkt_%s[%d] = {' % (name, len(p)))
    for i in range(0, len(p), 12):
        out.append('\t' + ' '.join('0x%02x,' % b for b in p[i:i + 12]))
    out.append('};')
    return '\n'.join(out)


print('/* SPDX-License-Identifier: GPL-2.0-only */')
print('/*')
print(' * sensor_fixtures.h - crafted packets for tests/bpf/test_sensor.c.')
print(' * Generated by tests/bpf/gen_fixtures.py (A = 10.0.0.1, B = 10.0.0.2,')
print(' * A6 = fd00::1, B6 = fd00::2); edit the script, not this file.')
print(' */')
print('#ifndef WEIR_SENSOR_FIXTURES_H')
print('#define WEIR_SENSOR_FIXTURES_H')
print()
print('#include <stdint.h>')
print()
for n, e, k in PKTS:
    print(carr(n, e, k))
    print()
print('#endif /* WEIR_SENSOR_FIXTURES_H */')
