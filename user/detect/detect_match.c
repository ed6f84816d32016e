// SPDX-License-Identifier: GPL-2.0-only
/*
 * detect_match.c - per-packet matching: prefilter, verify, threshold, alert.
 *
 * DESIGN
 * Threads: everything here runs in one worker on its own struct
 * detect_worker; the ruleset is shared read-only. A worker picks up a new
 * ruleset (reload) at the start of a packet and re-clones its Hyperscan
 * scratch for it.
 *
 * Per packet: candidates are the header-only rules of the packet's protocol
 * plus the rules whose fast pattern Hyperscan finds in the packet payload or
 * in the TCP stream window. Candidates are verified in ruleset order (flowbit
 * writers, then priority, then sid), so alerts leave in that order and a bit
 * set on this packet is visible to later rules.
 *
 * TCP as Suricata does it: a rule with payload keywords looks at the packet
 * payload (not for retransmissions) and at the reassembled stream window the
 * flow stage hands over; on the stream only a match that reaches new data
 * counts, so data already inspected never alerts twice. Either way a rule
 * alerts at most once per packet. dsize and flow:no_stream rules look at
 * packets only, flow:only_stream rules at the stream only.
 *
 * State: flowbits and by_flow thresholds live in f->ext.detect (freed at
 * flow end); by_src/by_dst/by_rule/by_both thresholds in a per-worker table
 * keyed by (gid, sid, addresses), bounded by DET_THR_MAX entries. With several
 * workers those counts are per worker: exact only when the source shards so
 * that every packet a key counts reaches one worker (true for by_both and,
 * with the replay's IP-pair sharding, only with one worker for by_src/by_dst).
 *
 * Overload: the payload chain search is bounded (DET_PM_BUDGET steps per rule
 * and buffer); a rule that runs out is counted and does not match.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/log.h"
#include "detect/detect_int.h"

#define DET_PM_BUDGET  4096
#define DET_THR_MAX    65536
#define DET_THR_BUCKETS 4096
#define DET_UNIQUE_MAX 1024

/* Threshold state of one key. */
struct thr_state {
	uint64_t start_ns;
	uint32_t count;
	uint64_t next;         /* backoff: alert when count reaches it */
	uint16_t *ports;       /* unique_on: distinct ports in the window */
	uint32_t n_ports;
};

struct thr_key {
	uint32_t gid, sid;
	uint8_t which;         /* 0 threshold, 1 detection_filter */
	uint8_t track;
	struct weir_addr a, b;
};

struct thr_ent {
	struct thr_key k;
	struct thr_state st;
	uint64_t expire_ns;    /* window end: the entry can go after it (0: never, backoff) */
	struct thr_ent *next;
};

/* Per-flow state in f->ext.detect. */
struct det_flow_thr {
	uint32_t gid, sid;
	uint8_t which;
	struct thr_state st;
};

/*
 * Stream prefilter state of one direction. The stream window is scanned from
 * just before its new data (the longest fast pattern minus one byte), not from
 * its start: the look-behind was scanned with the packets that brought it. A
 * rule nominated then whose chain did not complete may still match once more
 * data arrives (fast pattern in old data, a later content in new data), so it
 * stays a candidate ("sticky") while its fast pattern is inside the window.
 * Past DET_STICKY_MAX such rules the direction goes back to full-window scans.
 */
#define DET_STICKY_MAX 32

struct det_sticky {
	uint32_t rule;
	uint64_t start;        /* stream offset of the fast pattern's first byte */
};

struct det_stream_state {
	struct det_sticky e[DET_STICKY_MAX];
	uint32_t n;
	bool full;
};

/*
 * The address-index interval of one address, kept with the flow: the binary
 * search over tens of thousands of reputation intervals gives the same answer
 * for every packet of a flow, and a per-worker cache of it missed the CPU
 * cache on nearly every packet (the flow's own state is hot already).
 */
struct det_acache {
	det_u128 v;
	uint32_t lo;               /* aidx_find() of v */
	uint8_t valid;
	uint8_t protos_nf;         /* union of the protocols of its rules needing no flags */
	uint8_t tcp_req;           /* TCP flags every TCP rule of the interval needs
				    * (0xff: it has none) */
};

struct det_flow {
	const struct det_ruleset *rs;  /* flowbit ids, sticky rules, intervals belong to it */
	uint64_t *bits;
	struct det_flow_thr *thr;
	uint32_t n_thr;
	struct det_stream_state *ss[2]; /* by enum flow_dir */
	struct det_acache ac[2][2];     /* [enum det_aside][enum flow_dir of the packet] */
};

/* A fast pattern found by the stream scan. */
struct det_nom {
	uint32_t rule;
	uint64_t start;
};

/*
 * Quick header prefilter of one rule (necessary conditions only, so a
 * candidate it drops could not have matched): the protocol bits, and the TCP
 * flags that flags:X / flags:+X need set. The address-indexed rules of a
 * ruleset are mostly scans on SYN; most packets are not SYNs.
 */
struct det_quick {
	uint8_t protos;
	uint8_t flags_req;
};

struct detect_worker {
	struct detect_engine *de;
	struct det_ruleset *rs;
	struct det_hs_scratch *hs;
	uint64_t *cand;
	uint32_t cand_words;
	uint32_t cand_lo, cand_hi;  /* only words [lo, hi) may hold bits */
	struct det_quick *quick;    /* by rule index */
	uint32_t *hits;            /* matched rules of the current packet, in order */
	struct det_nom *nom;       /* stream scan nominations of the current packet */
	uint32_t n_nom;
	pcre2_match_data *md;
	pcre2_match_context *mctx;  /* Suricata's default match limits */
	struct weir_stats *stats;
	detect_emit_fn emit;
	void *emit_arg;
	struct thr_ent *thr[DET_THR_BUCKETS];
	uint32_t n_thr;
};

/* --- payload chain ------------------------------------------------------- */

/*
 * On the stream a match must involve new data, and each part of it: a chain
 * is cut into groups, each opened by a positive non-relative element (a
 * content without distance/within, a pcre without /R) and continued by the
 * relative elements after it. Every group must end at or after min_end. A
 * relative chain may thus start in old data (a pattern split across
 * segments), but an independent content or pcre found only in old data was
 * part of a match already reported and must not make the rule alert again
 * (Suricata inspects each raw stream byte once). On packets min_end is 0.
 */
#define PM_NO_GROUP UINT32_MAX

struct pm_ctx {
	const struct det_rule *r;
	const uint8_t *buf;
	uint32_t len;
	uint32_t min_end;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	uint32_t budget;
};

static const uint8_t *find(const uint8_t *hay, uint32_t hlen, const uint8_t *pat, uint32_t plen,
			   bool nocase)
{
	if (plen > hlen)
		return NULL;
	if (!nocase)
		return memmem(hay, hlen, pat, plen);
	for (uint32_t i = 0; i + plen <= hlen; i++) {
		uint32_t j;

		for (j = 0; j < plen; j++) {
			uint8_t a = hay[i + j], b = pat[j];

			if (a >= 'A' && a <= 'Z')
				a += 32;
			if (b >= 'A' && b <= 'Z')
				b += 32;
			if (a != b)
				break;
		}
		if (j == plen)
			return hay + i;
	}
	return NULL;
}

static bool chain(struct pm_ctx *c, uint32_t idx, uint32_t prev_end, uint32_t grp_end);

/* @grp_end: furthest end in the current group, after a match ending at @end. */
static uint32_t grp_extend(const struct det_pm *pm, uint32_t grp_end, uint32_t end)
{
	if (grp_end == PM_NO_GROUP || !(pm->flags & DET_PM_RELATIVE))
		return end;
	return end > grp_end ? end : grp_end;
}

static bool chain_content(struct pm_ctx *c, uint32_t idx, uint32_t prev_end, uint32_t grp_end)
{
	const struct det_pm *pm = &c->r->pm[idx];
	int64_t lo, hi;

	if (pm->flags & DET_PM_RELATIVE) {
		lo = (int64_t)prev_end + (pm->flags & DET_PM_DISTANCE ? pm->distance : 0);
		if (lo < 0)
			lo = 0;
		hi = pm->flags & DET_PM_WITHIN ?
			     (int64_t)prev_end + (pm->flags & DET_PM_DISTANCE ? pm->distance : 0) +
				     pm->within :
			     c->len;
	} else {
		lo = pm->flags & DET_PM_OFFSET ? pm->offset : 0;
		hi = pm->flags & DET_PM_DEPTH ? lo + pm->depth : c->len;
	}
	if (hi > c->len)
		hi = c->len;
	if (pm->flags & DET_PM_NEGATED) {
		if (lo < hi && find(c->buf + lo, (uint32_t)(hi - lo), pm->pat, pm->len,
				    pm->flags & DET_PM_NOCASE))
			return false;
		return chain(c, idx + 1, prev_end, grp_end);
	}
	while (lo < hi) {
		const uint8_t *m = find(c->buf + lo, (uint32_t)(hi - lo), pm->pat, pm->len,
					pm->flags & DET_PM_NOCASE);
		uint32_t end;

		if (!m)
			return false;
		end = (uint32_t)(m - c->buf) + pm->len;
		if (chain(c, idx + 1, end, grp_extend(pm, grp_end, end)))
			return true;
		if (!c->budget)
			return false;
		lo = m - c->buf + 1;
	}
	return false;
}

static bool chain_pcre(struct pm_ctx *c, uint32_t idx, uint32_t prev_end, uint32_t grp_end)
{
	const struct det_pm *pm = &c->r->pm[idx];
	uint32_t base = pm->flags & DET_PM_RELATIVE ? prev_end : 0;
	PCRE2_SIZE start = 0, *ov;
	int rc;

	if (base > c->len)
		return false;
	for (;;) {
		uint32_t end;

		rc = pcre2_match(pm->re, c->buf + base, c->len - base, start, 0, c->md, c->mctx);
		if (rc < 0)
			return pm->flags & DET_PM_NEGATED ? chain(c, idx + 1, prev_end, grp_end) :
							    false;
		if (pm->flags & DET_PM_NEGATED)
			return false;
		ov = pcre2_get_ovector_pointer(c->md);
		end = base + (uint32_t)ov[1];
		if (chain(c, idx + 1, end, grp_extend(pm, grp_end, end)))
			return true;
		if (!c->budget || ov[0] + 1 > c->len - base)
			return false;
		start = ov[0] + 1;
	}
}

static bool chain(struct pm_ctx *c, uint32_t idx, uint32_t prev_end, uint32_t grp_end)
{
	const struct det_pm *pm;

	if (!c->budget)
		return false;
	c->budget--;
	if (idx == c->r->n_pm)
		return (grp_end == PM_NO_GROUP ? 0 : grp_end) >= c->min_end;
	pm = &c->r->pm[idx];
	/* A new group closes the previous one: it must have reached new data. */
	if (!(pm->flags & (DET_PM_RELATIVE | DET_PM_NEGATED)) && grp_end != PM_NO_GROUP &&
	    grp_end < c->min_end)
		return false;
	if (pm->type == DET_PM_PCRE)
		return chain_pcre(c, idx, prev_end, grp_end);
	return chain_content(c, idx, prev_end, grp_end);
}

bool det_pm_match_lim(const struct det_rule *r, const uint8_t *buf, uint32_t len,
		      uint32_t min_end, void *md, void *mctx)
{
	struct pm_ctx c = { r, buf, len, min_end, md, mctx, DET_PM_BUDGET };

	return chain(&c, 0, 0, PM_NO_GROUP);
}

bool det_pm_match(const struct det_rule *r, const uint8_t *buf, uint32_t len, uint32_t min_end,
		  void *md)
{
	return det_pm_match_lim(r, buf, len, min_end, md, NULL);
}

void *det_pcre_limits_new(void)
{
	pcre2_match_context *m = pcre2_match_context_create(NULL);

	/* Suricata's defaults (pcre.match-limit, match-limit-recursion): a
	 * pathological pattern fails to match instead of stalling the worker. */
	if (m) {
		pcre2_set_match_limit(m, 3500);
		pcre2_set_depth_limit(m, 1500);
	}
	return m;
}

void det_pcre_limits_free(void *m)
{
	pcre2_match_context_free(m);
}

/* --- thresholds ---------------------------------------------------------- */

static uint32_t thr_hash(const struct thr_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* A full table drops the entries whose window has passed (they would restart anyway). */
static void thr_sweep(struct detect_worker *dw, uint64_t now)
{
	for (uint32_t b = 0; b < DET_THR_BUCKETS; b++) {
		struct thr_ent **pp = &dw->thr[b];

		while (*pp) {
			struct thr_ent *e = *pp;

			if (e->expire_ns && e->expire_ns <= now) {
				*pp = e->next;
				free(e->st.ports);
				free(e);
				dw->n_thr--;
			} else {
				pp = &e->next;
			}
		}
	}
	STAT_INC(dw->stats, DETECT_THRESHOLD_SWEEPS);
}

static struct thr_ent *thr_lookup(struct detect_worker *dw, const struct thr_key *k,
				  uint64_t now, bool *fresh)
{
	uint32_t b = thr_hash(k) % DET_THR_BUCKETS;
	struct thr_ent *e;

	for (e = dw->thr[b]; e; e = e->next) {
		if (!memcmp(&e->k, k, sizeof(*k))) {
			*fresh = false;
			return e;
		}
	}
	if (dw->n_thr >= DET_THR_MAX)
		thr_sweep(dw, now);
	if (dw->n_thr >= DET_THR_MAX)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->k = *k;
	e->next = dw->thr[b];
	dw->thr[b] = e;
	dw->n_thr++;
	*fresh = true;
	return e;
}

static bool within_window(const struct thr_state *st, const struct det_thr *t, uint64_t now)
{
	/* whole seconds, as Suricata compares them */
	return now >= st->start_ns ? (now - st->start_ns) / 1000000000ull < t->seconds : true;
}

/* unique_on: count a port once per window. Return: the port was new. */
static bool unique_add(struct thr_state *st, uint16_t port)
{
	uint16_t *np;

	for (uint32_t i = 0; i < st->n_ports; i++)
		if (st->ports[i] == port)
			return false;
	if (st->n_ports >= DET_UNIQUE_MAX)
		return false;
	np = realloc(st->ports, (st->n_ports + 1) * sizeof(*np));
	if (!np)
		return false;
	st->ports = np;
	np[st->n_ports++] = port;
	return true;
}

/* Suricata's ThresholdHandlePacket(), one state per key. Return: alert. */
static bool thr_apply(const struct det_thr *t, struct thr_state *st, bool fresh, uint64_t now,
		      uint16_t port)
{
	if (fresh) {
		st->start_ns = now;
		st->count = 1;
		st->next = t->count;
		if (t->unique)
			unique_add(st, port);
		switch (t->type) {
		case DET_THR_LIMIT:
			return true;
		case DET_THR_THRESHOLD:
			if (t->count == 1) {
				st->count = 0;
				return true;
			}
			return false;
		case DET_THR_BOTH:
			return t->count == 1;
		case DET_THR_BACKOFF:
			if (st->count == st->next) {
				st->next *= t->multiplier;
				return true;
			}
			return false;
		case DET_THR_DETECTION:
			return st->count > t->count;
		}
		return true;
	}
	if (t->type == DET_THR_BACKOFF) {
		st->count++;
		if (st->count == st->next) {
			st->next *= t->multiplier;
			return true;
		}
		return false;
	}
	if (!within_window(st, t, now)) {
		st->start_ns = now;
		st->count = 1;
		st->n_ports = 0;
		if (t->unique)
			unique_add(st, port);
		switch (t->type) {
		case DET_THR_LIMIT:
			return true;
		case DET_THR_BOTH:
			return t->count == 1;
		case DET_THR_DETECTION:
			return st->count > t->count;
		default:
			return false;
		}
	}
	if (t->unique) {
		if (unique_add(st, port))
			st->count++;
	} else {
		st->count++;
	}
	switch (t->type) {
	case DET_THR_LIMIT:
		return st->count <= t->count;
	case DET_THR_THRESHOLD:
		if (st->count >= t->count) {
			st->count = 0;
			return true;
		}
		return false;
	case DET_THR_BOTH:
		return st->count == t->count;
	case DET_THR_DETECTION:
		return st->count > t->count;
	}
	return true;
}

static struct det_flow *flow_state(struct detect_worker *dw, struct flow *f)
{
	struct det_flow *df = f->ext.detect;

	if (df && df->rs != dw->rs) {
		/* New ruleset: flowbit ids and rule indices changed meaning; start afresh. */
		free(df->bits);
		df->bits = NULL;
		free(df->ss[0]);
		free(df->ss[1]);
		df->ss[0] = df->ss[1] = NULL;
		memset(df->ac, 0, sizeof(df->ac));
		df->rs = dw->rs;
	}
	if (!df) {
		df = calloc(1, sizeof(*df));
		if (!df)
			return NULL;
		df->rs = dw->rs;
		f->ext.detect = df;
	}
	if (!df->bits && dw->rs->n_flowbits) {
		df->bits = calloc((dw->rs->n_flowbits + 63) / 64, sizeof(uint64_t));
		if (!df->bits)
			return NULL;
	}
	return df;
}

static struct thr_state *flow_thr(struct det_flow *df, const struct det_rule *r, uint8_t which,
				  bool *fresh)
{
	struct det_flow_thr *n;

	for (uint32_t i = 0; i < df->n_thr; i++) {
		if (df->thr[i].sid == r->sig.sid && df->thr[i].gid == r->sig.gid &&
		    df->thr[i].which == which) {
			*fresh = false;
			return &df->thr[i].st;
		}
	}
	n = realloc(df->thr, (df->n_thr + 1) * sizeof(*n));
	if (!n)
		return NULL;
	df->thr = n;
	memset(&n[df->n_thr], 0, sizeof(*n));
	n[df->n_thr].gid = r->sig.gid;
	n[df->n_thr].sid = r->sig.sid;
	n[df->n_thr].which = which;
	*fresh = true;
	return &n[df->n_thr++].st;
}

/* Apply one threshold/detection_filter of @r. Return: alert. */
static bool thr_check(struct detect_worker *dw, const struct det_rule *r, const struct det_thr *t,
		      uint8_t which, const struct weir_pkt *p, struct flow *f)
{
	uint16_t port = t->unique == DET_UNIQUE_SRC_PORT ? p->sport : p->dport;
	struct thr_ent *ent = NULL;
	struct thr_state *st;
	bool fresh = true, alert;

	if (t->track == DET_TRACK_FLOW) {
		struct det_flow *df;

		if (!f)
			return true;
		df = flow_state(dw, f);
		st = df ? flow_thr(df, r, which, &fresh) : NULL;
	} else {
		struct thr_key k;

		memset(&k, 0, sizeof(k));
		k.gid = r->sig.gid;
		k.sid = r->sig.sid;
		k.which = which;
		k.track = t->track;
		if (t->track == DET_TRACK_SRC || t->track == DET_TRACK_BOTH)
			k.a = p->src;
		if (t->track == DET_TRACK_DST)
			k.a = p->dst;
		if (t->track == DET_TRACK_BOTH)
			k.b = p->dst;
		ent = thr_lookup(dw, &k, p->ts_ns, &fresh);
		st = ent ? &ent->st : NULL;
	}
	if (!st) {
		STAT_INC(dw->stats, DETECT_THRESHOLD_NOMEM);
		return true;
	}
	alert = thr_apply(t, st, fresh, p->ts_ns, port);
	/* After its window the entry would restart anyway: a full table may drop it.
	 * Backoff counts never restart. */
	if (ent)
		ent->expire_ns = t->type == DET_THR_BACKOFF ?
					 0 : st->start_ns + ((uint64_t)t->seconds + 1) * 1000000000ull;
	return alert;
}

/* --- verification ---------------------------------------------------------- */

static bool flags_match(const struct det_rule *r, uint8_t flags)
{
	uint8_t f = flags & (uint8_t)~r->flags_ignore;

	switch (r->flags_mod) {
	case DET_FLAGS_EXACT:
		return f == r->flags_set;
	case DET_FLAGS_PLUS:
		return (f & r->flags_set) == r->flags_set;
	case DET_FLAGS_ANY:
		return r->flags_set ? (f & r->flags_set) != 0 : f == 0;
	case DET_FLAGS_NOT:
		return !(f & r->flags_set);
	}
	return false;
}

static bool ports_ok(const struct det_rule *r, const struct weir_pkt *p, bool has_ports,
		     bool swapped)
{
	if (r->sp.any && r->dp.any)
		return true;
	if (!has_ports)
		return false;
	return det_ports_match(&r->sp, swapped ? p->dport : p->sport) &&
	       det_ports_match(&r->dp, swapped ? p->sport : p->dport);
}

/*
 * The header of @r against @p. Every test is a conjunct, so the order is free:
 * the cheap scalar ones (protocol, flow, flags, sizes) come first and the
 * address and port lookups (binary searches) last, because most candidates
 * fail early -- e.g. the address-indexed scan rules fail on flags:S for
 * every packet but a SYN.
 */
static bool addrs_ports_ok(const struct det_rule *r, const struct weir_pkt *p, bool has_ports)
{
	if (ports_ok(r, p, has_ports, false) && det_addrs_match(&r->src, &p->src, p->ip_ver) &&
	    det_addrs_match(&r->dst, &p->dst, p->ip_ver))
		return true;
	return r->bidir && ports_ok(r, p, has_ports, true) &&
	       det_addrs_match(&r->src, &p->dst, p->ip_ver) &&
	       det_addrs_match(&r->dst, &p->src, p->ip_ver);
}

static bool header_match(const struct det_rule *r, const struct weir_pkt *p,
			 const struct flow_pkt_info *fi, uint8_t pbit, bool has_ports)
{

	if (!(r->protos & pbit))
		return false;
	if (r->flow & (DET_FLOW_TOSERVER | DET_FLOW_TOCLIENT | DET_FLOW_ESTABLISHED)) {
		if (!fi || !fi->flow)
			return false;
		if (r->flow & DET_FLOW_TOSERVER && fi->dir != FLOW_DIR_TOSERVER)
			return false;
		if (r->flow & DET_FLOW_TOCLIENT && fi->dir != FLOW_DIR_TOCLIENT)
			return false;
		if (r->flow & DET_FLOW_ESTABLISHED && !fi->established)
			return false;
	}
	if (r->flow & DET_FLOW_NOT_EST && fi && fi->flow && fi->established)
		return false;
	if (r->has_flags && (pbit != DET_PROTO_TCP || !flags_match(r, p->tcp_flags)))
		return false;
	if (r->ttl.cmp && !det_num_match(&r->ttl, p->ttl))
		return false;
	if (r->ip_proto.cmp && !det_num_match(&r->ip_proto, p->proto))
		return false;
	if (r->itype.cmp || r->icode.cmp) {
		if (!(pbit & (DET_PROTO_ICMP | DET_PROTO_ICMP6)))
			return false;
		if (!det_num_match(&r->itype, p->icmp_type) || !det_num_match(&r->icode, p->icmp_code))
			return false;
	}
	/* Suricata: dsize:!N never matches a packet without payload (the other
	 * forms do, e.g. dsize:<10 matches a bare ACK; suricata-verify
	 * test-dsize-values). */
	if (r->dsize.cmp && (!det_num_match(&r->dsize, p->payload_len) ||
			     (r->dsize.cmp == DET_CMP_NE && !p->payload_len)))
		return false;
	return addrs_ports_ok(r, p, has_ports);
}

/*
 * The part of the header that cannot change within one direction of a flow:
 * protocol, addresses, ports, to_server/to_client. A rule failing it will not
 * match any later data of that direction either.
 */
static bool header_static_ok(const struct det_rule *r, const struct weir_pkt *p,
			     enum flow_dir dir, uint8_t pbit, bool has_ports)
{
	if (!(r->protos & pbit))
		return false;
	if (r->flow & DET_FLOW_TOSERVER && dir != FLOW_DIR_TOSERVER)
		return false;
	if (r->flow & DET_FLOW_TOCLIENT && dir != FLOW_DIR_TOCLIENT)
		return false;
	return addrs_ports_ok(r, p, has_ports);
}

static bool flowbits_ok(struct detect_worker *dw, const struct det_rule *r, struct flow *f)
{
	struct det_flow *df;

	for (uint32_t i = 0; i < r->n_fb; i++) {
		const struct det_flowbit *fb = &r->fb[i];
		bool set;

		if (fb->cmd != DET_FB_ISSET && fb->cmd != DET_FB_ISNOTSET)
			continue;
		df = f ? f->ext.detect : NULL;
		set = df && df->rs == dw->rs && df->bits && df->bits[fb->id / 64] >> (fb->id % 64) & 1;
		if ((fb->cmd == DET_FB_ISSET) != set)
			return false;
	}
	return true;
}

static void flowbits_apply(struct detect_worker *dw, const struct det_rule *r, struct flow *f)
{
	struct det_flow *df = NULL;

	for (uint32_t i = 0; i < r->n_fb; i++) {
		const struct det_flowbit *fb = &r->fb[i];
		uint64_t bit = 1ull << (fb->id % 64);

		if (fb->cmd > DET_FB_TOGGLE || !f)
			continue;
		if (!df)
			df = flow_state(dw, f);
		if (!df || !df->bits)
			return;
		if (fb->cmd == DET_FB_SET)
			df->bits[fb->id / 64] |= bit;
		else if (fb->cmd == DET_FB_UNSET)
			df->bits[fb->id / 64] &= ~bit;
		else
			df->bits[fb->id / 64] ^= bit;
	}
}

/* What buffers a packet offers. */
struct bufs {
	const uint8_t *pkt;
	uint32_t pkt_len;
	bool pkt_ok;               /* payload may be inspected (not a retransmission) */
	struct flow_stream_view sv;
	bool stream;               /* sv holds new stream data */
};

static bool payload_match(struct detect_worker *dw, const struct det_rule *r,
			  const struct bufs *b, bool is_tcp)
{
	bool can_stream = is_tcp && !(r->flow & DET_FLOW_NO_STREAM) && !r->dsize.cmp;

	/* A retransmission's bytes were inspected on the stream already; packet-only
	 * rules (dsize, no_stream) still see every packet, as in Suricata. */
	if (!(r->flow & DET_FLOW_ONLY_STREAM) && b->pkt_len && (b->pkt_ok || !can_stream) &&
	    det_pm_match_lim(r, b->pkt, b->pkt_len, 0, dw->md, dw->mctx))
		return true;
	if (can_stream && b->stream &&
	    det_pm_match_lim(r, b->sv.data, b->sv.len, b->sv.new_off + 1, dw->md, dw->mctx))
		return true;
	return false;
}

/* --- worker ----------------------------------------------------------------- */

static int worker_use(struct detect_worker *dw, struct det_ruleset *rs)
{
	struct det_hs_scratch *hs = det_hs_scratch_new(rs->hs);
	uint32_t words = (rs->n_rules + 63) / 64;
	uint64_t *cand = calloc(words ? words : 1, sizeof(*cand));
	uint32_t *hits = calloc(rs->n_rules ? rs->n_rules : 1, sizeof(*hits));
	struct det_nom *nom = calloc(rs->n_rules ? rs->n_rules : 1, sizeof(*nom));
	struct det_quick *quick = calloc(rs->n_rules ? rs->n_rules : 1, sizeof(*quick));

	if (!hs || !cand || !hits || !nom || !quick) {
		det_hs_scratch_free(hs);
		free(cand);
		free(hits);
		free(nom);
		free(quick);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < rs->n_rules; i++) {
		const struct det_rule *r = rs->rules[i];

		quick[i].protos = r->protos;
		/* ip_proto:N for a protocol without its own class only sees "other" */
		if (r->ip_proto.cmp == DET_CMP_EQ && r->ip_proto.a != 6 && r->ip_proto.a != 17 &&
		    r->ip_proto.a != 1 && r->ip_proto.a != 58)
			quick[i].protos &= DET_PROTO_OTHER;
		/* flags:S and flags:+S both need S set in the packet */
		if (r->has_flags && (r->flags_mod == DET_FLAGS_EXACT || r->flags_mod == DET_FLAGS_PLUS))
			quick[i].flags_req = r->flags_set;
	}
	det_hs_scratch_free(dw->hs);
	free(dw->cand);
	free(dw->hits);
	free(dw->nom);
	free(dw->quick);
	dw->hs = hs;
	dw->cand = cand;
	dw->hits = hits;
	dw->nom = nom;
	dw->quick = quick;
	dw->cand_words = words;
	dw->cand_lo = words;
	dw->cand_hi = 0;
	dw->rs = rs;
	return 0;
}

struct detect_worker *detect_worker__new(struct detect_engine *de, struct weir_stats *stats,
					 detect_emit_fn emit, void *emit_arg)
{
	struct detect_worker *dw = calloc(1, sizeof(*dw));

	if (!dw)
		return NULL;
	dw->de = de;
	dw->stats = stats;
	dw->emit = emit;
	dw->emit_arg = emit_arg;
	dw->md = pcre2_match_data_create(1, NULL);
	dw->mctx = det_pcre_limits_new();
	if (!dw->md || !dw->mctx || worker_use(dw, det_engine_current(de))) {
		detect_worker__free(dw);
		errno = ENOMEM;
		return NULL;
	}
	return dw;
}

void detect_worker__free(struct detect_worker *dw)
{
	if (!dw)
		return;
	for (uint32_t b = 0; b < DET_THR_BUCKETS; b++) {
		struct thr_ent *e = dw->thr[b], *n;

		for (; e; e = n) {
			n = e->next;
			free(e->st.ports);
			free(e);
		}
	}
	det_hs_scratch_free(dw->hs);
	free(dw->cand);
	free(dw->hits);
	free(dw->nom);
	free(dw->quick);
	pcre2_match_data_free(dw->md);
	det_pcre_limits_free(dw->mctx);
	free(dw);
}

static void mark_bit(struct detect_worker *dw, uint32_t idx)
{
	uint32_t w = idx / 64;

	dw->cand[w] |= 1ull << (idx % 64);
	if (w < dw->cand_lo)
		dw->cand_lo = w;
	if (w >= dw->cand_hi)
		dw->cand_hi = w + 1;
}

static void mark(void *arg, uint32_t idx, uint64_t end)
{
	(void)end;
	mark_bit(arg, idx);
}

struct stream_scan {
	struct detect_worker *dw;
	uint64_t base;             /* stream offset of the scanned buffer's first byte */
};

/* Stream scan match: a candidate, and a possible sticky rule if its chain has
 * more than the fast pattern (a one-element chain must end in new data). */
static void mark_stream(void *arg, uint32_t idx, uint64_t end)
{
	struct stream_scan *c = arg;
	struct detect_worker *dw = c->dw;
	const struct det_rule *r = dw->rs->rules[idx];

	mark_bit(dw, idx);
	if (r->n_pm > 1 && dw->n_nom < dw->rs->n_rules) {
		dw->nom[dw->n_nom].rule = idx;
		dw->nom[dw->n_nom].start = c->base + end - det_fp_len(r);
		dw->n_nom++;
	}
}

static struct det_stream_state *stream_state(struct detect_worker *dw, struct flow *f,
					     enum flow_dir dir)
{
	struct det_flow *df = f ? f->ext.detect : NULL;

	return df && df->rs == dw->rs ? df->ss[dir] : NULL;
}

/* Keep the sticky rules still in the window, add this packet's nominations. */
static void sticky_update(struct detect_worker *dw, struct flow *f, enum flow_dir dir,
			  uint64_t win_start, const struct weir_pkt *p, uint8_t pbit, bool has_ports)
{
	struct det_stream_state *ss = stream_state(dw, f, dir);
	struct det_flow *df;
	uint32_t o = 0;

	if (ss && ss->full)
		return;
	if (ss) {
		for (uint32_t i = 0; i < ss->n; i++)
			if (ss->e[i].start >= win_start)
				ss->e[o++] = ss->e[i];
		ss->n = o;
	}
	for (uint32_t i = 0; i < dw->n_nom; i++) {
		const struct det_nom *nm = &dw->nom[i];
		uint32_t k;

		if (nm->start < win_start)
			continue;
		/* a rule this direction's header rules out never needs to stay */
		if (!header_static_ok(dw->rs->rules[nm->rule], p, dir, pbit, has_ports))
			continue;
		if (!ss) {
			df = flow_state(dw, f);
			if (!df)
				return;
			ss = df->ss[dir] = calloc(1, sizeof(*ss));
			if (!ss)
				return;
		}
		for (k = 0; k < ss->n; k++)
			if (ss->e[k].rule == nm->rule)
				break;
		if (k < ss->n) {
			if (nm->start > ss->e[k].start)
				ss->e[k].start = nm->start;
			continue;
		}
		if (ss->n == DET_STICKY_MAX) {
			ss->full = true;
			ss->n = 0;
			STAT_INC(dw->stats, DETECT_STREAM_FULL_SCAN);
			return;
		}
		ss->e[ss->n].rule = nm->rule;
		ss->e[ss->n].start = nm->start;
		ss->n++;
	}
}

/* The interval of @ix holding @v, plus one (0: before the first interval). */
static uint32_t aidx_find(const struct det_aidx *ix, det_u128 v)
{
	uint32_t lo = 0, hi = ix->n;

	/* last interval starting at or before v */
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (ix->start[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Header-only rules whose indexed address group (@side) holds @ip and that
 * pass the quick prefilter for @pbit and @tcp_flags. @c caches the lookup
 * (may be a fresh zeroed entry when there is no flow). */
static void aidx_mark(struct detect_worker *dw, int side, const struct weir_addr *ip,
		      uint8_t ver, uint8_t pbit, uint8_t tcp_flags, struct det_acache *c)
{
	const struct det_aidx *ix = &dw->rs->aidx[side][ver == 6];
	det_u128 v;

	if (!ix->n)
		return;
	v = det_addr_value(ip, ver);
	if (!c->valid || c->v != v) {
		c->v = v;
		c->lo = aidx_find(ix, v);
		c->valid = 1;
		c->protos_nf = 0;
		c->tcp_req = 0xff;
		for (uint32_t i = c->lo ? ix->off[c->lo - 1] : 0; c->lo && i < ix->off[c->lo]; i++) {
			const struct det_quick *q = &dw->quick[ix->rules[i]];

			if (!q->flags_req)
				c->protos_nf |= q->protos;
			if (q->protos & DET_PROTO_TCP)
				c->tcp_req &= q->flags_req;
		}
	}
	/* the whole interval at once: e.g. all its TCP rules want a SYN, and a
	 * packet that is not TCP has no flags to give */
	if (!c->lo)
		return;
	if (pbit == DET_PROTO_TCP ? (tcp_flags & c->tcp_req) != c->tcp_req : !(c->protos_nf & pbit))
		return;
	for (uint32_t i = ix->off[c->lo - 1]; i < ix->off[c->lo]; i++) {
		uint32_t idx = ix->rules[i];
		const struct det_quick *q = &dw->quick[idx];

		if ((q->protos & pbit) && (tcp_flags & q->flags_req) == q->flags_req)
			mark_bit(dw, idx);
	}
}

static void emit_alert(struct detect_worker *dw, const struct det_rule *r,
		       const struct weir_pkt *p, const struct flow_pkt_info *fi)
{
	struct flow *f = fi ? fi->flow : NULL;
	struct weir_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = EVENT_ALERT;
	ev.ts_ns = p->ts_ns;
	ev.pcap_cnt = p->pcap_cnt;
	ev.ifindex = p->ifindex;
	event_tuple_from_pkt(&ev.t, p);
	ev.alert.sig = &r->sig;
	ev.alert.action = "allowed";
	if (f) {
		f->alerted = 1;
		ev.flow_id = f->flow_id;
		ev.direction = fi->dir == FLOW_DIR_TOSERVER ? "to_server" : "to_client";
		ev.alert.has_flow = true;
		ev.alert.flow.pkts_toserver = f->pkts[FLOW_DIR_TOSERVER];
		ev.alert.flow.pkts_toclient = f->pkts[FLOW_DIR_TOCLIENT];
		ev.alert.flow.bytes_toserver = f->bytes[FLOW_DIR_TOSERVER];
		ev.alert.flow.bytes_toclient = f->bytes[FLOW_DIR_TOCLIENT];
		ev.alert.flow.start_ns = f->start_ns;
		ev.alert.flow.end_ns = f->last_ns;
		ev.alert.flow.state = flow_state_name(f);
		ev.alert.flow.alerted = true;
		if (f->key.proto == 6) {
			ev.alert.flow.tcp_flags_ts = f->tcp_flags[FLOW_DIR_TOSERVER];
			ev.alert.flow.tcp_flags_tc = f->tcp_flags[FLOW_DIR_TOCLIENT];
			ev.alert.flow.tcp_flags = ev.alert.flow.tcp_flags_ts | ev.alert.flow.tcp_flags_tc;
		}
	}
	STAT_INC(dw->stats, DETECT_ALERTS);
	if (dw->emit)
		dw->emit(dw->emit_arg, &ev);
}

static uint8_t pkt_proto_bit(const struct weir_pkt *p, enum det_pclass *pc, bool *has_ports)
{
	bool l4 = p->flags & PKT_F_L4;

	*has_ports = false;
	if (l4 && p->proto == 6) {
		*pc = DET_PC_TCP;
		*has_ports = true;
		return DET_PROTO_TCP;
	}
	if (l4 && p->proto == 17) {
		*pc = DET_PC_UDP;
		*has_ports = true;
		return DET_PROTO_UDP;
	}
	if (l4 && p->proto == 1) {
		*pc = DET_PC_ICMP;
		return DET_PROTO_ICMP;
	}
	if (l4 && p->proto == 58) {
		*pc = DET_PC_ICMP6;
		return DET_PROTO_ICMP6;
	}
	*pc = DET_PC_OTHER;
	return DET_PROTO_OTHER;
}

/*
 * Candidates, verification, alerts for one packet with buffers @b. @end_only:
 * the flow-end pseudo packet, where only rules that can match stream data run.
 */
static void run_rules(struct detect_worker *dw, const struct weir_pkt *p,
		      const struct flow_pkt_info *fi, const struct bufs *b, bool end_only)
{
	struct det_ruleset *rs = dw->rs;
	struct flow *f = fi ? fi->flow : NULL;
	enum det_pclass pc;
	bool has_ports, is_tcp;
	uint32_t n_hits = 0;
	uint8_t pbit;

	pbit = pkt_proto_bit(p, &pc, &has_ports);
	is_tcp = pbit == DET_PROTO_TCP;
	if (!end_only) {
		/* a packet that is not TCP has no flags: rules needing some cannot match */
		uint8_t tflags = is_tcp ? p->tcp_flags : 0;
		struct det_flow *df = f ? flow_state(dw, f) : NULL;
		struct det_acache tmp[2] = { { 0 } };

		for (uint32_t i = 0; i < rs->n_hdr_only[pc]; i++)
			mark_bit(dw, rs->hdr_only[pc][i]);
		aidx_mark(dw, DET_AIDX_SRC, &p->src, p->ip_ver, pbit, tflags,
			  df ? &df->ac[DET_AIDX_SRC][fi->dir] : &tmp[0]);
		aidx_mark(dw, DET_AIDX_DST, &p->dst, p->ip_ver, pbit, tflags,
			  df ? &df->ac[DET_AIDX_DST][fi->dir] : &tmp[1]);
	}
	if (rs->hs) {
		/* In-order data: the payload is the start of the stream's new part, whose
		 * scan nominates the same rules; scanning it twice would only cost. */
		bool pkt_in_stream = b->stream && b->pkt_len &&
				     b->sv.len - b->sv.new_off >= b->pkt_len &&
				     !memcmp(b->sv.data + b->sv.new_off, b->pkt, b->pkt_len);

		if (b->pkt_len && !pkt_in_stream &&
		    det_hs_scan(rs->hs, dw->hs, b->pkt, b->pkt_len, mark, dw))
			STAT_INC(dw->stats, DETECT_HS_ERRORS);
		if (b->stream) {
			struct det_stream_state *ss = stream_state(dw, f, fi->dir);
			uint32_t from = 0;
			struct stream_scan sc = { dw, 0 };

			/* Scan from just before the new data unless the direction
			 * fell back to full scans (or this is the last look). */
			if (!end_only && !(ss && ss->full) && b->sv.new_off + 1 > rs->max_fp_len)
				from = b->sv.new_off + 1 - rs->max_fp_len;
			sc.base = b->sv.offset + from;
			dw->n_nom = 0;
			STAT_INC(dw->stats, DETECT_STREAM_CHUNKS);
			STAT_ADD(dw->stats, DETECT_STREAM_BYTES, b->sv.len - from);
			if (det_hs_scan(rs->hs, dw->hs, b->sv.data + from, b->sv.len - from,
					mark_stream, &sc))
				STAT_INC(dw->stats, DETECT_HS_ERRORS);
			for (uint32_t i = 0; ss && i < ss->n; i++)
				if (ss->e[i].start >= b->sv.offset)
					mark_bit(dw, ss->e[i].rule);
		}
	}

	for (uint32_t w = dw->cand_lo; w < dw->cand_hi; w++) {
		uint64_t bits = dw->cand[w];

		if (!bits)
			continue;
		dw->cand[w] = 0;
		while (bits) {
			uint32_t idx = w * 64 + (uint32_t)__builtin_ctzll(bits);
			const struct det_rule *r = rs->rules[idx];
			bool alert = true;

			bits &= bits - 1;
			if (end_only && (!r->n_pm || r->dsize.cmp))
				continue;
			if (!header_match(r, p, fi, pbit, has_ports))
				continue;
			if (r->n_pm && !payload_match(dw, r, b, is_tcp))
				continue;
			if (r->n_fb && !flowbits_ok(dw, r, f))
				continue;
			if (r->n_fb)
				flowbits_apply(dw, r, f);
			if (r->noalert)
				continue;
			if (r->df.type && !thr_check(dw, r, &r->df, 1, p, f))
				alert = false;
			if (alert && r->thr.type && !thr_check(dw, r, &r->thr, 0, p, f))
				alert = false;
			if (!alert) {
				STAT_INC(dw->stats, DETECT_THRESHOLDED);
				continue;
			}
			dw->hits[n_hits++] = idx;
		}
	}
	dw->cand_lo = dw->cand_words;
	dw->cand_hi = 0;
	for (uint32_t i = 0; i < n_hits; i++)
		emit_alert(dw, rs->rules[dw->hits[i]], p, fi);
	if (b->stream && !end_only && rs->hs)
		sticky_update(dw, f, fi->dir, b->sv.offset, p, pbit, has_ports);
}

/* Pick up a reloaded ruleset. Return: false when the worker cannot run now. */
static bool worker_sync(struct detect_worker *dw)
{
	struct det_ruleset *rs = det_engine_current(dw->de);

	if (rs != dw->rs && worker_use(dw, rs)) {
		STAT_INC(dw->stats, DETECT_RELOAD_NOMEM);
		return false; /* keeps the old ruleset; retried on the next packet */
	}
	return true;
}

void detect_packet(struct detect_worker *dw, struct flow_table *ft, const struct weir_pkt *p,
		   const struct flow_pkt_info *fi)
{
	struct flow *f = fi ? fi->flow : NULL;
	struct bufs b = { 0 };
	bool is_tcp;

	if (!worker_sync(dw) || !p->ip_ver)
		return;
	is_tcp = p->flags & PKT_F_L4 && p->proto == 6;
	b.pkt = p->payload;
	b.pkt_len = p->payload ? p->payload_len : 0;
	b.pkt_ok = !(is_tcp && fi && fi->retransmit);
	if (is_tcp && f && fi->stream_new) {
		flow_stream_view(f, fi->dir, &b.sv);
		b.stream = b.sv.len > b.sv.new_off;
	}
	STAT_INC(dw->stats, DETECT_PKTS);
	run_rules(dw, p, fi, &b, false);
	if (is_tcp && f && fi->stream_new)
		flow_stream_inspected(ft, f, fi->dir);
}

/*
 * The flow ends: the flow stage flushed what its out-of-order queues held into
 * the stream windows; inspect the part no packet presented yet, as a pseudo
 * packet of the flow's direction (no payload, pcap_cnt 0, time of the last
 * packet), the way Suricata inspects a flow's remaining stream at timeout.
 */
static void inspect_flow_end(struct detect_worker *dw, struct flow *f)
{
	for (int dir = FLOW_DIR_TOSERVER; dir <= FLOW_DIR_TOCLIENT; dir++) {
		struct flow_pkt_info fi = { .flow = f, .dir = dir };
		bool ts = dir == FLOW_DIR_TOSERVER;
		struct bufs b = { 0 };
		struct weir_pkt p;

		flow_stream_view(f, dir, &b.sv);
		if (!b.sv.data || b.sv.len <= b.sv.new_off)
			continue;
		b.stream = true;
		memset(&p, 0, sizeof(p));
		p.flags = PKT_F_L4 | (f->key.ip_ver == 6 ? PKT_F_IPV6 : PKT_F_IPV4);
		p.ip_ver = f->key.ip_ver;
		p.proto = 6;
		p.src = ts ? *flow_client_addr(f) : *flow_server_addr(f);
		p.dst = ts ? *flow_server_addr(f) : *flow_client_addr(f);
		p.sport = ts ? flow_client_port(f) : flow_server_port(f);
		p.dport = ts ? flow_server_port(f) : flow_client_port(f);
		p.ttl = 64;
		p.ts_ns = f->last_ns;
		p.vlan[0] = f->key.vlan[0];
		p.vlan[1] = f->key.vlan[1];
		p.vlan_cnt = f->key.vlan[1] ? 2 : f->key.vlan[0] ? 1 : 0;
		fi.established = f->tcp_state >= TCP_ESTABLISHED;
		STAT_INC(dw->stats, DETECT_FLOW_END_CHUNKS);
		run_rules(dw, &p, &fi, &b, true);
	}
}

void detect_flow_end(struct detect_worker *dw, struct flow *f)
{
	struct det_flow *df;

	if (dw && f->key.proto == 6 && worker_sync(dw))
		inspect_flow_end(dw, f);
	df = f->ext.detect;
	if (!df)
		return;
	for (uint32_t i = 0; i < df->n_thr; i++)
		free(df->thr[i].st.ports);
	free(df->thr);
	free(df->bits);
	free(df->ss[0]);
	free(df->ss[1]);
	free(df);
	f->ext.detect = NULL;
}
