/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * heur_priv.h - internals of the heuristics stage shared by its files.
 *
 * heur_engine.c: queues, ordered merge, thread, counters.
 * heur_table.c:  the bounded state table (keys, distinct sets, LRU, memcap).
 * heur_detect.c: the heuristics themselves, run on one record at a time.
 * heur_opts.c:   defaults and services.yaml. heur_rec.c: worker-side helpers.
 * Nothing here is used outside user/heur/ (tests included through heur.h).
 */
#ifndef WEIR_HEUR_PRIV_H
#define WEIR_HEUR_PRIV_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/queue.h"
#include "heur/heur.h"
#include "heur/heur_stats.h"

/* Counters kept by the heuristics thread, published into its struct weir_stats by name. */
enum heur_stat {
#define HEUR_STAT_ENUM(id, name) HST_##id,
	HEUR_STATS(HEUR_STAT_ENUM)
#undef HEUR_STAT_ENUM
	HST__MAX,
};

/* What a state entry tracks. */
enum heur_key_type {
	HK_PORT_SCAN = 1,  /* a = source, b = destination */
	HK_ADDR_SWEEP,     /* a = source, port = destination port */
	HK_SYN_FLOOD,      /* a = destination, port = destination port */
	HK_ICMP_SWEEP,     /* a = source */
	HK_FANOUT,         /* a = source */
	HK_SERVICE,        /* a = source, b = destination, port = service index */
	HK_BRUTE_FORCE,    /* a = source, port = service port */
};

struct heur_key {
	struct weir_addr a, b;
	uint16_t port;
	uint8_t type;      /* enum heur_key_type */
	uint8_t proto;
};

/* Open-addressing set of non-zero 32-bit values (ports + 1, address hashes). */
struct heur_set {
	uint32_t *v;
	uint32_t cap;      /* power of 2, or 0 */
	uint32_t n;
};

#define HEUR_SAMPLE_MAX 8

struct heur_entry {
	struct heur_key key;
	struct heur_entry *hnext;
	struct heur_entry *lru_prev, *lru_next;
	uint64_t win_start_ns;     /* current window (0 = none yet) */
	uint64_t first_ns, last_ns;/* evidence: first/last counted record of the window */
	uint64_t suppress_until_ns;/* no new alert for this key before */
	uint32_t count;            /* events counted in the window (non-distinct) */
	uint32_t count2;           /* second counter (SYN flood: handshakes) */
	uint32_t baseline_x100;    /* fan-out: EWMA of distinct peers per window, x100 */
	bool win_open;             /* a window was started */
	bool alerted;              /* this window already alerted (or was suppressed) */
	bool has_baseline;
	struct heur_set set;       /* distinct targets of the window */
	struct heur_set set2;      /* port scan: half-open probe ports */
	uint8_t n_sample;
	uint16_t sample_port[HEUR_SAMPLE_MAX];
	struct weir_addr sample_addr[HEUR_SAMPLE_MAX];
};

struct heur_table {
	struct heur_entry **buckets;
	uint32_t mask;
	uint32_t n;                /* entries */
	uint32_t max_keys;
	uint64_t memcap, memuse;
	struct heur_entry *lru_head, *lru_tail; /* head = most recent */
	uint64_t *st;              /* engine counters (HST_*) */
};

int heur_table__init(struct heur_table *t, uint32_t max_keys, uint64_t memcap, uint64_t *st);
void heur_table__destroy(struct heur_table *t);
/* heur_table_get() - find or create (evicting LRU entries to fit); NULL when impossible. */
struct heur_entry *heur_table_get(struct heur_table *t, const struct heur_key *k);
/* heur_table_find() - lookup only (refreshes LRU); NULL when absent. */
struct heur_entry *heur_table_find(struct heur_table *t, const struct heur_key *k);
/* heur_set_add() - add @v (non-zero) to @s; grows up to @max values.
 * Return: 1 added, 0 already present, -ENOSPC at @max or refused by the
 * memcap (only the latter counts as heur.set_full), -ENOMEM. */
int heur_set_add(struct heur_table *t, struct heur_set *s, uint32_t v, uint32_t max);
void heur_set_clear(struct heur_set *s);
void heur_sample_add(struct heur_entry *e, const struct weir_addr *a, uint16_t port);
uint32_t heur_addr_hash(const struct weir_addr *a);

/* One worker's producer side. */
struct heur_wq {
	struct spsc_slots q;
	_Atomic uint64_t wm;          /* watermark published by the worker */
	_Atomic uint64_t dropped;     /* records dropped on a full queue (live) */
	_Atomic uint64_t waits;       /* lossless waits on a full queue */
	uint64_t wm_seen;             /* heuristics thread: watermark applied */
	bool wm_any;                  /* a watermark was received at all */
};

struct heur_engine {
	struct heur_opts o;
	uint32_t n_workers;
	struct heur_wq *wq;
	heur_emit_fn emit;
	void *emit_arg;
	struct weir_stats *stats;
	int stat_idx[HST__MAX];       /* index in struct weir_stats, -1 if unknown */
	uint64_t st[HST__MAX];

	/* ordered merge: binary min-heap of pending records */
	struct heur_rec *heap;
	uint32_t heap_n, heap_cap, heap_soft_max;
	struct heur_rec last;         /* last processed (late detection) */
	bool have_last;

	struct heur_table tab;

	pthread_t thread;
	bool started;
	_Atomic bool stop;
	struct qwait wake;
};

/* heur_rec_cmp() - the deterministic processing order. */
int heur_rec_cmp(const struct heur_rec *x, const struct heur_rec *y);

/* heur_detect_record() - run every heuristic on @r (heuristics thread). */
void heur_detect_record(struct heur_engine *he, const struct heur_rec *r);

/* heur_service_match() - index of the service @r's server side belongs to, or -1. */
int heur_service_match(const struct heur_opts *o, const struct heur_rec *r);
bool heur_cidr_match(const struct heur_cidr *c, uint32_t n, const struct weir_addr *a,
		     uint8_t ip_ver);

#endif /* WEIR_HEUR_PRIV_H */
