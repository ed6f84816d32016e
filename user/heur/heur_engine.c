// SPDX-License-Identifier: GPL-2.0-only
/*
 * heur_engine.c - the heuristics thread: per-worker queues, ordered merge.
 *
 * DESIGN
 * Threads. Each worker is the single producer of its own struct heur_wq (a
 * bounded spsc_slots of struct heur_rec plus an atomic watermark). One
 * heuristics thread consumes all of them, runs every heuristic and calls the
 * emit callback. heur_engine__finish() stops the thread and processes what is
 * left on the caller's thread.
 *
 * Ordering. Workers see the flows of one scanner in any interleaving, so the
 * thread never processes records in arrival order. It drains every queue into
 * a min-heap ordered by (ts_ns, pcap_cnt, kind, flow_id, ...) and pops only
 * records with ts_ns below the lowest watermark of all workers: a worker's
 * watermark W says "all my records older than W are already queued". Each
 * watermark is read BEFORE that worker's queue is drained, so every record the
 * worker queued before publishing W is in the heap when W is applied. The
 * records popped, and their order, are therefore the same for 1 or N workers.
 *
 * Overload. A full queue makes heur_submit() wait (lossless, replay: counted
 * as heur.queue_waits) or drop the record (live: heur.queue_full). The heap is
 * unbounded in principle (a worker that never ticks holds everyone back), so
 * past heap_soft_max records the oldest are processed without waiting for the
 * watermark (heur.forced_order): memory stays bounded, order becomes
 * best-effort. A record older than one already processed (capture time going
 * backwards) is processed anyway and counted as heur.late.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "heur/heur_priv.h"

#define HEUR_QUEUE_SLOTS_DEFAULT 16384
#define HEUR_HEAP_SOFT_MAX       (1u << 20)

static const char *const heur_stat_names[HST__MAX] = {
#define HEUR_STAT_NAME(id, name) [HST_##id] = name,
	HEUR_STATS(HEUR_STAT_NAME)
#undef HEUR_STAT_NAME
};

int heur_rec_cmp(const struct heur_rec *x, const struct heur_rec *y)
{
	int c;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	if (x->pcap_cnt != y->pcap_cnt)
		return x->pcap_cnt < y->pcap_cnt ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->flow_id != y->flow_id)
		return x->flow_id < y->flow_id ? -1 : 1;
	/* Live records have pcap_cnt 0: fall back to the tuple, then to the bytes. */
	c = decode_addr_cmp(&x->cli, &y->cli);
	if (!c)
		c = decode_addr_cmp(&x->srv, &y->srv);
	if (!c && x->cport != y->cport)
		c = x->cport < y->cport ? -1 : 1;
	if (!c && x->sport != y->sport)
		c = x->sport < y->sport ? -1 : 1;
	if (!c)
		c = memcmp(x, y, sizeof(*x));
	return c;
}

/* --- heap ----------------------------------------------------------------- */

static int heap_push(struct heur_engine *he, const struct heur_rec *r)
{
	uint32_t i;

	if (he->heap_n == he->heap_cap) {
		uint32_t ncap = he->heap_cap ? he->heap_cap * 2 : 1024;
		struct heur_rec *nh = realloc(he->heap, (size_t)ncap * sizeof(*nh));

		if (!nh)
			return -ENOMEM;
		he->heap = nh;
		he->heap_cap = ncap;
	}
	i = he->heap_n++;
	while (i) {
		uint32_t parent = (i - 1) / 2;

		if (heur_rec_cmp(&he->heap[parent], r) <= 0)
			break;
		he->heap[i] = he->heap[parent];
		i = parent;
	}
	he->heap[i] = *r;
	return 0;
}

static void heap_pop(struct heur_engine *he, struct heur_rec *out)
{
	struct heur_rec last;
	uint32_t i = 0, n;

	*out = he->heap[0];
	n = --he->heap_n;
	if (!n)
		return;
	last = he->heap[n];
	for (;;) {
		uint32_t l = 2 * i + 1, m;

		if (l >= n)
			break;
		m = l;
		if (l + 1 < n && heur_rec_cmp(&he->heap[l + 1], &he->heap[l]) < 0)
			m = l + 1;
		if (heur_rec_cmp(&last, &he->heap[m]) <= 0)
			break;
		he->heap[i] = he->heap[m];
		i = m;
	}
	he->heap[i] = last;
}

/* --- counters ------------------------------------------------------------- */

static void publish_stats(struct heur_engine *he)
{
	uint64_t dropped = 0, waits = 0;

	for (uint32_t i = 0; i < he->n_workers; i++) {
		dropped += atomic_load_explicit(&he->wq[i].dropped, memory_order_relaxed);
		waits += atomic_load_explicit(&he->wq[i].waits, memory_order_relaxed);
	}
	he->st[HST_HEUR_QUEUE_FULL] = dropped;
	he->st[HST_HEUR_QUEUE_WAITS] = waits;
	if (!he->stats)
		return;
	for (int i = 0; i < HST__MAX; i++)
		if (he->stat_idx[i] >= 0)
			he->stats->v[he->stat_idx[i]] = he->st[i];
}

/* --- processing ----------------------------------------------------------- */

static void process_one(struct heur_engine *he, const struct heur_rec *r)
{
	if (he->have_last && heur_rec_cmp(r, &he->last) < 0)
		he->st[HST_HEUR_LATE]++;
	he->last = *r;
	he->have_last = true;
	he->st[HST_HEUR_RECORDS]++;
	heur_detect_record(he, r);
}

/*
 * Move everything queued into the heap, then process what every watermark
 * allows (@all: everything, at finish). Return: records processed.
 */
static uint64_t pump(struct heur_engine *he, bool all)
{
	uint64_t min_wm = UINT64_MAX, n = 0;
	struct heur_rec r;

	for (uint32_t i = 0; i < he->n_workers; i++) {
		struct heur_wq *w = &he->wq[i];
		/* Read the watermark first: records queued before it are visible below. */
		uint64_t wm = atomic_load_explicit(&w->wm, memory_order_acquire);
		struct heur_rec *q;

		while ((q = spsc_slots_front(&w->q))) {
			if (heap_push(he, q)) {
				/* Out of memory: process in arrival order rather than lose it. */
				he->st[HST_HEUR_FORCED]++;
				process_one(he, q);
			}
			spsc_slots_pop(&w->q);
		}
		if (wm > w->wm_seen)
			w->wm_seen = wm;
		if (w->wm_seen < min_wm)
			min_wm = w->wm_seen;
	}
	while (he->heap_n) {
		if (!all && he->heap[0].ts_ns >= min_wm) {
			if (he->heap_n <= he->heap_soft_max)
				break;
			he->st[HST_HEUR_FORCED]++;
		}
		heap_pop(he, &r);
		process_one(he, &r);
		n++;
	}
	publish_stats(he);
	return n;
}

static void *heur_main(void *arg)
{
	struct heur_engine *he = arg;

	while (!atomic_load(&he->stop)) {
		uint32_t snap = qwait_snapshot(&he->wake);

		if (!pump(he, false) && !atomic_load(&he->stop))
			qwait_sleep(&he->wake, snap, 100);
	}
	return NULL;
}

/* --- producer side -------------------------------------------------------- */

void heur_submit(struct heur_engine *he, uint32_t worker, const struct heur_rec *r)
{
	struct heur_wq *w = &he->wq[worker];

	while (!spsc_slots_push(&w->q, r)) {
		uint32_t snap;

		if (!he->started) {
			/* No thread (tests, tools): the producer drains in place. */
			pump(he, false);
			continue;
		}
		if (!he->o.lossless) {
			atomic_fetch_add_explicit(&w->dropped, 1, memory_order_relaxed);
			return;
		}
		snap = qwait_snapshot(&w->q.not_full);
		if (spsc_slots_push(&w->q, r))
			return;
		atomic_fetch_add_explicit(&w->waits, 1, memory_order_relaxed);
		qwait_wake(&he->wake);
		qwait_sleep(&w->q.not_full, snap, 100);
	}
	/* The thread only needs waking for work it may do: a queue filling up. */
	if (spsc_slots_count(&w->q) * 2 > (uint64_t)w->q.mask + 1)
		qwait_wake(&he->wake);
}

void heur_watermark(struct heur_engine *he, uint32_t worker, uint64_t now_ns)
{
	struct heur_wq *w = &he->wq[worker];

	if (now_ns > atomic_load_explicit(&w->wm, memory_order_relaxed))
		atomic_store_explicit(&w->wm, now_ns, memory_order_release);
	qwait_wake(&he->wake);
}

/* --- lifecycle ------------------------------------------------------------ */

struct heur_engine *heur_engine__new(const struct heur_opts *o, uint32_t n_workers,
				     heur_emit_fn emit, void *emit_arg, struct weir_stats *stats)
{
	struct heur_engine *he;
	uint32_t slots;

	if (!o || !n_workers || !emit) {
		errno = EINVAL;
		return NULL;
	}
	he = calloc(1, sizeof(*he));
	if (!he)
		return NULL;
	he->o = *o;
	he->o.services = NULL;
	he->o.n_services = 0;
	if (o->n_services) {
		he->o.services = calloc(o->n_services, sizeof(*he->o.services));
		if (!he->o.services)
			goto err;
		he->o.n_services = o->n_services;
		for (uint32_t i = 0; i < o->n_services; i++) {
			struct heur_service *d = &he->o.services[i];
			const struct heur_service *s = &o->services[i];

			*d = *s;
			d->dst = NULL;
			d->allow = NULL;
			if (s->n_dst) {
				d->dst = malloc(s->n_dst * sizeof(*d->dst));
				if (!d->dst)
					goto err;
				memcpy(d->dst, s->dst, s->n_dst * sizeof(*d->dst));
			}
			if (s->n_allow) {
				d->allow = malloc(s->n_allow * sizeof(*d->allow));
				if (!d->allow)
					goto err;
				memcpy(d->allow, s->allow, s->n_allow * sizeof(*d->allow));
			}
		}
	}
	if (!he->o.memcap)
		he->o.memcap = 64ull << 20;
	if (!he->o.max_keys)
		he->o.max_keys = 200000;
	if (!he->o.suppress_s)
		he->o.suppress_s = 3600;
	he->n_workers = n_workers;
	he->emit = emit;
	he->emit_arg = emit_arg;
	he->stats = stats;
	he->heap_soft_max = HEUR_HEAP_SOFT_MAX;
	for (int i = 0; i < HST__MAX; i++) {
		he->stat_idx[i] = -1;
		/* By name: works whether or not core/stats.h lists HEUR_STATS yet. */
		for (int j = 0; j < WS__MAX; j++) {
			if (!strcmp(stats_name((enum weir_stat_id)j), heur_stat_names[i])) {
				he->stat_idx[i] = j;
				break;
			}
		}
	}
	slots = o->queue_slots ? o->queue_slots : HEUR_QUEUE_SLOTS_DEFAULT;
	he->wq = calloc(n_workers, sizeof(*he->wq));
	if (!he->wq)
		goto err;
	for (uint32_t i = 0; i < n_workers; i++)
		if (spsc_slots__init(&he->wq[i].q, slots, sizeof(struct heur_rec)))
			goto err;
	if (heur_table__init(&he->tab, he->o.max_keys, he->o.memcap, he->st))
		goto err;
	return he;
err:
	heur_engine__free(he);
	errno = ENOMEM;
	return NULL;
}

int heur_engine__start(struct heur_engine *he)
{
	int err = pthread_create(&he->thread, NULL, heur_main, he);

	if (err)
		return -err;
	he->started = true;
	return 0;
}

void heur_engine__finish(struct heur_engine *he)
{
	if (he->started) {
		atomic_store(&he->stop, true);
		qwait_wake(&he->wake);
		pthread_join(he->thread, NULL);
		he->started = false;
	}
	pump(he, true);
}

void heur_engine__free(struct heur_engine *he)
{
	if (!he)
		return;
	if (he->started)
		heur_engine__finish(he);
	if (he->wq) {
		for (uint32_t i = 0; i < he->n_workers; i++)
			spsc_slots__destroy(&he->wq[i].q);
		free(he->wq);
	}
	if (he->tab.buckets)
		heur_table__destroy(&he->tab);
	free(he->heap);
	heur_opts_free(&he->o);
	free(he);
}

uint64_t heur_engine__memuse(const struct heur_engine *he)
{
	return he->tab.memuse + (uint64_t)he->heap_cap * sizeof(struct heur_rec);
}
