// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_heur_rec.c - worker side of the heuristics: which packets and flow
 * ends become a struct heur_rec, and how the record is oriented and filled.
 *
 * Packets are struct weir_pkt values as the decode stage fills them (like
 * test_flow.c), run through a real flow table; each names its scapy packet.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "heur/heur.h"

#define SEC 1000000000ULL
#define T0  (1700000000ULL * SEC)

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

struct fx {
	struct flow_table *ft;
	struct weir_stats st;
	int n_end;
	struct heur_rec end;
};

static void on_end(void *arg, struct flow *f, enum flow_end_reason why)
{
	struct fx *fx = arg;

	heur_rec_from_flow_end(&fx->end, f, why, T0 + 100 * SEC);
	fx->n_end++;
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	fx->ft = flow_table__new(NULL, on_end, fx, &fx->st);
	*state = fx;
	return fx->ft ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	flow_table__free(fx->ft);
	free(fx);
	return 0;
}

static struct weir_addr v4(const char *s)
{
	struct weir_addr a = { { 0 } };

	inet_pton(AF_INET, s, &a.a[0]);
	return a;
}

static struct weir_pkt pkt(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			   uint8_t proto, uint8_t flags, uint64_t ts, uint64_t cnt)
{
	struct weir_pkt p;

	memset(&p, 0, sizeof(p));
	p.ts_ns = ts;
	p.pcap_cnt = cnt;
	p.wirelen = p.caplen = 60;
	p.flags = PKT_F_IPV4 | PKT_F_L4;
	p.ip_ver = 4;
	p.proto = proto;
	p.src = v4(src);
	p.dst = v4(dst);
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	p.tcp_seq = flags & F_SYN ? 1000 : 1001;
	p.tcp_ack = flags & F_ACK ? 5001 : 0;
	p.tcp_wscale = 0xff;
	return p;
}

/* Process @p; return whether it made a record (in @r). */
static bool feed(struct fx *fx, struct weir_pkt *p, struct heur_rec *r)
{
	struct flow_pkt_info fi;

	memset(&fi, 0, sizeof(fi));
	assert_int_equal(flow_table__process(fx->ft, p, &fi), 0);
	return heur_rec_from_pkt(r, p, &fi);
}

/*
 * Ether()/IP(src="10.0.0.1",dst="10.0.0.2")/TCP(sport=40000,dport=22,flags=F)
 * for F in S, (reply) SA, A, PA with data, (reply) FA, A: start, control,
 * handshake, nothing, control, nothing; then the end with the flow counters.
 */
static void test_heur_rec_tcp_session_kinds(void **state)
{
	struct fx *fx = *state;
	struct weir_pkt p[] = {
		pkt("10.0.0.1", 40000, "10.0.0.2", 22, 6, F_SYN, T0, 1),
		pkt("10.0.0.2", 22, "10.0.0.1", 40000, 6, F_SYN | F_ACK, T0 + 1000, 2),
		pkt("10.0.0.1", 40000, "10.0.0.2", 22, 6, F_ACK, T0 + 2000, 3),
		pkt("10.0.0.1", 40000, "10.0.0.2", 22, 6, F_PSH | F_ACK, T0 + 3000, 4),
		pkt("10.0.0.2", 22, "10.0.0.1", 40000, 6, F_FIN | F_ACK, T0 + 4000, 5),
		pkt("10.0.0.1", 40000, "10.0.0.2", 22, 6, F_ACK, T0 + 5000, 6),
	};
	struct weir_addr cli = v4("10.0.0.1"), srv = v4("10.0.0.2");
	struct heur_rec r[6];
	bool made[6];

	p[1].tcp_seq = 5000;
	p[1].tcp_ack = 1001;
	p[4].tcp_seq = 5001;
	for (int i = 0; i < 6; i++)
		made[i] = feed(fx, &p[i], &r[i]);
	assert_true(made[0]);
	assert_int_equal(r[0].kind, HEUR_REC_FLOW_START);
	assert_int_equal(r[0].tcp_flags, F_SYN);
	assert_int_equal(r[0].rflags & HEUR_RF_TOSERVER, HEUR_RF_TOSERVER);
	assert_memory_equal(&r[0].cli, &cli, sizeof(cli));
	assert_memory_equal(&r[0].srv, &srv, sizeof(srv));
	assert_int_equal(r[0].cport, 40000);
	assert_int_equal(r[0].sport, 22);
	assert_int_equal(r[0].pcap_cnt, 1);
	assert_true(made[1]);
	assert_int_equal(r[1].kind, HEUR_REC_TCP_CTRL);
	assert_int_equal(r[1].rflags & HEUR_RF_TOSERVER, 0);
	assert_memory_equal(&r[1].cli, &cli, sizeof(cli)); /* still client -> server */
	assert_int_equal(r[1].sport, 22);
	assert_true(made[2]);
	assert_int_equal(r[2].kind, HEUR_REC_TCP_EST);
	assert_int_equal(r[2].rflags & HEUR_RF_HANDSHAKE, HEUR_RF_HANDSHAKE);
	assert_false(made[3]);
	assert_true(made[4]);
	assert_int_equal(r[4].kind, HEUR_REC_TCP_CTRL);
	assert_int_equal(r[4].tcp_flags, F_FIN | F_ACK);
	assert_false(made[5]);
	flow_table__flush(fx->ft, FLOW_END_SHUTDOWN);
	assert_int_equal(fx->n_end, 1);
	assert_int_equal(fx->end.kind, HEUR_REC_FLOW_END);
	assert_int_equal(fx->end.pkts[FLOW_DIR_TOSERVER], 4);
	assert_int_equal(fx->end.pkts[FLOW_DIR_TOCLIENT], 2);
	assert_int_equal(fx->end.bytes[FLOW_DIR_TOSERVER], 240);
	assert_int_equal(fx->end.start_ns, T0);
	assert_int_equal(fx->end.last_ns, T0 + 5000);
	assert_int_equal(fx->end.ts_ns, T0 + 100 * SEC);
	assert_int_equal(fx->end.pcap_cnt, 0);
	assert_int_equal(fx->end.end_reason, FLOW_END_SHUTDOWN);
	assert_int_equal(fx->end.rflags & HEUR_RF_HANDSHAKE, HEUR_RF_HANDSHAKE);
	assert_int_equal(fx->end.tcp_seen[FLOW_DIR_TOCLIENT] & (F_SYN | F_FIN), F_SYN | F_FIN);
}

/* IP(src="10.0.0.1",dst="10.0.0.9")/TCP(dport=81,flags="S"), reply RA: start, control. */
static void test_heur_rec_tcp_rejected(void **state)
{
	struct fx *fx = *state;
	struct weir_pkt p[] = {
		pkt("10.0.0.1", 40001, "10.0.0.9", 81, 6, F_SYN, T0, 1),
		pkt("10.0.0.9", 81, "10.0.0.1", 40001, 6, F_RST | F_ACK, T0 + 1000, 2),
	};
	struct heur_rec r[2];

	assert_true(feed(fx, &p[0], &r[0]));
	assert_true(feed(fx, &p[1], &r[1]));
	assert_int_equal(r[1].kind, HEUR_REC_TCP_CTRL);
	assert_int_equal(r[1].rflags & (HEUR_RF_TOSERVER | HEUR_RF_RST | HEUR_RF_HANDSHAKE),
			 HEUR_RF_RST);
	assert_int_equal(r[1].tcp_seen[FLOW_DIR_TOSERVER], F_SYN);
	assert_int_equal(r[1].tcp_seen[FLOW_DIR_TOCLIENT], F_RST | F_ACK);
}

/* IP(src="10.0.0.1",dst="10.0.0.3")/ICMP(type=8): a start with its ICMP type; UDP: only the first. */
static void test_heur_rec_icmp_and_udp_starts_only(void **state)
{
	struct fx *fx = *state;
	struct weir_pkt ping = pkt("10.0.0.1", 0, "10.0.0.3", 0, 1, 0, T0, 1);
	struct weir_pkt u1 = pkt("10.0.0.1", 5353, "10.0.0.4", 53, 17, 0, T0 + 1, 2);
	struct weir_pkt u2 = pkt("10.0.0.4", 53, "10.0.0.1", 5353, 17, 0, T0 + 2, 3);
	struct heur_rec r;

	ping.icmp_type = 8;
	ping.icmp_id = 7;
	assert_true(feed(fx, &ping, &r));
	assert_int_equal(r.kind, HEUR_REC_FLOW_START);
	assert_int_equal(r.proto, 1);
	assert_int_equal(r.icmp_type, 8);
	assert_int_equal(r.sport, 0);
	assert_true(feed(fx, &u1, &r));
	assert_int_equal(r.sport, 53);
	assert_int_equal(r.tcp_flags, 0);
	assert_false(feed(fx, &u2, &r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_heur_rec_tcp_session_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heur_rec_tcp_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heur_rec_icmp_and_udp_starts_only, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("heur_rec", tests, NULL, NULL);
}
