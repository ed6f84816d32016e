// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_heur.c - L4 heuristics: each heuristic alerts once per incident, the
 * benign look-alikes stay silent (the false-positive rule is in the test
 * name), the state stays within its memory cap, the services.yaml loader, and
 * determinism: the same records split over 1, 2 or 4 workers (in any
 * interleaving, with or without the heuristics thread) give identical alerts.
 *
 * Records are struct heur_rec values as heur_rec_from_pkt() and
 * heur_rec_from_flow_end() build them; each builder names the packet it stands
 * for. test_heur_rec_* run real packets through the flow table instead.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "heur/heur.h"
#include "heur/heur_priv.h"

#define SEC 1000000000ULL
#define T0  (1700000000ULL * SEC)

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_ACK 0x10

#define MAX_ALERTS 256

struct alerts {
	int n;
	struct weir_event ev[MAX_ALERTS];
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void collect(void *arg, const struct weir_event *ev)
{
	struct alerts *a = arg;

	pthread_mutex_lock(&a->mu);
	if (a->n < MAX_ALERTS)
		a->ev[a->n] = *ev;
	a->n++;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

static struct alerts *alerts_new(void)
{
	struct alerts *a = calloc(1, sizeof(*a));

	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	return a;
}

static void alerts_free(struct alerts *a)
{
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
}

/* Alerts of signature @sid. */
static int count_sid(const struct alerts *a, uint32_t sid)
{
	int n = 0;

	for (int i = 0; i < a->n && i < MAX_ALERTS; i++)
		n += a->ev[i].alert.sig->sid == sid;
	return n;
}

/* The first alert of signature @sid (the test asserted there is one). */
static const struct weir_event *find_sid(const struct alerts *a, uint32_t sid)
{
	for (int i = 0; i < a->n && i < MAX_ALERTS; i++)
		if (a->ev[i].alert.sig->sid == sid)
			return &a->ev[i];
	return NULL;
}

#define SID(k) (HEUR_SID_BASE + 1 + (k))

static struct weir_addr ip4(uint32_t host_order)
{
	struct weir_addr a = { { htonl(host_order), 0, 0, 0 } };

	return a;
}

#define IP(a, b, c, d) ip4((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static struct heur_rec rec(uint8_t kind, uint64_t ts, uint64_t cnt, struct weir_addr cli,
			   uint16_t cport, struct weir_addr srv, uint16_t sport, uint8_t proto)
{
	struct heur_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.ts_ns = ts;
	r.pcap_cnt = cnt;
	r.flow_id = 0x1000000 + (uint64_t)cport * 65536 + sport + ((uint64_t)ntohl(srv.a[0]) << 32);
	r.start_ns = ts;
	r.cli = cli;
	r.srv = srv;
	r.cport = cport;
	r.sport = sport;
	r.ip_ver = 4;
	r.proto = proto;
	return r;
}

/* Ether()/IP(src=cli, dst=srv)/TCP(sport=cport, dport=sport, flags="S"): the flow's first packet. */
static struct heur_rec syn(uint64_t ts, uint64_t cnt, struct weir_addr cli, uint16_t cport,
			   struct weir_addr srv, uint16_t sport)
{
	struct heur_rec r = rec(HEUR_REC_FLOW_START, ts, cnt, cli, cport, srv, sport, 6);

	r.tcp_flags = F_SYN;
	r.tcp_seen[0] = F_SYN;
	r.rflags = HEUR_RF_TOSERVER;
	return r;
}

/* IP(src=srv, dst=cli)/TCP(sport=sport, dport=cport, flags="RA"): the port is closed. */
static struct heur_rec rst_from_server(uint64_t ts, uint64_t cnt, struct weir_addr cli,
				       uint16_t cport, struct weir_addr srv, uint16_t sport)
{
	struct heur_rec r = rec(HEUR_REC_TCP_CTRL, ts, cnt, cli, cport, srv, sport, 6);

	r.start_ns = ts - SEC / 1000;
	r.tcp_flags = F_RST | F_ACK;
	r.tcp_seen[0] = F_SYN;
	r.tcp_seen[1] = F_RST | F_ACK;
	r.rflags = HEUR_RF_RST;
	return r;
}

/* IP(src=cli, dst=srv)/TCP(flags="R") after the server's SYN/ACK: a SYN-scan probe. */
static struct heur_rec rst_after_synack(uint64_t ts, uint64_t cnt, struct weir_addr cli,
					uint16_t cport, struct weir_addr srv, uint16_t sport)
{
	struct heur_rec r = rec(HEUR_REC_TCP_CTRL, ts, cnt, cli, cport, srv, sport, 6);

	r.start_ns = ts - SEC / 1000;
	r.tcp_flags = F_RST;
	r.tcp_seen[0] = F_SYN | F_RST;
	r.tcp_seen[1] = F_SYN | F_ACK;
	r.rflags = HEUR_RF_TOSERVER | HEUR_RF_RST;
	return r;
}

/* IP(src=cli, dst=srv)/TCP(flags="A"): the ACK completing the handshake. */
static struct heur_rec est(uint64_t ts, uint64_t cnt, struct weir_addr cli, uint16_t cport,
			   struct weir_addr srv, uint16_t sport)
{
	struct heur_rec r = rec(HEUR_REC_TCP_EST, ts, cnt, cli, cport, srv, sport, 6);

	r.start_ns = ts - SEC / 1000;
	r.tcp_flags = F_ACK;
	r.tcp_seen[0] = F_SYN | F_ACK;
	r.tcp_seen[1] = F_SYN | F_ACK;
	r.rflags = HEUR_RF_TOSERVER | HEUR_RF_HANDSHAKE;
	return r;
}

/* The end of a TCP flow that started with a SYN at @start and saw its last packet at @last. */
static struct heur_rec end(uint64_t ts, struct weir_addr cli, uint16_t cport,
			   struct weir_addr srv, uint16_t sport, bool handshake,
			   uint32_t pkts_ts, uint32_t pkts_tc, uint64_t bytes_ts,
			   uint64_t start, uint64_t last)
{
	struct heur_rec r = rec(HEUR_REC_FLOW_END, ts, 0, cli, cport, srv, sport, 6);

	r.start_ns = start;
	r.last_ns = last;
	r.pkts[0] = pkts_ts;
	r.pkts[1] = pkts_tc;
	r.bytes[0] = bytes_ts;
	r.bytes[1] = pkts_tc * 60ull;
	r.tcp_seen[0] = F_SYN | (handshake ? F_ACK | F_FIN : 0);
	r.tcp_seen[1] = handshake ? F_SYN | F_ACK | F_FIN : 0;
	r.tcp_flags = r.tcp_seen[0] | r.tcp_seen[1];
	r.rflags = handshake ? HEUR_RF_HANDSHAKE | HEUR_RF_FIN : 0;
	return r;
}

/* IP(src=cli, dst=srv)/ICMP(type=8, id=id): an echo request starting an ICMP flow. */
static struct heur_rec echo(uint64_t ts, uint64_t cnt, struct weir_addr cli, struct weir_addr srv,
			    uint16_t id)
{
	struct heur_rec r = rec(HEUR_REC_FLOW_START, ts, cnt, cli, 0, srv, 0, 1);

	r.flow_id += id;
	r.icmp_type = 8;
	r.rflags = HEUR_RF_TOSERVER;
	return r;
}

/* IP(src=cli, dst=srv)/UDP(sport=cport, dport=sport): a UDP flow's first datagram. */
static struct heur_rec udp(uint64_t ts, uint64_t cnt, struct weir_addr cli, uint16_t cport,
			   struct weir_addr srv, uint16_t sport)
{
	struct heur_rec r = rec(HEUR_REC_FLOW_START, ts, cnt, cli, cport, srv, sport, 17);

	r.rflags = HEUR_RF_TOSERVER;
	return r;
}

/* --- fixture --------------------------------------------------------------- */

struct fx {
	struct heur_opts o;
	struct alerts *a;
	struct heur_engine *he;
};

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_int_equal(heur_opts_default(&fx->o), 0);
	fx->a = alerts_new();
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;

	heur_engine__free(fx->he);
	heur_opts_free(&fx->o);
	alerts_free(fx->a);
	free(fx);
	return 0;
}

static struct heur_engine *fx_engine(struct fx *fx)
{
	fx->he = heur_engine__new(&fx->o, 1, collect, fx->a, NULL);
	assert_non_null(fx->he);
	return fx->he;
}

static void fx_feed(struct fx *fx, const struct heur_rec *r, int n)
{
	struct heur_engine *he = fx->he ? fx->he : fx_engine(fx);

	for (int i = 0; i < n; i++)
		heur_submit(he, 0, &r[i]);
}

static void fx_finish(struct fx *fx)
{
	heur_engine__finish(fx->he ? fx->he : fx_engine(fx));
}

/* --- port scan ------------------------------------------------------------- */

/* 20 closed ports of one host answer RST: Zeek's rejected attempts, 15 ports = scan. */
static void test_heur_port_scan_rejected_alerts_once(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5), b = IP(10, 1, 0, 9);
	struct heur_rec r[40];
	const struct weir_event *ev;

	for (int i = 0; i < 20; i++) {
		r[2 * i] = syn(T0 + i * SEC / 10, 2 * i + 1, a, 40000, b, (uint16_t)(1000 + i));
		r[2 * i + 1] = rst_from_server(T0 + i * SEC / 10 + SEC / 1000, 2 * i + 2, a, 40000,
					       b, (uint16_t)(1000 + i));
	}
	fx_feed(fx, r, 40);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 1);
	ev = find_sid(fx->a, SID(HEUR_PORT_SCAN));
	assert_non_null(ev);
	assert_int_equal(ev->type, EVENT_ALERT);
	assert_int_equal(ev->alert.sig->gid, HEUR_GID);
	assert_string_equal(ev->alert.anomaly.kind, "port_scan");
	assert_int_equal(ev->alert.anomaly.count, 15);
	assert_int_equal(ev->alert.anomaly.window_s, 300);
	assert_int_equal(ev->alert.anomaly.n_targets, 8);
	assert_int_equal(ev->alert.anomaly.target_ports[0], 1000);
	assert_int_equal(ev->pcap_cnt, 30); /* the 15th RST */
	assert_int_equal(ev->t.dport, 1014);
	assert_memory_equal(&ev->t.src, &a, sizeof(a));
	assert_int_equal(ev->alert.anomaly.first_ns, T0 + SEC / 1000);
	assert_true(ev->alert.has_anomaly);
}

/* Unanswered SYNs count when their flows end without a handshake (masscan on filtered ports). */
static void test_heur_port_scan_unanswered_alerts_at_flow_end(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5), b = IP(10, 1, 0, 9);
	struct heur_rec r[60];

	for (int i = 0; i < 30; i++) {
		r[i] = syn(T0 + i * SEC / 100, i + 1, a, 61000, b, (uint16_t)i);
		r[30 + i] = end(T0 + 31 * SEC, a, 61000, b, (uint16_t)i, false, 1, 0, 60,
				T0 + i * SEC / 100, T0 + i * SEC / 100);
	}
	fx_feed(fx, r, 60);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 1);
	assert_int_equal(count_sid(fx->a, SID(HEUR_PORT_SCAN)), 1);
	assert_int_equal(find_sid(fx->a, SID(HEUR_PORT_SCAN))->ts_ns, T0 + 31 * SEC);
}

/* SYN, SYN/ACK, client RST on two ports (nmap -sS): a raw-socket scanner. */
static void test_heur_port_scan_halfopen_probes_alert(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 87, 1, 10), b = IP(10, 2, 0, 3);
	struct heur_rec r[] = {
		syn(T0, 1, a, 52232, b, 80),
		syn(T0, 2, a, 49870, b, 443),
		rst_after_synack(T0 + SEC / 30, 5, a, 49870, b, 443),
		rst_after_synack(T0 + SEC / 30, 7, a, 52232, b, 80),
	};

	fx_feed(fx, r, 4);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 1);
	assert_int_equal(find_sid(fx->a, SID(HEUR_PORT_SCAN))->pcap_cnt, 7);
	assert_int_equal(find_sid(fx->a, SID(HEUR_PORT_SCAN))->alert.anomaly.count, 2);
}

/* nmap -A: SYN, SYN/ACK, ACK, client RST without data on 443 and 80 (3 and 1 packets). */
static void test_heur_port_scan_reset_probe_sessions_alert(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 87, 1, 10), b = IP(10, 2, 0, 3);
	struct heur_rec r[] = {
		end(T0 + 20 * SEC, a, 49870, b, 443, true, 3, 1, 180, T0, T0 + SEC / 30),
		end(T0 + 20 * SEC, a, 52236, b, 80, true, 3, 1, 180, T0 + SEC / 4, T0 + SEC / 3),
	};

	r[0].tcp_seen[0] |= F_RST;
	r[1].tcp_seen[0] |= F_RST;
	fx_feed(fx, r, 2);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 1);
	assert_int_equal(find_sid(fx->a, SID(HEUR_PORT_SCAN))->alert.anomaly.first_ns, T0);
	assert_int_equal(find_sid(fx->a, SID(HEUR_PORT_SCAN))->alert.anomaly.count, 2);
}

/* Kubelet TCP probes connect and close with FIN on two ports: probe sessions, not resets. */
static void test_heur_port_scan_silent_tcp_liveness_probes_two_ports(void **state)
{
	struct fx *fx = *state;
	struct weir_addr kubelet = IP(10, 0, 0, 1), pod = IP(10, 2, 0, 3);
	struct heur_rec r[20];

	for (int i = 0; i < 20; i++)
		r[i] = end(T0 + 60 * SEC + i, kubelet, (uint16_t)(50000 + i), pod,
			   (uint16_t)(8080 + i % 2), true, 3, 2, 180, T0 + i * 10 * SEC / 4,
			   T0 + i * 10 * SEC / 4 + SEC / 100);
	fx_feed(fx, r, 20);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 0);
}

/* Load balancers' half-open health checks hit one port again and again: not a scan. */
static void test_heur_port_scan_silent_halfopen_healthcheck_single_port(void **state)
{
	struct fx *fx = *state;
	struct weir_addr lb = IP(10, 0, 0, 2), b = IP(10, 2, 0, 3);
	struct heur_rec r[40];

	for (int i = 0; i < 20; i++) {
		r[2 * i] = syn(T0 + i * SEC, 2 * i + 1, lb, (uint16_t)(30000 + i), b, 8080);
		r[2 * i + 1] = rst_after_synack(T0 + i * SEC + SEC / 100, 2 * i + 2, lb,
						(uint16_t)(30000 + i), b, 8080);
	}
	fx_feed(fx, r, 40);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 0);
}

/* connect() scan: handshake, then RST at once (3 client packets, 1 server) on 16 ports. */
static void test_heur_port_scan_connect_probes_alert(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5), b = IP(10, 1, 0, 9);
	struct heur_rec r[16];

	for (int i = 0; i < 16; i++)
		r[i] = end(T0 + 11 * SEC + i, a, (uint16_t)(50000 + i), b, (uint16_t)(20 + i), true,
			   3, 1, 180, T0 + i * SEC / 10, T0 + i * SEC / 10 + SEC / 100);
	fx_feed(fx, r, 16);
	fx_finish(fx);
	assert_int_equal(count_sid(fx->a, SID(HEUR_PORT_SCAN)), 1);
	assert_int_equal(find_sid(fx->a, SID(HEUR_PORT_SCAN))->alert.anomaly.count, 15);
}

/* A client using 20 services of one host with real sessions (data both ways) is not scanning. */
static void test_heur_port_scan_silent_completed_sessions_many_ports(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5), b = IP(10, 1, 0, 9);
	struct heur_rec r[20];

	for (int i = 0; i < 20; i++)
		r[i] = end(T0 + 20 * SEC + i, a, (uint16_t)(50000 + i), b, (uint16_t)(8000 + i),
			   true, 8, 6, 2000, T0 + i * SEC / 10, T0 + i * SEC / 10 + SEC);
	fx_feed(fx, r, 20);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 0);
}

/* 15 rejected ports spread over 10 minutes: slower than 15 in 5 minutes (Zeek's window). */
static void test_heur_port_scan_silent_slow_below_window(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5), b = IP(10, 1, 0, 9);
	struct heur_rec r[15];

	for (int i = 0; i < 15; i++)
		r[i] = rst_from_server(T0 + (uint64_t)i * 40 * SEC, i + 1, a, 40000, b,
				       (uint16_t)(1000 + i));
	fx_feed(fx, r, 15);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 0);
}

/* The same scanner scanning again 10 minutes later: one incident within suppress_s. */
static void test_heur_port_scan_suppressed_repeat(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5), b = IP(10, 1, 0, 9);
	struct heur_rec r[40];

	for (int i = 0; i < 20; i++) {
		r[i] = rst_from_server(T0 + i * SEC / 10, i + 1, a, 40000, b, (uint16_t)(1000 + i));
		r[20 + i] = rst_from_server(T0 + 600 * SEC + i * SEC / 10, 21 + i, a, 40001, b,
					    (uint16_t)(2000 + i));
	}
	fx_feed(fx, r, 40);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 1);
	assert_int_equal(fx->he->st[HST_HEUR_SUPPRESSED], 1);
	assert_int_equal(fx->he->st[HST_HEUR_ALERTS_PORT_SCAN], 1);
}

/* IPv6: IPv6(src="fd00::66", dst="fd00::9")/TCP(dport=1..20, flags="S"), each answered RA. */
static void test_heur_port_scan_ipv6(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a, b;
	struct heur_rec r[20];

	assert_int_equal(inet_pton(AF_INET6, "fd00::66", a.a), 1);
	assert_int_equal(inet_pton(AF_INET6, "fd00::9", b.a), 1);
	for (int i = 0; i < 20; i++) {
		r[i] = rst_from_server(T0 + i * SEC / 10, i + 1, a, 40000, b, (uint16_t)(i + 1));
		r[i].ip_ver = 6;
	}
	fx_feed(fx, r, 20);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 1);
	assert_int_equal(fx->a->ev[0].t.ip_ver, 6);
	assert_memory_equal(&fx->a->ev[0].alert.anomaly.target_addrs[0], &b, sizeof(b));
}

/* --- address sweep ------------------------------------------------------- */

/* SYNs to port 22 of 30 hosts, none answered: 25 hosts = sweep. */
static void test_heur_addr_sweep_alerts_once(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5);
	struct heur_rec r[60];
	const struct weir_event *ev;

	for (int i = 0; i < 30; i++) {
		r[i] = syn(T0 + i * SEC / 10, i + 1, a, (uint16_t)(40000 + i),
			   IP(10, 1, 1, i + 1), 22);
		r[30 + i] = end(T0 + 40 * SEC, a, (uint16_t)(40000 + i), IP(10, 1, 1, i + 1), 22,
				false, 2, 0, 120, T0 + i * SEC / 10, T0 + i * SEC / 10 + SEC);
	}
	fx_feed(fx, r, 60);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 1);
	ev = find_sid(fx->a, SID(HEUR_ADDR_SWEEP));
	assert_non_null(ev);
	assert_int_equal(ev->alert.anomaly.count, 25);
	assert_string_equal(ev->alert.anomaly.kind, "address_sweep");
	assert_int_equal(ev->alert.anomaly.target_ports[7], 22);
}

/* A client talking to 30 replicas of a service with completed sessions is not sweeping. */
static void test_heur_addr_sweep_silent_completed_sessions_to_replicas(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5);
	struct heur_rec r[30];

	for (int i = 0; i < 30; i++)
		r[i] = end(T0 + 60 * SEC + i, a, (uint16_t)(40000 + i), IP(10, 1, 1, i + 1), 8080,
			   true, 6, 5, 900, T0 + i * SEC, T0 + i * SEC + SEC / 2);
	fx_feed(fx, r, 30);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 0);
}

/* --- SYN flood ------------------------------------------------------------ */

/* 300 SYNs from spoofed sources to 10.9.0.1:80 in 3 s, none completing. */
static void test_heur_syn_flood_alerts_once(void **state)
{
	struct fx *fx = *state;
	struct weir_addr v = IP(10, 9, 0, 1);
	struct heur_rec r[300];
	const struct weir_event *ev;

	for (int i = 0; i < 300; i++)
		r[i] = syn(T0 + i * SEC / 100, i + 1, IP(172, 16, i / 250, i % 250 + 1),
			   (uint16_t)(1024 + i), v, 80);
	fx_feed(fx, r, 300);
	fx_finish(fx);
	assert_int_equal(count_sid(fx->a, SID(HEUR_SYN_FLOOD)), 1);
	assert_int_equal(fx->a->n, 1);
	ev = find_sid(fx->a, SID(HEUR_SYN_FLOOD));
	assert_int_equal(ev->pcap_cnt, 200);
	assert_int_equal(ev->alert.anomaly.count, 200);
	assert_int_equal(ev->alert.anomaly.target_ports[0], 80);
}

/* A busy server: 300 connections in 3 s that all complete their handshake. */
static void test_heur_syn_flood_silent_busy_server_completes_handshakes(void **state)
{
	struct fx *fx = *state;
	struct weir_addr v = IP(10, 9, 0, 1);
	struct heur_rec r[600];

	for (int i = 0; i < 300; i++) {
		struct weir_addr c = IP(10, 8, i / 250, i % 250 + 1);

		r[2 * i] = syn(T0 + i * SEC / 100, 2 * i + 1, c, (uint16_t)(1024 + i), v, 80);
		r[2 * i + 1] = est(T0 + i * SEC / 100 + SEC / 1000, 2 * i + 2, c,
				   (uint16_t)(1024 + i), v, 80);
	}
	fx_feed(fx, r, 600);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 0);
}

/* --- ICMP sweep ----------------------------------------------------------- */

/* ping to 40 hosts of 10.1.2.0/24 (nmap -sn). */
static void test_heur_icmp_sweep_alerts_once(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5);
	struct heur_rec r[40];

	for (int i = 0; i < 40; i++)
		r[i] = echo(T0 + i * SEC / 10, i + 1, a, IP(10, 1, 2, i + 1), (uint16_t)i);
	fx_feed(fx, r, 40);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 1);
	assert_int_equal(find_sid(fx->a, SID(HEUR_ICMP_SWEEP))->alert.anomaly.count, 25);
	assert_int_equal(find_sid(fx->a, SID(HEUR_ICMP_SWEEP))->t.proto, 1);
}

/* A monitor pinging the same 5 hosts every 10 s for 10 minutes. */
static void test_heur_icmp_sweep_silent_monitor_few_hosts(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5);
	struct heur_rec r[300];

	for (int i = 0; i < 300; i++)
		r[i] = echo(T0 + (uint64_t)i * 2 * SEC, i + 1, a, IP(10, 1, 2, i % 5 + 1),
			    (uint16_t)i);
	fx_feed(fx, r, 300);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 0);
}

/* --- fan-out -------------------------------------------------------------- */

/* 10 peers a minute for 5 minutes, then 80 new peers within a minute (UDP 53 to each). */
static void test_heur_fanout_above_baseline_alerts_once(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5);
	struct heur_rec r[130];
	int n = 0;

	for (int w = 0; w < 5; w++)
		for (int i = 0; i < 10; i++, n++)
			r[n] = udp(T0 + (uint64_t)w * 60 * SEC + i * SEC, n + 1, a, 5000,
				   IP(10, 3, 0, i + 1), 53);
	for (int i = 0; i < 80; i++, n++)
		r[n] = udp(T0 + 300 * SEC + i * SEC / 2, n + 1, a, 5000, IP(10, 4, 0, i + 1), 53);
	fx_feed(fx, r, n);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 1);
	assert_int_equal(find_sid(fx->a, SID(HEUR_FANOUT))->alert.anomaly.count, 51);
}

/* A scraper that contacts the same 100 pods every minute: high but steady, baseline learnt. */
static void test_heur_fanout_silent_steady_scraper(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5);
	struct heur_rec *r = calloc(500, sizeof(*r));

	for (int i = 0; i < 500; i++)
		r[i] = syn(T0 + (uint64_t)(i / 100) * 60 * SEC + (i % 100) * SEC / 10, i + 1, a,
			   (uint16_t)(30000 + i), IP(10, 5, 0, i % 100 + 1), 9100);
	fx_feed(fx, r, 500);
	fx_finish(fx);
	free(r);
	assert_int_equal(fx->a->n, 0);
}

/* --- high-risk services --------------------------------------------------- */

/* Three sessions to the kubelet API from a pod: one alert per (source, server, service). */
static void test_heur_service_kubelet_alerts_once(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5), node = IP(192, 168, 1, 10);
	struct heur_rec r[] = {
		est(T0, 3, a, 40000, node, 10250),
		est(T0 + SEC, 6, a, 40001, node, 10250),
		est(T0 + 2 * SEC, 9, a, 40002, node, 10250),
	};
	const struct weir_event *ev;

	fx_feed(fx, r, 3);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 1);
	ev = find_sid(fx->a, SID(HEUR_SERVICE));
	assert_non_null(ev);
	assert_int_equal(ev->pcap_cnt, 3);
	assert_int_equal(ev->t.dport, 10250);
	assert_string_equal(ev->alert.anomaly.kind, "service_access");
}

/* The monitoring namespace is allow-listed for the kubelet (allow: [10.1.0.0/24]). */
static void test_heur_service_silent_allowlisted_source(void **state)
{
	struct fx *fx = *state;
	struct heur_service *s = NULL;
	struct heur_rec r = est(T0, 3, IP(10, 1, 0, 5), 40000, IP(192, 168, 1, 10), 10250);

	for (uint32_t i = 0; i < fx->o.n_services; i++)
		s = strcmp(fx->o.services[i].name, "kubelet") ? s : &fx->o.services[i];
	assert_non_null(s);
	s->allow = calloc(1, sizeof(*s->allow));
	s->allow[0].addr = IP(10, 1, 0, 0);
	s->allow[0].ip_ver = 4;
	s->allow[0].plen = 24;
	s->n_allow = 1;
	fx_feed(fx, &r, 1);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 0);
}

/* Port 80 is only high-risk on 169.254.169.254 (cloud metadata); a refused SYN is no access. */
static void test_heur_service_metadata_only_on_its_address(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5);
	struct heur_rec r[] = {
		est(T0, 3, a, 40000, IP(10, 2, 0, 7), 80),
		syn(T0 + SEC, 4, a, 40001, IP(192, 168, 1, 10), 2375),
		rst_from_server(T0 + SEC + 1, 5, a, 40001, IP(192, 168, 1, 10), 2375),
		est(T0 + 2 * SEC, 8, a, 40002, IP(169, 254, 169, 254), 80),
	};

	fx_feed(fx, r, 4);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 1);
	assert_int_equal(find_sid(fx->a, SID(HEUR_SERVICE))->pcap_cnt, 8);
}

/* memcached over UDP: the first datagram is the access. */
static void test_heur_service_udp_memcached(void **state)
{
	struct fx *fx = *state;
	struct heur_rec r = udp(T0, 1, IP(10, 1, 0, 5), 5353, IP(10, 2, 0, 8), 11211);

	fx_feed(fx, &r, 1);
	fx_finish(fx);
	assert_int_equal(count_sid(fx->a, SID(HEUR_SERVICE)), 1);
}

/* --- brute force ---------------------------------------------------------- */

/* hydra: an SSH session every 20 s, 12 s long, 2.2 KB from the client; 10 in 5 min. */
static void test_heur_brute_force_ssh_alerts_once(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(240, 0, 1, 2), b = IP(240, 125, 0, 2);
	struct heur_rec r[30];
	const struct weir_event *ev;

	for (int i = 0; i < 30; i++) {
		uint64_t s = T0 + (uint64_t)i * 20 * SEC;

		r[i] = end(s + 22 * SEC, a, (uint16_t)(34810 + 2 * i), b, 22, true, 16, 12, 2197,
			   s, s + 12 * SEC);
	}
	fx_feed(fx, r, 30);
	fx_finish(fx);
	assert_int_equal(count_sid(fx->a, SID(HEUR_BRUTE_FORCE)), 1);
	ev = find_sid(fx->a, SID(HEUR_BRUTE_FORCE));
	assert_int_equal(ev->alert.anomaly.count, 10);
	assert_int_equal(ev->alert.sig->severity, 1);
	assert_int_equal(ev->t.dport, 22);
	assert_int_equal(ev->ts_ns, T0 + 9 * 20 * SEC + 22 * SEC);
}

/* An admin's interactive SSH sessions last minutes and send more than 16 KiB. */
static void test_heur_brute_force_silent_interactive_sessions(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5), b = IP(10, 1, 0, 9);
	struct heur_rec r[12];

	for (int i = 0; i < 12; i++) {
		uint64_t s = T0 + (uint64_t)i * 20 * SEC;

		r[i] = end(s + 600 * SEC, a, (uint16_t)(40000 + i), b, 22, true, 400, 380, 90000,
			   s, s + 590 * SEC);
	}
	fx_feed(fx, r, 12);
	fx_finish(fx);
	assert_int_equal(count_sid(fx->a, SID(HEUR_BRUTE_FORCE)), 0);
}

/* Short sessions to a service without brute_force: true (an HTTP API) are normal. */
static void test_heur_brute_force_silent_short_http_sessions(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5), b = IP(10, 1, 0, 9);
	struct heur_rec r[40];

	for (int i = 0; i < 40; i++)
		r[i] = end(T0 + 20 * SEC + i, a, (uint16_t)(40000 + i), b, 8080, true, 6, 5, 700,
			   T0 + i * SEC / 4, T0 + i * SEC / 4 + SEC / 10);
	fx_feed(fx, r, 40);
	fx_finish(fx);
	assert_int_equal(fx->a->n, 0);
}

/* --- memory --------------------------------------------------------------- */

/* 5000 sweeping sources with max_keys 1000 and a 256 KiB memcap: LRU eviction, counted. */
static void test_heur_memcap_evicts_lru(void **state)
{
	struct fx *fx = *state;
	struct heur_engine *he;

	fx->o.max_keys = 1000;
	fx->o.memcap = 256 << 10;
	he = fx_engine(fx);
	for (int i = 0; i < 5000; i++) {
		struct heur_rec r = rst_from_server(T0 + i * SEC / 1000, i + 1,
						    IP(10, 20, i / 250, i % 250 + 1), 40000,
						    IP(10, 1, 0, 9), 22);

		heur_submit(he, 0, &r);
	}
	heur_engine__finish(he);
	assert_true(he->st[HST_HEUR_EVICTED] >= 9000);
	assert_true(he->tab.n <= 1000);
	assert_true(he->tab.memuse <= 256 << 10);
	assert_int_equal(he->st[HST_HEUR_KEYS], he->tab.n);
	assert_int_equal(he->st[HST_HEUR_RECORDS], 5000);
	assert_true(heur_engine__memuse(he) >= he->tab.memuse);
}

/* --- ordering and determinism --------------------------------------------- */

/* Records may arrive in any order before the watermark: processed by (ts, pcap_cnt). */
static void test_heur_order_merges_by_time_before_watermark(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5), b = IP(10, 1, 0, 9);
	struct heur_engine *he;

	fx->o.port_scan.ports = 3;
	he = heur_engine__new(&fx->o, 2, collect, fx->a, NULL);
	fx->he = he;
	/* Worker 1 is ahead: its later records are queued before worker 0's. */
	for (int i = 3; i < 6; i++) {
		struct heur_rec r = rst_from_server(T0 + i * SEC, i + 1, a, 1, b, (uint16_t)(10 + i));

		heur_submit(he, 1, &r);
	}
	heur_watermark(he, 1, T0 + 10 * SEC);
	for (int i = 0; i < 3; i++) {
		struct heur_rec r = rst_from_server(T0 + i * SEC, i + 1, a, 1, b, (uint16_t)(10 + i));

		heur_submit(he, 0, &r);
	}
	heur_watermark(he, 0, T0 + 10 * SEC);
	heur_engine__finish(he);
	assert_int_equal(fx->a->n, 1);
	assert_int_equal(fx->a->ev[0].pcap_cnt, 3);
	assert_int_equal(he->st[HST_HEUR_LATE], 0);
}

/* A scenario touching every heuristic, as the pipeline would see it. */
static int scenario(struct heur_rec *r)
{
	struct weir_addr scanner = IP(10, 1, 0, 66), target = IP(10, 1, 0, 9);
	struct weir_addr sweeper = IP(10, 1, 0, 77), brute = IP(10, 1, 0, 88);
	struct weir_addr victim = IP(10, 9, 0, 1), pod = IP(10, 1, 0, 5);
	int n = 0;
	uint64_t cnt = 1;

	for (int i = 0; i < 400; i++) {
		uint64_t t = T0 + (uint64_t)i * SEC / 4;

		/* the port scanner: every packet rejected */
		r[n++] = syn(t, cnt++, scanner, (uint16_t)(40000 + i), target, (uint16_t)(i + 1));
		r[n++] = rst_from_server(t + 1000, cnt++, scanner, (uint16_t)(40000 + i), target,
					 (uint16_t)(i + 1));
		/* the sweeper: port 6379 on many hosts, unanswered, ends 30 s later */
		if (i < 60) {
			r[n++] = syn(t, cnt++, sweeper, (uint16_t)(41000 + i),
				     IP(10, 2, i / 200, i % 200 + 1), 6379);
			r[n++] = end(t + 30 * SEC, sweeper, (uint16_t)(41000 + i),
				     IP(10, 2, i / 200, i % 200 + 1), 6379, false, 2, 0, 120, t,
				     t + SEC);
		}
		/* a SYN flood from spoofed sources */
		for (int j = 0; i >= 100 && i < 140 && j < 6; j++)
			r[n++] = syn(t + 2000 + j, cnt++, IP(172, 16 + j, i / 200, i % 200 + 1),
				     7777, victim, 443);
		/* brute force against Redis, a session every second, and kubelet access */
		if (i % 4 == 0 && i < 80) {
			r[n++] = est(t + 4000, cnt++, brute, (uint16_t)(42000 + i), pod, 6379);
			r[n++] = end(t + 2 * SEC, brute, (uint16_t)(42000 + i), pod, 6379, true, 6, 4,
				     400, t, t + SEC);
		}
		if (i == 200)
			r[n++] = est(t + 5000, cnt++, pod, 43000, IP(192, 168, 1, 10), 10250);
		/* ICMP sweep */
		if (i < 30)
			r[n++] = echo(t + 6000, cnt++, sweeper, IP(10, 3, 0, i + 1), (uint16_t)i);
	}
	return n;
}

static int cmp_ts(const void *x, const void *y)
{
	return heur_rec_cmp(x, y);
}

/* Shard like the pipeline: a symmetric hash of the address pair. */
static uint32_t shard_of(const struct heur_rec *r, uint32_t nw)
{
	return (heur_addr_hash(&r->cli) ^ heur_addr_hash(&r->srv)) % nw;
}

/* Feed @r to @nw simulated workers; worker order within a second is reversed. */
static void run_workers(const struct heur_rec *r, int n, uint32_t nw, struct alerts *a,
			bool thread)
{
	struct heur_opts o;
	struct heur_engine *he;

	assert_int_equal(heur_opts_default(&o), 0);
	o.queue_slots = 16;   /* tiny queues: the engine drains many times mid-stream */
	o.lossless = true;
	he = heur_engine__new(&o, nw, collect, a, NULL);
	assert_non_null(he);
	assert_int_equal(thread ? heur_engine__start(he) : 0, 0);
	for (uint64_t sec = 0, i = 0; i < (uint64_t)n; sec++) {
		uint64_t lim = T0 + (sec + 1) * SEC;
		uint64_t j = i;

		while (j < (uint64_t)n && r[j].ts_ns < lim)
			j++;
		for (uint32_t w = nw; w-- > 0;) {
			for (uint64_t k = i; k < j; k++)
				if (shard_of(&r[k], nw) == w)
					heur_submit(he, w, &r[k]);
			heur_watermark(he, w, lim);
		}
		i = j;
	}
	heur_engine__finish(he);
	heur_engine__free(he);
	heur_opts_free(&o);
}

struct alert_key {
	uint32_t sid;
	uint64_t ts, pcap_cnt, flow_id;
	uint32_t count;
	struct weir_addr src, dst;
	uint16_t sport, dport;
	uint8_t n_targets;
	uint16_t ports[8];
};

static void alert_keys(const struct alerts *a, struct alert_key *k)
{

	memset(k, 0, sizeof(*k) * MAX_ALERTS);
	for (int i = 0; i < a->n && i < MAX_ALERTS; i++) {
		const struct weir_event *ev = &a->ev[i];

		k[i].sid = ev->alert.sig->sid;
		k[i].ts = ev->ts_ns;
		k[i].pcap_cnt = ev->pcap_cnt;
		k[i].flow_id = ev->flow_id;
		k[i].count = ev->alert.anomaly.count;
		k[i].src = ev->t.src;
		k[i].dst = ev->t.dst;
		k[i].sport = ev->t.sport;
		k[i].dport = ev->t.dport;
		k[i].n_targets = ev->alert.anomaly.n_targets;
		memcpy(k[i].ports, ev->alert.anomaly.target_ports, sizeof(k[i].ports));
	}
}

static void check_determinism(bool thread)
{
	struct heur_rec *r = calloc(4000, sizeof(*r));
	struct alerts *a[3] = { alerts_new(), alerts_new(), alerts_new() };
	struct alert_key *k[3];
	uint32_t nws[3] = { 1, 2, 4 };
	int n = scenario(r);

	qsort(r, (size_t)n, sizeof(*r), cmp_ts);
	for (int i = 0; i < 3; i++) {
		run_workers(r, n, nws[i], a[i], thread);
		k[i] = calloc(MAX_ALERTS, sizeof(**k));
		alert_keys(a[i], k[i]);
	}
	/* Every heuristic fired (fan-out is silent: its first window only learns). */
	assert_int_equal(count_sid(a[0], SID(HEUR_PORT_SCAN)), 1);
	assert_int_equal(count_sid(a[0], SID(HEUR_ADDR_SWEEP)), 1);
	assert_int_equal(count_sid(a[0], SID(HEUR_SYN_FLOOD)), 1);
	assert_int_equal(count_sid(a[0], SID(HEUR_ICMP_SWEEP)), 1);
	assert_int_equal(count_sid(a[0], SID(HEUR_SERVICE)), 2); /* redis, kubelet */
	assert_int_equal(count_sid(a[0], SID(HEUR_BRUTE_FORCE)), 1);
	assert_int_equal(a[1]->n, a[0]->n);
	assert_int_equal(a[2]->n, a[0]->n);
	assert_memory_equal(k[1], k[0], sizeof(**k) * MAX_ALERTS);
	assert_memory_equal(k[2], k[0], sizeof(**k) * MAX_ALERTS);
	for (int i = 0; i < 3; i++) {
		free(k[i]);
		alerts_free(a[i]);
	}
	free(r);
}

static void test_heur_determinism_1_2_4_workers(void **state)
{
	(void)state;
	check_determinism(false);
}

/* Same with the heuristics thread running concurrently with the producers. */
static void test_heur_determinism_threaded(void **state)
{
	(void)state;
	check_determinism(true);
}

/* Live: alerts come out of the running thread once the watermark passes, before finish. */
static void test_heur_emits_before_finish(void **state)
{
	struct fx *fx = *state;
	struct weir_addr a = IP(10, 1, 0, 5);
	struct heur_rec r = est(T0, 3, a, 40000, IP(192, 168, 1, 10), 2375);
	struct timespec dl;
	int n;

	fx_engine(fx);
	assert_int_equal(heur_engine__start(fx->he), 0);
	heur_submit(fx->he, 0, &r);
	heur_watermark(fx->he, 0, T0 + SEC);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	pthread_mutex_lock(&fx->a->mu);
	while (!fx->a->n && pthread_cond_timedwait(&fx->a->cv, &fx->a->mu, &dl) == 0)
		;
	n = fx->a->n;
	pthread_mutex_unlock(&fx->a->mu);
	assert_int_equal(n, 1);
	heur_engine__finish(fx->he);
	assert_int_equal(fx->a->n, 1);
}

/* --- options -------------------------------------------------------------- */

/* The shipped file holds the built-in defaults. */
static void test_heur_opts_load_shipped_file_matches_defaults(void **state)
{
	struct fx *fx = *state;
	struct heur_opts o;
	char err[256];

	assert_int_equal(heur_opts_load(&o, "signatures/services.yaml", err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(o.n_services, fx->o.n_services);
	assert_memory_equal(&o.port_scan, &fx->o.port_scan, sizeof(o.port_scan));
	assert_memory_equal(&o.addr_sweep, &fx->o.addr_sweep, sizeof(o.addr_sweep));
	assert_memory_equal(&o.syn_flood, &fx->o.syn_flood, sizeof(o.syn_flood));
	assert_memory_equal(&o.icmp_sweep, &fx->o.icmp_sweep, sizeof(o.icmp_sweep));
	assert_memory_equal(&o.fanout, &fx->o.fanout, sizeof(o.fanout));
	assert_memory_equal(&o.brute_force, &fx->o.brute_force, sizeof(o.brute_force));
	assert_int_equal(o.memcap, fx->o.memcap);
	assert_int_equal(o.max_keys, fx->o.max_keys);
	assert_int_equal(o.suppress_s, fx->o.suppress_s);
	for (uint32_t i = 0; i < o.n_services; i++) {
		assert_string_equal(o.services[i].name, fx->o.services[i].name);
		assert_int_equal(o.services[i].proto, fx->o.services[i].proto);
		assert_int_equal(o.services[i].n_ports, fx->o.services[i].n_ports);
		assert_memory_equal(o.services[i].ports, fx->o.services[i].ports,
				    sizeof(o.services[i].ports));
		assert_int_equal(o.services[i].brute_force, fx->o.services[i].brute_force);
		assert_int_equal(o.services[i].n_dst, fx->o.services[i].n_dst);
	}
	heur_opts_free(&o);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A typo must not silently disable a heuristic: file:line: message. */
static void test_heur_opts_load_rejects_unknown_key(void **state)
{
	struct heur_opts o;
	char path[] = "/tmp/test_heur_XXXXXX", err[256];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "heuristics:\n  port_scan:\n    prots: 15\n");
	assert_int_equal(heur_opts_load(&o, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":3: port_scan: unknown key 'prots'"));
	heur_opts_free(&o);
	unlink(path);
}

/* allow-lists and dst take addresses and CIDRs, v4 and v6; services replace the defaults. */
static void test_heur_opts_load_services_and_cidrs(void **state)
{
	struct heur_opts o;
	char path[] = "/tmp/test_heur_XXXXXX", err[256];
	int fd = mkstemp(path);
	struct weir_addr v6;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path,
		   "services:\n"
		   "  - name: ssh\n"
		   "    ports: [22, 2222]\n"
		   "    brute_force: yes\n"
		   "    allow: [10.0.0.0/8, 'fd00::/8', 192.168.1.7]\n"
		   "  - name: bad\n"
		   "    proto: udp\n"
		   "    ports: [53]\n"
		   "    alert: false\n");
	assert_int_equal(heur_opts_load(&o, path, err, sizeof(err)), 0);
	assert_int_equal(o.n_services, 2);
	assert_int_equal(o.services[0].n_ports, 2);
	assert_int_equal(o.services[0].ports[1], 2222);
	assert_true(o.services[0].brute_force);
	assert_int_equal(o.services[0].n_allow, 3);
	assert_true(heur_cidr_match(o.services[0].allow, 3, &(struct weir_addr){ { htonl(0x0a0b0c0d) } }, 4));
	assert_false(heur_cidr_match(o.services[0].allow, 3, &(struct weir_addr){ { htonl(0x0b000001) } }, 4));
	assert_true(heur_cidr_match(o.services[0].allow, 3, &(struct weir_addr){ { htonl(0xc0a80107) } }, 4));
	assert_int_equal(inet_pton(AF_INET6, "fd12::1", v6.a), 1);
	assert_true(heur_cidr_match(o.services[0].allow, 3, &v6, 6));
	assert_false(heur_cidr_match(o.services[0].allow, 3, &v6, 4));
	assert_int_equal(o.services[1].proto, 17);
	assert_false(o.services[1].alert_access);
	heur_opts_free(&o);
	write_file(path, "services:\n  - name: x\n    ports: [22]\n    allow: [10.0.0.0/33]\n");
	assert_int_equal(heur_opts_load(&o, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":4: bad address or CIDR '10.0.0.0/33'"));
	heur_opts_free(&o);
	unlink(path);
}

static void test_heur_opts_load_missing_file(void **state)
{
	struct heur_opts o;
	char err[256];

	(void)state;
	assert_int_equal(heur_opts_load(&o, "/nonexistent/services.yaml", err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/services.yaml"));
	heur_opts_free(&o);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_heur_port_scan_rejected_alerts_once),
		T(test_heur_port_scan_unanswered_alerts_at_flow_end),
		T(test_heur_port_scan_halfopen_probes_alert),
		T(test_heur_port_scan_reset_probe_sessions_alert),
		T(test_heur_port_scan_silent_tcp_liveness_probes_two_ports),
		T(test_heur_port_scan_silent_halfopen_healthcheck_single_port),
		T(test_heur_port_scan_connect_probes_alert),
		T(test_heur_port_scan_silent_completed_sessions_many_ports),
		T(test_heur_port_scan_silent_slow_below_window),
		T(test_heur_port_scan_suppressed_repeat),
		T(test_heur_port_scan_ipv6),
		T(test_heur_addr_sweep_alerts_once),
		T(test_heur_addr_sweep_silent_completed_sessions_to_replicas),
		T(test_heur_syn_flood_alerts_once),
		T(test_heur_syn_flood_silent_busy_server_completes_handshakes),
		T(test_heur_icmp_sweep_alerts_once),
		T(test_heur_icmp_sweep_silent_monitor_few_hosts),
		T(test_heur_fanout_above_baseline_alerts_once),
		T(test_heur_fanout_silent_steady_scraper),
		T(test_heur_service_kubelet_alerts_once),
		T(test_heur_service_silent_allowlisted_source),
		T(test_heur_service_metadata_only_on_its_address),
		T(test_heur_service_udp_memcached),
		T(test_heur_brute_force_ssh_alerts_once),
		T(test_heur_brute_force_silent_interactive_sessions),
		T(test_heur_brute_force_silent_short_http_sessions),
		T(test_heur_memcap_evicts_lru),
		T(test_heur_order_merges_by_time_before_watermark),
		T(test_heur_determinism_1_2_4_workers),
		T(test_heur_determinism_threaded),
		T(test_heur_emits_before_finish),
		T(test_heur_opts_load_shipped_file_matches_defaults),
		T(test_heur_opts_load_rejects_unknown_key),
		T(test_heur_opts_load_services_and_cidrs),
		T(test_heur_opts_load_missing_file),
	};

	return cmocka_run_group_tests_name("heur", tests, NULL, NULL);
}
