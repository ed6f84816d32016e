// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_detect_parse.c - the rule parser: header (protocols, address and port
 * groups, variables, direction), every supported keyword, Snort 3 inline
 * content modifiers, classification, and every error path with its message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "detect/detect_int.h"

static struct det_parse_ctx ctx;
static char err[256];

static int setup(void **state)
{
	(void)state;
	assert_int_equal(det_ctx_init(&ctx), 0);
	assert_int_equal(det_ctx_add_classification(&ctx,
		"config classification: trojan-activity,A Network Trojan was detected, 1\n"
		"config classification: misc-activity,Misc activity,3\n", err, sizeof(err)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	det_ctx_free(&ctx);
	return 0;
}

static struct det_rule *parse(const char *text)
{
	struct det_rule *r;

	err[0] = 0;
	r = det_rule_parse(&ctx, text, err, sizeof(err));
	if (!r)
		print_message("parse error: %s\n", err);
	assert_non_null(r);
	return r;
}

static void assert_error(const char *text, const char *want)
{
	struct det_rule *r = det_rule_parse(&ctx, text, err, sizeof(err));

	assert_null(r);
	assert_string_equal(err, want);
}

static struct weir_addr ip4(const char *s)
{
	struct weir_addr a = { { 0 } };

	inet_pton(AF_INET, s, &a.a[0]);
	return a;
}

static struct weir_addr ip6(const char *s)
{
	struct weir_addr a = { { 0 } };

	inet_pton(AF_INET6, s, a.a);
	return a;
}

static void test_detect_parse_minimal(void **state)
{
	struct det_rule *r = parse("alert tcp any any -> any any (msg:\"hi \\\"there\\\"\"; sid:7;)");

	(void)state;
	assert_int_equal(r->sig.sid, 7);
	assert_int_equal(r->sig.gid, 1);
	assert_int_equal(r->sig.rev, 0);
	assert_string_equal(r->sig.signature, "hi \"there\"");
	assert_string_equal(r->sig.category, "");
	assert_int_equal(r->sig.severity, 3);
	assert_int_equal(r->protos, DET_PROTO_TCP);
	assert_true(r->src.any);
	assert_true(r->dp.any);
	assert_int_equal(r->fp, -1);
	det_rule_free(r);
}

static void test_detect_parse_protocols(void **state)
{
	struct det_rule *u = parse("alert udp any any -> any any (sid:1;)");
	struct det_rule *i = parse("alert icmp any any -> any any (sid:2;)");
	struct det_rule *p = parse("alert ip any any -> any any (sid:3;)");
	struct det_rule *t = parse("alert tcp-pkt any any -> any any (sid:4;)");

	(void)state;
	assert_int_equal(u->protos, DET_PROTO_UDP);
	assert_int_equal(i->protos, DET_PROTO_ICMP | DET_PROTO_ICMP6);
	assert_int_equal(p->protos, DET_PROTO_ALL);
	assert_int_equal(t->flow, DET_FLOW_NO_STREAM);
	det_rule_free(u);
	det_rule_free(i);
	det_rule_free(p);
	det_rule_free(t);
}

static void test_detect_parse_address_groups(void **state)
{
	struct det_rule *r = parse(
		"alert ip [10.0.0.0/8,!10.1.0.0/16,192.168.1.1] any -> [!1.2.3.4,fe80::/10] any (sid:1;)");
	struct weir_addr a = ip4("10.2.3.4"), b = ip4("10.1.2.3"), c = ip4("192.168.1.1");
	struct weir_addr d = ip4("1.2.3.4"), e = ip4("1.2.3.5"), f = ip6("fe80::1");
	struct weir_addr g = ip6("2001:db8::1");

	(void)state;
	assert_true(det_addrs_match(&r->src, &a, 4));
	assert_false(det_addrs_match(&r->src, &b, 4));
	assert_true(det_addrs_match(&r->src, &c, 4));
	assert_false(det_addrs_match(&r->src, &f, 6));
	/* [!1.2.3.4, fe80::/10]: negatives subtract from the positives */
	assert_false(det_addrs_match(&r->dst, &d, 4));
	assert_false(det_addrs_match(&r->dst, &e, 4));
	assert_true(det_addrs_match(&r->dst, &f, 6));
	assert_false(det_addrs_match(&r->dst, &g, 6));
	det_rule_free(r);
}

static void test_detect_parse_negated_only_group(void **state)
{
	struct det_rule *r = parse("alert ip ![1.2.3.4,5.6.7.0/24] any -> any any (sid:1;)");
	struct weir_addr a = ip4("1.2.3.4"), b = ip4("5.6.7.9"), c = ip4("8.8.8.8");
	struct weir_addr d = ip6("::1");

	(void)state;
	assert_false(det_addrs_match(&r->src, &a, 4));
	assert_false(det_addrs_match(&r->src, &b, 4));
	assert_true(det_addrs_match(&r->src, &c, 4));
	assert_true(det_addrs_match(&r->src, &d, 6));
	det_rule_free(r);
}

static void test_detect_parse_default_vars(void **state)
{
	struct det_rule *r = parse("alert tcp $EXTERNAL_NET any -> $HOME_NET $HTTP_PORTS (sid:1;)");
	struct weir_addr in = ip4("172.16.5.5"), out = ip4("8.8.8.8"), v6 = ip6("2001:db8::1");

	(void)state;
	assert_true(det_addrs_match(&r->src, &out, 4));
	assert_false(det_addrs_match(&r->src, &in, 4));
	assert_true(det_addrs_match(&r->src, &v6, 6));
	assert_true(det_addrs_match(&r->dst, &in, 4));
	assert_false(det_addrs_match(&r->dst, &out, 4));
	assert_true(det_ports_match(&r->dp, 80));
	assert_false(det_ports_match(&r->dp, 8080));
	det_rule_free(r);
}

static void test_detect_parse_var_override(void **state)
{
	struct det_rule *r;
	struct weir_addr in = ip4("172.16.5.5");

	(void)state;
	assert_int_equal(det_ctx_set_var(&ctx, "EXTERNAL_NET", "any"), 0);
	r = parse("alert tcp $EXTERNAL_NET any -> any any (sid:1;)");
	assert_true(r->src.any);
	assert_true(det_addrs_match(&r->src, &in, 4));
	det_rule_free(r);
	assert_int_equal(det_ctx_set_var(&ctx, "EXTERNAL_NET", "!$HOME_NET"), 0);
}

static void test_detect_parse_port_groups(void **state)
{
	struct det_rule *r = parse("alert tcp any [1024:,!8080] -> any [:21,80,$ORACLE_PORTS] (sid:1;)");

	(void)state;
	assert_true(det_ports_match(&r->sp, 1024));
	assert_true(det_ports_match(&r->sp, 65535));
	assert_false(det_ports_match(&r->sp, 8080));
	assert_false(det_ports_match(&r->sp, 80));
	assert_true(det_ports_match(&r->dp, 0));
	assert_true(det_ports_match(&r->dp, 21));
	assert_false(det_ports_match(&r->dp, 22));
	assert_true(det_ports_match(&r->dp, 80));
	assert_true(det_ports_match(&r->dp, 1521));
	det_rule_free(r);
}

static void test_detect_parse_bidirectional(void **state)
{
	struct det_rule *r = parse("alert tcp 1.1.1.1 any <> 2.2.2.2 any (sid:1;)");

	(void)state;
	assert_true(r->bidir);
	det_rule_free(r);
}

static void test_detect_parse_content_hex_and_escapes(void **state)
{
	struct det_rule *r = parse(
		"alert tcp any any -> any any (content:\"a|0d 0A|b\\;\\\"\\\\\"; sid:1;)");
	static const uint8_t want[] = { 'a', 0x0d, 0x0a, 'b', ';', '"', '\\' };

	(void)state;
	assert_int_equal(r->n_pm, 1);
	assert_int_equal(r->pm[0].len, sizeof(want));
	assert_memory_equal(r->pm[0].pat, want, sizeof(want));
	assert_int_equal(r->fp, 0);
	det_rule_free(r);
}

static void test_detect_parse_content_modifiers(void **state)
{
	struct det_rule *r = parse(
		"alert tcp any any -> any any (content:\"abc\"; nocase; offset:2; depth:10; "
		"content:!\"xy\"; distance:-1; within:5; content:\"z\"; fast_pattern; sid:1;)");

	(void)state;
	assert_int_equal(r->n_pm, 3);
	assert_int_equal(r->pm[0].flags, DET_PM_NOCASE | DET_PM_OFFSET | DET_PM_DEPTH);
	assert_int_equal(r->pm[0].offset, 2);
	assert_int_equal(r->pm[0].depth, 10);
	assert_int_equal(r->pm[1].flags,
			 DET_PM_NEGATED | DET_PM_DISTANCE | DET_PM_WITHIN | DET_PM_RELATIVE);
	assert_int_equal(r->pm[1].distance, -1);
	assert_int_equal(r->pm[1].within, 5);
	/* fast_pattern wins over the longest content */
	assert_int_equal(r->fp, 2);
	det_rule_free(r);
}

static void test_detect_parse_snort3_inline_modifiers(void **state)
{
	struct det_rule *r = parse(
		"alert tcp any any -> any any ( content:\"BN|10 00|\",depth 6,nocase; "
		"content:\"|05 00|\",depth 2,offset 8; content:\"q\",distance 0,within 4; sid:115; )");

	(void)state;
	assert_int_equal(r->n_pm, 3);
	assert_int_equal(r->pm[0].flags, DET_PM_DEPTH | DET_PM_NOCASE);
	assert_int_equal(r->pm[0].depth, 6);
	assert_int_equal(r->pm[1].offset, 8);
	assert_int_equal(r->pm[1].depth, 2);
	assert_int_equal(r->pm[2].within, 4);
	assert_int_equal(r->fp, 0);
	det_rule_free(r);
}

static void test_detect_parse_fast_pattern_forms(void **state)
{
	struct det_rule *a = parse("alert tcp any any -> any any (content:\"abcdef\"; fast_pattern:only; sid:1;)");
	struct det_rule *b = parse("alert tcp any any -> any any (content:\"abcdef\"; fast_pattern:2,3; sid:2;)");
	struct det_rule *c = parse("alert tcp any any -> any any (content:\"abcdef\",fast_pattern,"
				   "fast_pattern_offset 1,fast_pattern_length 4; sid:3;)");

	(void)state;
	assert_true(c->pm[0].flags & DET_PM_FP_CHOP);
	assert_int_equal(c->pm[0].fp_off, 1);
	assert_int_equal(c->pm[0].fp_len, 4);
	det_rule_free(c);
	assert_true(a->pm[0].flags & DET_PM_FP_ONLY);
	assert_true(b->pm[0].flags & DET_PM_FP_CHOP);
	assert_int_equal(b->pm[0].fp_off, 2);
	assert_int_equal(b->pm[0].fp_len, 3);
	det_rule_free(a);
	det_rule_free(b);
}

static void test_detect_parse_pcre(void **state)
{
	struct det_rule *r = parse(
		"alert tcp any any -> any any (content:\"x\"; pcre:\"/^a\\;b\\/c/RismxAEG\"; pcre:!\"/z/\"; sid:1;)");

	(void)state;
	assert_int_equal(r->n_pm, 3);
	assert_int_equal(r->pm[1].type, DET_PM_PCRE);
	assert_true(r->pm[1].flags & DET_PM_RELATIVE);
	assert_non_null(r->pm[1].re);
	assert_true(r->pm[2].flags & DET_PM_NEGATED);
	det_rule_free(r);
}

static void test_detect_parse_flow(void **state)
{
	struct det_rule *a = parse("alert tcp any any -> any any (flow:to_server,established; sid:1;)");
	struct det_rule *b = parse("alert tcp any any -> any any (flow: from_server, not_established, only_stream; sid:2;)");
	struct det_rule *c = parse("alert tcp any any -> any any (flow:from_client,stateless,no_stream; sid:3;)");

	(void)state;
	assert_int_equal(a->flow, DET_FLOW_TOSERVER | DET_FLOW_ESTABLISHED);
	assert_int_equal(b->flow, DET_FLOW_TOCLIENT | DET_FLOW_NOT_EST | DET_FLOW_ONLY_STREAM);
	assert_int_equal(c->flow, DET_FLOW_TOSERVER | DET_FLOW_STATELESS | DET_FLOW_NO_STREAM);
	det_rule_free(a);
	det_rule_free(b);
	det_rule_free(c);
}

static void test_detect_parse_flags(void **state)
{
	struct det_rule *a = parse("alert tcp any any -> any any (flags:SA; sid:1;)");
	struct det_rule *b = parse("alert tcp any any -> any any (flags: S,12; sid:2;)");
	struct det_rule *c = parse("alert tcp any any -> any any (flags:FRS*; sid:3;)");
	struct det_rule *d = parse("alert tcp any any -> any any (flags:U+; sid:4;)");
	struct det_rule *e = parse("alert tcp any any -> any any (flags:!A; sid:5;)");

	(void)state;
	assert_int_equal(a->flags_set, 0x12);
	assert_int_equal(a->flags_mod, DET_FLAGS_EXACT);
	assert_int_equal(b->flags_ignore, 0xc0);
	assert_int_equal(c->flags_mod, DET_FLAGS_ANY);
	assert_int_equal(c->flags_set, 0x07);
	assert_int_equal(d->flags_mod, DET_FLAGS_PLUS);
	assert_int_equal(e->flags_mod, DET_FLAGS_NOT);
	det_rule_free(a);
	det_rule_free(b);
	det_rule_free(c);
	det_rule_free(d);
	det_rule_free(e);
}

static void test_detect_parse_numbers(void **state)
{
	struct det_rule *r = parse(
		"alert ip any any -> any any (dsize:8<>20; ttl:<=3; itype:!8; icode:>=1; ip_proto:tcp; sid:1;)");

	(void)state;
	assert_int_equal(r->dsize.cmp, DET_CMP_RANGE);
	assert_true(det_num_match(&r->dsize, 9));
	assert_false(det_num_match(&r->dsize, 8));
	assert_false(det_num_match(&r->dsize, 20));
	assert_true(det_num_match(&r->ttl, 3));
	assert_false(det_num_match(&r->ttl, 4));
	assert_false(det_num_match(&r->itype, 8));
	assert_true(det_num_match(&r->icode, 1));
	assert_false(det_num_match(&r->icode, 0));
	assert_true(det_num_match(&r->ip_proto, 6));
	assert_false(det_num_match(&r->ip_proto, 17));
	det_rule_free(r);
}

static void test_detect_parse_threshold(void **state)
{
	struct det_rule *a = parse("alert ip any any -> any any (threshold: type limit, track by_src, seconds 60, count 1; sid:1;)");
	struct det_rule *b = parse("alert ip any any -> any any (threshold:type backoff, track by_flow, count 3, multiplier 2; sid:2;)");
	struct det_rule *c = parse("alert ip any any -> any any (detection_filter:track by_dst, count 3, seconds 60, unique_on dst_port; sid:3;)");

	(void)state;
	assert_int_equal(a->thr.type, DET_THR_LIMIT);
	assert_int_equal(a->thr.track, DET_TRACK_SRC);
	assert_int_equal(a->thr.seconds, 60);
	assert_int_equal(b->thr.type, DET_THR_BACKOFF);
	assert_int_equal(b->thr.multiplier, 2);
	assert_int_equal(c->df.type, DET_THR_DETECTION);
	assert_int_equal(c->df.unique, DET_UNIQUE_DST_PORT);
	det_rule_free(a);
	det_rule_free(b);
	det_rule_free(c);
}

static void test_detect_parse_flowbits(void **state)
{
	struct det_rule *r = parse(
		"alert tcp any any -> any any (flowbits:set,a.b; flowbits:isnotset,c; flowbits:noalert; sid:1;)");

	(void)state;
	assert_int_equal(r->n_fb, 2);
	assert_int_equal(r->fb[0].cmd, DET_FB_SET);
	assert_string_equal(r->fb[0].name, "a.b");
	assert_int_equal(r->fb[1].cmd, DET_FB_ISNOTSET);
	assert_true(r->noalert);
	det_rule_free(r);
}

static void test_detect_parse_classtype_priority_metadata(void **state)
{
	struct det_rule *a = parse(
		"alert tcp any any -> any any (msg:\"m\"; classtype:trojan-activity; "
		"reference:url,example.com/a\\;b; metadata:former_category MALWARE, signature_severity Major; "
		"gid:3; sid:9; rev:4;)");
	struct det_rule *b = parse(
		"alert tcp any any -> any any (classtype:misc-activity; priority:1; sid:10;)");

	(void)state;
	assert_string_equal(a->sig.category, "A Network Trojan was detected");
	assert_int_equal(a->sig.severity, 1);
	assert_int_equal(a->sig.gid, 3);
	assert_int_equal(a->sig.rev, 4);
	assert_string_equal(a->sig.metadata[0], "former_category MALWARE");
	assert_string_equal(a->sig.metadata[1], "signature_severity Major");
	assert_null(a->sig.metadata[2]);
	/* priority overrides the classtype's */
	assert_int_equal(b->sig.severity, 1);
	assert_string_equal(b->sig.category, "Misc activity");
	det_rule_free(a);
	det_rule_free(b);
}

static void test_detect_parse_errors_header(void **state)
{
	(void)state;
	assert_error("drop tcp any any -> any any (sid:1;)", "unsupported action 'drop'");
	assert_error("alert http any any -> any any (sid:1;)", "unsupported protocol 'http'");
	assert_error("alert tcp any any => any any (sid:1;)", "bad direction '=>'");
	assert_error("alert tcp any any -> any (sid:1;)", "bad rule header");
	assert_error("alert tcp 1.2.3 any -> any any (sid:1;)", "bad address '1.2.3'");
	assert_error("alert tcp $NOPE any -> any any (sid:1;)", "unknown variable '$NOPE'");
	assert_error("alert tcp any 70000 -> any any (sid:1;)", "bad port '70000'");
	assert_error("alert tcp [1.1.1.1,!1.1.1.1] any -> any any (sid:1;)",
		     "address group '[1.1.1.1,!1.1.1.1]' is empty");
	assert_error("alert tcp any any -> any any sid:1;", "no option list '( ... )'");
	assert_error("alert tcp any any -> any any (sid:1)", "option list not terminated by ';'");
	assert_error("alert tcp any any -> any any (sid:1;):", "text after the option list: ':'");
}

static void test_detect_parse_errors_keywords(void **state)
{
	(void)state;
	assert_error("alert tcp any any -> any any (http.uri; content:\"a\"; sid:1;)",
		     "unsupported keyword 'http.uri'");
	assert_error("alert tcp any any -> any any (msg:\"x\";)", "missing sid");
	assert_error("alert tcp any any -> any any (sid:abc;)", "bad sid value");
	assert_error("alert tcp any any -> any any (classtype:nope; sid:1;)",
		     "unknown classtype 'nope'");
	assert_error("alert tcp any any -> any any (nocase; sid:1;)",
		     "'nocase' needs a preceding content");
	assert_error("alert tcp any any -> any any (content:\"abcd\"; depth:2; sid:1;)",
		     "depth 2 smaller than content length 4");
	assert_error("alert tcp any any -> any any (content:\"a\"; content:\"bcd\"; within:2; sid:1;)",
		     "within 2 smaller than content length 3");
	assert_error("alert tcp any any -> any any (content:\"a|0g|\"; sid:1;)", "bad content value");
	assert_error("alert tcp any any -> any any (content:\"a\",bogus 3; sid:1;)",
		     "unsupported content modifier 'bogus'");
	assert_error("alert tcp any any -> any any (pcre:\"/a/U\"; sid:1;)",
		     "unsupported pcre modifier 'U'");
	assert_error("alert tcp any any -> any any (pcre:\"/a(/\"; sid:1;)",
		     "bad pcre at offset 2: missing closing parenthesis");
	assert_error("alert tcp any any -> any any (flow:sideways; sid:1;)",
		     "unsupported flow option 'sideways'");
	assert_error("alert tcp any any -> any any (flow:to_server,to_client; sid:1;)",
		     "bad flow value");
	assert_error("alert tcp any any -> any any (flags:SX; sid:1;)", "bad flags value");
	assert_error("alert tcp any any -> any any (dsize:>x; sid:1;)", "bad dsize value");
	assert_error("alert udp any any -> any any (flags:S; sid:1;)", "flags needs a tcp or ip rule");
	assert_error("alert tcp any any -> any any (itype:8; sid:1;)",
		     "itype/icode need an icmp or ip rule");
	assert_error("alert tcp any any -> any any (threshold:type limit, count 1; sid:1;)",
		     "bad threshold value");
	assert_error("alert tcp any any -> any any (detection_filter:track by_src, count 1, seconds 1, rate 3; sid:1;)",
		     "detection_filter: unsupported option 'rate'");
	assert_error("alert tcp any any -> any any (flowbits:isset,a|b; sid:1;)",
		     "flowbits: '|' and '&' groups are not supported");
	assert_error("alert tcp any any -> any any (content:\"a\"; offset:x; sid:1;)",
		     "offset: byte_extract variables are not supported");
}

static void test_detect_parse_classification_errors(void **state)
{
	struct det_parse_ctx c;

	(void)state;
	assert_int_equal(det_ctx_init(&c), 0);
	assert_int_equal(det_ctx_add_classification(&c, "config classification: a,b\n", err,
						    sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: want name,description,priority");
	assert_int_equal(det_ctx_add_classification(&c, "# c\nbogus\n", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 2: not a classification");
	det_ctx_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect_parse_minimal),
		cmocka_unit_test(test_detect_parse_protocols),
		cmocka_unit_test(test_detect_parse_address_groups),
		cmocka_unit_test(test_detect_parse_negated_only_group),
		cmocka_unit_test(test_detect_parse_default_vars),
		cmocka_unit_test(test_detect_parse_var_override),
		cmocka_unit_test(test_detect_parse_port_groups),
		cmocka_unit_test(test_detect_parse_bidirectional),
		cmocka_unit_test(test_detect_parse_content_hex_and_escapes),
		cmocka_unit_test(test_detect_parse_content_modifiers),
		cmocka_unit_test(test_detect_parse_snort3_inline_modifiers),
		cmocka_unit_test(test_detect_parse_fast_pattern_forms),
		cmocka_unit_test(test_detect_parse_pcre),
		cmocka_unit_test(test_detect_parse_flow),
		cmocka_unit_test(test_detect_parse_flags),
		cmocka_unit_test(test_detect_parse_numbers),
		cmocka_unit_test(test_detect_parse_threshold),
		cmocka_unit_test(test_detect_parse_flowbits),
		cmocka_unit_test(test_detect_parse_classtype_priority_metadata),
		cmocka_unit_test(test_detect_parse_errors_header),
		cmocka_unit_test(test_detect_parse_errors_keywords),
		cmocka_unit_test(test_detect_parse_classification_errors),
	};

	return cmocka_run_group_tests_name("detect_parse", tests, setup, teardown);
}
