// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_community_id.c - Community ID v1 against the spec's published values.
 *
 * Expected strings come from corelight/community-id-spec baseline/README.md
 * ("Default settings" and "seed=1" tables) and baseline/baseline_deflt.json,
 * and from corelight/pycommunityid tests/communityid_test.py. Values marked
 * "computed" are not published: they were computed with an independent
 * Python (hashlib) implementation of the spec that reproduces every
 * published value above.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "output/output.h"

static struct event_tuple tuple4(uint8_t proto, const char *src, const char *dst, uint16_t sport,
				 uint16_t dport)
{
	struct event_tuple t = { .ip_ver = 4, .proto = proto, .sport = sport, .dport = dport };

	assert_int_equal(inet_pton(AF_INET, src, &t.src.a[0]), 1);
	assert_int_equal(inet_pton(AF_INET, dst, &t.dst.a[0]), 1);
	return t;
}

static struct event_tuple tuple6(uint8_t proto, const char *src, const char *dst, uint16_t sport,
				 uint16_t dport)
{
	struct event_tuple t = { .ip_ver = 6, .proto = proto, .sport = sport, .dport = dport };

	assert_int_equal(inet_pton(AF_INET6, src, t.src.a), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, t.dst.a), 1);
	return t;
}

/* ICMP tuples carry type/code in their own fields; ports stay 0 as decode leaves them. */
static struct event_tuple icmp4(const char *src, const char *dst, uint8_t type, uint8_t code)
{
	struct event_tuple t = tuple4(IPPROTO_ICMP, src, dst, 0, 0);

	t.icmp_type = type;
	t.icmp_code = code;
	return t;
}

static struct event_tuple icmp6(const char *src, const char *dst, uint8_t type, uint8_t code)
{
	struct event_tuple t = tuple6(IPPROTO_ICMPV6, src, dst, 0, 0);

	t.icmp_type = type;
	t.icmp_code = code;
	return t;
}

static void assert_cid(const struct event_tuple *t, uint16_t seed, const char *want)
{
	char buf[OUTPUT_COMMUNITY_ID_LEN];

	assert_int_equal(output_community_id(t, seed, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

#define V6A "fe80:0001:0203:0405:0607:0809:0A0B:0C0D"
#define V6B "fe80:1011:1213:1415:1617:1819:1A1B:1C1D"

static void test_community_id_tcp(void **state)
{
	struct event_tuple t = tuple4(IPPROTO_TCP, "1.2.3.4", "5.6.7.8", 1122, 3344);

	(void)state;
	assert_cid(&t, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
}

static void test_community_id_tcp_reversed_same(void **state)
{
	struct event_tuple t = tuple4(IPPROTO_TCP, "5.6.7.8", "1.2.3.4", 3344, 1122);

	(void)state;
	assert_cid(&t, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
}

static void test_community_id_tcp_seed1(void **state)
{
	struct event_tuple t = tuple4(IPPROTO_TCP, "1.2.3.4", "5.6.7.8", 1122, 3344);

	(void)state;
	assert_cid(&t, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
}

static void test_community_id_udp(void **state)
{
	struct event_tuple t = tuple4(IPPROTO_UDP, "1.2.3.4", "5.6.7.8", 1122, 3344);
	struct event_tuple r = tuple4(IPPROTO_UDP, "5.6.7.8", "1.2.3.4", 3344, 1122);

	(void)state;
	assert_cid(&t, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
	assert_cid(&r, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
	assert_cid(&t, 1, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=");
}

static void test_community_id_udp_dns(void **state)
{
	struct event_tuple t = tuple4(IPPROTO_UDP, "192.168.1.52", "8.8.8.8", 54585, 53);
	struct event_tuple r = tuple4(IPPROTO_UDP, "8.8.8.8", "192.168.1.52", 53, 54585);

	(void)state;
	assert_cid(&t, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
	assert_cid(&r, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
}

static void test_community_id_sctp(void **state)
{
	struct event_tuple t = tuple4(132, "1.2.3.4", "5.6.7.8", 1122, 3344);
	struct event_tuple r = tuple4(132, "5.6.7.8", "1.2.3.4", 3344, 1122);
	struct event_tuple e = tuple4(132, "192.168.170.56", "192.168.170.8", 7, 7);

	(void)state;
	assert_cid(&t, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=");
	assert_cid(&r, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=");
	assert_cid(&t, 1, "1:uitchpn5MMGAQKBJh7bIr/bAr7s=");
	assert_cid(&e, 0, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");
}

static void test_community_id_tcp_ipv6(void **state)
{
	struct event_tuple t = tuple6(IPPROTO_TCP, "2001:470:e5bf:dead:4957:2174:e82c:4887",
				      "2607:f8b0:400c:c03::1a", 63943, 25);
	struct event_tuple r = tuple6(IPPROTO_TCP, "2607:f8b0:400c:c03::1a",
				      "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943);

	(void)state;
	assert_cid(&t, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
	assert_cid(&r, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
}

/* Same address both sides: the ports decide the order. */
static void test_community_id_same_addr_ports_order(void **state)
{
	struct event_tuple t = tuple4(IPPROTO_TCP, "10.0.0.1", "10.0.0.1", 80, 1234);
	struct event_tuple r = tuple4(IPPROTO_TCP, "10.0.0.1", "10.0.0.1", 1234, 80);

	(void)state;
	/* computed */
	assert_cid(&t, 0, "1:WaobEo3Uyp/JjlL9QX3lvrl1Oag=");
	assert_cid(&r, 0, "1:WaobEo3Uyp/JjlL9QX3lvrl1Oag=");
}

static void test_community_id_icmp_echo(void **state)
{
	struct event_tuple req = icmp4("1.2.3.4", "5.6.7.8", 8, 0);
	struct event_tuple rep = icmp4("5.6.7.8", "1.2.3.4", 0, 0);

	(void)state;
	assert_cid(&req, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
	assert_cid(&rep, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
	assert_cid(&req, 1, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=");
}

/* Echo reply: the code is ignored for two-way types (pycommunityid test_icmp). */
static void test_community_id_icmp_two_way_ignores_code(void **state)
{
	struct event_tuple req = icmp4("192.168.0.89", "192.168.0.1", 8, 0);
	struct event_tuple rep = icmp4("192.168.0.1", "192.168.0.89", 0, 20);

	(void)state;
	assert_cid(&req, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
	assert_cid(&rep, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
}

/* Time exceeded (11) is one-way: code hashed, direction kept. */
static void test_community_id_icmp_one_way(void **state)
{
	struct event_tuple t = icmp4("1.2.3.4", "5.6.7.8", 11, 0);
	struct event_tuple r = icmp4("5.6.7.8", "1.2.3.4", 11, 0);
	struct event_tuple c0 = icmp4("192.168.0.89", "192.168.0.1", 20, 0);
	struct event_tuple c1 = icmp4("192.168.0.89", "192.168.0.1", 20, 1);

	(void)state;
	assert_cid(&t, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=");
	assert_cid(&t, 1, "1:1DD7cWGC/Yg91YGsQeni8du3pIA=");
	/* computed: the reverse is a different ID */
	assert_cid(&r, 0, "1:1Vae9INpTJ+fZaSmjhtK/hyOPac=");
	assert_cid(&c0, 0, "1:3o2RFccXzUgjl7zDpqmY7yJi8rI=");
	assert_cid(&c1, 0, "1:tz/fHIDUHs19NkixVVoOZywde+I=");
}

/* Router solicitation 10 <-> advertisement 9 (computed: both give one ID). */
static void test_community_id_icmp_router(void **state)
{
	struct event_tuple sol = icmp4("10.0.0.1", "10.0.0.2", 9, 0);
	struct event_tuple adv = icmp4("10.0.0.2", "10.0.0.1", 10, 0);

	(void)state;
	assert_cid(&sol, 0, "1:DYhYhWnv1hFRoB3VRnwSDthRB4g=");
	assert_cid(&adv, 0, "1:DYhYhWnv1hFRoB3VRnwSDthRB4g=");
}

static void test_community_id_icmp6_neighbor(void **state)
{
	struct event_tuple ns = icmp6("fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0);
	struct event_tuple na = icmp6("fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 0);
	struct event_tuple ns2 = icmp6("fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 0);

	(void)state;
	assert_cid(&ns, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
	assert_cid(&na, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
	assert_cid(&ns, 1, "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=");
	assert_cid(&ns2, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck=");
}

static void test_community_id_icmp6_echo(void **state)
{
	struct event_tuple req = icmp6(V6A, V6B, 128, 0);
	struct event_tuple rep = icmp6(V6B, V6A, 129, 0);

	(void)state;
	assert_cid(&req, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
	assert_cid(&rep, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
	assert_cid(&req, 1, "1:IO27GQzPuCtNnwFvjWALMHu5tJE=");
}

static void test_community_id_icmp6_router(void **state)
{
	struct event_tuple rs = icmp6("fe80::200:86ff:fe05:80da", "ff02::2", 133, 0);
	struct event_tuple ra = icmp6("fe80::260:97ff:fe07:69ea", "ff02::1", 134, 0);

	(void)state;
	assert_cid(&rs, 0, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=");
	assert_cid(&ra, 0, "1:pkvHqCL88/tg1k4cPigmZXUtL00=");
}

static void test_community_id_icmp6_one_way(void **state)
{
	struct event_tuple t = icmp6(V6A, V6B, 146, 0);
	struct event_tuple u = icmp6("3ffe:507:0:1:260:97ff:fe07:69ea",
				     "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0);
	struct event_tuple v = icmp6("3ffe:507:0:1:200:86ff:fe05:80da",
				     "3ffe:507:0:1:260:97ff:fe07:69ea", 3, 0);

	(void)state;
	assert_cid(&t, 0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10=");
	assert_cid(&t, 1, "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=");
	assert_cid(&u, 0, "1:NdobDX8PQNJbAyfkWxhtL2Pqp5w=");
	assert_cid(&v, 0, "1:/OGBt9BN1ofenrmSPWYicpij2Vc=");
}

/*
 * RSVP (46): addresses, protocol and padding only. The published value
 * "1:ikv3kmf89luf73WPz1jOs49S768=" is for 1.2.3.4 <-> 5.6.7.8 (baseline
 * README), not for 10.1.24.4 -> 224.0.0.6.
 */
static void test_community_id_portless_rsvp(void **state)
{
	struct event_tuple t = tuple4(46, "1.2.3.4", "5.6.7.8", 0, 0);
	struct event_tuple r = tuple4(46, "5.6.7.8", "1.2.3.4", 0, 0);
	struct event_tuple p = tuple4(46, "10.1.24.4", "10.1.12.1", 0, 0);
	struct event_tuple six = tuple6(46, V6B, V6A, 0, 0);

	(void)state;
	assert_cid(&t, 0, "1:ikv3kmf89luf73WPz1jOs49S768=");
	assert_cid(&r, 0, "1:ikv3kmf89luf73WPz1jOs49S768=");
	assert_cid(&t, 1, "1:/buhqeOmaRCopOZFy9HnoJd5XW8=");
	assert_cid(&p, 0, "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=");
	assert_cid(&six, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=");
}

/* GRE has no ports: whatever sits in sport/dport is not hashed (computed value). */
static void test_community_id_portless_gre_ignores_ports(void **state)
{
	struct event_tuple t = tuple4(47, "1.2.3.4", "5.6.7.8", 0, 0);
	struct event_tuple p = tuple4(47, "5.6.7.8", "1.2.3.4", 1122, 3344);
	struct event_tuple z = tuple4(0, "1.2.3.4", "5.6.7.8", 7, 9);

	(void)state;
	assert_cid(&t, 0, "1:+mluqz76jObh6dJLwnhX08n5St4=");
	assert_cid(&p, 0, "1:+mluqz76jObh6dJLwnhX08n5St4=");
	assert_cid(&z, 0, "1:cA77VucxPosImqk137wZFcGSmWI=");
}

static void test_community_id_no_ip_einval(void **state)
{
	struct event_tuple t = { .ip_ver = 0, .proto = IPPROTO_TCP };
	char buf[OUTPUT_COMMUNITY_ID_LEN];

	(void)state;
	assert_int_equal(output_community_id(&t, 0, buf, sizeof(buf)), -EINVAL);
}

static void test_community_id_short_buffer_enospc(void **state)
{
	struct event_tuple t = tuple4(IPPROTO_TCP, "1.2.3.4", "5.6.7.8", 1122, 3344);
	char buf[OUTPUT_COMMUNITY_ID_LEN];

	(void)state;
	assert_int_equal(output_community_id(&t, 0, buf, sizeof(buf) - 1), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_community_id_tcp),
		cmocka_unit_test(test_community_id_tcp_reversed_same),
		cmocka_unit_test(test_community_id_tcp_seed1),
		cmocka_unit_test(test_community_id_udp),
		cmocka_unit_test(test_community_id_udp_dns),
		cmocka_unit_test(test_community_id_sctp),
		cmocka_unit_test(test_community_id_tcp_ipv6),
		cmocka_unit_test(test_community_id_same_addr_ports_order),
		cmocka_unit_test(test_community_id_icmp_echo),
		cmocka_unit_test(test_community_id_icmp_two_way_ignores_code),
		cmocka_unit_test(test_community_id_icmp_one_way),
		cmocka_unit_test(test_community_id_icmp_router),
		cmocka_unit_test(test_community_id_icmp6_neighbor),
		cmocka_unit_test(test_community_id_icmp6_echo),
		cmocka_unit_test(test_community_id_icmp6_router),
		cmocka_unit_test(test_community_id_icmp6_one_way),
		cmocka_unit_test(test_community_id_portless_rsvp),
		cmocka_unit_test(test_community_id_portless_gre_ignores_ports),
		cmocka_unit_test(test_community_id_no_ip_einval),
		cmocka_unit_test(test_community_id_short_buffer_enospc),
	};

	return cmocka_run_group_tests_name("community_id", tests, NULL, NULL);
}
