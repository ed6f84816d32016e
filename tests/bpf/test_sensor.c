// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_sensor.c - the sensor programs run on crafted packets with
 * BPF_PROG_TEST_RUN: every program returns PASS and leaves the packet
 * unchanged, each packet ends in exactly one counted outcome, and records
 * read back from the rings carry the right header and bytes. Then the
 * sampling policy, ring sharding, ring-full accounting, wake-up batching,
 * "record once per node", the loader's TC attach/stale removal, and each
 * attach mode live on a veth pair (a frame sent into it comes back as a record).
 *
 * Needs root (CAP_BPF, CAP_NET_ADMIN); otherwise every test is skipped.
 * Packets: sensor_fixtures.h (made by gen_fixtures.py).
 */
#include <errno.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include <weir/abi.h>
#include <weir/limits.h>

#include "core/log.h"
#include "source/source_bpf.h"
#include "sensor.skel.h"
#include "sensor_fixtures.h"

#define N_SHARDS   4
#define MAX_RECS   16
#define FRAME_KEEP 2048

struct got_rec {
	struct weir_rec h;
	uint8_t frame[FRAME_KEEP];
	uint32_t shard;
};

struct shard_ctx {
	struct got_rec *recs;
	uint32_t *n;
	uint32_t shard;
};

static struct {
	struct source_bpf *sb;
	struct got_rec recs[MAX_RECS];
	uint32_t n_recs;
	struct shard_ctx sctx[N_SHARDS];
} S;

static int on_rec(void *ctx, const struct weir_rec *rec, const uint8_t *frame)
{
	struct shard_ctx *sc = ctx;
	struct got_rec *g;

	if (*sc->n >= MAX_RECS)
		return -E2BIG;
	g = &sc->recs[(*sc->n)++];
	g->h = *rec;
	memcpy(g->frame, frame, rec->cap_len < FRAME_KEEP ? rec->cap_len : FRAME_KEEP);
	g->shard = sc->shard;
	return 0;
}

/* Drain every shard into S.recs (in shard order, FIFO within a shard). */
static uint32_t drain(void)
{
	uint32_t i;

	memset(S.recs, 0, sizeof(S.recs));
	S.n_recs = 0;
	for (i = 0; i < N_SHARDS; i++)
		assert_true(source_bpf__shard_consume(S.sb, i) >= 0);
	return S.n_recs;
}

static void set_cfg(uint32_t head, uint32_t rate, uint32_t snap, uint32_t wakeup)
{
	struct weir_kcfg c = {
		.enabled = 1,
		.head_bytes = head,
		.sample_rate = rate,
		.snaplen = snap,
		.wakeup_bytes = wakeup,
	};

	assert_int_equal(source_bpf__set_config(S.sb, &c), 0);
}

static void flows_clear(struct source_bpf *sb)
{
	int fd = bpf_map__fd(source_bpf__skel(sb)->maps.flow_map);
	struct weir_kflow_key k;

	while (!bpf_map_get_next_key(fd, NULL, &k))
		assert_int_equal(bpf_map_delete_elem(fd, &k), 0);
}

/* The only flow in the table (it was cleared before the packet); returns the count. */
static uint32_t flows_get(struct source_bpf *sb, struct weir_kflow_key *only)
{
	int fd = bpf_map__fd(source_bpf__skel(sb)->maps.flow_map);
	struct weir_kflow_key k, *prev = NULL;
	uint32_t n = 0;

	memset(only, 0, sizeof(*only));
	while (!bpf_map_get_next_key(fd, prev, &k)) {
		*only = k;
		prev = only;
		n++;
	}
	return n;
}

static int prog_fd(struct source_bpf *sb, enum weir_hook hook)
{
	struct sensor_bpf *s = source_bpf__skel(sb);
	const struct bpf_program *p[] = {
		[WEIR_HOOK_XDP] = s->progs.sensor_xdp,
		[WEIR_HOOK_TC_INGRESS] = s->progs.sensor_tc_ingress,
		[WEIR_HOOK_TC_EGRESS] = s->progs.sensor_tc_egress,
		[WEIR_HOOK_UPLINK] = s->progs.sensor_xdp_uplink,
	};

	return bpf_program__fd(p[hook]);
}

static int pass_verdict(enum weir_hook hook)
{
	return hook == WEIR_HOOK_XDP || hook == WEIR_HOOK_UPLINK ? XDP_PASS : TC_ACT_OK;
}

/* Run @pkt once through program @fd; assert @verdict (PASS) and an untouched packet. */
static void run_fd(int fd, int verdict, const uint8_t *pkt, uint32_t len)
{
	uint8_t out[4096];
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(fd, &o), 0);
	assert_int_equal(o.retval, verdict);
	assert_int_equal(o.data_size_out, len);
	assert_memory_equal(out, pkt, len);
}

static void run_on(struct source_bpf *sb, enum weir_hook hook, const uint8_t *pkt, uint32_t len)
{
	run_fd(prog_fd(sb, hook), pass_verdict(hook), pkt, len);
}

static void run(enum weir_hook hook, const uint8_t *pkt, uint32_t len)
{
	run_on(S.sb, hook, pkt, len);
}

#define RUN(hook, name) run(hook, pkt_##name, sizeof(pkt_##name))

static void kstats(struct source_bpf *sb, uint64_t *v)
{
	assert_int_equal(source_bpf__read_kstats(sb, v), 0);
}

static uint64_t delta(const uint64_t *a, const uint64_t *b, unsigned int id)
{
	return b[id] - a[id];
}

/* --- fixture table: one packet, one program, one outcome ---------------- */

struct fixture {
	const char *name;
	const uint8_t *pkt;
	uint32_t len;
	enum weir_hook hook;
	uint32_t outcome;   /* enum weir_kstat that must move by exactly 1 */
	uint32_t detail;    /* a detail counter that must move by 1 (or = outcome) */
	uint32_t n_rec;	    /* 0 or 1 */
	uint16_t flags;	    /* exact weir_rec.flags */
	uint8_t proto;
	uint32_t frame_off; /* recorded frame = pkt + frame_off */
	uint32_t tun_id;
	uint8_t dir;	    /* flow direction of the packet */
	uint16_t port_a;    /* expected flow key ports (host order) */
	uint16_t port_b;
};

#define XDP WEIR_HOOK_XDP
#define TCI WEIR_HOOK_TC_INGRESS
#define TCE WEIR_HOOK_TC_EGRESS
#define UPL WEIR_HOOK_UPLINK
#define F_CTL WEIR_REC_F_CONTROL
#define F_HEAD WEIR_REC_F_HEAD
#define F_BA WEIR_REC_F_DIR_BA
#define F_FRAG WEIR_REC_F_FRAG
#define F_DECAP WEIR_REC_F_DECAP
#define F_V6 WEIR_REC_F_IPV6

/* A recorded packet. */
#define REC(test, p, hook, detail, flags, proto, off, tun, dir, pa, pb)                       \
	{ "test_sensor_" #test, pkt_##p, sizeof(pkt_##p), hook, WEIR_KSTAT_RECORDED,          \
	  WEIR_KSTAT_##detail, 1, flags, proto, off, tun, dir, pa, pb }
/* A packet that passes without a record. */
#define NOREC(test, p, hook, outcome)                                                          \
	{ "test_sensor_" #test, pkt_##p, sizeof(pkt_##p), hook, WEIR_KSTAT_##outcome,          \
	  WEIR_KSTAT_##outcome, 0, 0, 0, 0, 0, 0, 0, 0 }

static const struct fixture fixtures[] = {
	REC(xdp_tcp4_syn, tcp4_syn, XDP, REC_CONTROL, F_CTL, 6, 0, 0, 0, 40000, 80),
	REC(tc_ingress_tcp4_syn, tcp4_syn, TCI, REC_CONTROL, F_CTL, 6, 0, 0, 0, 40000, 80),
	REC(tc_egress_tcp4_syn, tcp4_syn, TCE, REC_CONTROL, F_CTL, 6, 0, 0, 0, 40000, 80),
	REC(xdp_tcp4_synack_reverse_dir, tcp4_synack, XDP, REC_CONTROL, F_CTL | F_BA, 6, 0, 0, 1, 40000, 80),
	REC(xdp_udp4_head, udp4, XDP, REC_HEAD, F_HEAD, 17, 0, 0, 0, 5353, 53),
	REC(tc_egress_udp4_head, udp4, TCE, REC_HEAD, F_HEAD, 17, 0, 0, 0, 5353, 53),
	REC(xdp_icmp4, icmp4, XDP, REC_HEAD, F_HEAD, 1, 0, 0, 0, 0, 0),
	REC(xdp_ipv4_options, tcp4_opts, XDP, REC_CONTROL, F_CTL, 6, 0, 0, 0, 40001, 22),
	REC(xdp_ipv4_total_length_0_big_tcp, tcp4_big_tcp, XDP, REC_CONTROL, F_CTL, 6, 0, 0, 0,
	    40005, 80),
	REC(xdp_tcp6_syn, tcp6_syn, XDP, REC_CONTROL, F_CTL | F_V6, 6, 0, 0, 0, 40000, 443),
	REC(xdp_icmp6, icmp6, XDP, REC_HEAD, F_HEAD | F_V6, 58, 0, 0, 0, 0, 0),
	REC(xdp_ipv6_ext_chain, udp6_ext, XDP, REC_HEAD, F_HEAD | F_V6, 17, 0, 0, 0, 1000, 2000),
	REC(tc_ingress_ipv6_ext_chain, udp6_ext, TCI, REC_HEAD, F_HEAD | F_V6, 17, 0, 0, 0, 1000, 2000),
	REC(xdp_ipv6_ext_chain_at_limit, udp6_ext8, XDP, REC_HEAD, F_HEAD | F_V6, 17, 0, 0, 0, 1000,
	    2000),
	REC(xdp_ipv6_ah_length_in_4_byte_units, udp6_ah, XDP, REC_HEAD, F_HEAD | F_V6, 17, 0, 0, 0,
	    1001, 2001),
	REC(xdp_ipv6_atomic_fragment_has_l4, udp6_atomic_frag, XDP, REC_HEAD, F_HEAD | F_V6, 17, 0,
	    0, 0, 1002, 2002),
	REC(xdp_ipv6_long_ext_header, udp6_big_ext, XDP, REC_HEAD, F_HEAD | F_V6, 17, 0, 0, 0, 1003,
	    2003),
	NOREC(xdp_ipv6_ext_chain_too_long, udp6_ext_long, XDP, ERR_IPV6_EXT_CHAIN),
	REC(xdp_vlan_one_tag, vlan1, XDP, REC_CONTROL, F_CTL, 6, 0, 0, 0, 40002, 80),
	REC(tc_ingress_vlan_one_tag, vlan1, TCI, REC_CONTROL, F_CTL, 6, 0, 0, 0, 40002, 80),
	REC(xdp_vlan_two_tags, vlan2, XDP, REC_HEAD, F_HEAD, 17, 0, 0, 0, 1, 2),
	NOREC(xdp_vlan_three_tags, vlan3, XDP, ERR_VLAN_DEPTH),
	REC(xdp_ipv4_first_fragment, frag4_first, XDP, FRAGMENTS, F_HEAD | F_FRAG, 17, 0, 0, 0, 0, 0),
	REC(xdp_ipv4_later_fragment, frag4_second, XDP, FRAGMENTS, F_HEAD | F_FRAG, 17, 0, 0, 0, 0, 0),
	REC(xdp_ipv6_fragment, frag6, XDP, FRAGMENTS, F_HEAD | F_FRAG | F_V6, 17, 0, 0, 0, 0, 0),
	NOREC(xdp_non_ip, arp, XDP, NON_IP),
	NOREC(tc_ingress_non_ip, arp, TCI, NON_IP),
	NOREC(tc_egress_non_ip, arp, TCE, NON_IP),
	NOREC(xdp_trunc_vlan, trunc_vlan, XDP, ERR_VLAN_TRUNC),
	NOREC(xdp_trunc_ipv4, trunc_ipv4, XDP, ERR_IPV4_TRUNC),
	/* no TC case for a truncated IP header: the skb test run itself refuses it */
	NOREC(xdp_ipv4_ihl_below_5, bad_ihl, XDP, ERR_IPV4_HLEN),
	NOREC(xdp_trunc_ipv4_options, trunc_ipv4_opts, XDP, ERR_IPV4_TRUNC),
	NOREC(xdp_trunc_ipv6, trunc_ipv6, XDP, ERR_IPV6_TRUNC),
	NOREC(xdp_trunc_ipv6_ext, trunc_ipv6_ext, XDP, ERR_IPV6_EXT_TRUNC),
	NOREC(xdp_trunc_ipv6_ext_len, trunc_ipv6_ext_len, XDP, ERR_IPV6_EXT_TRUNC),
	NOREC(tc_egress_trunc_ipv6_ext, trunc_ipv6_ext, TCE, ERR_IPV6_EXT_TRUNC),
	NOREC(xdp_trunc_tcp, trunc_tcp, XDP, ERR_L4_TRUNC),
	NOREC(tc_ingress_trunc_tcp, trunc_tcp, TCI, ERR_L4_TRUNC),
	NOREC(xdp_trunc_tcp_options, trunc_tcp_opts, XDP, ERR_L4_TRUNC),
	NOREC(xdp_trunc_udp, trunc_udp, XDP, ERR_L4_TRUNC),
	NOREC(xdp_trunc_icmp, trunc_icmp, XDP, ERR_L4_TRUNC),
	REC(uplink_vxlan_inner_frame, vxlan, UPL, DECAP, F_CTL | F_DECAP, 6, 50, 42, 0, 40003, 80),
	REC(uplink_vxlan_8472_inner_frame, vxlan8472, UPL, DECAP, F_HEAD | F_DECAP, 17, 50, 1, 0, 7, 8),
	REC(uplink_geneve_options_inner_frame, geneve, UPL, DECAP, F_CTL | F_DECAP | F_V6, 6, 78,
	    77, 0, 40004, 80),
	NOREC(uplink_trunc_vxlan, trunc_vxlan, UPL, ERR_TUNNEL_TRUNC),
	NOREC(uplink_trunc_inner_ipv4, trunc_vxlan_inner, UPL, ERR_IPV4_TRUNC),
	NOREC(uplink_not_tunnel, tcp4_syn, UPL, NOT_TUNNEL),
	NOREC(uplink_non_ip, arp, UPL, NON_IP),
	REC(xdp_vxlan_not_decapsulated_on_veth, vxlan, XDP, REC_HEAD, F_HEAD, 17, 0, 0, 0, 33333, 4789),
};

#define OUTCOME_FIRST WEIR_KSTAT_RECORDED
#define OUTCOME_LAST  WEIR_KSTAT_ERR_TUNNEL_TRUNC

static const uint32_t seen_of[] = {
	[WEIR_HOOK_XDP] = WEIR_KSTAT_SEEN_XDP,
	[WEIR_HOOK_TC_INGRESS] = WEIR_KSTAT_SEEN_TC_INGRESS,
	[WEIR_HOOK_TC_EGRESS] = WEIR_KSTAT_SEEN_TC_EGRESS,
	[WEIR_HOOK_UPLINK] = WEIR_KSTAT_SEEN_UPLINK,
};

static void test_sensor_fixture(void **state)
{
	const struct fixture *f = *state;
	uint64_t a[WEIR_KSTAT__MAX], b[WEIR_KSTAT__MAX], outcomes = 0;
	uint32_t flen = f->len - f->frame_off, id, d = f->dir;
	const struct got_rec *g = &S.recs[0];
	struct weir_kflow_key key;

	if (!S.sb)
		skip();
	set_cfg(4096, 0, WEIR_SNAPLEN_MAX, 0);
	flows_clear(S.sb);
	drain();
	kstats(S.sb, a);
	run(f->hook, f->pkt, f->len);
	kstats(S.sb, b);

	/* exactly one outcome per packet, the expected one */
	for (id = OUTCOME_FIRST; id <= OUTCOME_LAST; id++)
		outcomes += delta(a, b, id);
	assert_int_equal(outcomes, 1);
	assert_int_equal(delta(a, b, seen_of[f->hook]), 1);
	assert_int_equal(delta(a, b, f->outcome), 1);
	assert_int_equal(delta(a, b, f->detail), 1);

	/* the record: header fields, counters, and the frame bytes (from the
	 * inner frame when decapsulated); all zero when none is expected */
	assert_int_equal(drain(), f->n_rec);
	assert_int_equal(g->h.hook, f->n_rec * f->hook);
	assert_int_equal(g->h.ifindex, f->n_rec * 1); /* test runs happen on lo */
	assert_int_equal(g->h.flags, f->flags);
	assert_int_equal(g->h.ip_proto, f->proto);
	assert_int_equal(g->h.cap_len, f->n_rec * flen);
	assert_int_equal(g->h.wire_len, f->n_rec * flen);
	assert_int_equal(g->h.tun_id, f->tun_id);
	assert_int_equal(g->h.pkts[d], f->n_rec);
	assert_int_equal(g->h.pkts[!d], 0);
	assert_int_equal(g->h.bytes[d], f->n_rec * flen);
	assert_int_equal(g->h.bytes[!d], 0);
	assert_int_equal(g->h.ts_ns > 0, f->n_rec);
	assert_memory_equal(g->frame, f->pkt + f->frame_off, f->n_rec * flen);

	/* the flow key: where L4 was found (ports), normalised */
	assert_int_equal(flows_get(S.sb, &key), f->n_rec);
	assert_int_equal(ntohs(key.port_a), f->port_a);
	assert_int_equal(ntohs(key.port_b), f->port_b);
	assert_int_equal(key.proto, f->proto);
}

/* --- sampling policy ---------------------------------------------------- */

/* Control packets always, each direction's head in full, nothing past it. */
static void test_sensor_head_then_bulk(void **state)
{
	uint64_t a[WEIR_KSTAT__MAX], b[WEIR_KSTAT__MAX];

	(void)state;
	if (!S.sb)
		skip();
	set_cfg(100, 0, WEIR_SNAPLEN_MAX, 0);
	flows_clear(S.sb);
	drain();
	kstats(S.sb, a);
	RUN(XDP, tcp4_syn);
	RUN(XDP, tcp4_data60);	   /* head: 0 -> 60 captured */
	RUN(XDP, tcp4_data60);	   /* head: 60 -> 120 */
	RUN(XDP, tcp4_data60);	   /* past 100: not recorded */
	RUN(TCE, tcp4_data60_rev); /* the other direction has its own head */
	RUN(XDP, tcp4_fin);
	kstats(S.sb, b);

	assert_int_equal(drain(), 5);
	assert_int_equal(S.recs[0].h.flags, F_CTL);
	assert_int_equal(S.recs[1].h.flags, F_HEAD);
	assert_int_equal(S.recs[2].h.flags, F_HEAD);
	assert_int_equal(S.recs[3].h.flags, F_HEAD | F_BA);
	assert_int_equal(S.recs[3].h.hook, WEIR_HOOK_TC_EGRESS);
	assert_int_equal(S.recs[4].h.flags, F_CTL);
	/* the last record carries the exact flow counters, unsampled packets included */
	assert_int_equal(S.recs[4].h.pkts[0], 5);
	assert_int_equal(S.recs[4].h.pkts[1], 1);
	assert_int_equal(S.recs[4].h.bytes[0],
			 sizeof(pkt_tcp4_syn) + 3 * sizeof(pkt_tcp4_data60) + sizeof(pkt_tcp4_fin));
	assert_int_equal(S.recs[4].h.bytes[1], sizeof(pkt_tcp4_data60_rev));
	assert_int_equal(S.recs[4].h.tcp_flags[0], 0x02 | 0x18 | 0x11);
	assert_int_equal(S.recs[4].h.tcp_flags[1], 0x18);
	assert_int_equal(S.recs[0].h.flow_hash, S.recs[3].h.flow_hash);
	assert_int_equal(delta(a, b, WEIR_KSTAT_RECORDED), 5);
	assert_int_equal(delta(a, b, WEIR_KSTAT_REC_CONTROL), 2);
	assert_int_equal(delta(a, b, WEIR_KSTAT_REC_HEAD), 3);
	assert_int_equal(delta(a, b, WEIR_KSTAT_HEAD_EXCEEDED), 1);
	assert_int_equal(delta(a, b, WEIR_KSTAT_SAMPLED_OUT), 1);
	assert_int_equal(delta(a, b, WEIR_KSTAT_FLOW_NEW), 1);
}

/* Past the head, 1 in sample_rate packets per direction, the first one included. */
static void test_sensor_sample_one_in_n(void **state)
{
	uint64_t a[WEIR_KSTAT__MAX], b[WEIR_KSTAT__MAX];
	int i;

	(void)state;
	if (!S.sb)
		skip();
	set_cfg(0, 4, WEIR_SNAPLEN_MAX, 0);
	flows_clear(S.sb);
	drain();
	kstats(S.sb, a);
	for (i = 0; i < 8; i++)
		RUN(XDP, tcp4_data60);
	kstats(S.sb, b);

	assert_int_equal(drain(), 2);
	assert_int_equal(S.recs[0].h.flags, WEIR_REC_F_SAMPLED);
	assert_int_equal(S.recs[0].h.pkts[0], 1);
	assert_int_equal(S.recs[1].h.pkts[0], 5);
	assert_int_equal(delta(a, b, WEIR_KSTAT_REC_SAMPLED), 2);
	assert_int_equal(delta(a, b, WEIR_KSTAT_HEAD_EXCEEDED), 8);
	assert_int_equal(delta(a, b, WEIR_KSTAT_SAMPLED_OUT), 6);
}

/* sample_rate 0 and head_bytes 0 record nothing but control packets. */
static void test_sensor_rate_zero_keeps_control(void **state)
{
	uint64_t a[WEIR_KSTAT__MAX], b[WEIR_KSTAT__MAX];

	(void)state;
	if (!S.sb)
		skip();
	set_cfg(0, 0, WEIR_SNAPLEN_MAX, 0);
	flows_clear(S.sb);
	drain();
	kstats(S.sb, a);
	RUN(XDP, tcp4_data60);
	RUN(XDP, tcp4_data60);
	RUN(TCI, tcp4_rst);
	kstats(S.sb, b);

	assert_int_equal(drain(), 1);
	assert_int_equal(S.recs[0].h.flags, F_CTL | F_BA);
	assert_int_equal(S.recs[0].h.pkts[0], 2);
	assert_int_equal(delta(a, b, WEIR_KSTAT_SAMPLED_OUT), 2);
}

/* snaplen caps the copy, and the head counts captured payload, not wire payload. */
static void test_sensor_snaplen_counts_captured_payload(void **state)
{
	uint64_t a[WEIR_KSTAT__MAX], b[WEIR_KSTAT__MAX];

	(void)state;
	if (!S.sb)
		skip();
	set_cfg(200, 0, 150, 0);
	flows_clear(S.sb);
	drain();
	kstats(S.sb, a);
	RUN(XDP, tcp4_data200); /* captures 150 - 54 = 96 of 200 payload bytes: head 96 */
	RUN(XDP, tcp4_data200); /* 192 */
	RUN(XDP, tcp4_data200); /* 288: the head is done */
	RUN(XDP, tcp4_data200);
	kstats(S.sb, b);

	assert_int_equal(drain(), 3);
	assert_int_equal(S.recs[0].h.cap_len, 150);
	assert_int_equal(S.recs[0].h.wire_len, sizeof(pkt_tcp4_data200));
	assert_int_equal(S.recs[0].h.flags, F_HEAD | WEIR_REC_F_SNAPPED);
	assert_memory_equal(S.recs[0].frame, pkt_tcp4_data200, 150);
	assert_int_equal(delta(a, b, WEIR_KSTAT_SNAPPED), 3);
	assert_int_equal(delta(a, b, WEIR_KSTAT_SAMPLED_OUT), 1);
}

/* A direction without payload (the ACKs of a download) ends its head too. */
static void test_sensor_ack_only_direction_head_ends(void **state)
{
	uint64_t a[WEIR_KSTAT__MAX], b[WEIR_KSTAT__MAX];
	int i;

	(void)state;
	if (!S.sb)
		skip();
	set_cfg(4 * WEIR_HEAD_MIN_CHARGE, 0, WEIR_SNAPLEN_MAX, 0);
	flows_clear(S.sb);
	drain();
	kstats(S.sb, a);
	RUN(XDP, tcp4_syn); /* control: recorded, uses no head */
	for (i = 0; i < 10; i++)
		RUN(XDP, tcp4_ack);
	kstats(S.sb, b);

	assert_int_equal(drain(), 5);
	assert_int_equal(S.recs[4].h.flags, F_HEAD);
	assert_int_equal(S.recs[4].h.pkts[0], 5);
	assert_int_equal(delta(a, b, WEIR_KSTAT_SAMPLED_OUT), 6);
}

/* Large frames take the large record class whole (up to WEIR_SNAPLEN_MAX). */
static void test_sensor_large_record_class(void **state)
{
	(void)state;
	if (!S.sb)
		skip();
	set_cfg(4096, 0, WEIR_SNAPLEN_MAX, 0);
	flows_clear(S.sb);
	drain();
	RUN(XDP, tcp4_data200);

	assert_int_equal(drain(), 1);
	assert_int_equal(S.recs[0].h.cap_len, sizeof(pkt_tcp4_data200));
	assert_memory_equal(S.recs[0].frame, pkt_tcp4_data200, sizeof(pkt_tcp4_data200));
}

/* --- robustness ------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64: a fixed sequence, so the test is the same on every run */
static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* @pkt with @flips random bytes replaced, cut to @len (>= 14). */
static uint32_t mutate(uint8_t *out, const uint8_t *pkt, uint32_t len, uint32_t cut, int flips)
{
	uint32_t n = cut < len ? cut : len;
	int i;

	memcpy(out, pkt, len);
	for (i = 0; i < flips; i++)
		out[14 + rng() % (len - 14)] = (uint8_t)rng();
	return n < 14 ? 14 : n;
}

/*
 * Every program passes every packet untouched and counts exactly one
 * outcome, whatever the bytes: 3000 mutated and cut copies of the fixtures
 * (headers are where the mutations land, as the fixtures are small).
 */
static void test_sensor_mutated_packets_always_pass(void **state)
{
	static const struct {
		const uint8_t *p;
		uint32_t len;
	} seeds[] = {
		{ pkt_tcp4_opts, sizeof(pkt_tcp4_opts) }, { pkt_udp6_ext, sizeof(pkt_udp6_ext) },
		{ pkt_udp6_ah, sizeof(pkt_udp6_ah) },	  { pkt_vlan2, sizeof(pkt_vlan2) },
		{ pkt_vxlan, sizeof(pkt_vxlan) },	  { pkt_geneve, sizeof(pkt_geneve) },
		{ pkt_frag6, sizeof(pkt_frag6) },	  { pkt_tcp4_data60, sizeof(pkt_tcp4_data60) },
	};
	const enum weir_hook hooks[] = { XDP, UPL, TCI, TCE };
	uint64_t a[WEIR_KSTAT__MAX], b[WEIR_KSTAT__MAX], outcomes = 0;
	uint8_t buf[256];
	uint32_t i, id, n, len;

	(void)state;
	if (!S.sb)
		skip();
	set_cfg(4096, 1, WEIR_SNAPLEN_MAX, 0);
	flows_clear(S.sb);
	drain();
	kstats(S.sb, a);
	for (i = 0; i < 3000; i++) {
		n = (uint32_t)(sizeof(seeds) / sizeof(seeds[0]));
		n = rng() % n;
		/* the skb test run itself refuses frames shorter than an IP header */
		len = mutate(buf, seeds[n].p, seeds[n].len,
			     i % 4 < 2 ? 14 + rng() % seeds[n].len : 14 + 40 + rng() % seeds[n].len,
			     1 + (int)(rng() % 4));
		run(hooks[i % 4], buf, len);
		if (i % 8 == 7)
			drain(); /* keep the 16-record test buffer from overflowing */
	}
	drain();
	kstats(S.sb, b);

	for (id = OUTCOME_FIRST; id <= OUTCOME_LAST; id++)
		outcomes += delta(a, b, id);
	assert_int_equal(outcomes, 3000);
	assert_int_equal(delta(a, b, WEIR_KSTAT_SEEN_XDP) + delta(a, b, WEIR_KSTAT_SEEN_UPLINK) +
				 delta(a, b, WEIR_KSTAT_SEEN_TC_INGRESS) +
				 delta(a, b, WEIR_KSTAT_SEEN_TC_EGRESS),
			 3000);
	assert_int_equal(delta(a, b, WEIR_KSTAT_COPY_FAIL), 0);
	assert_true(delta(a, b, WEIR_KSTAT_RECORDED) > 0);
}

/* --- shards, ring full, wake-ups ---------------------------------------- */

/* Both directions and the fragments of an address pair reach one shard. */
static void test_sensor_shard_symmetric(void **state)
{
	(void)state;
	if (!S.sb)
		skip();
	set_cfg(4096, 0, WEIR_SNAPLEN_MAX, 0);
	flows_clear(S.sb);
	drain();
	RUN(XDP, tcp4_syn);
	RUN(TCE, tcp4_synack);
	RUN(XDP, frag4_second);
	RUN(TCI, udp4_rev);

	assert_int_equal(drain(), 4);
	assert_int_equal(S.recs[0].h.flow_hash, S.recs[1].h.flow_hash);
	assert_int_not_equal(S.recs[0].h.flow_hash, S.recs[2].h.flow_hash);
	assert_int_equal(S.recs[0].shard, S.recs[1].shard);
	assert_int_equal(S.recs[0].shard, S.recs[2].shard);
	assert_int_equal(S.recs[0].shard, S.recs[3].shard);
}

static int count_rec(void *ctx, const struct weir_rec *rec, const uint8_t *frame)
{
	(void)rec;
	(void)frame;
	(*(uint32_t *)ctx)++;
	return 0;
}

/* A full ring loses the record, not the packet, and counts it. */
static void test_sensor_ring_full_counted(void **state)
{
	struct source_bpf_opts o = {
		.n_shards = 1,
		.ring_bytes = 16384,
		.cfg = { .enabled = 1, .snaplen = 64, .wakeup_bytes = 1 << 30 },
	};
	uint64_t a[WEIR_KSTAT__MAX], b[WEIR_KSTAT__MAX];
	/* small records: 8-byte ring header + 256 */
	const uint32_t fit = 16384 / (8 + sizeof(struct weir_rec) + WEIR_REC_SMALL_FRAME);
	struct source_bpf *sb;
	uint32_t n = 0;
	int i;

	(void)state;
	if (!S.sb)
		skip();
	sb = source_bpf__new(&o);
	assert_non_null(sb);
	assert_int_equal(source_bpf__shard_start(sb, 0, count_rec, &n), 0);
	kstats(sb, a);
	for (i = 0; i < 100; i++)
		run_on(sb, XDP, pkt_tcp4_syn, sizeof(pkt_tcp4_syn));
	kstats(sb, b);

	assert_int_equal(delta(a, b, WEIR_KSTAT_RECORDED), fit);
	assert_int_equal(delta(a, b, WEIR_KSTAT_RING_FULL), 100 - fit);
	assert_int_equal(source_bpf__shard_consume(sb, 0), fit);
	assert_int_equal(n, fit);
	source_bpf__free(sb);
}

/* Records are submitted without a wake-up until the ring holds wakeup_bytes. */
static void test_sensor_wakeup_threshold(void **state)
{
	uint64_t a[WEIR_KSTAT__MAX], b[WEIR_KSTAT__MAX];
	int i;

	(void)state;
	if (!S.sb)
		skip();
	/* 264 ring bytes per small record: the 4th passes 1024 */
	set_cfg(4096, 0, WEIR_SNAPLEN_MAX, 1024);
	flows_clear(S.sb);
	drain();
	kstats(S.sb, a);
	for (i = 0; i < 5; i++)
		RUN(XDP, tcp4_syn);
	kstats(S.sb, b);

	assert_int_equal(delta(a, b, WEIR_KSTAT_WAKEUPS), 2);
	assert_int_equal(drain(), 5);
}

/* --- config and once-per-node -------------------------------------------- */

static void test_sensor_disabled_passes(void **state)
{
	struct weir_kcfg c = { .enabled = 0, .head_bytes = 4096, .snaplen = 128 };
	uint64_t a[WEIR_KSTAT__MAX], b[WEIR_KSTAT__MAX];

	(void)state;
	if (!S.sb)
		skip();
	assert_int_equal(source_bpf__set_config(S.sb, &c), 0);
	drain();
	kstats(S.sb, a);
	RUN(XDP, tcp4_syn);
	RUN(TCE, tcp4_syn);
	kstats(S.sb, b);

	assert_int_equal(delta(a, b, WEIR_KSTAT_DISABLED), 2);
	assert_int_equal(delta(a, b, WEIR_KSTAT_FLOW_NEW), 0);
	assert_int_equal(drain(), 0);
}

static void test_sensor_config_clamped(void **state)
{
	struct weir_kcfg c = { .enabled = 1, .snaplen = 100000, .n_shards = 60 }, got;

	(void)state;
	if (!S.sb)
		skip();
	assert_int_equal(source_bpf__set_config(S.sb, &c), 0);
	assert_int_equal(source_bpf__get_config(S.sb, &got), 0);
	assert_int_equal(got.snaplen, WEIR_SNAPLEN_MAX);
	assert_int_equal(got.n_shards, N_SHARDS);
}

/* TC egress skips packets from local pods (recorded at their own veth), not others. */
static void test_sensor_local_source_recorded_once(void **state)
{
	uint64_t a[WEIR_KSTAT__MAX], b[WEIR_KSTAT__MAX];
	struct in_addr local;

	(void)state;
	if (!S.sb)
		skip();
	inet_pton(AF_INET, "10.0.0.1", &local);
	set_cfg(4096, 0, WEIR_SNAPLEN_MAX, 0);
	flows_clear(S.sb);
	drain();
	assert_int_equal(source_bpf__local_ep_add(S.sb, AF_INET, &local, 7), 0);
	kstats(S.sb, a);
	RUN(TCI, udp4);	    /* pod 10.0.0.1 sends: its veth ingress records */
	RUN(TCE, udp4);	    /* the same packet entering pod 10.0.0.2: skipped */
	RUN(TCE, udp4_rev); /* from 10.0.0.2 (not local): recorded */
	kstats(S.sb, b);
	assert_int_equal(source_bpf__local_ep_del(S.sb, AF_INET, &local), 0);

	assert_int_equal(delta(a, b, WEIR_KSTAT_DUP_SKIPPED), 1);
	assert_int_equal(drain(), 2);
	assert_int_equal(S.recs[0].h.pkts[0], 1); /* the skipped copy was not counted */
	assert_int_equal(S.recs[1].h.pkts[0], 1);
	assert_int_equal(S.recs[1].h.pkts[1], 1);
	assert_int_equal(source_bpf__local_ep_del(S.sb, AF_INET, &local), -ENOENT);
}

/* Overlay ingress skips packets for local pods (their veth egress records them). */
static void test_sensor_overlay_ingress_skips_local_destination(void **state)
{
	uint64_t a[WEIR_KSTAT__MAX], b[WEIR_KSTAT__MAX];
	struct in_addr local;
	int fd;

	(void)state;
	if (!S.sb)
		skip();
	fd = bpf_program__fd(source_bpf__skel(S.sb)->progs.sensor_tc_overlay_ingress);
	inet_pton(AF_INET, "10.0.0.2", &local);
	set_cfg(4096, 0, WEIR_SNAPLEN_MAX, 0);
	flows_clear(S.sb);
	drain();
	assert_int_equal(source_bpf__local_ep_add(S.sb, AF_INET, &local, 9), 0);
	kstats(S.sb, a);
	run_fd(fd, TC_ACT_OK, pkt_udp4, sizeof(pkt_udp4));	    /* remote 10.0.0.1 -> local pod */
	RUN(TCE, udp4);						    /* ... recorded at its veth */
	run_fd(fd, TC_ACT_OK, pkt_udp4_rev, sizeof(pkt_udp4_rev)); /* to a remote pod */
	RUN(TCI, udp4_rev);					    /* veth TC ingress: no skip */
	kstats(S.sb, b);
	assert_int_equal(source_bpf__local_ep_del(S.sb, AF_INET, &local), 0);

	assert_int_equal(delta(a, b, WEIR_KSTAT_SEEN_TC_INGRESS), 3);
	assert_int_equal(delta(a, b, WEIR_KSTAT_DUP_SKIPPED), 1);
	assert_int_equal(drain(), 3);
	assert_int_equal(S.recs[0].h.hook, WEIR_HOOK_TC_EGRESS);
	assert_int_equal(S.recs[0].h.pkts[0], 1);
	assert_int_equal(S.recs[1].h.hook, WEIR_HOOK_TC_INGRESS);
}

/* Endpoints of a vanished pod veth are forgotten together, others stay. */
static void test_sensor_local_ep_del_ifindex(void **state)
{
	struct in_addr a1, a2, a3;
	struct in6_addr a6;

	(void)state;
	if (!S.sb)
		skip();
	inet_pton(AF_INET, "10.1.0.1", &a1);
	inet_pton(AF_INET, "10.1.0.2", &a2);
	inet_pton(AF_INET, "10.1.0.3", &a3);
	inet_pton(AF_INET6, "fd01::1", &a6);
	assert_int_equal(source_bpf__local_ep_add(S.sb, AF_INET, &a1, 7), 0);
	assert_int_equal(source_bpf__local_ep_add(S.sb, AF_INET, &a2, 8), 0);
	assert_int_equal(source_bpf__local_ep_add(S.sb, AF_INET, &a3, 7), 0);
	assert_int_equal(source_bpf__local_ep_add(S.sb, AF_INET6, &a6, 7), 0);
	assert_int_equal(source_bpf__local_ep_add(S.sb, AF_PACKET, &a6, 7), -EAFNOSUPPORT);

	assert_int_equal(source_bpf__local_ep_del_ifindex(S.sb, 7), 3);
	assert_int_equal(source_bpf__local_ep_del(S.sb, AF_INET, &a1), -ENOENT);
	assert_int_equal(source_bpf__local_ep_del(S.sb, AF_INET, &a2), 0);
	assert_int_equal(source_bpf__local_ep_del_ifindex(S.sb, 7), 0);
}

static int ep_has(const char *ip, uint32_t ifindex)
{
	int fd = bpf_map__fd(source_bpf__skel(S.sb)->maps.local_ep_map);
	struct weir_kaddr k = { .addr = { [10] = 0xff, [11] = 0xff } };
	uint32_t val = 0;

	inet_pton(AF_INET, ip, &k.addr[12]);
	return !bpf_map_lookup_elem(fd, &k, &val) && val == ifindex;
}

/* A pod veth's endpoints follow the addresses inside the pod's namespace. */
static void test_sensor_local_ep_sync_from_pod_namespace(void **state)
{
	int ifindex;

	(void)state;
	if (!S.sb)
		skip();
	assert_int_equal(system("ip netns del weirpod2 2>/dev/null; ip netns add weirpod2 && "
				"ip link add vethweirS type veth peer name eth0 netns weirpod2 && "
				"ip -n weirpod2 addr add 10.96.0.5/24 dev eth0"),
			 0);
	ifindex = (int)if_nametoindex("vethweirS");
	assert_int_equal(source_bpf__local_ep_sync(S.sb, ifindex), 1);
	assert_true(ep_has("10.96.0.5", (uint32_t)ifindex));

	assert_int_equal(system("ip -n weirpod2 addr flush dev eth0 && "
				"ip -n weirpod2 addr add 10.96.0.6/24 dev eth0"),
			 0);
	assert_int_equal(source_bpf__local_ep_sync(S.sb, ifindex), 1);
	assert_false(ep_has("10.96.0.5", (uint32_t)ifindex));
	assert_true(ep_has("10.96.0.6", (uint32_t)ifindex));

	assert_int_equal(system("ip netns del weirpod2"), 0);
	assert_int_equal(source_bpf__local_ep_del_ifindex(S.sb, (uint32_t)ifindex), 1);
}

static void test_sensor_kstat_names(void **state)
{
	unsigned int id;

	(void)state;
	for (id = 0; id < WEIR_KSTAT__MAX; id++)
		assert_non_null(source_bpf_kstat_name(id));
	assert_null(source_bpf_kstat_name(WEIR_KSTAT__MAX));
	assert_string_equal(source_bpf_kstat_name(WEIR_KSTAT_RING_FULL), "kernel.lost.ring_full");
}

/* --- attach --------------------------------------------------------------- */

/* A child attaches in @mode and exits without detaching, as if killed. Return: its status. */
static int killed_sensor_attach(int ifindex, enum source_bpf_mode mode)
{
	int status = -1;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid)
		_exit(source_bpf__attach(S.sb, ifindex, mode) ? 1 : 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* TC attach on a veth, stale filters found by handle/prio, XDP by link. */
static void test_sensor_attach_tc_and_stale_removal(void **state)
{
	int ifindex;

	(void)state;
	if (!S.sb)
		skip();
	assert_int_equal(system("ip link del weirtest0 2>/dev/null; ip link add weirtest0 type veth "
				"peer name weirtest1 && ip link set weirtest0 up"),
			 0);
	ifindex = (int)if_nametoindex("weirtest0");
	assert_true(ifindex > 0);

	assert_int_equal(source_bpf__attach(S.sb, ifindex, SOURCE_BPF_MODE_TC), 0);
	assert_int_equal(source_bpf__attach(S.sb, ifindex, SOURCE_BPF_MODE_TC), 0);
	assert_int_equal(source_bpf__n_attached(S.sb), 1);
	/* what a killed sensor leaves: both filters, found by our handle/prio */
	assert_int_equal(source_bpf_tc_remove_stale(ifindex), 2);
	assert_int_equal(source_bpf_tc_remove_stale(ifindex), 0);
	assert_int_equal(source_bpf__detach(S.sb, ifindex), 0);
	assert_int_equal(source_bpf__detach(S.sb, ifindex), -ENOENT);

	/* a sensor killed in TC mode, restarted in XDP mode: its TC ingress
	 * filter would record every packet twice, so attach removes it */
	assert_int_equal(killed_sensor_attach(ifindex, SOURCE_BPF_MODE_TC), 0);
	assert_int_equal(source_bpf__attach(S.sb, ifindex, SOURCE_BPF_MODE_XDP), 0);
	assert_int_equal(source_bpf_tc_remove_stale(ifindex), 1); /* our egress filter only */
	assert_int_equal(source_bpf__detach(S.sb, ifindex), 0);

	/* overlay mode, then the device vanishes: detach is still clean */
	assert_int_equal(source_bpf__attach_name(S.sb, "weirtest0", SOURCE_BPF_MODE_OVERLAY), 0);
	assert_int_equal(system("ip link del weirtest0"), 0);
	assert_int_equal(source_bpf__detach(S.sb, ifindex), 0);
	assert_int_equal(source_bpf__n_attached(S.sb), 0);
	assert_int_equal(source_bpf__attach_name(S.sb, "weirtest0", SOURCE_BPF_MODE_TC), -ENODEV);
}

/*
 * Child of test_sensor_remove_stale_all_sweeps_namespace, in its own network
 * namespace so the sweep cannot touch filters of a sensor running on the
 * host. Exit status: the number of stale filters the sweep removed.
 */
static int sweep_child(void)
{
	int ifindex, n;

	if (unshare(CLONE_NEWNET) ||
	    system("ip link add weirns0 type veth peer name weirns1 && ip link set weirns0 up"))
		return 100;
	ifindex = (int)if_nametoindex("weirns0");
	/* XDP mode: one TC filter (egress), left behind as by a killed sensor */
	if (source_bpf__attach(S.sb, ifindex, SOURCE_BPF_MODE_XDP))
		return 101;
	n = source_bpf_tc_remove_stale_all();
	source_bpf__detach(S.sb, ifindex);
	return n;
}

/* The start-up sweep finds Weir filters on every interface of the namespace. */
static void test_sensor_remove_stale_all_sweeps_namespace(void **state)
{
	int status = -1;
	pid_t pid;

	(void)state;
	if (!S.sb)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(sweep_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

/* Records in S.recs holding exactly @pkt, taken at @hook. */
static uint32_t count_frames(const uint8_t *pkt, uint32_t len, enum weir_hook hook)
{
	uint32_t i, n = 0;

	for (i = 0; i < S.n_recs; i++)
		n += S.recs[i].h.hook == hook && S.recs[i].h.cap_len == len &&
		     !memcmp(S.recs[i].frame, pkt, len);
	return n;
}

/* Send @pkt out of weirtest1, so it arrives on weirtest0's ingress. */
static void send_from_peer(const uint8_t *pkt, uint32_t len)
{
	struct sockaddr_ll sa = {
		.sll_family = AF_PACKET,
		.sll_ifindex = (int)if_nametoindex("weirtest1"),
		.sll_halen = ETH_ALEN,
	};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(sendto(fd, pkt, len, 0, (struct sockaddr *)&sa, sizeof(sa)), len);
	close(fd);
	usleep(20000); /* veth delivers through the backlog softirq */
}

/* Attached for real: a frame sent into the veth is recorded by the mode's hook. */
static void live_mode(enum source_bpf_mode mode, enum weir_hook hook, const uint8_t *pkt,
		      uint32_t len, const uint8_t *want, uint32_t want_len)
{
	int ifindex;

	if (!S.sb)
		skip();
	set_cfg(4096, 0, WEIR_SNAPLEN_MAX, 1 << 20);
	assert_int_equal(system("ip link del weirtest0 2>/dev/null; ip link add weirtest0 type veth "
				"peer name weirtest1 && ip link set weirtest0 up && "
				"ip link set weirtest1 up"),
			 0);
	ifindex = (int)if_nametoindex("weirtest0");
	assert_int_equal(source_bpf__attach(S.sb, ifindex, mode), 0);
	drain();
	send_from_peer(pkt, len);
	/* below wakeup_bytes: only the reader's own consume finds the record */
	assert_true(drain() >= 1);
	assert_int_equal(count_frames(want, want_len, hook), 1);
	assert_int_equal(S.recs[0].h.ifindex, ifindex);
	assert_int_equal(source_bpf__detach(S.sb, ifindex), 0);
	assert_int_equal(source_bpf_tc_remove_stale(ifindex), 0); /* detach left none */
	assert_int_equal(system("ip link del weirtest0"), 0);
}

static void test_sensor_live_tc_mode(void **state)
{
	(void)state;
	live_mode(SOURCE_BPF_MODE_TC, WEIR_HOOK_TC_INGRESS, pkt_tcp4_syn, sizeof(pkt_tcp4_syn),
		  pkt_tcp4_syn, sizeof(pkt_tcp4_syn));
}

static void test_sensor_live_xdp_mode(void **state)
{
	(void)state;
	live_mode(SOURCE_BPF_MODE_XDP, WEIR_HOOK_XDP, pkt_udp4, sizeof(pkt_udp4), pkt_udp4,
		  sizeof(pkt_udp4));
}

static void test_sensor_live_overlay_mode(void **state)
{
	(void)state;
	live_mode(SOURCE_BPF_MODE_OVERLAY, WEIR_HOOK_TC_INGRESS, pkt_tcp6_syn,
		  sizeof(pkt_tcp6_syn), pkt_tcp6_syn, sizeof(pkt_tcp6_syn));
}

static void test_sensor_live_uplink_mode(void **state)
{
	(void)state;
	live_mode(SOURCE_BPF_MODE_UPLINK, WEIR_HOOK_UPLINK, pkt_vxlan, sizeof(pkt_vxlan),
		  pkt_vxlan + 50, sizeof(pkt_vxlan) - 50);
}

static int group_setup(void **state)
{
	struct source_bpf_opts o = {
		.n_shards = N_SHARDS,
		.ring_bytes = 1 << 16,
		.cfg = { .enabled = 1, .head_bytes = 4096, .snaplen = WEIR_SNAPLEN_MAX },
	};
	uint32_t i;

	(void)state;
	source_bpf_log_libbpf();
	S.sb = source_bpf__new(&o);
	if (!S.sb) {
		fprintf(stderr, "SKIP: cannot load the sensor (%s): needs root / CAP_BPF\n",
			strerror(errno));
		return 0;
	}
	for (i = 0; i < N_SHARDS; i++) {
		S.sctx[i] = (struct shard_ctx){ .recs = S.recs, .n = &S.n_recs, .shard = i };
		if (source_bpf__shard_start(S.sb, i, on_rec, &S.sctx[i]))
			return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	source_bpf__free(S.sb);
	return 0;
}

#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_sensor_head_then_bulk),
		cmocka_unit_test(test_sensor_sample_one_in_n),
		cmocka_unit_test(test_sensor_rate_zero_keeps_control),
		cmocka_unit_test(test_sensor_snaplen_counts_captured_payload),
		cmocka_unit_test(test_sensor_ack_only_direction_head_ends),
		cmocka_unit_test(test_sensor_large_record_class),
		cmocka_unit_test(test_sensor_mutated_packets_always_pass),
		cmocka_unit_test(test_sensor_shard_symmetric),
		cmocka_unit_test(test_sensor_ring_full_counted),
		cmocka_unit_test(test_sensor_wakeup_threshold),
		cmocka_unit_test(test_sensor_disabled_passes),
		cmocka_unit_test(test_sensor_config_clamped),
		cmocka_unit_test(test_sensor_local_source_recorded_once),
		cmocka_unit_test(test_sensor_overlay_ingress_skips_local_destination),
		cmocka_unit_test(test_sensor_local_ep_del_ifindex),
		cmocka_unit_test(test_sensor_local_ep_sync_from_pod_namespace),
		cmocka_unit_test(test_sensor_kstat_names),
		cmocka_unit_test(test_sensor_attach_tc_and_stale_removal),
		cmocka_unit_test(test_sensor_remove_stale_all_sweeps_namespace),
		cmocka_unit_test(test_sensor_live_tc_mode),
		cmocka_unit_test(test_sensor_live_xdp_mode),
		cmocka_unit_test(test_sensor_live_overlay_mode),
		cmocka_unit_test(test_sensor_live_uplink_mode),
	};
	struct CMUnitTest tests[N_FIXTURES + sizeof(fixed) / sizeof(fixed[0])];
	size_t i;

	/* one named test per fixture, so a failure names its packet */
	for (i = 0; i < N_FIXTURES; i++)
		tests[i] = (struct CMUnitTest){ .name = fixtures[i].name,
						.test_func = test_sensor_fixture,
						.initial_state = (void *)&fixtures[i] };
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[N_FIXTURES + i] = fixed[i];
	return _cmocka_run_group_tests("sensor", tests, sizeof(tests) / sizeof(tests[0]),
				       group_setup, group_teardown);
}
