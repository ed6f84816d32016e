// SPDX-License-Identifier: GPL-2.0-only
/*
 * decode_defrag.c - IPv4 and IPv6 fragment reassembly for one worker.
 *
 * DESIGN
 * A datagram in progress is a tracker keyed by (version, src, dst, id, IPv4
 * protocol, VLAN ids, tunnel id), found through a chained hash table sized
 * once from max_trackers, and linked on an age list (creation order) that
 * timeouts and evictions walk from the oldest end.
 * Fragment data is copied into pieces kept sorted by offset and never
 * overlapping: a new fragment only fills the holes it covers, so the first
 * data received for any byte wins (Suricata's "first" policy; BSD-right and
 * Linux keep later data for some overlaps, a target OS difference that an
 * attacker could use, which is counted as an overlap). A datagram is complete
 * when the last fragment fixed its length, the first fragment gave its
 * header, and the pieces cover every byte.
 * Bounds: every allocation (tracker, header copy, piece) is charged to the
 * memcap; when it would be exceeded the oldest other datagrams are dropped
 * first (decoder.defrag.memcap_drops), so fresh traffic keeps being
 * reassembled; a new tracker beyond max_trackers drops the oldest one
 * (decoder.defrag.tracker_drops). Datagrams over 65535 bytes of IP are refused
 * (decoder.defrag.oversize). Timeouts run on packet time: on every insert for
 * the oldest trackers, and in decode_defrag__expire().
 * Threads: one per worker, no locks.
 */
#include <stdlib.h>
#include <sys/random.h>

#include "decode/decode_priv.h"

#define IPV4_MAXPACKET 65535u
#define IPV6_HLEN 40u
#define NSEC_PER_SEC 1000000000ull
#define DEFRAG_BUCKETS_MAX (1u << 20)

struct frag_key {
	struct weir_addr src, dst;
	uint32_t id;
	uint32_t tunnel_id;
	uint16_t vlan[2];
	uint8_t ver;
	uint8_t proto;
	uint8_t pad[2];
};

struct frag_piece {
	struct frag_piece *next;
	uint32_t off, len;
	uint8_t data[];
};

struct frag_tracker {
	struct frag_tracker *hnext;          /* hash chain */
	struct frag_tracker *older, *newer;  /* age list */
	struct frag_key key;
	uint32_t hash;
	uint64_t ts_first;                   /* ns, packet time of the first fragment seen */
	size_t mem;                          /* bytes charged to the memcap */
	struct frag_piece *pieces, *tail;    /* sorted by offset, disjoint */
	uint32_t have;                       /* payload bytes held */
	uint32_t total;                      /* payload length, once the last fragment came */
	bool total_known;
	uint8_t *head;                       /* frame prefix + IP header of the first fragment */
	uint32_t prefix_len, hdr_len, nh_off;
	uint8_t nh;
};

struct decode_defrag {
	uint64_t memcap, mem;
	uint32_t max_trackers, ntrackers;
	uint64_t timeout_ns;
	uint32_t mask, seed;
	struct frag_tracker **buckets;
	struct frag_tracker *oldest, *newest;
	struct weir_stats *stats;
};

struct decode_defrag *decode_defrag__new(const struct decode_defrag_opts *o, struct weir_stats *st)
{
	struct decode_defrag *df = calloc(1, sizeof(*df));
	uint32_t n = 16;

	if (!df)
		return NULL;
	df->memcap = o->memcap ? o->memcap : 32ull << 20;
	df->max_trackers = o->max_trackers ? o->max_trackers : 65536;
	df->timeout_ns = (o->timeout_s ? o->timeout_s : 60) * NSEC_PER_SEC;
	df->stats = st;
	while (n < df->max_trackers && n < DEFRAG_BUCKETS_MAX)
		n <<= 1;
	df->mask = n - 1;
	/* A secret seed keeps crafted fragments from piling into one chain. */
	if (getrandom(&df->seed, sizeof(df->seed), GRND_NONBLOCK) != sizeof(df->seed))
		df->seed = (uint32_t)(uintptr_t)df;
	df->buckets = calloc(n, sizeof(*df->buckets));
	if (!df->buckets) {
		free(df);
		return NULL;
	}
	return df;
}

static uint32_t frag_hash(const struct decode_defrag *df, const struct frag_key *k)
{
	uint32_t w[sizeof(*k) / 4], h = df->seed;

	memcpy(w, k, sizeof(w));
	for (size_t i = 0; i < sizeof(w) / 4; i++) {
		h ^= w[i] * 0xcc9e2d51u;
		h = (h << 13 | h >> 19) * 5 + 0xe6546b64u;
	}
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h;
}

static void tracker_free(struct decode_defrag *df, struct frag_tracker *t)
{
	struct frag_tracker **pp = &df->buckets[t->hash & df->mask];
	struct frag_piece *q, *next;

	while (*pp != t)
		pp = &(*pp)->hnext;
	*pp = t->hnext;
	if (t == df->oldest)
		df->oldest = t->newer;
	else
		t->older->newer = t->newer;
	if (t == df->newest)
		df->newest = t->older;
	else
		t->newer->older = t->older;
	for (q = t->pieces; q; q = next) {
		next = q->next;
		free(q);
	}
	free(t->head);
	df->mem -= t->mem;
	df->ntrackers--;
	free(t);
}

void decode_defrag__free(struct decode_defrag *df)
{
	if (!df)
		return;
	while (df->oldest)
		tracker_free(df, df->oldest);
	free(df->buckets);
	free(df);
}

static bool tracker_expired(const struct decode_defrag *df, const struct frag_tracker *t,
			    uint64_t now)
{
	return now > t->ts_first && now - t->ts_first >= df->timeout_ns;
}

void decode_defrag__expire(struct decode_defrag *df, uint64_t now_ns)
{
	/* The age list is in arrival order, so the expired ones are at its start. */
	while (df->oldest && tracker_expired(df, df->oldest, now_ns)) {
		tracker_free(df, df->oldest);
		STAT_INC(df->stats, DECODE_DEFRAG_TIMEOUTS);
	}
}

/*
 * Charge @n bytes for @cur, dropping the oldest other datagrams while the
 * memcap would be exceeded. Return: false if @n cannot fit even then.
 */
static bool defrag_charge(struct decode_defrag *df, struct frag_tracker *cur, size_t n)
{
	while (df->mem + n > df->memcap) {
		struct frag_tracker *victim = df->oldest;

		if (victim && victim == cur)
			victim = victim->newer;
		if (!victim)
			return false;
		tracker_free(df, victim);
		STAT_INC(df->stats, DECODE_DEFRAG_MEMCAP_DROPS);
	}
	df->mem += n;
	if (cur)
		cur->mem += n;
	return true;
}

static struct frag_tracker *tracker_get(struct decode_defrag *df, const struct frag_key *k,
					uint64_t now)
{
	uint32_t h = frag_hash(df, k);
	struct frag_tracker *t;

	for (t = df->buckets[h & df->mask]; t; t = t->hnext) {
		if (t->hash != h || memcmp(&t->key, k, sizeof(*k)))
			continue;
		/* Packet time may go backwards between files; check this one too. */
		if (!tracker_expired(df, t, now))
			return t;
		tracker_free(df, t);
		STAT_INC(df->stats, DECODE_DEFRAG_TIMEOUTS);
		break;
	}
	if (df->ntrackers >= df->max_trackers) {
		tracker_free(df, df->oldest);
		STAT_INC(df->stats, DECODE_DEFRAG_TRACKER_DROPS);
	}
	if (!defrag_charge(df, NULL, sizeof(*t)))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		df->mem -= sizeof(*t);
		return NULL;
	}
	t->mem = sizeof(*t);
	t->key = *k;
	t->hash = h;
	t->ts_first = now;
	t->hnext = df->buckets[h & df->mask];
	df->buckets[h & df->mask] = t;
	t->older = df->newest;
	if (df->newest)
		df->newest->newer = t;
	else
		df->oldest = t;
	df->newest = t;
	df->ntrackers++;
	return t;
}

/* Insert [off, off + len) of @data after @prev (NULL: at the head). */
static int piece_add(struct decode_defrag *df, struct frag_tracker *t, struct frag_piece *prev,
		     uint32_t off, uint32_t len, const uint8_t *data)
{
	struct frag_piece *q;

	if (!defrag_charge(df, t, sizeof(*q) + len))
		return -ENOMEM;
	q = malloc(sizeof(*q) + len);
	if (!q) {
		df->mem -= sizeof(*q) + len;
		t->mem -= sizeof(*q) + len;
		return -ENOMEM;
	}
	q->off = off;
	q->len = len;
	memcpy(q->data, data, len);
	if (prev) {
		q->next = prev->next;
		prev->next = q;
	} else {
		q->next = t->pieces;
		t->pieces = q;
	}
	if (!q->next)
		t->tail = q;
	t->have += len;
	return 0;
}

/* Keep the parts of the fragment no earlier fragment covered (first data wins). */
static int tracker_fill(struct decode_defrag *df, struct frag_tracker *t, const struct defrag_frag *f)
{
	uint32_t cur = f->off, end = f->off + f->len;
	struct frag_piece *prev = NULL, *q;
	bool overlap = false;
	int err = 0;

	if (f->len == 0)
		return 0;
	/* In-order arrival, the common case: append. */
	if (!t->tail || cur >= t->tail->off + t->tail->len)
		return piece_add(df, t, t->tail, cur, f->len, f->data);

	for (q = t->pieces; q && cur < end; prev = q, q = q->next) {
		if (q->off + q->len <= cur)
			continue;
		if (q->off >= end)
			break;
		if (cur < q->off) {
			err = piece_add(df, t, prev, cur, q->off - cur, f->data + (cur - f->off));
			if (err)
				return err;
		}
		overlap = true;
		if (q->off + q->len > cur)
			cur = q->off + q->len;
	}
	if (cur < end)
		err = piece_add(df, t, prev, cur, end - cur, f->data + (cur - f->off));
	if (overlap)
		STAT_INC(df->stats, DECODE_DEFRAG_OVERLAPS);
	return err;
}

static int defrag_refuse(struct decode_defrag *df, enum weir_stat_id id)
{
	df->stats->v[id]++;
	df->stats->v[WS_DECODE_INVALID]++;
	return -EINVAL;
}

/* Length of the reassembled IP datagram's payload limit for @t. */
static bool tracker_oversize(const struct frag_tracker *t, uint32_t hdr_len, uint32_t payload_end)
{
	if (t->key.ver == 4)
		return hdr_len + payload_end > IPV4_MAXPACKET;
	return hdr_len - IPV6_HLEN + payload_end > 65535u;
}

/* Write prefix + header + payload to @out and fix the IP header. Return: frame length. */
static uint32_t tracker_build(const struct frag_tracker *t, uint8_t *out)
{
	uint8_t *ip = out + t->prefix_len;
	const struct frag_piece *q;

	memcpy(out, t->head, t->prefix_len + t->hdr_len);
	for (q = t->pieces; q; q = q->next)
		memcpy(ip + t->hdr_len + q->off, q->data, q->len);
	if (t->key.ver == 4) {
		uint32_t tot = t->hdr_len + t->total, sum = 0;

		ip[2] = (uint8_t)(tot >> 8);
		ip[3] = (uint8_t)tot;
		ip[6] &= 0x40; /* keep DF; clear MF and the offset */
		ip[7] = 0;
		/* Not verified by decode, but the rebuilt packet should be a valid one. */
		ip[10] = ip[11] = 0;
		for (uint32_t i = 0; i < t->hdr_len; i += 2)
			sum += rd16(ip + i);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		ip[10] = (uint8_t)(~sum >> 8);
		ip[11] = (uint8_t)~sum;
	} else {
		uint32_t plen = t->hdr_len - IPV6_HLEN + t->total;

		ip[4] = (uint8_t)(plen >> 8);
		ip[5] = (uint8_t)plen;
		/* Drop the fragment header: its predecessor now names the next header. */
		ip[t->nh_off] = t->nh;
	}
	return t->prefix_len + t->hdr_len + t->total;
}

int decode_defrag__add(struct decode_defrag *df, const struct defrag_frag *f, uint8_t *out,
		       uint32_t *prefix_len)
{
	struct frag_key k = {
		.src = f->src,
		.dst = f->dst,
		.id = f->id,
		.tunnel_id = f->tunnel_id,
		.vlan = { f->vlan[0], f->vlan[1] },
		.ver = f->ver,
		.proto = f->ver == 4 ? f->proto : 0,
	};
	uint32_t end = f->off + f->len, prefix = (uint32_t)(f->hdr - f->frame), len;
	struct frag_tracker *t;

	decode_defrag__expire(df, f->ts_ns);

	/* Every fragment but the last carries data. */
	if (f->len == 0 && f->more)
		return defrag_refuse(df, WS_DECODE_DEFRAG_INVALID);
	if ((f->ver == 4 && f->hdr_len + end > IPV4_MAXPACKET) ||
	    (f->ver == 6 && f->hdr_len - IPV6_HLEN + end > 65535u))
		return defrag_refuse(df, WS_DECODE_DEFRAG_OVERSIZE);
	if (f->off == 0 && prefix > DECODE_REASM_PREFIX_MAX)
		return defrag_refuse(df, WS_DECODE_INV_FRAG_PREFIX);

	t = tracker_get(df, &k, f->ts_ns);
	if (!t) {
		STAT_INC(df->stats, DECODE_DEFRAG_MEMCAP_DROPS);
		return -EINVAL;
	}
	/* Data past a known end, or a second different end: the first word stands. */
	if (t->total_known && (end > t->total || (!f->more && end != t->total)))
		return defrag_refuse(df, WS_DECODE_DEFRAG_INVALID);
	if (!f->more) {
		if (t->tail && t->tail->off + t->tail->len > end)
			return defrag_refuse(df, WS_DECODE_DEFRAG_INVALID);
		t->total = end;
		t->total_known = true;
	}
	if (f->off == 0 && !t->head) {
		if (t->total_known && tracker_oversize(t, f->hdr_len, t->total))
			goto oversize;
		if (!defrag_charge(df, t, prefix + f->hdr_len))
			goto memcap;
		t->head = malloc(prefix + f->hdr_len);
		if (!t->head)
			goto memcap;
		memcpy(t->head, f->frame, prefix + f->hdr_len);
		t->prefix_len = prefix;
		t->hdr_len = f->hdr_len;
		t->nh_off = f->nh_off;
		t->nh = f->nh;
	}
	if (tracker_fill(df, t, f))
		goto memcap;
	if (!t->total_known || !t->head || t->have != t->total)
		return -EAGAIN;
	if (tracker_oversize(t, t->hdr_len, t->total))
		goto oversize;

	len = tracker_build(t, out);
	*prefix_len = t->prefix_len;
	tracker_free(df, t);
	STAT_INC(df->stats, DECODE_DEFRAG_REASSEMBLED);
	return (int)len;

oversize:
	tracker_free(df, t);
	return defrag_refuse(df, WS_DECODE_DEFRAG_OVERSIZE);
memcap:
	/* This datagram alone does not fit: it can never complete. */
	tracker_free(df, t);
	STAT_INC(df->stats, DECODE_DEFRAG_MEMCAP_DROPS);
	return -EINVAL;
}
