// SPDX-License-Identifier: GPL-2.0-only
/*
 * flow_table.c - the per-worker flow table: keys, hashing, lookup, timeouts,
 * memcap with emergency eviction, and the end of flows.
 *
 * DESIGN
 * Threads: a table belongs to one worker; nothing here locks. Packets of a
 * flow reach one worker because the kernel shards by a symmetric hash.
 *
 * Structure: power-of-2 hash buckets with chains (struct flow.hnext), plus one
 * LRU list per timeout class (TCP new/established/closed, UDP new/established,
 * ICMP). A flow moves to the tail of its class list on every packet, with
 * f->lru_ns set to the table clock (highest packet time seen), so each list
 * stays sorted even when capture times step back. Expiry is then "head of a
 * list expired?": flow_table__tick() costs O(expired + classes) and still ends
 * every expired flow although timeouts differ by state.
 *
 * Time: only packet time (p->ts_ns and the tick argument) drives expiry, so a
 * replay gives the same flows whatever the machine speed or worker count.
 *
 * Overload: the memcap counts struct flow, stream buffers and queued
 * out-of-order segments. When a new flow or buffer would pass it, the least
 * recently seen flow (oldest head of all lists, never the one being processed)
 * is ended with FLOW_END_FORCED ("flow.emerg_evicted"); when nothing is left
 * to evict the allocation fails and is counted. While a flow is ending (its
 * streams are flushed for the last inspection) nothing is evicted, so on_end
 * never runs re-entrantly for another flow.
 *
 * Ordering: on_end runs exactly once per flow, before it is freed. Flush ends
 * flows by (start time, flow_id) so replay output is stable.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "flow/flow_priv.h"

#define FLOW_DEF_MEMCAP     (256ULL << 20)
#define FLOW_DEF_HASH_SIZE  65536
#define FLOW_DEF_DEPTH      (1U << 20)
#define FLOW_DEF_WINDOW     4096
#define FLOW_DEF_OOO_MAX    (256U << 10)
#define FLOW_HASH_SIZE_MAX  (1U << 26)

/* Largest single TCP payload (a GRO/TSO super-segment) the window holds whole. */
#define FLOW_SEG_MAX 65536

/* xxhash-style multiply-rotate mixing (constants are well-known odd 64-bit primes). */
#define MIX_P1 0x9E3779B185EBCA87ULL
#define MIX_P2 0xC2B2AE3D27D4EB4FULL
#define MIX_P3 0x165667B19E3779F9ULL
#define FLOW_ID_SEED 0x57454952464c4f57ULL /* "WEIRFLOW": fixed, ids must be stable */

_Static_assert(sizeof(struct flow_key) % 8 == 0, "flow_key is hashed in 64-bit words");

static inline uint64_t rotl64(uint64_t x, unsigned int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t mix_round(uint64_t h, uint64_t w)
{
	w *= MIX_P2;
	w = rotl64(w, 31);
	w *= MIX_P1;
	h ^= w;
	return rotl64(h, 27) * MIX_P1 + MIX_P3;
}

/* Final avalanche: every input bit flips about half of the output bits. */
static inline uint64_t mix_final(uint64_t h)
{
	h ^= h >> 33;
	h *= MIX_P2;
	h ^= h >> 29;
	h *= MIX_P3;
	h ^= h >> 32;
	return h;
}

static uint64_t flow_key_hash(const struct flow_key *k, uint64_t seed)
{
	uint64_t w[sizeof(*k) / 8];
	uint64_t h = seed + MIX_P3 * sizeof(*k);

	memcpy(w, k, sizeof(w));
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		h = mix_round(h, w[i]);
	return mix_final(h);
}

/*
 * The id depends only on the key and the start time: the same packets give the
 * same id on any worker, in any run. 63 bits, never 0 (EVE prints it signed).
 */
static uint64_t flow_id_make(const struct flow_key *k, uint64_t start_ns)
{
	uint64_t id = mix_final(mix_round(flow_key_hash(k, FLOW_ID_SEED), start_ns));

	id &= INT64_MAX;
	return id ? id : 1;
}

static bool icmp_is_echo(const struct weir_pkt *p)
{
	if (p->proto == IPPROTO_ICMP)
		return p->icmp_type == 8 || p->icmp_type == 0;
	return p->icmp_type == 128 || p->icmp_type == 129;
}

/*
 * flow_key_make() - the normalised key of @p; *@src_side is the key side
 * (0/1) of @p's sender. Side 0 is the lower (address, port).
 */
static int flow_key_make(const struct weir_pkt *p, struct flow_key *k, int *src_side)
{
	uint16_t sp = 0, dp = 0;
	int c;

	if (p->ip_ver != 4 && p->ip_ver != 6)
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	k->ip_ver = p->ip_ver;
	k->proto = p->proto;
	k->tunnel_id = p->tunnel_id;
	for (int i = 0; i < p->vlan_cnt && i < 2; i++)
		k->vlan[i] = p->vlan[i];

	if (p->flags & PKT_F_L4) {
		switch (p->proto) {
		case IPPROTO_TCP:
		case IPPROTO_UDP:
			sp = p->sport;
			dp = p->dport;
			break;
		case IPPROTO_ICMP:
		case IPPROTO_ICMPV6:
			/* request and reply carry the same id: one flow per ping session */
			if (icmp_is_echo(p))
				sp = dp = p->icmp_id;
			break;
		default:
			break;
		}
	}

	c = decode_addr_cmp(&p->src, &p->dst);
	if (c < 0 || (c == 0 && sp <= dp)) {
		k->addr[0] = p->src;
		k->addr[1] = p->dst;
		k->port[0] = sp;
		k->port[1] = dp;
		*src_side = 0;
	} else {
		k->addr[0] = p->dst;
		k->addr[1] = p->src;
		k->port[0] = dp;
		k->port[1] = sp;
		*src_side = 1;
	}
	return 0;
}

static enum flow_tmo_class flow_tmo_class_of(const struct flow *f)
{
	switch (f->key.proto) {
	case IPPROTO_TCP:
		if (f->state == FLOW_STATE_ESTABLISHED)
			return FLOW_TMO_TCP_EST;
		if (f->state == FLOW_STATE_CLOSED)
			return FLOW_TMO_TCP_CLOSED;
		return FLOW_TMO_TCP_NEW;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return FLOW_TMO_ICMP;
	default:
		return f->state == FLOW_STATE_NEW ? FLOW_TMO_UDP_NEW : FLOW_TMO_UDP_EST;
	}
}

static void lru_unlink(struct flow_table *ft, struct flow *f)
{
	struct flow_lru *l = &ft->lru[f->tmo_class];

	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_append(struct flow_table *ft, struct flow *f)
{
	struct flow_lru *l = &ft->lru[f->tmo_class];

	f->lru_next = NULL;
	f->lru_prev = l->tail;
	if (l->tail)
		l->tail->lru_next = f;
	else
		l->head = f;
	l->tail = f;
}

static bool flow_expired(const struct flow_table *ft, const struct flow *f, uint64_t now)
{
	return now > f->lru_ns + ft->tmo_ns[f->tmo_class];
}

/* The least recently seen flow other than @keep, or NULL. */
static struct flow *flow_lru_oldest(struct flow_table *ft, const struct flow *keep)
{
	struct flow *best = NULL;

	for (int c = 0; c < FLOW_TMO__MAX; c++) {
		struct flow *f = ft->lru[c].head;

		if (f && f == keep)
			f = f->lru_next;
		if (f && (!best || f->lru_ns < best->lru_ns))
			best = f;
	}
	return best;
}

static void flow_set_gauges(struct flow_table *ft)
{
	ft->st->v[WS_FLOW_ACTIVE] = ft->count;
	ft->st->v[WS_FLOW_MEMUSE] = ft->memuse;
}

static void flow_hash_remove(struct flow_table *ft, struct flow *f)
{
	struct flow **pp = &ft->buckets[flow_key_hash(&f->key, ft->hash_seed) & ft->mask];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == f) {
			*pp = f->hnext;
			break;
		}
	}
	f->hnext = NULL;
}

static void flow_destroy(struct flow_table *ft, struct flow *f)
{
	flow_stream_free(ft, f, FLOW_DIR_TOSERVER);
	flow_stream_free(ft, f, FLOW_DIR_TOCLIENT);
	free(f);
	flow_mem_release(ft, sizeof(*f));
}

static void flow_end(struct flow_table *ft, struct flow *f, enum flow_end_reason why)
{
	/* No eviction while a flow ends: on_end must not recurse into another end. */
	ft->ending++;
	if (f->key.proto == IPPROTO_TCP) {
		/* the last inspection sees whatever the out-of-order queues still hold */
		flow_stream_close(ft, f, FLOW_DIR_TOSERVER);
		flow_stream_close(ft, f, FLOW_DIR_TOCLIENT);
	}
	if (ft->on_end)
		ft->on_end(ft->arg, f, why);
	switch (why) {
	case FLOW_END_TIMEOUT:
		STAT_INC(ft->st, FLOW_ENDED_TIMEOUT);
		break;
	case FLOW_END_FORCED:
		STAT_INC(ft->st, FLOW_ENDED_FORCED);
		break;
	case FLOW_END_SHUTDOWN:
		STAT_INC(ft->st, FLOW_ENDED_SHUTDOWN);
		break;
	}
	flow_hash_remove(ft, f);
	lru_unlink(ft, f);
	ft->count--;
	flow_destroy(ft, f);
	ft->ending--;
	flow_set_gauges(ft);
}

int flow_mem_reserve(struct flow_table *ft, const struct flow *keep, uint64_t bytes)
{
	while (ft->memuse + bytes > ft->o.memcap) {
		struct flow *victim;

		if (ft->ending)
			return -ENOMEM;
		victim = flow_lru_oldest(ft, keep);
		if (!victim)
			return -ENOMEM;
		STAT_INC(ft->st, FLOW_EMERG_EVICTED);
		flow_end(ft, victim, FLOW_END_FORCED);
	}
	ft->memuse += bytes;
	ft->st->v[WS_FLOW_MEMUSE] = ft->memuse;
	return 0;
}

void flow_mem_release(struct flow_table *ft, uint64_t bytes)
{
	ft->memuse -= bytes;
	ft->st->v[WS_FLOW_MEMUSE] = ft->memuse;
}

static struct flow *flow_create(struct flow_table *ft, const struct flow_key *k, uint32_t idx,
				const struct weir_pkt *p, int src_side)
{
	struct flow *f;

	if (flow_mem_reserve(ft, NULL, sizeof(*f)))
		goto nomem;
	f = calloc(1, sizeof(*f));
	if (!f) {
		flow_mem_release(ft, sizeof(*f));
		goto nomem;
	}
	f->key = *k;
	f->flow_id = flow_id_make(k, p->ts_ns);
	f->start_ns = f->last_ns = p->ts_ns;
	f->lru_ns = ft->now_ns;
	f->first_pcap_cnt = p->pcap_cnt;
	f->icmp_type = p->icmp_type;
	f->icmp_code = p->icmp_code;
	f->state = FLOW_STATE_NEW;
	f->tcp_state = TCP_NONE;
	/*
	 * The client sends the first packet, except in TCP where a SYN/ACK seen
	 * first means its receiver sent the (missed) SYN.
	 */
	f->cli_side = (uint8_t)src_side;
	if (p->proto == IPPROTO_TCP && (p->flags & PKT_F_L4) &&
	    (p->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
		f->cli_side = (uint8_t)!src_side;

	f->hnext = ft->buckets[idx];
	ft->buckets[idx] = f;
	f->tmo_class = flow_tmo_class_of(f);
	lru_append(ft, f);
	ft->count++;

	STAT_INC(ft->st, FLOW_CREATED);
	switch (k->proto) {
	case IPPROTO_TCP:
		STAT_INC(ft->st, FLOW_TCP);
		break;
	case IPPROTO_UDP:
		STAT_INC(ft->st, FLOW_UDP);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		STAT_INC(ft->st, FLOW_ICMP);
		break;
	default:
		STAT_INC(ft->st, FLOW_OTHER);
		break;
	}
	flow_set_gauges(ft);
	return f;

nomem:
	STAT_INC(ft->st, FLOW_MEMCAP_DROP);
	return NULL;
}

static struct flow *flow_lookup(struct flow_table *ft, const struct flow_key *k, uint32_t idx)
{
	for (struct flow *f = ft->buckets[idx]; f; f = f->hnext) {
		if (!memcmp(&f->key, k, sizeof(*k)))
			return f;
	}
	return NULL;
}

/* A SYN on a closed TCP flow is a new connection on a reused port pair. */
static bool flow_tcp_reused(const struct flow *f, const struct weir_pkt *p)
{
	return f->key.proto == IPPROTO_TCP && (p->flags & PKT_F_L4) &&
	       (p->tcp_flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN &&
	       f->state == FLOW_STATE_CLOSED;
}

int flow_table__process(struct flow_table *ft, const struct weir_pkt *p, struct flow_pkt_info *out)
{
	struct flow_key k;
	struct flow *f;
	enum flow_dir dir;
	bool created = false;
	int src_side;
	uint32_t idx;

	memset(out, 0, sizeof(*out));
	if (flow_key_make(p, &k, &src_side)) {
		STAT_INC(ft->st, FLOW_NO_IP);
		return -EINVAL;
	}
	if (p->ts_ns > ft->now_ns)
		ft->now_ns = p->ts_ns;

	idx = (uint32_t)flow_key_hash(&k, ft->hash_seed) & ft->mask;
	f = flow_lookup(ft, &k, idx);
	if (f && flow_expired(ft, f, ft->now_ns)) {
		flow_end(ft, f, FLOW_END_TIMEOUT);
		f = NULL;
	} else if (f && flow_tcp_reused(f, p)) {
		STAT_INC(ft->st, FLOW_TCP_REUSE);
		flow_end(ft, f, FLOW_END_TIMEOUT);
		f = NULL;
	}
	if (!f) {
		f = flow_create(ft, &k, idx, p, src_side);
		if (!f)
			return -ENOMEM;
		created = true;
	}

	dir = src_side == f->cli_side ? FLOW_DIR_TOSERVER : FLOW_DIR_TOCLIENT;
	f->pkts[dir]++;
	f->bytes[dir] += p->wirelen;
	if (p->ts_ns > f->last_ns)
		f->last_ns = p->ts_ns;
	f->lru_ns = ft->now_ns;
	f->fflags |= dir == FLOW_DIR_TOSERVER ? FLOW_F_SEEN_TS : FLOW_F_SEEN_TC;

	/* Off the LRU while it is worked on: eviction can never pick it. */
	lru_unlink(ft, f);
	out->flow = f;
	out->dir = dir;
	if (k.proto == IPPROTO_TCP) {
		if (p->flags & PKT_F_L4)
			flow_tcp_packet(ft, f, p, dir, created, out);
		out->established = f->fflags & FLOW_F_HANDSHAKE;
	} else {
		/* Suricata: a non-TCP flow is established once both sides talked. */
		if (f->state == FLOW_STATE_NEW &&
		    (f->fflags & (FLOW_F_SEEN_TS | FLOW_F_SEEN_TC)) ==
			    (FLOW_F_SEEN_TS | FLOW_F_SEEN_TC))
			f->state = FLOW_STATE_ESTABLISHED;
		out->established = f->state == FLOW_STATE_ESTABLISHED;
	}
	f->tmo_class = flow_tmo_class_of(f);
	lru_append(ft, f);
	return 0;
}

void flow_table__tick(struct flow_table *ft, uint64_t now_ns)
{
	if (now_ns > ft->now_ns)
		ft->now_ns = now_ns;
	for (int c = 0; c < FLOW_TMO__MAX; c++) {
		struct flow *f;

		while ((f = ft->lru[c].head) && flow_expired(ft, f, ft->now_ns))
			flow_end(ft, f, FLOW_END_TIMEOUT);
	}
}

static int flow_cmp_start(const void *a, const void *b)
{
	const struct flow *x = *(const struct flow *const *)a;
	const struct flow *y = *(const struct flow *const *)b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	if (x->flow_id != y->flow_id)
		return x->flow_id < y->flow_id ? -1 : 1;
	return 0;
}

void flow_table__flush(struct flow_table *ft, enum flow_end_reason why)
{
	struct flow **all;
	uint32_t n = 0;

	if (!ft->count)
		return;
	all = malloc(sizeof(*all) * ft->count);
	if (!all) {
		/* no memory to sort: still end every flow, oldest seen first */
		struct flow *f;

		while ((f = flow_lru_oldest(ft, NULL)))
			flow_end(ft, f, why);
		return;
	}
	for (int c = 0; c < FLOW_TMO__MAX; c++) {
		for (struct flow *f = ft->lru[c].head; f; f = f->lru_next)
			all[n++] = f;
	}
	qsort(all, n, sizeof(*all), flow_cmp_start);
	for (uint32_t i = 0; i < n; i++)
		flow_end(ft, all[i], why);
	free(all);
}

uint32_t flow_table__count(const struct flow_table *ft)
{
	return ft->count;
}

uint64_t flow_table__memuse(const struct flow_table *ft)
{
	return ft->memuse;
}

static uint32_t round_pow2(uint32_t v)
{
	uint32_t n = 1;

	while (n < v && n < FLOW_HASH_SIZE_MAX)
		n <<= 1;
	return n;
}

#define OPT_DEFAULT(o, field, def) \
	do {                       \
		if (!(o)->field)   \
			(o)->field = (def); \
	} while (0)

struct flow_table *flow_table__new(const struct flow_table_opts *opts, flow_end_fn on_end,
				   void *arg, struct weir_stats *stats)
{
	struct flow_table *ft;
	uint32_t lb;

	ft = calloc(1, sizeof(*ft));
	if (!ft)
		return NULL;
	if (opts)
		ft->o = *opts;
	OPT_DEFAULT(&ft->o, memcap, FLOW_DEF_MEMCAP);
	OPT_DEFAULT(&ft->o, hash_size, FLOW_DEF_HASH_SIZE);
	OPT_DEFAULT(&ft->o, stream_depth, FLOW_DEF_DEPTH);
	OPT_DEFAULT(&ft->o, stream_window, FLOW_DEF_WINDOW);
	OPT_DEFAULT(&ft->o, stream_ooo_max, FLOW_DEF_OOO_MAX);
	OPT_DEFAULT(&ft->o, timeout_new, 30);
	OPT_DEFAULT(&ft->o, timeout_est, 300);
	OPT_DEFAULT(&ft->o, timeout_closed, 10);
	OPT_DEFAULT(&ft->o, timeout_udp_new, 30);
	OPT_DEFAULT(&ft->o, timeout_udp_est, 300);
	OPT_DEFAULT(&ft->o, timeout_icmp, 30);
	/* window and queue bounds must keep buffer sizes within 32 bits */
	if (ft->o.stream_ooo_max > (1U << 30))
		ft->o.stream_ooo_max = 1U << 30;
	if (ft->o.stream_window > (1U << 24)) {
		free(ft);
		errno = EINVAL;
		return NULL;
	}
	ft->o.hash_size = round_pow2(ft->o.hash_size);
	ft->mask = ft->o.hash_size - 1;

	ft->tmo_ns[FLOW_TMO_TCP_NEW] = ft->o.timeout_new * NSEC_PER_SEC;
	ft->tmo_ns[FLOW_TMO_TCP_EST] = ft->o.timeout_est * NSEC_PER_SEC;
	ft->tmo_ns[FLOW_TMO_TCP_CLOSED] = ft->o.timeout_closed * NSEC_PER_SEC;
	ft->tmo_ns[FLOW_TMO_UDP_NEW] = ft->o.timeout_udp_new * NSEC_PER_SEC;
	ft->tmo_ns[FLOW_TMO_UDP_EST] = ft->o.timeout_udp_est * NSEC_PER_SEC;
	ft->tmo_ns[FLOW_TMO_ICMP] = ft->o.timeout_icmp * NSEC_PER_SEC;

	/*
	 * The window holds the look-behind plus one whole super-segment; bytes
	 * not yet inspected may exceed that by one drained out-of-order queue.
	 */
	lb = ft->o.stream_window;
	ft->window_max = lb + FLOW_SEG_MAX > 2 * lb ? lb + FLOW_SEG_MAX : 2 * lb;
	ft->window_hard = (uint64_t)ft->window_max + ft->o.stream_ooo_max;

	ft->on_end = on_end;
	ft->arg = arg;
	ft->st = stats ? stats : &ft->own_stats;

	/* a per-table seed keeps crafted tuples from piling into one chain */
	if (getrandom(&ft->hash_seed, sizeof(ft->hash_seed), GRND_NONBLOCK) != sizeof(ft->hash_seed))
		ft->hash_seed = (uint64_t)(uintptr_t)ft ^ MIX_P1;

	ft->buckets = calloc(ft->o.hash_size, sizeof(*ft->buckets));
	if (!ft->buckets) {
		free(ft);
		errno = ENOMEM;
		return NULL;
	}
	return ft;
}

void flow_table__free(struct flow_table *ft)
{
	if (!ft)
		return;
	for (int c = 0; c < FLOW_TMO__MAX; c++) {
		struct flow *f = ft->lru[c].head;

		while (f) {
			struct flow *next = f->lru_next;

			flow_destroy(ft, f);
			f = next;
		}
	}
	free(ft->buckets);
	free(ft);
}

const struct weir_addr *flow_client_addr(const struct flow *f)
{
	return &f->key.addr[f->cli_side];
}

const struct weir_addr *flow_server_addr(const struct flow *f)
{
	return &f->key.addr[!f->cli_side];
}

uint16_t flow_client_port(const struct flow *f)
{
	return f->key.port[f->cli_side];
}

uint16_t flow_server_port(const struct flow *f)
{
	return f->key.port[!f->cli_side];
}

const char *flow_state_name(const struct flow *f)
{
	switch (f->state) {
	case FLOW_STATE_ESTABLISHED:
		return "established";
	case FLOW_STATE_CLOSED:
		return "closed";
	default:
		return "new";
	}
}

const char *flow_end_reason_name(enum flow_end_reason why)
{
	switch (why) {
	case FLOW_END_FORCED:
		return "forced";
	case FLOW_END_SHUTDOWN:
		return "shutdown";
	default:
		return "timeout";
	}
}

const char *flow_tcp_state_name(const struct flow *f)
{
	if (f->key.proto != IPPROTO_TCP)
		return NULL;
	switch (f->tcp_state) {
	case TCP_SYN_SENT:
		return "syn_sent";
	case TCP_SYN_RECV:
		return "syn_recv";
	case TCP_ESTABLISHED:
		return "established";
	case TCP_FIN_WAIT:
		/* Suricata names the state from the client's side */
		return (f->fflags & FLOW_F_FIN_TS) ? "fin_wait1" : "close_wait";
	case TCP_CLOSING:
		return "closing";
	case TCP_CLOSED:
		return "closed";
	default:
		return NULL;
	}
}
