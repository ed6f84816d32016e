// SPDX-License-Identifier: GPL-2.0-only
/*
 * heur_table.c - bounded state of the heuristics: one table for every key type.
 *
 * Entries are found by a chained hash of struct heur_key and kept on one LRU
 * list. Memory is charged per entry and per distinct-set slot; when a new
 * entry or a set would pass the memcap, or the table holds max_keys entries,
 * the least recently used entries are evicted (heur.evicted) -- an evicted
 * source simply starts counting again, which can only delay an alert.
 * Distinct sets grow only up to the threshold they serve: once it is reached
 * the alert is raised and more values add nothing, so a set never holds more
 * than its threshold (or fanout.max_tracked) values.
 *
 * Threads: the heuristics thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "heur/heur_priv.h"

#define HEUR_SET_MIN 8

/* 32-bit mix (murmur3 finaliser): deterministic, so sets are too. */
static uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

uint32_t heur_addr_hash(const struct weir_addr *a)
{
	uint32_t h = 0x9747b28cu;

	for (int i = 0; i < 4; i++)
		h = mix32(h ^ a->a[i]) + (uint32_t)i;
	return h ? h : 1;
}

static uint32_t key_hash(const struct heur_key *k)
{
	uint32_t h = mix32((uint32_t)k->type << 24 | (uint32_t)k->proto << 16 | k->port);

	for (int i = 0; i < 4; i++) {
		h = mix32(h ^ k->a.a[i]);
		h = mix32(h ^ k->b.a[i]);
	}
	return h;
}

static bool key_eq(const struct heur_key *x, const struct heur_key *y)
{
	return x->type == y->type && x->proto == y->proto && x->port == y->port &&
	       !memcmp(&x->a, &y->a, sizeof(x->a)) && !memcmp(&x->b, &y->b, sizeof(x->b));
}

static void set_gauges(struct heur_table *t)
{
	t->st[HST_HEUR_KEYS] = t->n;
	t->st[HST_HEUR_MEMUSE] = t->memuse;
}

int heur_table__init(struct heur_table *t, uint32_t max_keys, uint64_t memcap, uint64_t *st)
{
	uint32_t nb = 1024;

	memset(t, 0, sizeof(*t));
	/* About one bucket per key: chains stay short without resizing. */
	while (nb < max_keys && nb < (1u << 24))
		nb <<= 1;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->mask = nb - 1;
	t->max_keys = max_keys;
	t->memcap = memcap;
	t->st = st;
	t->memuse = (uint64_t)nb * sizeof(*t->buckets);
	set_gauges(t);
	return 0;
}

static void entry_free(struct heur_table *t, struct heur_entry *e)
{
	t->memuse -= sizeof(*e) + ((uint64_t)e->set.cap + e->set2.cap) * sizeof(uint32_t);
	free(e->set.v);
	free(e->set2.v);
	free(e);
}

void heur_table__destroy(struct heur_table *t)
{
	struct heur_entry *e = t->lru_head, *next;

	for (; e; e = next) {
		next = e->lru_next;
		entry_free(t, e);
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

static void lru_unlink(struct heur_table *t, struct heur_entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		t->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		t->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push_head(struct heur_table *t, struct heur_entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = t->lru_head;
	if (t->lru_head)
		t->lru_head->lru_prev = e;
	t->lru_head = e;
	if (!t->lru_tail)
		t->lru_tail = e;
}

static void evict(struct heur_table *t, struct heur_entry *e)
{
	struct heur_entry **pp = &t->buckets[key_hash(&e->key) & t->mask];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(t, e);
	t->n--;
	entry_free(t, e);
}

/* Evict least recently used entries other than @keep until @need more bytes fit. */
static bool make_room(struct heur_table *t, uint64_t need, uint32_t keys,
		      const struct heur_entry *keep)
{
	while (t->lru_tail &&
	       (t->memuse + need > t->memcap || t->n + keys > t->max_keys)) {
		struct heur_entry *victim = t->lru_tail;

		if (victim == keep) {
			victim = victim->lru_prev;
			if (!victim)
				break;
		}
		evict(t, victim);
		t->st[HST_HEUR_EVICTED]++;
	}
	return t->memuse + need <= t->memcap && t->n + keys <= t->max_keys;
}

struct heur_entry *heur_table_find(struct heur_table *t, const struct heur_key *k)
{
	uint32_t idx = key_hash(k) & t->mask;
	struct heur_entry *e;

	for (e = t->buckets[idx]; e; e = e->hnext) {
		if (key_eq(&e->key, k)) {
			if (e != t->lru_head) {
				lru_unlink(t, e);
				lru_push_head(t, e);
			}
			return e;
		}
	}
	return NULL;
}

struct heur_entry *heur_table_get(struct heur_table *t, const struct heur_key *k)
{
	uint32_t idx = key_hash(k) & t->mask;
	struct heur_entry *e = heur_table_find(t, k);

	if (e)
		return e;
	if (!make_room(t, sizeof(*e), 1, NULL))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->key = *k;
	e->hnext = t->buckets[idx];
	t->buckets[idx] = e;
	lru_push_head(t, e);
	t->n++;
	t->memuse += sizeof(*e);
	set_gauges(t);
	return e;
}

static bool set_has(const struct heur_set *s, uint32_t v)
{
	if (!s->cap)
		return false;
	for (uint32_t i = mix32(v) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i] == v)
			return true;
		if (!s->v[i])
			return false;
	}
}

static void set_put(struct heur_set *s, uint32_t v)
{
	uint32_t i = mix32(v) & (s->cap - 1);

	while (s->v[i])
		i = (i + 1) & (s->cap - 1);
	s->v[i] = v;
	s->n++;
}

int heur_set_add(struct heur_table *t, struct heur_set *s, uint32_t v, uint32_t max)
{
	if (set_has(s, v))
		return 0;
	/* At its threshold a set has done its job: not a loss, not counted. */
	if (s->n >= max)
		return -ENOSPC;
	/* Keep the load factor at or below 1/2 so probes stay short. */
	if ((s->n + 1) * 2 > s->cap) {
		uint32_t ncap = s->cap ? s->cap * 2 : HEUR_SET_MIN;
		uint64_t grow = (uint64_t)(ncap - s->cap) * sizeof(uint32_t);
		struct heur_set ns = { .cap = ncap };

		/* The entry that owns @s is the LRU head (just looked up): kept. */
		if (!make_room(t, grow, 0, t->lru_head)) {
			t->st[HST_HEUR_SET_FULL]++;
			return -ENOSPC;
		}
		ns.v = calloc(ncap, sizeof(uint32_t));
		if (!ns.v)
			return -ENOMEM;
		for (uint32_t i = 0; i < s->cap; i++)
			if (s->v[i])
				set_put(&ns, s->v[i]);
		free(s->v);
		*s = ns;
		t->memuse += grow;
		set_gauges(t);
	}
	set_put(s, v);
	return 1;
}

void heur_set_clear(struct heur_set *s)
{
	if (s->cap)
		memset(s->v, 0, s->cap * sizeof(uint32_t));
	s->n = 0;
}

void heur_sample_add(struct heur_entry *e, const struct weir_addr *a, uint16_t port)
{
	if (e->n_sample >= HEUR_SAMPLE_MAX)
		return;
	e->sample_addr[e->n_sample] = *a;
	e->sample_port[e->n_sample] = port;
	e->n_sample++;
}
