// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_detect_match.c - matching semantics: content chains (offset, depth,
 * distance, within, backtracking), negated contents, nocase, pcre relative,
 * the stream "must reach new data" rule, and through detect_packet(): header
 * checks, flow direction and state, flags, dsize, flowbits, every threshold
 * type, alert order, and TCP stream inspection with the real flow table
 * (a content split across segments alerts once, a retransmission never).
 *
 * Packets are struct weir_pkt values as decode fills them; each names the
 * scapy packet it stands for.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "detect/detect_int.h"

#define SEC 1000000000ULL
#define T0  (1700000000ULL * SEC)

static struct det_parse_ctx ctx;
static pcre2_match_data *md;
static char err[256];

struct sink {
	int n;
	uint32_t sid[64];
	const char *dir[64];
	uint64_t pcap_cnt[64];
};

static int setup(void **state)
{
	(void)state;
	assert_int_equal(det_ctx_init(&ctx), 0);
	md = pcre2_match_data_create(1, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	det_ctx_free(&ctx);
	pcre2_match_data_free(md);
	return 0;
}

static struct det_rule *parse(const char *text)
{
	struct det_rule *r = det_rule_parse(&ctx, text, err, sizeof(err));

	assert_non_null(r);
	return r;
}

/* Does @rule's payload chain match @s? */
static bool pm(const char *rule, const char *s, uint32_t min_end)
{
	struct det_rule *r = parse(rule);
	bool m = det_pm_match(r, (const uint8_t *)s, (uint32_t)strlen(s), min_end, md);

	det_rule_free(r);
	return m;
}

#define R(opts) "alert tcp any any -> any any (" opts " sid:1;)"

static void test_detect_match_offset_depth(void **state)
{
	(void)state;
	assert_true(pm(R("content:\"abc\"; offset:2; depth:3;"), "xxabcyy", 0));
	assert_false(pm(R("content:\"abc\"; offset:3;"), "xxabcyy", 0));
	/* depth counts from offset: window [2, 5) */
	assert_false(pm(R("content:\"abc\"; offset:2; depth:3;"), "xxxabcy", 0));
	assert_true(pm(R("content:\"abc\"; depth:5;"), "xxabc", 0));
	assert_false(pm(R("content:\"abc\"; depth:4;"), "xxabc", 0));
}

static void test_detect_match_distance_within(void **state)
{
	(void)state;
	assert_true(pm(R("content:\"ab\"; content:\"cd\"; distance:2; within:2;"), "ab..cd", 0));
	assert_false(pm(R("content:\"ab\"; content:\"cd\"; distance:2; within:2;"), "ab...cd", 0));
	assert_false(pm(R("content:\"ab\"; content:\"cd\"; distance:3;"), "ab..cd", 0));
	assert_true(pm(R("content:\"ab\"; content:\"cd\"; within:4;"), "ab..cd", 0));
	/* negative distance looks back into the previous match */
	assert_true(pm(R("content:\"abcd\"; content:\"cd\"; distance:-2; within:2;"), "abcd", 0));
}

static void test_detect_match_backtracks(void **state)
{
	(void)state;
	/* the first "ab" has no "cd" right after it; the second does */
	assert_true(pm(R("content:\"ab\"; content:\"cd\"; distance:0; within:2;"), "ab--abcd", 0));
	/* the shape of suricata-verify bug-5162's SMB chain (no NULs: strlen) */
	assert_true(pm(R("content:\"SMB\"; depth:8; content:\"|09 01|\"; distance:2; within:2; "
			 "content:\"Z\"; distance:0;"),
		       "\xfeSMB\x09\x01\x09\x01\x09\x01Z", 0));
	assert_false(pm(R("content:\"SMB\"; depth:8; content:\"|09 01|\"; distance:3; within:2;"),
			"\xfeSMB\x09\x01\x09\x01", 0));
}

static void test_detect_match_negated(void **state)
{
	(void)state;
	assert_true(pm(R("content:\"GET\"; content:!\"admin\"; distance:0; within:10;"), "GET /index", 0));
	assert_false(pm(R("content:\"GET\"; content:!\"admin\"; distance:0; within:10;"), "GET /admin", 0));
	/* outside the window the negated content does not matter */
	assert_true(pm(R("content:\"GET\"; content:!\"admin\"; distance:0; within:6;"), "GET /xxadmin", 0));
	assert_true(pm(R("content:\"a\"; content:!\"zz\";"), "abc", 0));
}

static void test_detect_match_nocase(void **state)
{
	(void)state;
	assert_true(pm(R("content:\"HeLLo\"; nocase;"), "xhelloy", 0));
	assert_false(pm(R("content:\"HeLLo\";"), "xhelloy", 0));
}

static void test_detect_match_pcre_relative(void **state)
{
	(void)state;
	/* ^ anchors at the end of the previous match with /R */
	assert_true(pm(R("content:\"key=\"; pcre:\"/^[0-9]+;/R\";"), "a key=123;", 0));
	assert_false(pm(R("content:\"key=\"; pcre:\"/^[0-9]+;/R\";"), "a key= 123;", 0));
	assert_true(pm(R("pcre:\"/user\\s+root/i\";"), "USER   ROOT", 0));
	assert_false(pm(R("content:\"a\"; pcre:!\"/b/\";"), "ab", 0));
	/* content after a pcre is relative to the pcre's end */
	assert_true(pm(R("pcre:\"/x+/\"; content:\"y\"; distance:0; within:1;"), "xxxy", 0));
}

static void test_detect_match_pcre_limits(void **state)
{
	/* the first branch backtracks through every split of the x's before the
	 * second one matches: within PCRE2's default limit, past Suricata's */
	struct det_rule *r = parse(R("pcre:\"/(x+x+)+y|x{20}$/\";"));
	void *mctx = det_pcre_limits_new();
	const char *s = "xxxxxxxxxxxxxxxxxxxx";

	(void)state;
	assert_non_null(mctx);
	assert_true(det_pm_match(r, (const uint8_t *)s, (uint32_t)strlen(s), 0, md));
	assert_false(det_pm_match_lim(r, (const uint8_t *)s, (uint32_t)strlen(s), 0, md, mctx));
	det_pcre_limits_free(mctx);
	det_rule_free(r);
}

static void test_detect_match_stream_needs_new_data(void **state)
{
	(void)state;
	/* the window holds 6 old bytes then new ones; a match must reach byte 7 */
	assert_false(pm(R("content:\"OLD\";"), "xxOLDxNEW", 7));
	assert_true(pm(R("content:\"NEW\";"), "xxOLDxNEW", 7));
	/* a pattern split across the boundary counts */
	assert_true(pm(R("content:\"xNE\";"), "xxOLDxNEW", 7));
	/* with two occurrences the later one is found */
	assert_true(pm(R("content:\"AB\";"), "ABxxxxAB", 7));
}

/*
 * A rule whose content reaches new data but whose non-relative pcre (or
 * content) lies wholly in data inspected before matched already: it must not
 * alert again on every later packet that brings its fast pattern (seen on
 * lm-psexec-smb-svcctl.pcapng: 8 alerts instead of 1).
 */
static void test_detect_match_stream_old_part_does_not_realert(void **state)
{
	(void)state;
	/* the window holds 6 old bytes then new ones; a match must reach byte 7 */
	assert_false(pm(R("content:\"NEW\"; pcre:\"/OLD/\";"), "xxOLDxNEW", 7));
	assert_false(pm(R("pcre:\"/OLD/\"; content:\"NEW\";"), "xxOLDxNEW", 7));
	assert_false(pm(R("content:\"NEW\"; content:\"OLD\";"), "xxOLDxNEW", 7));
	/* a relative chain is one match: it may start in old data */
	assert_true(pm(R("content:\"OLD\"; content:\"NEW\"; distance:0;"), "xxOLDxNEW", 7));
	assert_true(pm(R("content:\"OLD\"; pcre:\"/NEW/R\";"), "xxOLDxNEW", 7));
	/* an occurrence in the new data is found past the old one */
	assert_true(pm(R("content:\"NEW\"; pcre:\"/OLD/\";"), "xxOLDxNEWOLD", 7));
	/* packets have no old data */
	assert_true(pm(R("content:\"NEW\"; pcre:\"/OLD/\";"), "xxOLDxNEW", 0));
}

/* --- detect_packet --------------------------------------------------------- */

static void sink_emit(void *arg, const struct weir_event *ev)
{
	struct sink *s = arg;

	int i = s->n < 64 ? s->n : 63; /* past 64 only the count matters */

	assert_int_equal(ev->type, EVENT_ALERT);
	assert_string_equal(ev->alert.action, "allowed");
	s->sid[i] = ev->alert.sig->sid;
	s->dir[i] = ev->direction;
	s->pcap_cnt[i] = ev->pcap_cnt;
	s->n++;
}

struct rig {
	char path[64];
	struct detect_engine *de;
	struct detect_worker *dw;
	struct weir_stats stats;
	struct sink sink;
};

static void rig_open(struct rig *g, const char *rules)
{
	const char *paths[2] = { g->path, NULL };
	struct detect_opts o = { .rule_paths = paths };
	int fd;

	memset(g, 0, sizeof(*g));
	strcpy(g->path, "/tmp/test_detect_XXXXXX");
	fd = mkstemp(g->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, rules, strlen(rules)), (ssize_t)strlen(rules));
	close(fd);
	g->de = detect_engine__new(&o, NULL);
	assert_non_null(g->de);
	g->dw = detect_worker__new(g->de, &g->stats, sink_emit, &g->sink);
	assert_non_null(g->dw);
}

static void rig_close(struct rig *g)
{
	detect_worker__free(g->dw);
	detect_engine__free(g->de);
	unlink(g->path);
}

static struct weir_addr ip4(const char *s)
{
	struct weir_addr a = { { 0 } };

	inet_pton(AF_INET, s, &a.a[0]);
	return a;
}

/* A TCP packet as decode fills it. */
static struct weir_pkt tcp(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			   uint8_t flags, const char *payload, uint64_t ts)
{
	struct weir_pkt p;

	memset(&p, 0, sizeof(p));
	p.flags = PKT_F_IPV4 | PKT_F_L4;
	p.ip_ver = 4;
	p.proto = 6;
	p.ttl = 64;
	p.src = ip4(src);
	p.dst = ip4(dst);
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	p.payload = (const uint8_t *)payload;
	p.payload_len = (uint32_t)strlen(payload);
	p.ts_ns = ts;
	p.pcap_cnt = 1;
	return p;
}

static struct flow mkflow(void)
{
	struct flow f;

	memset(&f, 0, sizeof(f));
	f.key.proto = 6;
	f.flow_id = 42;
	f.state = FLOW_STATE_ESTABLISHED;
	return f;
}

static void test_detect_packet_header_and_direction(void **state)
{
	struct rig g;
	struct flow f = mkflow();
	/* Ether()/IP(src="10.0.0.1",dst="10.0.0.2")/TCP(sport=1234,dport=80,flags="PA")/"GET /" */
	struct weir_pkt p = tcp("10.0.0.1", 1234, "10.0.0.2", 80, 0x18, "GET /", T0);
	struct flow_pkt_info ts = { .flow = &f, .dir = FLOW_DIR_TOSERVER, .established = true };
	struct flow_pkt_info tc = { .flow = &f, .dir = FLOW_DIR_TOCLIENT, .established = true };

	(void)state;
	rig_open(&g,
		 "alert tcp any any -> any 80 (content:\"GET\"; flow:to_server,established; sid:1;)\n"
		 "alert tcp any any -> any 80 (content:\"GET\"; flow:to_client; sid:2;)\n"
		 "alert tcp any any -> any 81 (content:\"GET\"; sid:3;)\n"
		 "alert tcp 10.0.0.2 80 <> 10.0.0.1 any (content:\"GET\"; sid:4;)\n"
		 "alert tcp any any -> any any (content:\"GET\"; flow:not_established; sid:5;)\n");
	detect_packet(g.dw, NULL, &p, &ts);
	assert_int_equal(g.sink.n, 2);
	assert_int_equal(g.sink.sid[0], 1);
	assert_int_equal(g.sink.sid[1], 4);
	assert_string_equal(g.sink.dir[0], "to_server");
	detect_packet(g.dw, NULL, &p, &tc);
	assert_int_equal(g.sink.n, 4);
	assert_int_equal(g.sink.sid[2], 2);
	assert_int_equal(g.sink.sid[3], 4);
	assert_true(f.alerted);
	detect_flow_end(g.dw, &f); /* the flow's detect state, as the flow table would */
	rig_close(&g);
}

static void test_detect_packet_flags_dsize_ttl(void **state)
{
	struct rig g;
	/* IP(ttl=64)/TCP(flags="SA") and IP()/TCP(flags="S", reserved ECE)/"0123456789" */
	struct weir_pkt sa = tcp("1.1.1.1", 80, "2.2.2.2", 999, 0x12, "", T0);
	struct weir_pkt se = tcp("1.1.1.1", 80, "2.2.2.2", 999, 0x42, "0123456789", T0);

	(void)state;
	rig_open(&g,
		 "alert tcp any any -> any any (flags:SA; sid:1;)\n"
		 "alert tcp any any -> any any (flags:S,12; sid:2;)\n"
		 "alert tcp any any -> any any (flags:S; sid:3;)\n"
		 "alert tcp any any -> any any (dsize:10; sid:4;)\n"
		 "alert tcp any any -> any any (dsize:!9; sid:5;)\n"
		 "alert tcp any any -> any any (dsize:<10; sid:6;)\n"
		 "alert ip any any -> any any (ttl:64; sid:7;)\n");
	detect_packet(g.dw, NULL, &sa, NULL);
	assert_int_equal(g.sink.n, 3);
	assert_int_equal(g.sink.sid[0], 1);
	assert_int_equal(g.sink.sid[1], 6);
	assert_int_equal(g.sink.sid[2], 7);
	g.sink.n = 0;
	detect_packet(g.dw, NULL, &se, NULL);
	assert_int_equal(g.sink.n, 4);
	assert_int_equal(g.sink.sid[0], 2);
	assert_int_equal(g.sink.sid[1], 4);
	assert_int_equal(g.sink.sid[2], 5);
	assert_int_equal(g.sink.sid[3], 7);
	rig_close(&g);
}

static void test_detect_packet_icmp(void **state)
{
	struct rig g;
	/* IP(src="1.1.1.1",dst="2.2.2.2")/ICMP(type=8,code=0) */
	struct weir_pkt p = tcp("1.1.1.1", 0, "2.2.2.2", 0, 0, "", T0);

	(void)state;
	p.proto = 1;
	p.icmp_type = 8;
	rig_open(&g,
		 "alert icmp any any -> any any (itype:8; icode:0; sid:1;)\n"
		 "alert icmp any any -> any any (itype:>8; sid:2;)\n"
		 "alert tcp any any -> any any (sid:3;)\n"
		 "alert ip any any -> any any (ip_proto:1; sid:4;)\n");
	detect_packet(g.dw, NULL, &p, NULL);
	assert_int_equal(g.sink.n, 2);
	assert_int_equal(g.sink.sid[0], 1);
	assert_int_equal(g.sink.sid[1], 4);
	rig_close(&g);
}

static void test_detect_packet_flowbits(void **state)
{
	struct rig g;
	struct flow f = mkflow();
	struct flow_pkt_info fi = { .flow = &f, .dir = FLOW_DIR_TOSERVER, .established = true };
	/* TCP()/"SECRET", TCP()/"LOGIN bob", TCP()/"SECRET", TCP()/"LOGOUT", TCP()/"SECRET"
	 * in one flow */
	struct weir_pkt login = tcp("10.0.0.1", 1000, "10.0.0.2", 21, 0x18, "LOGIN bob", T0);
	struct weir_pkt logout = tcp("10.0.0.1", 1000, "10.0.0.2", 21, 0x18, "LOGOUT", T0);
	struct weir_pkt secret = tcp("10.0.0.1", 1000, "10.0.0.2", 21, 0x18, "SECRET", T0);

	(void)state;
	rig_open(&g,
		 "alert tcp any any -> any any (content:\"SECRET\"; flowbits:isset,login; sid:1;)\n"
		 "alert tcp any any -> any any (content:\"LOGIN\"; flowbits:set,login; flowbits:noalert; sid:2;)\n"
		 "alert tcp any any -> any any (content:\"SECRET\"; flowbits:isnotset,login; sid:3;)\n"
		 "alert tcp any any -> any any (content:\"LOGOUT\"; flowbits:unset,login; flowbits:noalert; sid:4;)\n");
	detect_packet(g.dw, NULL, &secret, &fi);
	detect_packet(g.dw, NULL, &login, &fi);
	detect_packet(g.dw, NULL, &secret, &fi);
	detect_packet(g.dw, NULL, &logout, &fi);
	detect_packet(g.dw, NULL, &secret, &fi);
	assert_int_equal(g.sink.n, 3);
	assert_int_equal(g.sink.sid[0], 3);
	assert_int_equal(g.sink.sid[1], 1);
	assert_int_equal(g.sink.sid[2], 3);
	detect_flow_end(g.dw, &f);
	assert_null(f.ext.detect);
	rig_close(&g);
}

static void test_detect_packet_flowbits_same_packet(void **state)
{
	struct rig g;
	struct flow f = mkflow();
	struct flow_pkt_info fi = { .flow = &f, .dir = FLOW_DIR_TOSERVER };
	/* TCP()/"AB": the rule setting the bit runs before the one testing it */
	struct weir_pkt p = tcp("10.0.0.1", 1000, "10.0.0.2", 21, 0x18, "AB", T0);

	(void)state;
	rig_open(&g,
		 "alert tcp any any -> any any (content:\"B\"; flowbits:isset,a; sid:1;)\n"
		 "alert tcp any any -> any any (content:\"A\"; flowbits:set,a; sid:2;)\n");
	detect_packet(g.dw, NULL, &p, &fi);
	assert_int_equal(g.sink.n, 2);
	assert_int_equal(g.sink.sid[0], 2);
	assert_int_equal(g.sink.sid[1], 1);
	detect_flow_end(g.dw, &f);
	rig_close(&g);
}

/* Send @n copies of @p, one per second; return the alerts of sid @sid. */
static int count_alerts(struct rig *g, struct weir_pkt *p, struct flow_pkt_info *fi, int n,
			uint32_t sid)
{
	int c = 0;

	g->sink.n = 0;
	for (int i = 0; i < n; i++) {
		p->ts_ns = T0 + (uint64_t)i * SEC;
		detect_packet(g->dw, NULL, p, fi);
	}
	for (int i = 0; i < g->sink.n; i++)
		c += g->sink.sid[i] == sid;
	return c;
}

static void test_detect_packet_threshold_types(void **state)
{
	struct rig g;
	/* IP(src="10.0.0.1")/TCP(dport=22,flags="S"), ten times, one second apart */
	struct weir_pkt p = tcp("10.0.0.1", 1000, "10.0.0.2", 22, 0x02, "", T0);

	(void)state;
	rig_open(&g,
		 "alert tcp any any -> any 22 (flags:S; threshold:type limit, track by_src, count 2, seconds 60; sid:1;)\n"
		 "alert tcp any any -> any 22 (flags:S; threshold:type threshold, track by_dst, count 3, seconds 60; sid:2;)\n"
		 "alert tcp any any -> any 22 (flags:S; threshold:type both, track by_rule, count 3, seconds 60; sid:3;)\n"
		 "alert tcp any any -> any 22 (flags:S; detection_filter:track by_src, count 7, seconds 60; sid:4;)\n"
		 "alert tcp any any -> any 22 (flags:S; threshold:type limit, track by_src, count 1, seconds 3; sid:5;)\n");
	assert_int_equal(count_alerts(&g, &p, NULL, 10, 1), 2);
	detect_worker__free(g.dw);
	g.dw = detect_worker__new(g.de, &g.stats, sink_emit, &g.sink);
	/* threshold: every 3rd */
	assert_int_equal(count_alerts(&g, &p, NULL, 10, 2), 3);
	detect_worker__free(g.dw);
	g.dw = detect_worker__new(g.de, &g.stats, sink_emit, &g.sink);
	/* both: once, at the 3rd */
	assert_int_equal(count_alerts(&g, &p, NULL, 10, 3), 1);
	detect_worker__free(g.dw);
	g.dw = detect_worker__new(g.de, &g.stats, sink_emit, &g.sink);
	/* detection_filter: after the 7th */
	assert_int_equal(count_alerts(&g, &p, NULL, 10, 4), 3);
	detect_worker__free(g.dw);
	g.dw = detect_worker__new(g.de, &g.stats, sink_emit, &g.sink);
	/* limit 1 per 3 s over 10 s: t=0, 3, 6, 9 */
	assert_int_equal(count_alerts(&g, &p, NULL, 10, 5), 4);
	rig_close(&g);
}

static void test_detect_packet_threshold_by_src_keys(void **state)
{
	struct rig g;
	/* TCP(flags="S") from 10.0.0.1 then from 10.0.0.9 */
	struct weir_pkt a = tcp("10.0.0.1", 1000, "10.0.0.2", 22, 0x02, "", T0);
	struct weir_pkt b = tcp("10.0.0.9", 1000, "10.0.0.2", 22, 0x02, "", T0);

	(void)state;
	rig_open(&g, "alert tcp any any -> any 22 (flags:S; threshold:type limit, track by_src, count 1, seconds 60; sid:1;)\n");
	detect_packet(g.dw, NULL, &a, NULL);
	detect_packet(g.dw, NULL, &a, NULL);
	detect_packet(g.dw, NULL, &b, NULL);
	assert_int_equal(g.sink.n, 2);
	rig_close(&g);
}

static void test_detect_packet_threshold_table_sweeps(void **state)
{
	struct rig g;
	/* IP(src=10.x.y.z)/TCP(dport=22,flags="S") from 65536 sources at T0, then
	 * twice from one more source 5 s later */
	struct weir_pkt p = tcp("10.0.0.1", 1000, "10.255.0.1", 22, 0x02, "", T0);

	(void)state;
	rig_open(&g, "alert tcp any any -> any 22 (flags:S; threshold:type limit, track by_src, count 1, seconds 1; sid:1;)\n");
	for (uint32_t i = 0; i < 65536; i++) {
		p.src.a[0] = htonl(0x0a000000u + i);
		detect_packet(g.dw, NULL, &p, NULL);
	}
	p.src = ip4("192.168.1.1");
	p.ts_ns = T0 + 5 * SEC;
	detect_packet(g.dw, NULL, &p, NULL);
	detect_packet(g.dw, NULL, &p, NULL);
	/* the full table dropped the expired windows, so the new source is limited */
	assert_int_equal(g.sink.n, 65537);
	assert_int_equal(STAT_GET(&g.stats, DETECT_THRESHOLD_SWEEPS), 1);
	assert_int_equal(STAT_GET(&g.stats, DETECT_THRESHOLD_NOMEM), 0);
	rig_close(&g);
}

static void test_detect_packet_backoff_and_by_flow(void **state)
{
	struct rig g;
	struct flow f = mkflow(), f2 = mkflow();
	struct flow_pkt_info fi = { .flow = &f, .dir = FLOW_DIR_TOSERVER };
	struct flow_pkt_info fi2 = { .flow = &f2, .dir = FLOW_DIR_TOSERVER };
	/* TCP()/"x", 30 times in one flow */
	struct weir_pkt p = tcp("10.0.0.1", 1000, "10.0.0.2", 22, 0x18, "x", T0);

	(void)state;
	rig_open(&g,
		 "alert tcp any any -> any any (dsize:>0; threshold:type backoff, track by_flow, count 3, multiplier 2; sid:1;)\n"
		 "alert tcp any any -> any any (dsize:>0; detection_filter:track by_flow, count 28, seconds 3600; sid:2;)\n");
	/* backoff: the 3rd, 6th, 12th and 24th */
	assert_int_equal(count_alerts(&g, &p, &fi, 30, 1), 4);
	/* a new flow counts from zero */
	assert_int_equal(count_alerts(&g, &p, &fi2, 3, 1), 1);
	assert_int_equal(count_alerts(&g, &p, &fi, 1, 2), 1);
	detect_flow_end(g.dw, &f);
	detect_flow_end(g.dw, &f2);
	rig_close(&g);
}

static void test_detect_packet_unique_on(void **state)
{
	struct rig g;
	/* TCP(dport=p, flags="S") for p in 80, 80, 81, 81, 82 */
	struct weir_pkt p = tcp("10.0.0.1", 1000, "1.1.1.1", 80, 0x02, "", T0);
	static const uint16_t ports[] = { 80, 80, 81, 81, 82 };

	(void)state;
	rig_open(&g, "alert tcp any any -> 1.1.1.1 any (flags:S; detection_filter: track by_dst, count 2, seconds 60, unique_on dst_port; sid:1;)\n");
	for (int i = 0; i < 4; i++) {
		p.dport = ports[i];
		detect_packet(g.dw, NULL, &p, NULL);
	}
	assert_int_equal(g.sink.n, 0);
	p.dport = ports[4];
	detect_packet(g.dw, NULL, &p, NULL);
	assert_int_equal(g.sink.n, 1);
	rig_close(&g);
}

static void test_detect_packet_alert_order(void **state)
{
	struct rig g;
	/* IP(dst="4.3.2.1")/UDP()/"z" */
	struct weir_pkt p = tcp("1.1.1.1", 5, "4.3.2.1", 53, 0, "z", T0);

	(void)state;
	p.proto = 17;
	rig_open(&g,
		 "alert ip any any -> any any (sid:9; priority:3;)\n"
		 "alert udp any any -> any any (content:\"z\"; sid:5; priority:1;)\n"
		 "alert ip any any -> any any (sid:2; priority:2;)\n"
		 "alert ip any any -> any any (sid:1; priority:2;)\n");
	detect_packet(g.dw, NULL, &p, NULL);
	assert_int_equal(g.sink.n, 4);
	assert_int_equal(g.sink.sid[0], 5);
	assert_int_equal(g.sink.sid[1], 1);
	assert_int_equal(g.sink.sid[2], 2);
	assert_int_equal(g.sink.sid[3], 9);
	rig_close(&g);
}

static void test_detect_packet_address_index(void **state)
{
	struct rig g;
	/* IP(src=s, dst=d)/UDP()/"q" for (s, d) below */
	struct weir_pkt p = tcp("5.6.7.9", 5, "10.0.0.1", 53, 0, "q", T0);

	(void)state;
	p.proto = 17;
	rig_open(&g,
		 "alert ip [1.2.3.4,5.6.7.0/24] any -> $HOME_NET any (msg:\"rep src\"; sid:1;)\n"
		 "alert ip $HOME_NET any -> [9.9.9.9,2001:db8::/120] any (msg:\"rep dst\"; sid:2;)\n"
		 "alert udp [5.6.7.9,9.9.9.9] any <> any any (msg:\"both ways\"; sid:3;)\n");
	detect_packet(g.dw, NULL, &p, NULL);
	p.src = ip4("5.6.8.1");
	detect_packet(g.dw, NULL, &p, NULL);
	p.src = ip4("10.0.0.1");
	p.dst = ip4("9.9.9.9");
	detect_packet(g.dw, NULL, &p, NULL);
	assert_int_equal(g.sink.n, 4);
	assert_int_equal(g.sink.sid[0], 1);
	assert_int_equal(g.sink.sid[1], 3);
	assert_int_equal(g.sink.sid[2], 2);
	assert_int_equal(g.sink.sid[3], 3);
	rig_close(&g);
}

/*
 * Address-indexed rules go through a per-worker lookup cache and a quick
 * protocol/flags prefilter: a SYN-only scan rule must still fire on a SYN of
 * a cached address, and not on the ACK or a UDP packet of the same host.
 */
static void test_detect_packet_address_index_flags(void **state)
{
	struct rig g;
	/* IP(src="5.6.7.9",dst="10.0.0.1")/TCP(sport=5,dport=22,flags=F)/"" for
	 * F = "A", "S", "SE" (ECE ignored by the mask), "S";
	 * then the same addresses /UDP(sport=5,dport=22), and IP(proto=41) */
	struct weir_pkt ack = tcp("5.6.7.9", 5, "10.0.0.1", 22, 0x10, "", T0);
	struct weir_pkt syn = tcp("5.6.7.9", 5, "10.0.0.1", 22, 0x02, "", T0);
	struct weir_pkt syn_ece = tcp("5.6.7.9", 5, "10.0.0.1", 22, 0x42, "", T0);
	struct weir_pkt udp = tcp("5.6.7.9", 5, "10.0.0.1", 22, 0, "", T0);
	struct weir_pkt v6in4 = tcp("5.6.7.9", 0, "10.0.0.1", 0, 0, "", T0);

	(void)state;
	udp.proto = 17;
	v6in4.proto = 41;
	v6in4.flags = PKT_F_IPV4;
	rig_open(&g,
		 "alert tcp [5.6.7.0/24] any -> $HOME_NET 22 (flags:S,12; sid:1;)\n"
		 "alert tcp [5.6.7.0/24] any -> $HOME_NET 22 (flags:+A; sid:2;)\n"
		 "alert ip [5.6.7.0/24] any -> $HOME_NET any (ip_proto:17; sid:3;)\n"
		 "alert ip [5.6.7.0/24] any -> $HOME_NET any (ip_proto:41; sid:4;)\n");
	detect_packet(g.dw, NULL, &ack, NULL);
	assert_int_equal(g.sink.n, 1);
	assert_int_equal(g.sink.sid[0], 2);
	detect_packet(g.dw, NULL, &syn, NULL);
	detect_packet(g.dw, NULL, &syn_ece, NULL);
	detect_packet(g.dw, NULL, &udp, NULL);
	detect_packet(g.dw, NULL, &v6in4, NULL);
	assert_int_equal(g.sink.n, 5);
	assert_int_equal(g.sink.sid[1], 1);
	assert_int_equal(g.sink.sid[2], 1);
	assert_int_equal(g.sink.sid[3], 3);
	assert_int_equal(g.sink.sid[4], 4);
	rig_close(&g);
}

static void test_detect_packet_reload_swaps_ruleset(void **state)
{
	struct rig g;
	struct weir_pkt p = tcp("1.1.1.1", 5, "2.2.2.2", 80, 0x18, "abc", T0);
	const char *paths[2] = { g.path, NULL };
	struct detect_opts o = { .rule_paths = paths };
	const char *bad = "alert tcp any any -> any any (content:\"abc\"; bogus; sid:3;)\n";
	const char *good = "alert tcp any any -> any any (content:\"abc\"; sid:2;)\n";
	FILE *f;

	(void)state;
	rig_open(&g, "alert tcp any any -> any any (content:\"abc\"; sid:1;)\n");
	detect_packet(g.dw, NULL, &p, NULL);
	/* a failed build keeps the running ruleset */
	f = fopen(g.path, "w");
	fputs(bad, f);
	fclose(f);
	o.strict = true;
	assert_int_equal(detect_engine__reload(g.de, &o, NULL), -EINVAL);
	detect_packet(g.dw, NULL, &p, NULL);
	f = fopen(g.path, "w");
	fputs(good, f);
	fclose(f);
	assert_int_equal(detect_engine__reload(g.de, &o, NULL), 0);
	detect_packet(g.dw, NULL, &p, NULL);
	assert_int_equal(g.sink.n, 3);
	assert_int_equal(g.sink.sid[0], 1);
	assert_int_equal(g.sink.sid[1], 1);
	assert_int_equal(g.sink.sid[2], 2);
	rig_close(&g);
}

/* --- TCP stream with the real flow table ---------------------------------- */

static void on_end(void *arg, struct flow *f, enum flow_end_reason why)
{
	(void)why;
	detect_flow_end(arg, f);
}

static void run(struct rig *g, struct flow_table *ft, struct weir_pkt *p, uint64_t cnt)
{
	struct flow_pkt_info fi;

	p->pcap_cnt = cnt;
	assert_int_equal(flow_table__process(ft, p, &fi), 0);
	detect_packet(g->dw, ft, p, &fi);
}

static void test_detect_packet_stream_split_and_retransmit(void **state)
{
	struct rig g;
	struct flow_table *ft;
	/* c=IP(src="10.0.0.1",dst="10.0.0.2"); s=IP(src="10.0.0.2",dst="10.0.0.1")
	 * c/TCP(sport=40000,dport=80,flags="S",seq=100)
	 * s/TCP(sport=80,dport=40000,flags="SA",seq=500,ack=101)
	 * c/TCP(flags="A",seq=101,ack=501)
	 * c/TCP(flags="PA",seq=101,ack=501)/"HELLO WO"
	 * c/TCP(flags="PA",seq=109,ack=501)/"RLD!"
	 * c/TCP(flags="PA",seq=109,ack=501)/"RLD!"        (retransmission) */
	struct weir_pkt syn = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x02, "", T0);
	struct weir_pkt synack = tcp("10.0.0.2", 80, "10.0.0.1", 40000, 0x12, "", T0);
	struct weir_pkt ack = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x10, "", T0);
	struct weir_pkt d1 = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x18, "HELLO WO", T0);
	struct weir_pkt d2 = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x18, "RLD!", T0);

	(void)state;
	syn.tcp_seq = 100;
	synack.tcp_seq = 500;
	synack.tcp_ack = 101;
	ack.tcp_seq = 101;
	ack.tcp_ack = 501;
	d1.tcp_seq = 101;
	d1.tcp_ack = 501;
	d2.tcp_seq = 109;
	d2.tcp_ack = 501;
	/* sid 4: the fast pattern ("HELLO") lies in data inspected with the first
	 * segment, the rest of the chain in the second one */
	rig_open(&g,
		 "alert tcp any any -> any 80 (content:\"WORLD\"; flow:established,to_server; sid:1;)\n"
		 "alert tcp any any -> any 80 (content:\"RLD!\"; flow:no_stream; sid:2;)\n"
		 "alert tcp any any -> any 80 (content:\"O WOR\"; flow:only_stream; sid:3;)\n"
		 "alert tcp any any -> any 80 (content:\"HELLO\"; content:\"D!\"; distance:0; sid:4;)\n");
	ft = flow_table__new(NULL, on_end, g.dw, &g.stats);
	assert_non_null(ft);
	run(&g, ft, &syn, 1);
	run(&g, ft, &synack, 2);
	run(&g, ft, &ack, 3);
	run(&g, ft, &d1, 4);
	assert_int_equal(g.sink.n, 0);
	run(&g, ft, &d2, 5);
	assert_int_equal(g.sink.n, 4);
	assert_int_equal(g.sink.sid[0], 1);
	assert_int_equal(g.sink.sid[3], 4);
	assert_int_equal(g.sink.pcap_cnt[0], 5);
	run(&g, ft, &d2, 6);
	/* only the packet rule sees the retransmission */
	assert_int_equal(g.sink.n, 5);
	assert_int_equal(g.sink.sid[4], 2);
	flow_table__flush(ft, FLOW_END_SHUTDOWN);
	flow_table__free(ft);
	rig_close(&g);
}

/*
 * The prefilter compiles only the last DET_FP_MAX bytes of a long fast
 * pattern and scans the stream from that far before the new data: a 40-byte
 * content whose last byte comes alone (its literal starts DET_FP_MAX - 1
 * bytes before the new data) must still be found once, and its
 * truncated literal alone (no full content) must not alert.
 */
static void test_detect_packet_stream_long_fast_pattern(void **state)
{
	struct rig g;
	struct flow_table *ft;
	/* c=IP(src="10.0.0.1",dst="10.0.0.2"); s=IP(src="10.0.0.2",dst="10.0.0.1")
	 * c/TCP(sport=40000,dport=80,flags="S",seq=100)
	 * s/TCP(sport=80,dport=40000,flags="SA",seq=500,ack=101)
	 * c/TCP(flags="A",seq=101,ack=501)
	 * c/TCP(flags="PA",seq=101,ack=501)/"0123456789abcdefghijklmnopqrstuvwxyzABC"
	 * c/TCP(flags="PA",seq=140,ack=501)/"D"
	 * c/TCP(flags="PA",seq=141,ack=501)/"xxxx89abcdefghijklmnopqrstuvwxyzABCD" */
	struct weir_pkt syn = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x02, "", T0);
	struct weir_pkt synack = tcp("10.0.0.2", 80, "10.0.0.1", 40000, 0x12, "", T0);
	struct weir_pkt ack = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x10, "", T0);
	struct weir_pkt d1 = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x18,
				 "0123456789abcdefghijklmnopqrstuvwxyzABC", T0);
	struct weir_pkt d2 = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x18, "D", T0);
	struct weir_pkt d3 = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x18,
				 "xxxx89abcdefghijklmnopqrstuvwxyzABCD", T0);

	(void)state;
	syn.tcp_seq = 100;
	synack.tcp_seq = 500;
	synack.tcp_ack = 101;
	ack.tcp_seq = 101;
	ack.tcp_ack = 501;
	d1.tcp_seq = 101;
	d1.tcp_ack = 501;
	d2.tcp_seq = 140;
	d2.tcp_ack = 501;
	d3.tcp_seq = 141;
	d3.tcp_ack = 501;
	rig_open(&g, "alert tcp any any -> any 80 "
		     "(content:\"0123456789abcdefghijklmnopqrstuvwxyzABCD\"; sid:1;)\n");
	ft = flow_table__new(NULL, on_end, g.dw, &g.stats);
	assert_non_null(ft);
	run(&g, ft, &syn, 1);
	run(&g, ft, &synack, 2);
	run(&g, ft, &ack, 3);
	run(&g, ft, &d1, 4);
	assert_int_equal(g.sink.n, 0);
	run(&g, ft, &d2, 5);
	assert_int_equal(g.sink.n, 1);
	assert_int_equal(g.sink.pcap_cnt[0], 5);
	run(&g, ft, &d3, 6);
	assert_int_equal(g.sink.n, 1);
	flow_table__flush(ft, FLOW_END_SHUTDOWN);
	flow_table__free(ft);
	rig_close(&g);
}

static void test_detect_packet_stream_sticky_overflow(void **state)
{
	struct rig g;
	struct flow_table *ft;
	char rules[64 * 96] = "";
	/* the handshake and two segments of test_detect_packet_stream_split_and_retransmit */
	struct weir_pkt syn = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x02, "", T0);
	struct weir_pkt synack = tcp("10.0.0.2", 80, "10.0.0.1", 40000, 0x12, "", T0);
	struct weir_pkt ack = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x10, "", T0);
	struct weir_pkt d1 = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x18, "HELLO WO", T0);
	struct weir_pkt d2 = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x18, "RLD!", T0);

	(void)state;
	syn.tcp_seq = 100;
	synack.tcp_seq = 500;
	synack.tcp_ack = 101;
	ack.tcp_seq = 101;
	ack.tcp_ack = 501;
	d1.tcp_seq = 101;
	d1.tcp_ack = 501;
	d2.tcp_seq = 109;
	d2.tcp_ack = 501;
	/* 40 unfinished chains on one fast pattern: more than the sticky list
	 * holds, so the direction falls back to full-window scans */
	for (int i = 1; i <= 40; i++)
		snprintf(rules + strlen(rules), sizeof(rules) - strlen(rules),
			 "alert tcp any any -> any 80 (content:\"HELLO\"; content:\"D!\"; distance:0; sid:%d;)\n",
			 i);
	rig_open(&g, rules);
	ft = flow_table__new(NULL, on_end, g.dw, &g.stats);
	assert_non_null(ft);
	run(&g, ft, &syn, 1);
	run(&g, ft, &synack, 2);
	run(&g, ft, &ack, 3);
	run(&g, ft, &d1, 4);
	run(&g, ft, &d2, 5);
	assert_int_equal(g.sink.n, 40);
	assert_int_equal(STAT_GET(&g.stats, DETECT_STREAM_FULL_SCAN), 1);
	flow_table__flush(ft, FLOW_END_SHUTDOWN);
	flow_table__free(ft);
	rig_close(&g);
}

static void test_detect_flow_end_inspects_flushed_stream(void **state)
{
	struct rig g;
	struct flow_table *ft;
	/* c=IP(src="10.0.0.1",dst="10.0.0.2"); s=IP(src="10.0.0.2",dst="10.0.0.1")
	 * c/TCP(sport=40000,dport=80,flags="S",seq=100)
	 * s/TCP(sport=80,dport=40000,flags="SA",seq=500,ack=101)
	 * c/TCP(flags="A",seq=101,ack=501)
	 * c/TCP(flags="PA",seq=109,ack=501)/"RLD!"   (bytes 101..108 never arrive) */
	struct weir_pkt syn = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x02, "", T0);
	struct weir_pkt synack = tcp("10.0.0.2", 80, "10.0.0.1", 40000, 0x12, "", T0);
	struct weir_pkt ack = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x10, "", T0);
	struct weir_pkt d2 = tcp("10.0.0.1", 40000, "10.0.0.2", 80, 0x18, "RLD!", T0);

	(void)state;
	syn.tcp_seq = 100;
	synack.tcp_seq = 500;
	synack.tcp_ack = 101;
	ack.tcp_seq = 101;
	ack.tcp_ack = 501;
	d2.tcp_seq = 109;
	d2.tcp_ack = 501;
	rig_open(&g, "alert tcp any any -> any 80 (content:\"RLD!\"; flow:only_stream,to_server; sid:1;)\n");
	ft = flow_table__new(NULL, on_end, g.dw, &g.stats);
	assert_non_null(ft);
	run(&g, ft, &syn, 1);
	run(&g, ft, &synack, 2);
	run(&g, ft, &ack, 3);
	run(&g, ft, &d2, 4);
	assert_int_equal(g.sink.n, 0);
	flow_table__flush(ft, FLOW_END_SHUTDOWN);
	assert_int_equal(g.sink.n, 1);
	assert_int_equal(g.sink.sid[0], 1);
	assert_int_equal(g.sink.pcap_cnt[0], 0);
	assert_string_equal(g.sink.dir[0], "to_server");
	flow_table__free(ft);
	rig_close(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect_match_offset_depth),
		cmocka_unit_test(test_detect_match_distance_within),
		cmocka_unit_test(test_detect_match_backtracks),
		cmocka_unit_test(test_detect_match_negated),
		cmocka_unit_test(test_detect_match_nocase),
		cmocka_unit_test(test_detect_match_pcre_relative),
		cmocka_unit_test(test_detect_match_pcre_limits),
		cmocka_unit_test(test_detect_match_stream_needs_new_data),
		cmocka_unit_test(test_detect_match_stream_old_part_does_not_realert),
		cmocka_unit_test(test_detect_packet_header_and_direction),
		cmocka_unit_test(test_detect_packet_flags_dsize_ttl),
		cmocka_unit_test(test_detect_packet_icmp),
		cmocka_unit_test(test_detect_packet_flowbits),
		cmocka_unit_test(test_detect_packet_flowbits_same_packet),
		cmocka_unit_test(test_detect_packet_threshold_types),
		cmocka_unit_test(test_detect_packet_threshold_by_src_keys),
		cmocka_unit_test(test_detect_packet_threshold_table_sweeps),
		cmocka_unit_test(test_detect_packet_backoff_and_by_flow),
		cmocka_unit_test(test_detect_packet_unique_on),
		cmocka_unit_test(test_detect_packet_alert_order),
		cmocka_unit_test(test_detect_packet_address_index),
		cmocka_unit_test(test_detect_packet_address_index_flags),
		cmocka_unit_test(test_detect_packet_reload_swaps_ruleset),
		cmocka_unit_test(test_detect_packet_stream_split_and_retransmit),
		cmocka_unit_test(test_detect_packet_stream_long_fast_pattern),
		cmocka_unit_test(test_detect_packet_stream_sticky_overflow),
		cmocka_unit_test(test_detect_flow_end_inspects_flushed_stream),
	};

	return cmocka_run_group_tests_name("detect_match", tests, setup, teardown);
}
