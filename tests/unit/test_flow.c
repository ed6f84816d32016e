// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_flow.c - flow table: keys, directions, timeouts, memcap, flow ids,
 * TCP handshake tracking, flush order.
 *
 * Packets are struct weir_pkt values as the decode stage fills them; each
 * test names the scapy packets it stands for.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "flow/flow.h"

#define SEC 1000000000ULL
#define T0  (1700000000ULL * SEC)

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

/* What on_end saw, in order. */
struct ended {
	int n;
	uint64_t id[16];
	enum flow_end_reason why[16];
	uint64_t pkts_ts[16], pkts_tc[16];
	const char *state[16];
};

static void on_end(void *arg, struct flow *f, enum flow_end_reason why)
{
	struct ended *e = arg;

	if (e->n < 16) {
		e->id[e->n] = f->flow_id;
		e->why[e->n] = why;
		e->pkts_ts[e->n] = f->pkts[FLOW_DIR_TOSERVER];
		e->pkts_tc[e->n] = f->pkts[FLOW_DIR_TOCLIENT];
		e->state[e->n] = flow_state_name(f);
	}
	e->n++;
}

static struct weir_addr v4(const char *s)
{
	struct weir_addr a = { { 0 } };

	inet_pton(AF_INET, s, &a.a[0]);
	return a;
}

/* A decoded IPv4 packet with an L4 header (ports host order). */
static struct weir_pkt pkt4(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			    uint8_t proto, uint64_t ts)
{
	struct weir_pkt p;

	memset(&p, 0, sizeof(p));
	p.ts_ns = ts;
	p.wirelen = 60;
	p.caplen = 60;
	p.flags = PKT_F_IPV4 | PKT_F_L4;
	p.ip_ver = 4;
	p.proto = proto;
	p.src = v4(src);
	p.dst = v4(dst);
	p.sport = sport;
	p.dport = dport;
	p.tcp_wscale = 0xff;
	return p;
}

static struct weir_pkt tcp4(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			    uint8_t flags, uint32_t seq, uint32_t ack, uint64_t ts)
{
	struct weir_pkt p = pkt4(src, sport, dst, dport, IPPROTO_TCP, ts);

	p.tcp_flags = flags;
	p.tcp_seq = seq;
	p.tcp_ack = ack;
	return p;
}

struct fixture {
	struct flow_table *ft;
	struct weir_stats st;
	struct ended e;
};

static struct fixture *fx_new(const struct flow_table_opts *o)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->ft = flow_table__new(o, on_end, &fx->e, &fx->st);
	assert_non_null(fx->ft);
	return fx;
}

static void fx_free(struct fixture *fx)
{
	flow_table__flush(fx->ft, FLOW_END_SHUTDOWN);
	flow_table__free(fx->ft);
	free(fx);
}

static struct flow *process(struct fixture *fx, const struct weir_pkt *p, struct flow_pkt_info *fi)
{
	assert_int_equal(flow_table__process(fx->ft, p, fi), 0);
	return fi->flow;
}

/*
 * Ether()/IP(src="10.0.0.1",dst="10.0.0.2")/TCP(sport=40000,dport=80,flags="S")
 * and its reply from 10.0.0.2:80: one flow, two directions.
 */
static void test_flow_key_both_directions(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct weir_pkt a = tcp4("10.0.0.2", 80, "10.0.0.1", 40000, F_PSH | F_ACK, 1, 1, T0);
	struct weir_pkt b = tcp4("10.0.0.1", 40000, "10.0.0.2", 80, F_ACK, 1, 1, T0 + 1);
	struct flow_pkt_info fa, fb;

	(void)state;
	process(fx, &a, &fa);
	process(fx, &b, &fb);
	assert_ptr_equal(fa.flow, fb.flow);
	assert_int_equal(flow_table__count(fx->ft), 1);
	/* mid-stream: the sender of the first packet is the client */
	assert_int_equal(fa.dir, FLOW_DIR_TOSERVER);
	assert_int_equal(fb.dir, FLOW_DIR_TOCLIENT);
	assert_int_equal(flow_client_port(fa.flow), 80);
	assert_int_equal(flow_server_port(fa.flow), 40000);
	assert_memory_equal(flow_client_addr(fa.flow), &a.src, sizeof(a.src));
	assert_memory_equal(flow_server_addr(fa.flow), &a.dst, sizeof(a.dst));
	/* the key is normalised: side 0 is the lower address */
	assert_memory_equal(&fa.flow->key.addr[0], &b.src, sizeof(b.src));
	assert_int_equal(fa.flow->key.port[0], 40000);
	assert_int_equal(fa.flow->pkts[FLOW_DIR_TOSERVER], 1);
	assert_int_equal(fa.flow->pkts[FLOW_DIR_TOCLIENT], 1);
	assert_int_equal(fa.flow->bytes[FLOW_DIR_TOSERVER], 60);
	assert_int_equal(fa.flow->tcp_flags[FLOW_DIR_TOSERVER], F_PSH | F_ACK);
	assert_int_equal(fa.flow->tcp_flags[FLOW_DIR_TOCLIENT], F_ACK);
	fx_free(fx);
}

/* Same UDP tuple in VLAN 10 and VLAN 20 (Dot1Q(vlan=..)), and in VXLAN VNI 1 and 2. */
static void test_flow_key_vlan_tunnel_distinguish(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct weir_pkt p = pkt4("10.0.0.1", 5000, "10.0.0.2", 53, IPPROTO_UDP, T0);
	struct flow_pkt_info f1, f2, f3, f4, f5;

	(void)state;
	p.vlan_cnt = 1;
	p.vlan[0] = 10;
	process(fx, &p, &f1);
	p.vlan[0] = 20;
	process(fx, &p, &f2);
	p.vlan_cnt = 0;
	p.vlan[0] = 0;
	p.tunnel = PKT_TUNNEL_VXLAN;
	p.tunnel_id = 1;
	process(fx, &p, &f3);
	p.tunnel_id = 2;
	process(fx, &p, &f4);
	p.tunnel_id = 1;
	process(fx, &p, &f5);
	assert_ptr_not_equal(f1.flow, f2.flow);
	assert_ptr_not_equal(f3.flow, f4.flow);
	assert_ptr_equal(f3.flow, f5.flow);
	assert_int_equal(flow_table__count(fx->ft), 4);
	assert_int_equal(STAT_GET(&fx->st, FLOW_UDP), 4);
	fx_free(fx);
}

/*
 * IP(src="10.0.0.1",dst="10.0.0.2")/ICMP(type=8,id=7) and the reply
 * IP(src="10.0.0.2",dst="10.0.0.1")/ICMP(type=0,id=7): one flow keyed by id 7;
 * ICMP(type=8,id=8) is another flow; ICMP(type=3) (unreachable) has ports 0.
 */
static void test_flow_key_icmp_echo_id(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct weir_pkt req = pkt4("10.0.0.1", 0, "10.0.0.2", 0, IPPROTO_ICMP, T0);
	struct weir_pkt rep = pkt4("10.0.0.2", 0, "10.0.0.1", 0, IPPROTO_ICMP, T0 + 1);
	struct weir_pkt other = pkt4("10.0.0.1", 0, "10.0.0.2", 0, IPPROTO_ICMP, T0 + 2);
	struct weir_pkt unreach = pkt4("10.0.0.2", 0, "10.0.0.1", 0, IPPROTO_ICMP, T0 + 3);
	struct flow_pkt_info f1, f2, f3, f4;

	(void)state;
	req.icmp_type = 8;
	req.icmp_id = 7;
	rep.icmp_type = 0;
	rep.icmp_id = 7;
	other.icmp_type = 8;
	other.icmp_id = 8;
	unreach.icmp_type = 3;
	unreach.icmp_id = 0;
	process(fx, &req, &f1);
	process(fx, &rep, &f2);
	process(fx, &other, &f3);
	process(fx, &unreach, &f4);
	assert_ptr_equal(f1.flow, f2.flow);
	assert_int_equal(f1.flow->key.port[0], 7);
	assert_int_equal(f1.flow->key.port[1], 7);
	assert_int_equal(f2.dir, FLOW_DIR_TOCLIENT);
	assert_true(f2.established);
	assert_ptr_not_equal(f1.flow, f3.flow);
	assert_int_equal(f4.flow->key.port[0], 0);
	assert_int_equal(f4.flow->key.port[1], 0);
	assert_int_equal(flow_table__count(fx->ft), 3);
	assert_int_equal(STAT_GET(&fx->st, FLOW_ICMP), 3);
	fx_free(fx);
}

/* A packet without IP (decode gave ip_ver 0) has no flow. */
static void test_flow_no_ip(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct weir_pkt p;
	struct flow_pkt_info fi;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(flow_table__process(fx->ft, &p, &fi), -EINVAL);
	assert_null(fi.flow);
	assert_int_equal(STAT_GET(&fx->st, FLOW_NO_IP), 1);
	fx_free(fx);
}

/* 3-way handshake 10.0.0.1:40000 -> 10.0.0.2:80: S, SA (ack=isn+1), A (ack=sa+1). */
static struct flow *handshake(struct fixture *fx, uint64_t ts, struct flow_pkt_info *fi)
{
	struct weir_pkt s = tcp4("10.0.0.1", 40000, "10.0.0.2", 80, F_SYN, 1000, 0, ts);
	struct weir_pkt sa = tcp4("10.0.0.2", 80, "10.0.0.1", 40000, F_SYN | F_ACK, 5000, 1001, ts + 1);
	struct weir_pkt a = tcp4("10.0.0.1", 40000, "10.0.0.2", 80, F_ACK, 1001, 5001, ts + 2);

	process(fx, &s, fi);
	assert_false(fi->established);
	assert_string_equal(flow_tcp_state_name(fi->flow), "syn_sent");
	process(fx, &sa, fi);
	assert_false(fi->established);
	assert_string_equal(flow_tcp_state_name(fi->flow), "syn_recv");
	return process(fx, &a, fi);
}

static void test_flow_handshake_established(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct flow_pkt_info fi;
	struct flow *f = handshake(fx, T0, &fi);

	(void)state;
	assert_true(fi.established);
	assert_int_equal(fi.dir, FLOW_DIR_TOSERVER);
	assert_string_equal(flow_state_name(f), "established");
	assert_string_equal(flow_tcp_state_name(f), "established");
	assert_int_equal(flow_client_port(f), 40000);
	assert_int_equal(STAT_GET(&fx->st, TCP_SESSIONS), 1);
	assert_int_equal(STAT_GET(&fx->st, TCP_MIDSTREAM), 0);
	fx_free(fx);
}

/* A SYN/ACK whose ack is not the SYN's isn + 1 does not advance the handshake. */
static void test_flow_handshake_bad_ack(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct weir_pkt s = tcp4("10.0.0.1", 40000, "10.0.0.2", 80, F_SYN, 1000, 0, T0);
	struct weir_pkt sa = tcp4("10.0.0.2", 80, "10.0.0.1", 40000, F_SYN | F_ACK, 5000, 1234, T0 + 1);
	struct weir_pkt a = tcp4("10.0.0.1", 40000, "10.0.0.2", 80, F_ACK, 1001, 5001, T0 + 2);
	struct flow_pkt_info fi;

	(void)state;
	process(fx, &s, &fi);
	process(fx, &sa, &fi);
	process(fx, &a, &fi);
	assert_false(fi.established);
	assert_string_equal(flow_state_name(fi.flow), "new");
	assert_int_equal(STAT_GET(&fx->st, TCP_SESSIONS), 0);
	fx_free(fx);
}

/*
 * suricata-verify alert-no-3whs-established: 127.0.0.1:2443 -> :1212 PA with
 * 6 bytes, RST back, twice; no handshake, so never established; RST closes.
 */
static void test_flow_midstream_never_established(void **state)
{
	struct fixture *fx = fx_new(NULL);
	static const uint8_t data[] = "MATCH?";
	struct weir_pkt pa = tcp4("127.0.0.1", 2443, "127.0.0.1", 1212, F_PSH | F_ACK,
				  901288453, 732865726, T0);
	struct weir_pkt ack = tcp4("127.0.0.1", 1212, "127.0.0.1", 2443, F_ACK, 732865726,
				   901288459, T0 + 1);
	struct weir_pkt rst = tcp4("127.0.0.1", 1212, "127.0.0.1", 2443, F_RST, 732865726, 0,
				   T0 + 2);
	struct flow_pkt_info fi;

	(void)state;
	pa.payload = data;
	pa.payload_len = 6;
	process(fx, &pa, &fi);
	assert_false(fi.established);
	assert_true(fi.stream_new);
	assert_true(fi.flow->fflags & FLOW_F_MIDSTREAM);
	assert_null(flow_tcp_state_name(fi.flow));
	process(fx, &ack, &fi);
	assert_false(fi.established);
	assert_string_equal(flow_state_name(fi.flow), "new");
	process(fx, &rst, &fi);
	assert_false(fi.established);
	assert_string_equal(flow_state_name(fi.flow), "closed");
	assert_string_equal(flow_tcp_state_name(fi.flow), "closed");
	assert_int_equal(STAT_GET(&fx->st, TCP_MIDSTREAM), 1);
	assert_int_equal(STAT_GET(&fx->st, TCP_SESSIONS), 0);
	fx_free(fx);
}

/* Mid-stream ACK acking a "SYN/ACK" never seen: not established either. */
static void test_flow_midstream_ack_not_established(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct weir_pkt sa = tcp4("10.0.0.2", 80, "10.0.0.1", 40000, F_SYN | F_ACK, 5000, 1001, T0);
	struct weir_pkt a = tcp4("10.0.0.1", 40000, "10.0.0.2", 80, F_ACK, 1001, 5001, T0 + 1);
	struct flow_pkt_info fi;

	(void)state;
	process(fx, &sa, &fi);
	process(fx, &a, &fi);
	assert_false(fi.established);
	assert_string_equal(flow_state_name(fi.flow), "new");
	fx_free(fx);
}

/* SYN/ACK seen first (10.0.0.2:80 -> 10.0.0.1:40000): its receiver is the client. */
static void test_flow_synack_first_direction(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct weir_pkt sa = tcp4("10.0.0.2", 80, "10.0.0.1", 40000, F_SYN | F_ACK, 5000, 1001, T0);
	struct weir_pkt a = tcp4("10.0.0.1", 40000, "10.0.0.2", 80, F_ACK, 1001, 5001, T0 + 1);
	struct flow_pkt_info f1, f2;

	(void)state;
	process(fx, &sa, &f1);
	process(fx, &a, &f2);
	assert_int_equal(f1.dir, FLOW_DIR_TOCLIENT);
	assert_int_equal(f2.dir, FLOW_DIR_TOSERVER);
	assert_int_equal(flow_client_port(f1.flow), 40000);
	assert_int_equal(flow_server_port(f1.flow), 80);
	assert_int_equal(f1.flow->pkts[FLOW_DIR_TOCLIENT], 1);
	assert_int_equal(f1.flow->tcp_flags[FLOW_DIR_TOCLIENT], F_SYN | F_ACK);
	fx_free(fx);
}

/* FIN from both sides closes the flow; the last ACK makes tcp.state "closed". */
static void test_flow_fin_both_closed(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct weir_pkt fin1 = tcp4("10.0.0.1", 40000, "10.0.0.2", 80, F_FIN | F_ACK, 1001, 5001, T0 + 3);
	struct weir_pkt fin2 = tcp4("10.0.0.2", 80, "10.0.0.1", 40000, F_FIN | F_ACK, 5001, 1002, T0 + 4);
	struct weir_pkt ack = tcp4("10.0.0.1", 40000, "10.0.0.2", 80, F_ACK, 1002, 5002, T0 + 5);
	struct flow_pkt_info fi;

	(void)state;
	handshake(fx, T0, &fi);
	process(fx, &fin1, &fi);
	assert_string_equal(flow_state_name(fi.flow), "established");
	assert_string_equal(flow_tcp_state_name(fi.flow), "fin_wait1");
	process(fx, &fin2, &fi);
	assert_string_equal(flow_state_name(fi.flow), "closed");
	assert_string_equal(flow_tcp_state_name(fi.flow), "closing");
	process(fx, &ack, &fi);
	assert_string_equal(flow_tcp_state_name(fi.flow), "closed");
	/* the handshake happened: packets stay "established" for flow keywords */
	assert_true(fi.established);
	fx_free(fx);
}

/* UDP becomes established when the reply comes (Suricata semantics). */
static void test_flow_udp_established_on_reply(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct weir_pkt q = pkt4("10.0.0.1", 5353, "10.0.0.2", 53, IPPROTO_UDP, T0);
	struct weir_pkt r = pkt4("10.0.0.2", 53, "10.0.0.1", 5353, IPPROTO_UDP, T0 + 1);
	struct flow_pkt_info f1, f2;

	(void)state;
	process(fx, &q, &f1);
	assert_false(f1.established);
	process(fx, &r, &f2);
	assert_true(f2.established);
	assert_string_equal(flow_state_name(f2.flow), "established");
	assert_null(flow_tcp_state_name(f2.flow));
	fx_free(fx);
}

/*
 * Timeouts by state at tick: a SYN-only flow (new, 30 s), an established TCP
 * flow (300 s), a RST-closed flow (10 s) and a one-way UDP flow (30 s).
 */
static void test_flow_timeout_tick_by_state(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct weir_pkt syn = tcp4("10.0.0.3", 1111, "10.0.0.4", 22, F_SYN, 1, 0, T0);
	struct weir_pkt rst = tcp4("10.0.0.5", 2222, "10.0.0.6", 23, F_RST, 1, 0, T0);
	struct weir_pkt udp = pkt4("10.0.0.7", 3333, "10.0.0.8", 53, IPPROTO_UDP, T0);
	struct flow_pkt_info fi;
	struct flow *est = handshake(fx, T0, &fi);
	uint64_t est_id = est->flow_id;

	(void)state;
	process(fx, &syn, &fi);
	process(fx, &rst, &fi);
	process(fx, &udp, &fi);
	assert_int_equal(flow_table__count(fx->ft), 4);

	flow_table__tick(fx->ft, T0 + 10 * SEC);   /* nothing passed its timeout yet */
	assert_int_equal(fx->e.n, 0);
	flow_table__tick(fx->ft, T0 + 11 * SEC);   /* closed: 10 s */
	assert_int_equal(fx->e.n, 1);
	assert_string_equal(fx->e.state[0], "closed");
	flow_table__tick(fx->ft, T0 + 31 * SEC);   /* SYN-only and UDP: 30 s */
	assert_int_equal(fx->e.n, 3);
	assert_int_equal(flow_table__count(fx->ft), 1);
	flow_table__tick(fx->ft, T0 + 299 * SEC);
	assert_int_equal(fx->e.n, 3);
	flow_table__tick(fx->ft, T0 + 301 * SEC);  /* established: 300 s */
	assert_int_equal(fx->e.n, 4);
	assert_int_equal(fx->e.id[3], est_id);
	assert_int_equal(fx->e.why[3], FLOW_END_TIMEOUT);
	assert_int_equal(flow_table__count(fx->ft), 0);
	assert_int_equal(STAT_GET(&fx->st, FLOW_ENDED_TIMEOUT), 4);
	assert_int_equal(STAT_GET(&fx->st, FLOW_ACTIVE), 0);
	fx_free(fx);
}

/* A flow refreshed by a packet is not expired; the tick walks past it correctly. */
static void test_flow_timeout_refresh(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct weir_pkt a = pkt4("10.0.0.1", 1000, "10.0.0.2", 53, IPPROTO_UDP, T0);
	struct weir_pkt b = pkt4("10.0.0.3", 1000, "10.0.0.4", 53, IPPROTO_UDP, T0 + SEC);
	struct flow_pkt_info fi;

	(void)state;
	process(fx, &a, &fi);
	process(fx, &b, &fi);
	a.ts_ns = T0 + 20 * SEC;
	process(fx, &a, &fi);
	flow_table__tick(fx->ft, T0 + 32 * SEC);   /* b (last 1 s) expired, a (20 s) not */
	assert_int_equal(fx->e.n, 1);
	assert_int_equal(flow_table__count(fx->ft), 1);
	flow_table__tick(fx->ft, T0 + 51 * SEC);
	assert_int_equal(fx->e.n, 2);
	fx_free(fx);
}

/* On lookup: a packet after the timeout ends the old flow and starts a new one. */
static void test_flow_timeout_on_lookup(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct weir_pkt p = pkt4("10.0.0.1", 1000, "10.0.0.2", 53, IPPROTO_UDP, T0);
	struct flow_pkt_info fi;
	uint64_t id1;

	(void)state;
	process(fx, &p, &fi);
	id1 = fi.flow->flow_id;
	p.ts_ns = T0 + 30 * SEC;   /* exactly at the timeout: still the same flow */
	process(fx, &p, &fi);
	assert_int_equal(fi.flow->flow_id, id1);
	assert_int_equal(fx->e.n, 0);
	p.ts_ns = T0 + 61 * SEC;
	process(fx, &p, &fi);
	assert_int_equal(fx->e.n, 1);
	assert_int_equal(fx->e.id[0], id1);
	assert_int_equal(fx->e.why[0], FLOW_END_TIMEOUT);
	assert_int_equal(fx->e.pkts_ts[0], 2);
	assert_int_not_equal(fi.flow->flow_id, id1);
	assert_int_equal(fi.flow->pkts[FLOW_DIR_TOSERVER], 1);
	assert_int_equal(flow_table__count(fx->ft), 1);
	fx_free(fx);
}

/* Custom timeouts from the options. */
static void test_flow_timeout_opts(void **state)
{
	struct flow_table_opts o = { .timeout_udp_new = 2 };
	struct fixture *fx = fx_new(&o);
	struct weir_pkt p = pkt4("10.0.0.1", 1000, "10.0.0.2", 53, IPPROTO_UDP, T0);
	struct flow_pkt_info fi;

	(void)state;
	process(fx, &p, &fi);
	flow_table__tick(fx->ft, T0 + 3 * SEC);
	assert_int_equal(fx->e.n, 1);
	fx_free(fx);
}

/*
 * Capture time steps back (flow b at 5 s after flow a at 10 s): expiry runs on
 * the table's clock, so both lists stay ordered and one tick ends both.
 */
static void test_flow_timeout_time_steps_back(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct weir_pkt a = pkt4("10.0.0.1", 1000, "10.0.0.2", 53, IPPROTO_UDP, T0 + 10 * SEC);
	struct weir_pkt b = pkt4("10.0.0.3", 1000, "10.0.0.4", 53, IPPROTO_UDP, T0 + 5 * SEC);
	struct flow_pkt_info fi;

	(void)state;
	process(fx, &a, &fi);
	process(fx, &b, &fi);
	assert_int_equal(fi.flow->last_ns, T0 + 5 * SEC);   /* events keep packet time */
	flow_table__tick(fx->ft, T0 + 39 * SEC);
	assert_int_equal(fx->e.n, 0);
	flow_table__tick(fx->ft, T0 + 41 * SEC);
	assert_int_equal(fx->e.n, 2);
	fx_free(fx);
}

/* Eviction takes the least recently seen flow across all timeout lists. */
static void test_flow_memcap_evicts_across_states(void **state)
{
	struct flow_table_opts o = { .memcap = 2 * sizeof(struct flow) };
	struct fixture *fx = fx_new(&o);
	struct weir_pkt u = pkt4("10.0.0.7", 1, "10.0.1.1", 53, IPPROTO_UDP, T0 + 10);
	struct weir_pkt n = pkt4("10.0.0.8", 1, "10.0.1.1", 53, IPPROTO_UDP, T0 + 11);
	struct flow_pkt_info fi;
	uint64_t tcp_id = handshake(fx, T0, &fi)->flow_id;

	(void)state;
	process(fx, &u, &fi);     /* UDP list: u; TCP established list: the handshake */
	process(fx, &n, &fi);     /* evicts the TCP flow, seen first */
	assert_int_equal(fx->e.n, 1);
	assert_int_equal(fx->e.id[0], tcp_id);
	assert_string_equal(fx->e.state[0], "established");
	fx_free(fx);
}

/* Memcap for 3 flows: a 4th evicts the least recently seen (forced). */
static void test_flow_memcap_evicts_lru(void **state)
{
	struct flow_table_opts o = { .memcap = 3 * sizeof(struct flow) };
	struct fixture *fx = fx_new(&o);
	struct weir_pkt p1 = pkt4("10.0.0.1", 1, "10.0.1.1", 53, IPPROTO_UDP, T0);
	struct weir_pkt p2 = pkt4("10.0.0.2", 1, "10.0.1.1", 53, IPPROTO_UDP, T0 + 1);
	struct weir_pkt p3 = pkt4("10.0.0.3", 1, "10.0.1.1", 53, IPPROTO_UDP, T0 + 2);
	struct weir_pkt p4 = pkt4("10.0.0.4", 1, "10.0.1.1", 53, IPPROTO_UDP, T0 + 4);
	struct flow_pkt_info fi;
	uint64_t id2;

	(void)state;
	process(fx, &p1, &fi);
	process(fx, &p2, &fi);
	id2 = fi.flow->flow_id;
	process(fx, &p3, &fi);
	p1.ts_ns = T0 + 3;   /* p1 seen again: p2 is now the oldest */
	process(fx, &p1, &fi);
	process(fx, &p4, &fi);
	assert_int_equal(fx->e.n, 1);
	assert_int_equal(fx->e.id[0], id2);
	assert_int_equal(fx->e.why[0], FLOW_END_FORCED);
	assert_int_equal(STAT_GET(&fx->st, FLOW_EMERG_EVICTED), 1);
	assert_int_equal(STAT_GET(&fx->st, FLOW_ENDED_FORCED), 1);
	assert_int_equal(flow_table__count(fx->ft), 3);
	assert_true(flow_table__memuse(fx->ft) <= o.memcap);
	fx_free(fx);
}

/* Memcap below one flow: nothing to evict, the packet gets no flow. */
static void test_flow_memcap_drop(void **state)
{
	struct flow_table_opts o = { .memcap = sizeof(struct flow) - 1 };
	struct fixture *fx = fx_new(&o);
	struct weir_pkt p = pkt4("10.0.0.1", 1, "10.0.1.1", 53, IPPROTO_UDP, T0);
	struct flow_pkt_info fi;

	(void)state;
	assert_int_equal(flow_table__process(fx->ft, &p, &fi), -ENOMEM);
	assert_null(fi.flow);
	assert_int_equal(STAT_GET(&fx->st, FLOW_MEMCAP_DROP), 1);
	assert_int_equal(flow_table__count(fx->ft), 0);
	fx_free(fx);
}

/* Same packets in two tables (two workers): same ids; other start time: other id. */
static void test_flow_id_stable(void **state)
{
	struct fixture *a = fx_new(NULL);
	struct fixture *b = fx_new(&(struct flow_table_opts){ .hash_size = 16 });
	struct weir_pkt p = tcp4("10.0.0.1", 40000, "10.0.0.2", 80, F_SYN, 1, 0, T0);
	struct weir_pkt r = tcp4("10.0.0.2", 80, "10.0.0.1", 40000, F_SYN, 1, 0, T0);
	struct weir_pkt later = tcp4("10.0.0.1", 40000, "10.0.0.2", 80, F_SYN, 1, 0, T0 + 1);
	struct weir_pkt other = tcp4("10.0.0.1", 40001, "10.0.0.2", 80, F_SYN, 1, 0, T0);
	struct flow_pkt_info fa, fb, fr, fl, fo;
	uint64_t ida, idb, ido, idr, idl;

	(void)state;
	ida = process(a, &p, &fa)->flow_id;
	idb = process(b, &p, &fb)->flow_id;
	ido = process(b, &other, &fo)->flow_id;
	flow_table__flush(b->ft, FLOW_END_SHUTDOWN);
	idr = process(b, &r, &fr)->flow_id;   /* reverse direction first: same key */
	flow_table__flush(b->ft, FLOW_END_SHUTDOWN);
	idl = process(b, &later, &fl)->flow_id;
	assert_int_equal(ida, idb);
	assert_int_equal(ida, idr);
	assert_int_not_equal(ida, idl);
	assert_int_not_equal(ida, ido);
	assert_true(ida > 0);
	assert_true(ida <= (uint64_t)INT64_MAX);
	fx_free(a);
	fx_free(b);
}

/* Flush ends every flow once, by start time then id, with the given reason. */
static void test_flow_flush_order(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct weir_pkt p1 = pkt4("10.0.0.9", 1, "10.0.1.1", 53, IPPROTO_UDP, T0 + 5);
	struct weir_pkt p2 = pkt4("10.0.0.1", 1, "10.0.1.1", 53, IPPROTO_UDP, T0 + 1);
	struct weir_pkt p3 = tcp4("10.0.0.5", 1, "10.0.1.1", 80, F_SYN, 1, 0, T0 + 3);
	struct flow_pkt_info f1, f2, f3;
	uint64_t i1, i2, i3;

	(void)state;
	process(fx, &p1, &f1);
	process(fx, &p2, &f2);
	process(fx, &p3, &f3);
	i1 = f1.flow->flow_id;
	i2 = f2.flow->flow_id;
	i3 = f3.flow->flow_id;
	flow_table__flush(fx->ft, FLOW_END_SHUTDOWN);
	assert_int_equal(fx->e.n, 3);
	assert_int_equal(fx->e.id[0], i2);
	assert_int_equal(fx->e.id[1], i3);
	assert_int_equal(fx->e.id[2], i1);
	assert_int_equal(fx->e.why[0], FLOW_END_SHUTDOWN);
	assert_int_equal(STAT_GET(&fx->st, FLOW_ENDED_SHUTDOWN), 3);
	assert_int_equal(flow_table__count(fx->ft), 0);
	assert_int_equal(flow_table__memuse(fx->ft), 0);
	fx_free(fx);
}

/* A new SYN on a RST-closed connection starts a new flow (port reuse). */
static void test_flow_tcp_port_reuse(void **state)
{
	struct fixture *fx = fx_new(NULL);
	struct weir_pkt rst = tcp4("10.0.0.2", 80, "10.0.0.1", 40000, F_RST | F_ACK, 5001, 1001, T0 + 3);
	struct weir_pkt syn = tcp4("10.0.0.1", 40000, "10.0.0.2", 80, F_SYN, 9000, 0, T0 + 4);
	struct flow_pkt_info fi;
	uint64_t id1 = handshake(fx, T0, &fi)->flow_id;

	(void)state;
	process(fx, &rst, &fi);
	process(fx, &syn, &fi);
	assert_int_equal(fx->e.n, 1);
	assert_int_equal(fx->e.id[0], id1);
	assert_string_equal(fx->e.state[0], "closed");
	assert_string_equal(flow_tcp_state_name(fi.flow), "syn_sent");
	assert_int_equal(STAT_GET(&fx->st, FLOW_TCP_REUSE), 1);
	fx_free(fx);
}

static void test_flow_names(void **state)
{
	(void)state;
	assert_string_equal(flow_end_reason_name(FLOW_END_TIMEOUT), "timeout");
	assert_string_equal(flow_end_reason_name(FLOW_END_FORCED), "forced");
	assert_string_equal(flow_end_reason_name(FLOW_END_SHUTDOWN), "shutdown");
	assert_string_equal(stats_name(WS_FLOW_EMERG_EVICTED), "flow.emerg_evicted");
	assert_string_equal(stats_name(WS_STREAM_GAPS), "stream.gaps");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_key_both_directions),
		cmocka_unit_test(test_flow_key_vlan_tunnel_distinguish),
		cmocka_unit_test(test_flow_key_icmp_echo_id),
		cmocka_unit_test(test_flow_no_ip),
		cmocka_unit_test(test_flow_handshake_established),
		cmocka_unit_test(test_flow_handshake_bad_ack),
		cmocka_unit_test(test_flow_midstream_never_established),
		cmocka_unit_test(test_flow_midstream_ack_not_established),
		cmocka_unit_test(test_flow_synack_first_direction),
		cmocka_unit_test(test_flow_fin_both_closed),
		cmocka_unit_test(test_flow_udp_established_on_reply),
		cmocka_unit_test(test_flow_timeout_tick_by_state),
		cmocka_unit_test(test_flow_timeout_refresh),
		cmocka_unit_test(test_flow_timeout_on_lookup),
		cmocka_unit_test(test_flow_timeout_opts),
		cmocka_unit_test(test_flow_timeout_time_steps_back),
		cmocka_unit_test(test_flow_memcap_evicts_lru),
		cmocka_unit_test(test_flow_memcap_evicts_across_states),
		cmocka_unit_test(test_flow_memcap_drop),
		cmocka_unit_test(test_flow_id_stable),
		cmocka_unit_test(test_flow_flush_order),
		cmocka_unit_test(test_flow_tcp_port_reuse),
		cmocka_unit_test(test_flow_names),
	};

	return cmocka_run_group_tests_name("flow", tests, NULL, NULL);
}
