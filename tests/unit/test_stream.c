// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_stream.c - TCP stream reassembly: order, out of order, retransmission,
 * overlaps, gaps, depth, sequence wrap, TCP Fast Open, inspection window.
 *
 * Each test opens 10.0.0.1:40000 -> 10.0.0.2:80 with a handshake:
 *   IP(src="10.0.0.1",dst="10.0.0.2")/TCP(sport=40000,dport=80,flags="S",seq=ISN)
 *   IP(src="10.0.0.2",dst="10.0.0.1")/TCP(sport=80,dport=40000,flags="SA",seq=5000,ack=ISN+1)
 *   IP(src="10.0.0.1",dst="10.0.0.2")/TCP(sport=40000,dport=80,flags="A",seq=ISN+1,ack=5001)
 * then client data segments .../TCP(flags="PA",seq=ISN+1+off)/Raw(load=...).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "flow/flow.h"

#define T0 (1700000000ULL * 1000000000ULL)

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

struct sfx {
	struct flow_table *ft;
	struct weir_stats st;
	struct flow *f;
	uint32_t isn;
	uint64_t ts;
	int ended;
	uint32_t end_len;       /* window length seen by on_end (last inspection) */
	uint32_t end_new_off;
	uint8_t end_data[64];
};

static void on_end(void *arg, struct flow *f, enum flow_end_reason why)
{
	struct sfx *s = arg;
	struct flow_stream_view v;

	(void)why;
	flow_stream_view(f, FLOW_DIR_TOSERVER, &v);
	s->ended++;
	s->end_len = v.len;
	s->end_new_off = v.new_off;
	for (uint32_t i = 0; i < v.len && i < sizeof(s->end_data); i++)
		s->end_data[i] = v.data[i];
}

static struct weir_pkt tcp(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
			   const void *data, uint32_t len, uint64_t ts)
{
	struct weir_pkt p;
	struct weir_addr c = { { 0 } }, s = { { 0 } };

	inet_pton(AF_INET, "10.0.0.1", &c.a[0]);
	inet_pton(AF_INET, "10.0.0.2", &s.a[0]);
	memset(&p, 0, sizeof(p));
	p.ts_ns = ts;
	p.wirelen = 54 + len;
	p.flags = PKT_F_IPV4 | PKT_F_L4;
	p.ip_ver = 4;
	p.proto = IPPROTO_TCP;
	p.src = from_client ? c : s;
	p.dst = from_client ? s : c;
	p.sport = from_client ? 40000 : 80;
	p.dport = from_client ? 80 : 40000;
	p.tcp_flags = flags;
	p.tcp_seq = seq;
	p.tcp_ack = ack;
	p.payload = data;
	p.payload_len = len;
	return p;
}

static struct flow_pkt_info send_pkt(struct sfx *s, const struct weir_pkt *p)
{
	struct flow_pkt_info fi;

	assert_int_equal(flow_table__process(s->ft, p, &fi), 0);
	s->f = fi.flow;
	return fi;
}

/* Client data at stream offset @off (seq = isn + 1 + off). */
static struct flow_pkt_info cdata(struct sfx *s, uint32_t off, const char *data)
{
	struct weir_pkt p = tcp(true, F_PSH | F_ACK, s->isn + 1 + off, 5001, data,
				(uint32_t)strlen(data), ++s->ts);

	return send_pkt(s, &p);
}

static struct sfx *sfx_new(const struct flow_table_opts *o, uint32_t isn)
{
	struct sfx *s = calloc(1, sizeof(*s));
	struct weir_pkt syn, sa, ack;

	assert_non_null(s);
	s->ft = flow_table__new(o, on_end, s, &s->st);
	assert_non_null(s->ft);
	s->isn = isn;
	s->ts = T0;
	syn = tcp(true, F_SYN, isn, 0, NULL, 0, ++s->ts);
	sa = tcp(false, F_SYN | F_ACK, 5000, isn + 1, NULL, 0, ++s->ts);
	ack = tcp(true, F_ACK, isn + 1, 5001, NULL, 0, ++s->ts);
	send_pkt(s, &syn);
	send_pkt(s, &sa);
	assert_true(send_pkt(s, &ack).established);
	return s;
}

static void sfx_free(struct sfx *s)
{
	flow_table__flush(s->ft, FLOW_END_SHUTDOWN);
	assert_int_equal(flow_table__memuse(s->ft), 0);
	flow_table__free(s->ft);
	free(s);
}

/* The client window as a NUL-terminated string, plus new_off and offset. */
static void view(struct sfx *s, char *out, size_t outsz, uint32_t *new_off, uint64_t *offset)
{
	struct flow_stream_view v;

	flow_stream_view(s->f, FLOW_DIR_TOSERVER, &v);
	assert_true(v.len < outsz);
	for (uint32_t i = 0; i < v.len; i++)
		out[i] = (char)v.data[i];
	out[v.len] = '\0';
	*new_off = v.new_off;
	*offset = v.offset;
}

static void test_stream_in_order(void **state)
{
	struct sfx *s = sfx_new(NULL, 1000);
	struct flow_pkt_info fi;
	char buf[64];
	uint32_t no;
	uint64_t off;

	(void)state;
	fi = cdata(s, 0, "GET /");
	assert_true(fi.stream_new);
	assert_false(fi.retransmit);
	assert_int_equal(fi.dir, FLOW_DIR_TOSERVER);
	fi = cdata(s, 5, "index");
	assert_true(fi.stream_new);
	view(s, buf, sizeof(buf), &no, &off);
	assert_string_equal(buf, "GET /index");
	assert_int_equal(off, 0);
	assert_int_equal(no, 0);
	assert_int_equal(s->f->stream[FLOW_DIR_TOSERVER].reassembled, 10);
	sfx_free(s);
}

/* Segments 3, 1, 2 arrive in that order: nothing until the hole fills. */
static void test_stream_out_of_order(void **state)
{
	struct sfx *s = sfx_new(NULL, 1000);
	struct flow_pkt_info f3, f2, f1;
	char buf[64];
	uint32_t no;
	uint64_t off;

	(void)state;
	f3 = cdata(s, 8, "ccc");
	assert_false(f3.stream_new);
	assert_int_equal(s->f->stream[FLOW_DIR_TOSERVER].ooo_cnt, 1);
	f1 = cdata(s, 0, "aaaa");
	assert_true(f1.stream_new);
	f2 = cdata(s, 4, "bbbb");
	assert_true(f2.stream_new);
	view(s, buf, sizeof(buf), &no, &off);
	assert_string_equal(buf, "aaaabbbbccc");
	assert_int_equal(s->f->stream[FLOW_DIR_TOSERVER].ooo_cnt, 0);
	assert_int_equal(s->f->stream[FLOW_DIR_TOSERVER].ooo_bytes, 0);
	assert_int_equal(STAT_GET(&s->st, STREAM_OOO_SEGMENTS), 1);
	assert_int_equal(STAT_GET(&s->st, STREAM_GAPS), 0);
	sfx_free(s);
}

/* A retransmitted segment adds nothing and is flagged. */
static void test_stream_retransmission(void **state)
{
	struct sfx *s = sfx_new(NULL, 1000);
	struct flow_pkt_info fi;
	char buf[64];
	uint32_t no;
	uint64_t off;

	(void)state;
	cdata(s, 0, "hello ");
	cdata(s, 6, "world");
	flow_stream_inspected(s->ft, s->f, FLOW_DIR_TOSERVER);
	fi = cdata(s, 6, "world");
	assert_true(fi.retransmit);
	assert_false(fi.stream_new);
	view(s, buf, sizeof(buf), &no, &off);
	assert_string_equal(buf, "hello world");
	assert_int_equal(no, 11);   /* nothing new to inspect */
	assert_int_equal(STAT_GET(&s->st, STREAM_RETRANSMITS), 1);
	assert_int_equal(STAT_GET(&s->st, STREAM_OVERLAP_DIFF), 0);
	sfx_free(s);
}

/*
 * Overlap, first data wins: "AAAA" at 0, then "XXBBBB" at 2 (differs in the
 * overlapped bytes); then a queued piece "DDDD" at 10 beats "YYYY" at 10 that
 * arrives in order later, inside "CCCCYYYY" at 6.
 */
static void test_stream_overlap_first_wins(void **state)
{
	struct sfx *s = sfx_new(NULL, 1000);
	struct flow_pkt_info fi;
	char buf[64];
	uint32_t no;
	uint64_t off;

	(void)state;
	cdata(s, 0, "AAAA");
	fi = cdata(s, 2, "XXBB");
	assert_true(fi.stream_new);
	assert_false(fi.retransmit);
	cdata(s, 10, "DDDD");
	fi = cdata(s, 6, "CCCCYYYY");
	assert_true(fi.stream_new);
	view(s, buf, sizeof(buf), &no, &off);
	assert_string_equal(buf, "AAAABBCCCCDDDD");
	assert_int_equal(STAT_GET(&s->st, STREAM_OVERLAPS), 2);
	assert_int_equal(STAT_GET(&s->st, STREAM_OVERLAP_DIFF), 2);
	assert_int_equal(STAT_GET(&s->st, STREAM_RETRANSMITS), 0);
	sfx_free(s);
}

/* Overlap among queued out-of-order pieces also keeps the first bytes. */
static void test_stream_overlap_in_queue(void **state)
{
	struct sfx *s = sfx_new(NULL, 1000);
	struct flow_pkt_info fi;
	char buf[64];
	uint32_t no;
	uint64_t off;

	(void)state;
	cdata(s, 4, "bbbb");
	fi = cdata(s, 4, "bbbb");          /* same bytes again, still queued */
	assert_true(fi.retransmit);
	cdata(s, 6, "ZZcc");              /* overlaps 6..7 with different bytes */
	cdata(s, 0, "aaaa");
	view(s, buf, sizeof(buf), &no, &off);
	assert_string_equal(buf, "aaaabbbbcc");
	assert_int_equal(STAT_GET(&s->st, STREAM_RETRANSMITS), 1);
	assert_int_equal(STAT_GET(&s->st, STREAM_OVERLAPS), 1);
	assert_int_equal(STAT_GET(&s->st, STREAM_OVERLAP_DIFF), 1);
	sfx_free(s);
}

/* With stream_ooo_max 8, a third queued segment forces the first hole to be skipped. */
static void test_stream_gap_at_ooo_limit(void **state)
{
	struct sfx *s = sfx_new(&(struct flow_table_opts){ .stream_ooo_max = 8 }, 1000);
	struct flow_pkt_info fi;
	char buf[64];
	uint32_t no;
	uint64_t off;

	(void)state;
	cdata(s, 0, "0123");
	flow_stream_inspected(s->ft, s->f, FLOW_DIR_TOSERVER);
	cdata(s, 10, "kkkk");              /* hole at 4..9 */
	cdata(s, 14, "llll");
	assert_int_equal(s->f->stream[FLOW_DIR_TOSERVER].ooo_bytes, 8);
	fi = cdata(s, 20, "nnnn");         /* no room: skip to 10 */
	assert_true(fi.stream_new);
	view(s, buf, sizeof(buf), &no, &off);
	assert_string_equal(buf, "kkkkllll");   /* the window restarts after the hole */
	assert_int_equal(off, 10);
	assert_int_equal(no, 0);
	assert_int_equal(s->f->stream[FLOW_DIR_TOSERVER].ooo_cnt, 1);   /* "nnnn" queued */
	assert_int_equal(STAT_GET(&s->st, STREAM_GAPS), 1);
	assert_int_equal(STAT_GET(&s->st, STREAM_WINDOW_OVERFLOW), 0);
	sfx_free(s);
}

/* At FIN the sender is done: the hole is skipped and the queue delivered. */
static void test_stream_gap_at_fin(void **state)
{
	struct sfx *s = sfx_new(NULL, 1000);
	struct weir_pkt fin;
	struct flow_pkt_info fi;
	char buf[64];
	uint32_t no;
	uint64_t off;

	(void)state;
	cdata(s, 0, "head");
	flow_stream_inspected(s->ft, s->f, FLOW_DIR_TOSERVER);
	cdata(s, 8, "tail");               /* hole at 4..7 */
	fin = tcp(true, F_FIN | F_ACK, s->isn + 1 + 12, 5001, NULL, 0, ++s->ts);
	fi = send_pkt(s, &fin);
	assert_true(fi.stream_new);
	view(s, buf, sizeof(buf), &no, &off);
	assert_string_equal(buf, "tail");
	assert_int_equal(off, 8);
	assert_int_equal(STAT_GET(&s->st, STREAM_GAPS), 1);
	sfx_free(s);
}

/* At flow end the last inspection (on_end) sees what the queue held. */
static void test_stream_gap_at_flow_end(void **state)
{
	struct sfx *s = sfx_new(NULL, 1000);

	(void)state;
	cdata(s, 0, "head");
	flow_stream_inspected(s->ft, s->f, FLOW_DIR_TOSERVER);
	cdata(s, 6, "late");
	flow_table__flush(s->ft, FLOW_END_SHUTDOWN);
	assert_int_equal(s->ended, 1);
	assert_int_equal(s->end_len, 4);
	assert_int_equal(s->end_new_off, 0);
	assert_memory_equal(s->end_data, "late", 4);
	assert_int_equal(STAT_GET(&s->st, STREAM_GAPS), 1);
	sfx_free(s);
}

/* Server ACK for the client's stream: IP(src="10.0.0.2")/TCP(sport=80,flags="A",seq=5001,ack=@ack). */
static void sack_to(struct sfx *s, uint32_t off)
{
	struct weir_pkt a = tcp(false, F_ACK, 5001, s->isn + 1 + off, NULL, 0, ++s->ts);

	send_pkt(s, &a);
}

/*
 * The server acknowledged bytes 0..11 but the capture lost 4..7: the hole is
 * final, so "tail" at 8 is delivered at once instead of waiting in the queue.
 */
static void test_stream_gap_acked(void **state)
{
	struct sfx *s = sfx_new(NULL, 1000);
	struct flow_pkt_info fi;
	char buf[64];
	uint32_t no;
	uint64_t off;

	(void)state;
	cdata(s, 0, "head");
	flow_stream_inspected(s->ft, s->f, FLOW_DIR_TOSERVER);
	sack_to(s, 12);
	fi = cdata(s, 8, "tail");
	assert_true(fi.stream_new);
	view(s, buf, sizeof(buf), &no, &off);
	assert_string_equal(buf, "tail");
	assert_int_equal(off, 8);
	assert_int_equal(no, 0);
	assert_int_equal(s->f->stream[FLOW_DIR_TOSERVER].ooo_cnt, 0);
	assert_int_equal(STAT_GET(&s->st, STREAM_GAPS), 1);
	assert_int_equal(STAT_GET(&s->st, STREAM_WINDOW_OVERFLOW), 0);
	sfx_free(s);
}

/* Not acknowledged yet: a hole may still fill, the segment waits in the queue. */
static void test_stream_gap_not_acked_waits(void **state)
{
	struct sfx *s = sfx_new(NULL, 1000);
	struct flow_pkt_info fi;

	(void)state;
	cdata(s, 0, "head");
	flow_stream_inspected(s->ft, s->f, FLOW_DIR_TOSERVER);
	sack_to(s, 4);
	fi = cdata(s, 8, "tail");
	assert_false(fi.stream_new);
	assert_int_equal(s->f->stream[FLOW_DIR_TOSERVER].ooo_cnt, 1);
	assert_int_equal(STAT_GET(&s->st, STREAM_GAPS), 0);
	sfx_free(s);
}

/*
 * An acknowledged hole is only skipped once the window was inspected: unread
 * "head" stays, "tail" waits; after inspection the next segment skips the hole.
 */
static void test_stream_gap_acked_after_inspection(void **state)
{
	struct sfx *s = sfx_new(NULL, 1000);
	struct flow_pkt_info fi;
	char buf[64];
	uint32_t no;
	uint64_t off;

	(void)state;
	cdata(s, 0, "head");
	sack_to(s, 12);
	fi = cdata(s, 8, "tail");
	assert_false(fi.stream_new);
	flow_stream_inspected(s->ft, s->f, FLOW_DIR_TOSERVER);
	fi = cdata(s, 12, "more");
	assert_true(fi.stream_new);
	view(s, buf, sizeof(buf), &no, &off);
	assert_string_equal(buf, "tailmore");
	assert_int_equal(off, 8);
	assert_int_equal(STAT_GET(&s->st, STREAM_WINDOW_OVERFLOW), 0);
	sfx_free(s);
}

/* Depth 8: "12345678" fits, the 9th byte on is not reassembled; counted once. */
static void test_stream_depth(void **state)
{
	struct sfx *s = sfx_new(&(struct flow_table_opts){ .stream_depth = 8 }, 1000);
	struct flow_pkt_info fi;
	char buf[64];
	uint32_t no;
	uint64_t off;

	(void)state;
	cdata(s, 0, "12345");
	fi = cdata(s, 5, "678XYZ");
	assert_true(fi.stream_new);
	fi = cdata(s, 11, "more");
	assert_false(fi.stream_new);
	fi = cdata(s, 30, "far");          /* past the depth: not even queued */
	view(s, buf, sizeof(buf), &no, &off);
	assert_string_equal(buf, "12345678");
	assert_true(s->f->stream[FLOW_DIR_TOSERVER].depth_reached);
	assert_int_equal(s->f->stream[FLOW_DIR_TOSERVER].ooo_cnt, 0);
	assert_int_equal(STAT_GET(&s->st, STREAM_DEPTH_REACHED), 1);
	sfx_free(s);
}

/* ISN 0xfffffffa: the data crosses 2^32 (seq 0xfffffffb .. 0x00000004). */
static void test_stream_seq_wrap(void **state)
{
	struct sfx *s = sfx_new(NULL, 0xfffffffaU);
	struct flow_pkt_info fi;
	char buf[64];
	uint32_t no;
	uint64_t off;

	(void)state;
	cdata(s, 7, "WXYZ");               /* seq 0x00000002: after the wrap, queued */
	fi = cdata(s, 0, "abcd");          /* seq 0xfffffffb */
	assert_true(fi.stream_new);
	fi = cdata(s, 3, "dEFG");          /* seq 0xfffffffe..0x1: overlaps one byte */
	view(s, buf, sizeof(buf), &no, &off);
	assert_string_equal(buf, "abcdEFGWXYZ");
	fi = cdata(s, 4, "EFG");           /* retransmission across the wrap */
	assert_true(fi.retransmit);
	assert_int_equal(s->f->stream[FLOW_DIR_TOSERVER].next_seq, 6);
	assert_int_equal(s->f->stream[FLOW_DIR_TOSERVER].reassembled, 11);
	sfx_free(s);
}

/*
 * suricata-verify tcp-fastopen: SYN seq=2484001825 with 3 bytes of data
 * (TFO), SYN/ACK ack=2484001829 (acks the data), ACK: established, and the
 * SYN's data is stream offset 0.
 */
static void test_stream_tfo_syn_data(void **state)
{
	struct flow_table *ft;
	struct weir_stats st = { { 0 } };
	struct weir_pkt syn = tcp(true, F_SYN, 2484001825U, 0, "abc", 3, T0);
	struct weir_pkt sa = tcp(false, F_SYN | F_ACK, 318160177, 2484001829U, NULL, 0, T0 + 1);
	struct weir_pkt ack = tcp(true, F_ACK, 2484001829U, 318160178, NULL, 0, T0 + 2);
	struct weir_pkt resp = tcp(false, F_PSH | F_ACK, 318160178, 2484001829U, "Hello!", 6, T0 + 3);
	struct flow_pkt_info fi;
	struct flow_stream_view v;

	(void)state;
	syn.flags |= PKT_F_TCP_TFO;
	ft = flow_table__new(NULL, NULL, NULL, &st);
	assert_non_null(ft);
	assert_int_equal(flow_table__process(ft, &syn, &fi), 0);
	assert_true(fi.stream_new);
	flow_stream_view(fi.flow, FLOW_DIR_TOSERVER, &v);
	assert_int_equal(v.len, 3);
	assert_int_equal(v.offset, 0);
	assert_memory_equal(v.data, "abc", 3);
	assert_int_equal(flow_table__process(ft, &sa, &fi), 0);
	assert_int_equal(flow_table__process(ft, &ack, &fi), 0);
	assert_true(fi.established);
	assert_int_equal(flow_table__process(ft, &resp, &fi), 0);
	assert_int_equal(fi.dir, FLOW_DIR_TOCLIENT);
	assert_true(fi.stream_new);
	flow_stream_view(fi.flow, FLOW_DIR_TOCLIENT, &v);
	assert_int_equal(v.len, 6);
	assert_memory_equal(v.data, "Hello!", 6);
	flow_table__flush(ft, FLOW_END_SHUTDOWN);
	flow_table__free(ft);
}

/*
 * Window 4: after inspection only the last 4 bytes stay as look-behind, and
 * new_off points at the first new byte, so "needle" split as "nee"|"dle" is
 * found in the next window while old bytes are not reported again.
 */
static void test_stream_window_lookbehind(void **state)
{
	struct sfx *s = sfx_new(&(struct flow_table_opts){ .stream_window = 4 }, 1000);
	char buf[64];
	uint32_t no;
	uint64_t off;

	(void)state;
	cdata(s, 0, "xxxxxxnee");
	view(s, buf, sizeof(buf), &no, &off);
	assert_string_equal(buf, "xxxxxxnee");
	assert_int_equal(no, 0);
	flow_stream_inspected(s->ft, s->f, FLOW_DIR_TOSERVER);
	view(s, buf, sizeof(buf), &no, &off);
	assert_string_equal(buf, "xnee");
	assert_int_equal(no, 4);
	assert_int_equal(off, 5);
	cdata(s, 9, "dle!");
	view(s, buf, sizeof(buf), &no, &off);
	assert_string_equal(buf, "xneedle!");
	assert_int_equal(no, 4);
	assert_int_equal(off, 5);
	sfx_free(s);
}

/* Without inspection the window stays bounded; dropping unread bytes is counted. */
static void test_stream_window_bounded(void **state)
{
	struct flow_table_opts o = { .stream_window = 16, .stream_ooo_max = 1024 };
	struct sfx *s = sfx_new(&o, 1000);
	static uint8_t chunk[32768];
	struct weir_pkt p;
	struct flow_stream_view v;
	uint32_t i;

	(void)state;
	memset(chunk, 'q', sizeof(chunk));
	for (i = 0; i < 8; i++) {
		p = tcp(true, F_ACK, s->isn + 1 + i * (uint32_t)sizeof(chunk), 5001, chunk,
			sizeof(chunk), ++s->ts);
		send_pkt(s, &p);
	}
	flow_stream_view(s->f, FLOW_DIR_TOSERVER, &v);
	/* look-behind + one 64 KiB segment, plus one queue's worth of unread bytes */
	assert_true(v.len <= 16 + 65536 + 1024);
	assert_int_equal(v.offset + v.len, 8 * sizeof(chunk));
	assert_true(STAT_GET(&s->st, STREAM_WINDOW_OVERFLOW) > 0);
	assert_true(s->f->stream[FLOW_DIR_TOSERVER].buf_cap <= 16 + 65536 + 1024);
	sfx_free(s);
}

/* Inspected after every packet: the window never overflows. */
static void test_stream_window_inspected_no_overflow(void **state)
{
	struct sfx *s = sfx_new(&(struct flow_table_opts){ .stream_window = 16 }, 1000);
	static uint8_t chunk[32768];
	struct weir_pkt p;
	struct flow_stream_view v;
	uint32_t i;

	(void)state;
	memset(chunk, 'q', sizeof(chunk));
	for (i = 0; i < 8; i++) {
		p = tcp(true, F_ACK, s->isn + 1 + i * (uint32_t)sizeof(chunk), 5001, chunk,
			sizeof(chunk), ++s->ts);
		send_pkt(s, &p);
		flow_stream_inspected(s->ft, s->f, FLOW_DIR_TOSERVER);
	}
	flow_stream_view(s->f, FLOW_DIR_TOSERVER, &v);
	assert_int_equal(v.len, 16);
	assert_int_equal(v.new_off, 16);
	assert_int_equal(STAT_GET(&s->st, STREAM_WINDOW_OVERFLOW), 0);
	sfx_free(s);
}

/* Mid-stream: the first data segment seen is stream offset 0. */
static void test_stream_midstream_start(void **state)
{
	struct flow_table *ft = flow_table__new(NULL, NULL, NULL, NULL);
	struct weir_pkt a = tcp(true, F_PSH | F_ACK, 777, 1, "abc", 3, T0);
	struct weir_pkt b = tcp(true, F_PSH | F_ACK, 780, 1, "def", 3, T0 + 1);
	struct flow_pkt_info fi;
	struct flow_stream_view v;

	(void)state;
	assert_non_null(ft);
	assert_int_equal(flow_table__process(ft, &a, &fi), 0);
	assert_int_equal(flow_table__process(ft, &b, &fi), 0);
	assert_false(fi.established);
	flow_stream_view(fi.flow, FLOW_DIR_TOSERVER, &v);
	assert_int_equal(v.offset, 0);
	assert_int_equal(v.len, 6);
	assert_memory_equal(v.data, "abcdef", 6);
	flow_table__flush(ft, FLOW_END_SHUTDOWN);
	flow_table__free(ft);
}

/* Stream buffers count against the memcap: a flow's buffer evicts an older flow. */
static void test_stream_memcap_evicts(void **state)
{
	struct flow_table_opts o = { .memcap = sizeof(struct flow) + 4096 };
	struct sfx *s = sfx_new(&o, 1000);
	struct weir_pkt u;
	struct flow_pkt_info fi;
	static uint8_t big[3000];

	(void)state;
	memset(big, 'z', sizeof(big));
	u = tcp(true, F_ACK, 1, 1, NULL, 0, ++s->ts);
	u.proto = IPPROTO_UDP;
	u.sport = 9999;
	assert_int_equal(flow_table__process(s->ft, &u, &fi), 0);   /* an older flow */
	u.sport = 9998;
	assert_int_equal(flow_table__process(s->ft, &u, &fi), 0);
	assert_int_equal(flow_table__count(s->ft), 3);
	u = tcp(true, F_ACK, s->isn + 1, 5001, big, sizeof(big), ++s->ts);
	fi = send_pkt(s, &u);
	assert_true(fi.stream_new);
	assert_int_equal(STAT_GET(&s->st, FLOW_EMERG_EVICTED), 2);
	assert_int_equal(flow_table__count(s->ft), 1);
	assert_true(flow_table__memuse(s->ft) <= o.memcap);
	sfx_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_in_order),
		cmocka_unit_test(test_stream_out_of_order),
		cmocka_unit_test(test_stream_retransmission),
		cmocka_unit_test(test_stream_overlap_first_wins),
		cmocka_unit_test(test_stream_overlap_in_queue),
		cmocka_unit_test(test_stream_gap_at_ooo_limit),
		cmocka_unit_test(test_stream_gap_at_fin),
		cmocka_unit_test(test_stream_gap_at_flow_end),
		cmocka_unit_test(test_stream_gap_acked),
		cmocka_unit_test(test_stream_gap_not_acked_waits),
		cmocka_unit_test(test_stream_gap_acked_after_inspection),
		cmocka_unit_test(test_stream_depth),
		cmocka_unit_test(test_stream_seq_wrap),
		cmocka_unit_test(test_stream_tfo_syn_data),
		cmocka_unit_test(test_stream_window_lookbehind),
		cmocka_unit_test(test_stream_window_bounded),
		cmocka_unit_test(test_stream_window_inspected_no_overflow),
		cmocka_unit_test(test_stream_midstream_start),
		cmocka_unit_test(test_stream_memcap_evicts),
	};

	return cmocka_run_group_tests_name("stream", tests, NULL, NULL);
}
