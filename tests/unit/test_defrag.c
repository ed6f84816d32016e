// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_defrag.c - IPv4/IPv6 fragment reassembly through decode_packet():
 * order, overlap (first data wins), duplicates, timeouts, memcap and tracker
 * limits, oversize datagrams, and a 65535-byte datagram inside GRE + PPP.
 *
 * Packets were made with scapy 2.5 (/usr/bin/python3); each array's comment is
 * the expression that produced it (bytes(...)). The datagram A is
 * IP(id=0x1111)/UDP(1000 -> 2000)/(16 x 'A', 16 x 'B', 8 x 'C') in three
 * 16-byte fragments (UDP header + 8 'A' | 8 'A' + 8 'B' | 8 'B' + 8 'C').
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/decode.h"

/* Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/fragment(IP(src='10.0.0.1', dst='10.0.0.2', id=0x1111)/UDP(sport=1000, dport=2000)/(b'A' * 16 + b'B' * 16 + b'C' * 8), fragsize=16)[0] */
static const uint8_t pkt_v4_frag0[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x24, 0x11, 0x11, 0x20, 0x00, 0x40, 0x11,
	0x35, 0xb6, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x03, 0xe8,
	0x07, 0xd0, 0x00, 0x30, 0xb6, 0xaa, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
	0x41, 0x41,
};

/* Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/fragment(IP(src='10.0.0.1', dst='10.0.0.2', id=0x1111)/UDP(sport=1000, dport=2000)/(b'A' * 16 + b'B' * 16 + b'C' * 8), fragsize=16)[1] */
static const uint8_t pkt_v4_frag1[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x24, 0x11, 0x11, 0x20, 0x02, 0x40, 0x11,
	0x35, 0xb4, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x41, 0x41,
	0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42,
};

/* Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/fragment(IP(src='10.0.0.1', dst='10.0.0.2', id=0x1111)/UDP(sport=1000, dport=2000)/(b'A' * 16 + b'B' * 16 + b'C' * 8), fragsize=16)[2] */
static const uint8_t pkt_v4_frag2[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x24, 0x11, 0x11, 0x00, 0x04, 0x40, 0x11,
	0x55, 0xb2, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43,
	0x43, 0x43,
};

/* Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/IP(src='10.0.0.1', dst='10.0.0.2', id=0x1111, proto=17, flags='MF', frag=1)/(b'X' * 16) */
static const uint8_t pkt_v4_overlap[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x24, 0x11, 0x11, 0x20, 0x01, 0x40, 0x11,
	0x35, 0xb5, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x58, 0x58,
	0x58, 0x58, 0x58, 0x58, 0x58, 0x58, 0x58, 0x58, 0x58, 0x58, 0x58, 0x58,
	0x58, 0x58,
};

/* Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/fragment(IP(src='10.0.0.1', dst='10.0.0.2', id=0x2222)/UDP(sport=1000, dport=2000)/(b'A' * 40), fragsize=16)[0] */
static const uint8_t pkt_v4_b_frag0[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x24, 0x22, 0x22, 0x20, 0x00, 0x40, 0x11,
	0x24, 0xa5, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x03, 0xe8,
	0x07, 0xd0, 0x00, 0x30, 0xc6, 0xba, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
	0x41, 0x41,
};

/* Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/fragment(IP(src='10.0.0.1', dst='10.0.0.2', id=0x2222)/UDP(sport=1000, dport=2000)/(b'A' * 40), fragsize=16)[2] */
static const uint8_t pkt_v4_b_frag2[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x24, 0x22, 0x22, 0x00, 0x04, 0x40, 0x11,
	0x44, 0xa1, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x41, 0x41,
	0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
	0x41, 0x41,
};

/* Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/fragment(IP(src='10.0.0.1', dst='10.0.0.2', id=0x2222)/UDP(sport=1000, dport=2000)/(b'A' * 40), fragsize=16)[1] */
static const uint8_t pkt_v4_b_frag1[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x24, 0x22, 0x22, 0x20, 0x02, 0x40, 0x11,
	0x24, 0xa3, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x41, 0x41,
	0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
	0x41, 0x41,
};

/* Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/fragment(IP(src='10.0.0.1', dst='10.0.0.2', id=0x3333)/UDP(sport=1000, dport=2000)/(b'A' * 40), fragsize=16)[0] */
static const uint8_t pkt_v4_c_frag0[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x24, 0x33, 0x33, 0x20, 0x00, 0x40, 0x11,
	0x13, 0x94, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x03, 0xe8,
	0x07, 0xd0, 0x00, 0x30, 0xc6, 0xba, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
	0x41, 0x41,
};

/* Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/IP(src='10.0.0.1', dst='10.0.0.2', id=0x4444, proto=17, frag=8190)/(b'Z' * 16) */
static const uint8_t pkt_v4_oversize[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x24, 0x44, 0x44, 0x1f, 0xfe, 0x40, 0x11,
	0x02, 0x85, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x5a, 0x5a,
	0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
	0x5a, 0x5a,
};

/* Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/Dot1Q(vlan=6)/fragment6(IPv6(src='fd00::1', dst='fd00::2')/IPv6ExtHdrFragment(id=7)/TCP(sport=1, dport=2, flags='PA')/(b'D' * 40), 80)[0] */
static const uint8_t pkt_v6_frag0[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x81, 0x00, 0x00, 0x06, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x28,
	0x2c, 0x40, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x06, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x18, 0x20, 0x00, 0x40, 0x48,
	0x00, 0x00, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
	0x44, 0x44,
};

/* Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/Dot1Q(vlan=6)/fragment6(IPv6(src='fd00::1', dst='fd00::2')/IPv6ExtHdrFragment(id=7)/TCP(sport=1, dport=2, flags='PA')/(b'D' * 40), 80)[1] */
static const uint8_t pkt_v6_frag1[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x81, 0x00, 0x00, 0x06, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x24,
	0x2c, 0x40, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x06, 0x00,
	0x00, 0x20, 0x00, 0x00, 0x00, 0x07, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
};

/* Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/IPv6(src='fd00::1', dst='fd00::2')/IPv6ExtHdrFragment(id=5, offset=0, m=0)/UDP(sport=1, dport=2)/b'atom' */
static const uint8_t pkt_v6_atomic[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x14, 0x2c, 0x40, 0xfd, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x05, 0x00, 0x01, 0x00, 0x02, 0x00, 0x0c, 0x34, 0xed, 0x61, 0x74,
	0x6f, 0x6d,
};

#define SEC 1000000000ull

static struct weir_stats st;
static struct decode_ctx *dc;
static struct weir_pkt pkt;

static int setup_opts(const struct decode_defrag_opts *d)
{
	struct decode_opts o;

	decode_opts_default(&o);
	if (d)
		o.defrag = *d;
	memset(&st, 0, sizeof(st));
	dc = decode_ctx__new(&o, &st);
	return dc ? 0 : -1;
}

static int setup(void **state)
{
	(void)state;
	return setup_opts(NULL);
}

/* Room for two first fragments (tracker + header copy + piece, ~220 bytes each), not three. */
static int setup_small_memcap(void **state)
{
	struct decode_defrag_opts d = { .memcap = 500 };

	(void)state;
	return setup_opts(&d);
}

static int setup_tiny_memcap(void **state)
{
	struct decode_defrag_opts d = { .memcap = 16 };

	(void)state;
	return setup_opts(&d);
}

static int setup_two_trackers(void **state)
{
	struct decode_defrag_opts d = { .max_trackers = 2 };

	(void)state;
	return setup_opts(&d);
}

static int teardown(void **state)
{
	(void)state;
	decode_ctx__free(dc);
	dc = NULL;
	return 0;
}

static int feed_at(const uint8_t *b, size_t len, uint64_t ts)
{
	memset(&pkt, 0, sizeof(pkt));
	pkt.data = b;
	pkt.caplen = pkt.wirelen = (uint32_t)len;
	pkt.linktype = DECODE_LINK_ETHERNET;
	pkt.ts_ns = ts;
	return decode_packet(dc, &pkt);
}

#define FEED(arr) feed_at(arr, sizeof(arr), 1 * SEC)
#define FEED_AT(arr, t) feed_at(arr, sizeof(arr), t)

/* The reassembled datagram A: UDP 1000 -> 2000 with its 40-byte payload. */
static void assert_datagram_a(void)
{
	assert_int_equal(pkt.flags, PKT_F_IPV4 | PKT_F_L4 | PKT_F_REASSEMBLED);
	assert_int_equal(pkt.sport, 1000);
	assert_int_equal(pkt.dport, 2000);
	assert_int_equal(pkt.l3_len, 20 + 8 + 40);
	assert_int_equal(pkt.payload_len, 40);
	assert_int_equal(pkt.caplen, 14 + 20 + 8 + 40);
	assert_int_equal(pkt.wirelen, pkt.caplen);
	assert_ptr_equal(pkt.l3, pkt.data + 14);
	/* total length fixed, MF and offset cleared */
	assert_int_equal(pkt.l3[2] << 8 | pkt.l3[3], 68);
	assert_int_equal(pkt.l3[6] & 0x3f, 0);
	assert_int_equal(pkt.l3[7], 0);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_REASSEMBLED), 1);
}

static void test_defrag_in_order(void **state)
{
	(void)state;
	assert_int_equal(FEED(pkt_v4_frag0), -EAGAIN);
	assert_int_equal(pkt.flags & PKT_F_FRAG_HELD, PKT_F_FRAG_HELD);
	assert_int_equal(FEED(pkt_v4_frag1), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_frag2), 0);
	assert_datagram_a();
	assert_memory_equal(pkt.payload, "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCC", 40);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_IPV4_FRAGS), 3);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_OVERLAPS), 0);
	assert_int_equal(STAT_GET(&st, DECODE_INVALID), 0);
}

static void test_defrag_out_of_order(void **state)
{
	(void)state;
	assert_int_equal(FEED(pkt_v4_frag2), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_frag0), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_frag1), 0);
	assert_datagram_a();
	assert_memory_equal(pkt.payload, "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCC", 40);
}

static void test_defrag_overlap_first_wins(void **state)
{
	(void)state;
	/* Bytes 8..24 of 'X' arrive after bytes 0..16: only 16..24 are new. */
	assert_int_equal(FEED(pkt_v4_frag0), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_overlap), -EAGAIN);
	/* Bytes 16..32: 16..24 are already held ('X'), 24..32 are new. */
	assert_int_equal(FEED(pkt_v4_frag1), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_frag2), 0);
	assert_datagram_a();
	assert_memory_equal(pkt.payload, "AAAAAAAAXXXXXXXXBBBBBBBBBBBBBBBBCCCCCCCC", 40);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_OVERLAPS), 2);
}

static void test_defrag_overlap_fills_hole(void **state)
{
	(void)state;
	/* 'X' at 8..24 lands between frag0 (0..16) and frag1 (16..32): nothing new. */
	assert_int_equal(FEED(pkt_v4_frag0), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_frag1), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_overlap), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_frag2), 0);
	assert_memory_equal(pkt.payload, "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCC", 40);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_OVERLAPS), 1);
}

static void test_defrag_duplicate(void **state)
{
	(void)state;
	assert_int_equal(FEED(pkt_v4_frag0), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_frag0), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_frag1), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_frag2), 0);
	assert_datagram_a();
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_OVERLAPS), 1);
	/* A late duplicate starts a new datagram that never completes. */
	assert_int_equal(FEED(pkt_v4_frag1), -EAGAIN);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_REASSEMBLED), 1);
}

static void test_defrag_interleaved_datagrams(void **state)
{
	(void)state;
	assert_int_equal(FEED(pkt_v4_frag0), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_b_frag0), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_b_frag2), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_frag1), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_b_frag1), 0);
	assert_memory_equal(pkt.payload, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 40);
	assert_int_equal(FEED(pkt_v4_frag2), 0);
	assert_memory_equal(pkt.payload, "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCC", 40);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_REASSEMBLED), 2);
}

static void test_defrag_timeout_expire(void **state)
{
	(void)state;
	assert_int_equal(FEED_AT(pkt_v4_frag0, 1 * SEC), -EAGAIN);
	decode_expire(dc, 60 * SEC);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_TIMEOUTS), 0);
	decode_expire(dc, 61 * SEC);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_TIMEOUTS), 1);
	assert_int_equal(FEED_AT(pkt_v4_frag1, 62 * SEC), -EAGAIN);
	assert_int_equal(FEED_AT(pkt_v4_frag2, 62 * SEC), -EAGAIN);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_REASSEMBLED), 0);
}

static void test_defrag_timeout_on_insert(void **state)
{
	(void)state;
	assert_int_equal(FEED_AT(pkt_v4_frag0, 1 * SEC), -EAGAIN);
	assert_int_equal(FEED_AT(pkt_v4_frag1, 100 * SEC), -EAGAIN);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_TIMEOUTS), 1);
	assert_int_equal(FEED_AT(pkt_v4_frag2, 100 * SEC), -EAGAIN);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_REASSEMBLED), 0);
}

static void test_defrag_memcap_drops_oldest(void **state)
{
	(void)state;
	assert_int_equal(FEED(pkt_v4_frag0), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_b_frag0), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_c_frag0), -EAGAIN);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_MEMCAP_DROPS), 1);
	/* Datagram A was dropped to make room; its later fragments cannot complete it. */
	assert_int_equal(FEED(pkt_v4_frag1), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_frag2), -EAGAIN);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_REASSEMBLED), 0);
}

static void test_defrag_memcap_refuses_what_never_fits(void **state)
{
	(void)state;
	assert_int_equal(FEED(pkt_v4_frag0), -EINVAL);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_MEMCAP_DROPS), 1);
	assert_int_equal(pkt.flags & PKT_F_FRAG_HELD, 0);
}

static void test_defrag_tracker_limit(void **state)
{
	(void)state;
	assert_int_equal(FEED(pkt_v4_frag0), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_b_frag0), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_c_frag0), -EAGAIN);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_TRACKER_DROPS), 1);
	/* B survived, A (the oldest) did not. */
	assert_int_equal(FEED(pkt_v4_b_frag1), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_b_frag2), 0);
	assert_int_equal(FEED(pkt_v4_frag1), -EAGAIN);
	assert_int_equal(FEED(pkt_v4_frag2), -EAGAIN);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_REASSEMBLED), 1);
}

static void test_defrag_oversize(void **state)
{
	(void)state;
	/* offset 65520 + 16 bytes + 20-byte header > 65535 */
	assert_int_equal(FEED(pkt_v4_oversize), -EINVAL);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_OVERSIZE), 1);
	assert_int_equal(STAT_GET(&st, DECODE_INVALID), 1);
	assert_true(pkt.flags & PKT_F_INVALID);
}

static void test_defrag_ipv6_vlan(void **state)
{
	(void)state;
	assert_int_equal(FEED(pkt_v6_frag1), -EAGAIN);
	assert_int_equal(FEED(pkt_v6_frag0), 0);
	assert_int_equal(pkt.flags, PKT_F_IPV6 | PKT_F_L4 | PKT_F_REASSEMBLED);
	assert_int_equal(pkt.vlan_cnt, 1);
	assert_int_equal(pkt.vlan[0], 6);
	assert_int_equal(pkt.proto, 6);
	assert_int_equal(pkt.sport, 1);
	assert_int_equal(pkt.dport, 2);
	assert_int_equal(pkt.payload_len, 40);
	assert_memory_equal(pkt.payload, "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD", 40);
	/* The fragment header is gone: the IPv6 header names TCP, payload length 60. */
	assert_int_equal(pkt.l3[6], 6);
	assert_int_equal(pkt.l3[4] << 8 | pkt.l3[5], 60);
	assert_int_equal(pkt.l3_len, 100);
	assert_int_equal(pkt.caplen, 18 + 100);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_IPV6_FRAGS), 2);
}

static void test_defrag_ipv6_atomic_fragment_is_whole(void **state)
{
	(void)state;
	/* RFC 6946: offset 0 and M clear is a whole packet, not held. */
	assert_int_equal(FEED(pkt_v6_atomic), 0);
	assert_int_equal(pkt.flags, PKT_F_IPV6 | PKT_F_L4);
	assert_int_equal(pkt.proto, 17);
	assert_memory_equal(pkt.payload, "atom", 4);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_IPV6_FRAGS), 0);
}

static void test_defrag_shard_hash_same_for_all_fragments(void **state)
{
	uint32_t h = decode_shard_hash(pkt_v4_frag0, sizeof(pkt_v4_frag0), DECODE_LINK_ETHERNET);

	(void)state;
	assert_int_not_equal(h, 0);
	assert_int_equal(h, decode_shard_hash(pkt_v4_frag1, sizeof(pkt_v4_frag1),
					      DECODE_LINK_ETHERNET));
	assert_int_equal(decode_shard_hash(pkt_v6_frag0, sizeof(pkt_v6_frag0), DECODE_LINK_ETHERNET),
			 decode_shard_hash(pkt_v6_frag1, sizeof(pkt_v6_frag1),
					   DECODE_LINK_ETHERNET));
}

/*
 * One fragment of a 65535-byte IPv4 datagram (UDP 1.1.1.1:11111 ->
 * 2.2.2.2:9999, payload 65507 bytes of 'U') carried in GRE + PPP, as in
 * suricata-verify defrag/bug-6942: the scapy equivalent is
 * Ether()/IP(src='7.7.7.7', dst='9.9.9.9')/GRE(proto=0x880b)/PPP(b'\xff\x03\x00\x21')/
 * fragment(IP(src='1.1.1.1', dst='2.2.2.2', id=7)/UDP(sport=11111, dport=9999)/
 * (b'U' * 65507), fragsize=1480)[i]. Built here since 45 fragments are too big to list.
 */
#define BIG_PREFIX (14 + 20 + 4 + 4)
#define BIG_FRAG 1480u
#define BIG_DATA 65515u /* 65535 - 20 */

static size_t big_fragment(uint8_t *f, uint32_t off)
{
	static const uint8_t hdr[BIG_PREFIX + 20] = {
		/* Ethernet */
		2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
		/* outer IPv4 7.7.7.7 -> 9.9.9.9, GRE; total length set below */
		0x45, 0, 0, 0, 0, 1, 0, 0, 64, 47, 0, 0, 7, 7, 7, 7, 9, 9, 9, 9,
		/* GRE version 0, protocol PPP; PPP address, control, IPv4 */
		0x00, 0x00, 0x88, 0x0b, 0xff, 0x03, 0x00, 0x21,
		/* inner IPv4 1.1.1.1 -> 2.2.2.2, UDP, id 7; length and offset set below */
		0x45, 0, 0, 0, 0, 7, 0, 0, 64, 17, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
	};
	uint32_t len = BIG_DATA - off < BIG_FRAG ? BIG_DATA - off : BIG_FRAG;
	uint8_t *in = f + BIG_PREFIX, *d = in + 20;
	uint16_t fo = (uint16_t)(off / 8 | (off + len < BIG_DATA ? 0x2000 : 0));

	memcpy(f, hdr, sizeof(hdr));
	f[16] = (uint8_t)((20 + 8 + 20 + len) >> 8);
	f[17] = (uint8_t)(20 + 8 + 20 + len);
	in[2] = (uint8_t)((20 + len) >> 8);
	in[3] = (uint8_t)(20 + len);
	in[6] = (uint8_t)(fo >> 8);
	in[7] = (uint8_t)fo;
	memset(d, 'U', len);
	/* UDP header: 11111 -> 9999, length 65515 */
	memcpy(d, (const uint8_t[]){ 0x2b, 0x67, 0x27, 0x0f, 0xff, 0xeb, 0, 0 }, off ? 0 : 8);
	return BIG_PREFIX + 20 + len;
}

static void test_defrag_max_size_in_gre_ppp(void **state)
{
	uint8_t *f = malloc(BIG_PREFIX + 20 + BIG_FRAG);
	int rc = -EAGAIN;

	(void)state;
	assert_non_null(f);
	/* 44 fragments of 1480 bytes and a last one of 395: every one but the last is held. */
	for (uint32_t off = 0; off < BIG_DATA; off += BIG_FRAG) {
		assert_int_equal(rc, -EAGAIN);
		rc = feed_at(f, big_fragment(f, off), 1 * SEC);
	}
	free(f);
	assert_int_equal(rc, 0);
	assert_int_equal(pkt.flags, PKT_F_IPV4 | PKT_F_L4 | PKT_F_REASSEMBLED);
	assert_int_equal(pkt.tunnel, PKT_TUNNEL_GRE);
	assert_int_equal(pkt.l3_len, 65535);
	assert_int_equal(pkt.sport, 11111);
	assert_int_equal(pkt.dport, 9999);
	assert_int_equal(pkt.payload_len, 65507);
	assert_int_equal(pkt.payload[65506], 'U');
	assert_int_equal(pkt.caplen, BIG_PREFIX + 65535);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_IPV4_FRAGS), 45);
	assert_int_equal(STAT_GET(&st, DECODE_DEFRAG_REASSEMBLED), 1);
	assert_int_equal(STAT_GET(&st, DECODE_INVALID), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(test_defrag_##name, setup, teardown)
#define TS(name, s) cmocka_unit_test_setup_teardown(test_defrag_##name, s, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(in_order),
		T(out_of_order),
		T(overlap_first_wins),
		T(overlap_fills_hole),
		T(duplicate),
		T(interleaved_datagrams),
		T(timeout_expire),
		T(timeout_on_insert),
		TS(memcap_drops_oldest, setup_small_memcap),
		TS(memcap_refuses_what_never_fits, setup_tiny_memcap),
		TS(tracker_limit, setup_two_trackers),
		T(oversize),
		T(ipv6_vlan),
		T(ipv6_atomic_fragment_is_whole),
		T(shard_hash_same_for_all_fragments),
		T(max_size_in_gre_ppp),
	};

	return cmocka_run_group_tests_name("defrag", tests, NULL, NULL);
}
