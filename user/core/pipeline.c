// SPDX-License-Identifier: GPL-2.0-only
/*
 * pipeline.c - workers and the output thread.
 *
 * DESIGN
 * Threads. N workers run decode -> flow -> detect to completion on their own
 * packets with their own contexts (decoder + defragmenter, flow table,
 * Hyperscan scratch), so the hot path takes no locks. One output thread owns
 * the event writer. In replay one reader thread (the caller) reads captures
 * and shards frames; in the live sensor each worker drains its own ring shard.
 *
 * Queues. Reader -> worker: a byte ring per worker (struct spsc_bytes); each
 * frame is copied in once and decoded in place. Worker -> output: a slot ring
 * of struct weir_event per worker. Both bounded.
 *
 * Ordering and determinism. Frames are sharded by a symmetric hash of the
 * innermost IP pair, so both directions of a flow and every fragment of a
 * datagram meet in one worker, in capture order. Time is packet time: the
 * reader broadcasts a tick to every worker each second of packet time, and
 * flows time out at ticks or on lookup, never by wall clock. So the set of
 * events is the same for any worker count; only their interleaving differs.
 *
 * Overload. Lossless mode (replay) makes a producer wait on a full queue
 * (counted as pipeline.queue_waits): a replay must not lose anything. Otherwise
 * (live) a full frame queue drops the frame (pipeline.queue_full) and a full
 * event queue drops the event (output.queue_full); nothing ever blocks capture.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/pipeline.h"
#include "core/queue.h"
#include "detect/detect.h"
#include "heur/heur.h"
#include "weir/limits.h"
#include "output/event.h"
#include "output/output.h"

/* The output thread drains its queues at least this often. */
#define OUTPUT_POLL_MS 5

/* Live: how far the heuristics watermark trails the wall clock. */
#define LIVE_WATERMARK_LAG_NS (2ull * 1000000000ull)

/* Latency histogram: 4 buckets per power of 2 of microseconds. */
#define LAT_SUB     4
#define LAT_BUCKETS (64 * LAT_SUB)

enum frame_kind {
	FRAME_PKT,
	FRAME_TICK,
	FRAME_EOF,
};

/* Header of a frame record in a worker's byte ring; the frame follows. */
struct frame_rec {
	uint16_t kind;
	uint16_t linktype;
	uint32_t caplen;
	uint32_t wirelen;
	uint32_t ifindex;
	uint64_t ts_ns;
	uint64_t pcap_cnt;
};

struct pipeline_worker {
	struct pipeline *pl;
	uint32_t id;
	pthread_t thread;
	bool started;
	struct spsc_bytes inq;
	struct spsc_slots evq;
	struct weir_stats stats;
	struct decode_ctx *dc;
	struct flow_table *ft;
	struct detect_worker *dw;
	uint64_t now_ns;        /* packet time of this worker (max seen / ticked) */
	_Atomic bool done;
};

struct pipeline {
	struct pipeline_opts o;
	struct pipeline_worker *w;
	struct weir_stats reader_stats;
	struct weir_stats output_stats;
	struct weir_stats heur_stats;   /* written by the heuristics thread only */
	struct heur_engine *heur;
	struct spsc_slots heur_evq;     /* heuristics thread -> output thread */
	_Atomic bool heur_done;
	struct qwait out_wake;  /* an event was queued, or a worker finished */
	pthread_t out_thread;
	bool out_started;
	uint64_t last_ts_ns;
	uint64_t start_wall_ns;
	_Atomic bool stop;      /* live: workers end */
	/* Live: packet-to-event latency of alerts (output thread only). */
	uint64_t lat_hist[LAT_BUCKETS];
	uint64_t lat_max_us;
};

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* --- events ------------------------------------------------------------ */

/*
 * Hand @ev to the output thread through @q (one producer per queue). A full
 * queue waits in lossless mode (counted in @st as pipeline.queue_waits) or
 * drops the event (output.queue_full). The output thread looks every
 * OUTPUT_POLL_MS anyway: wake it early only when the queue fills, not with a
 * futex call per event.
 */
static void emit_to_output(struct pipeline *pl, struct spsc_slots *q, struct weir_stats *st,
			   const struct weir_event *ev)
{
	while (!spsc_slots_push(q, ev)) {
		uint32_t snap;

		if (!pl->o.lossless) {
			STAT_INC(st, OUTPUT_QUEUE_FULL);
			return;
		}
		snap = qwait_snapshot(&q->not_full);
		if (spsc_slots_push(q, ev))
			break;
		STAT_INC(st, PIPELINE_QUEUE_WAITS);
		qwait_wake(&pl->out_wake);
		qwait_sleep(&q->not_full, snap, 100);
	}
	if (spsc_slots_count(q) >= (uint64_t)(q->mask + 1) / 8)
		qwait_wake(&pl->out_wake);
}

static void worker_emit(void *arg, const struct weir_event *ev)
{
	struct pipeline_worker *w = arg;

	emit_to_output(w->pl, &w->evq, &w->stats, ev);
}

/* The heuristics thread's alerts: one more queue for the output thread. */
static void heur_emit(void *arg, const struct weir_event *ev)
{
	struct pipeline *pl = arg;

	emit_to_output(pl, &pl->heur_evq, &pl->heur_stats, ev);
}

static void flow_event_fill(struct weir_event *ev, const struct flow *f, uint64_t now_ns)
{
	const struct flow_key *k = &f->key;
	uint8_t cli = f->cli_side, srv = f->cli_side ^ 1;

	memset(ev, 0, sizeof(*ev));
	ev->type = EVENT_FLOW;
	ev->ts_ns = now_ns;
	ev->flow_id = f->flow_id;
	ev->t.src = k->addr[cli];
	ev->t.dst = k->addr[srv];
	ev->t.sport = k->port[cli];
	ev->t.dport = k->port[srv];
	ev->t.ip_ver = k->ip_ver;
	ev->t.proto = k->proto;
	ev->t.icmp_type = f->icmp_type;
	ev->t.icmp_code = f->icmp_code;
	ev->t.vlan[0] = k->vlan[0];
	ev->t.vlan[1] = k->vlan[1];
	ev->t.vlan_cnt = (uint8_t)(k->vlan[1] ? 2 : k->vlan[0] ? 1 : 0);
	ev->flow.pkts_toserver = f->pkts[FLOW_DIR_TOSERVER];
	ev->flow.pkts_toclient = f->pkts[FLOW_DIR_TOCLIENT];
	ev->flow.bytes_toserver = f->bytes[FLOW_DIR_TOSERVER];
	ev->flow.bytes_toclient = f->bytes[FLOW_DIR_TOCLIENT];
	ev->flow.start_ns = f->start_ns;
	ev->flow.end_ns = f->last_ns;
	ev->flow.state = flow_state_name(f);
	ev->flow.alerted = f->alerted;
	if (k->proto == 6) {
		ev->flow.tcp_state = flow_tcp_state_name(f);
		ev->flow.tcp_flags_ts = f->tcp_flags[FLOW_DIR_TOSERVER];
		ev->flow.tcp_flags_tc = f->tcp_flags[FLOW_DIR_TOCLIENT];
		ev->flow.tcp_flags = ev->flow.tcp_flags_ts | ev->flow.tcp_flags_tc;
	}
}

/* Flow table callback: a flow ends; detect inspects what is left, then log it. */
static void worker_flow_end(void *arg, struct flow *f, enum flow_end_reason why)
{
	struct pipeline_worker *w = arg;
	struct weir_event ev;

	uint64_t now = w->now_ns > f->last_ns ? w->now_ns : f->last_ns;

	if (w->dw)
		detect_flow_end(w->dw, f);
	if (w->pl->heur) {
		struct heur_rec r;

		heur_rec_from_flow_end(&r, f, why, now);
		heur_submit(w->pl->heur, w->id, &r);
	}
	flow_event_fill(&ev, f, now);
	ev.flow.reason = flow_end_reason_name(why);
	worker_emit(w, &ev);
}

/* --- workers ----------------------------------------------------------- */

/*
 * Live: follow the kernel's whole-flow counter @k (exact even when bulk
 * packets are not recorded) from a base taken when the flow started here;
 * rebase when the kernel's LRU entry was recycled. Never goes backwards.
 */
static uint64_t kflow_count(uint64_t k, uint64_t *base, uint64_t cur, bool fresh)
{
	if (fresh || k < *base)
		*base = k > cur ? k - cur : 0;
	return k - *base > cur ? k - *base : cur;
}

static void worker_kflow(struct flow *f, enum flow_dir d, const struct pipeline_kflow *k)
{
	enum flow_dir r = (enum flow_dir)(d ^ 1);
	bool fresh = f->pkts[0] + f->pkts[1] == 1;

	f->pkts[d] = kflow_count(k->pkts[0], &f->kbase_pkts[d], f->pkts[d], fresh);
	f->pkts[r] = kflow_count(k->pkts[1], &f->kbase_pkts[r], f->pkts[r], fresh);
	f->bytes[d] = kflow_count(k->bytes[0], &f->kbase_bytes[d], f->bytes[d], fresh);
	f->bytes[r] = kflow_count(k->bytes[1], &f->kbase_bytes[r], f->bytes[r], fresh);
	f->tcp_flags[d] |= k->tcp_flags[0];
	f->tcp_flags[r] |= k->tcp_flags[1];
}

static void worker_process(struct pipeline_worker *w, const struct pipeline_frame *fr)
{
	struct weir_pkt p;
	struct flow_pkt_info fi;

	memset(&p, 0, sizeof(p));
	p.data = fr->data;
	p.caplen = fr->caplen;
	p.wirelen = fr->wirelen;
	p.ts_ns = fr->ts_ns;
	p.pcap_cnt = fr->pcap_cnt;
	p.linktype = fr->linktype;
	p.ifindex = fr->ifindex;
	if (fr->ts_ns > w->now_ns)
		w->now_ns = fr->ts_ns;

	memset(&fi, 0, sizeof(fi));
	if (decode_packet(w->dc, &p) < 0) {
		/*
		 * A malformed packet that still has IP addresses (say, a bad TCP
		 * header) gets no flow but is inspected like Suricata does: `ip`
		 * rules may match it. Held fragments have nothing to inspect.
		 */
		if (w->dw && p.ip_ver && !(p.flags & PKT_F_FRAG_HELD))
			detect_packet(w->dw, w->ft, &p, &fi);
		return;
	}
	flow_table__process(w->ft, &p, &fi);
	if (fi.flow) {
		if (fi.flow->pkts[0] + fi.flow->pkts[1] == 1) {
			fi.flow->icmp_type = p.icmp_type;
			fi.flow->icmp_code = p.icmp_code;
		}
		if (fr->kflow && !(p.flags & PKT_F_REASSEMBLED))
			worker_kflow(fi.flow, fi.dir, fr->kflow);
	}
	if (w->pl->heur && fi.flow) {
		struct heur_rec r;

		if (heur_rec_from_pkt(&r, &p, &fi))
			heur_submit(w->pl->heur, w->id, &r);
	}
	if (w->dw)
		detect_packet(w->dw, w->ft, &p, &fi);
	else if (fi.flow && fi.stream_new)
		/* Nobody inspects stream data: let the flow stage trim it at once. */
		flow_stream_inspected(w->ft, fi.flow, fi.dir);
}

static void worker_frame(struct pipeline_worker *w, const struct frame_rec *h, const uint8_t *data)
{
	struct pipeline_frame fr = {
		.data = data,
		.caplen = h->caplen,
		.wirelen = h->wirelen,
		.ts_ns = h->ts_ns,
		.pcap_cnt = h->pcap_cnt,
		.linktype = h->linktype,
		.ifindex = h->ifindex,
	};

	worker_process(w, &fr);
}

struct pipeline_worker *pipeline_worker(struct pipeline *pl, uint32_t i)
{
	return i < pl->o.workers ? &pl->w[i] : NULL;
}

void pipeline_worker_frame(struct pipeline_worker *w, const struct pipeline_frame *fr)
{
	worker_process(w, fr);
}

void pipeline_stop(struct pipeline *pl)
{
	atomic_store(&pl->stop, true);
}

/*
 * Packet time reached @now_ns: expire fragments and flows, then promise the
 * heuristics thread nothing older than @mark_ns will follow from this worker.
 */
static void worker_tick(struct pipeline_worker *w, uint64_t now_ns, uint64_t mark_ns)
{
	if (now_ns > w->now_ns)
		w->now_ns = now_ns;
	decode_expire(w->dc, w->now_ns);
	flow_table__tick(w->ft, w->now_ns);
	if (w->pl->heur)
		heur_watermark(w->pl->heur, w->id, mark_ns);
}

/* Live: drain this worker's ring shard; packet time follows the wall clock. */
static void worker_live(struct pipeline_worker *w)
{
	struct pipeline *pl = w->pl;
	uint64_t last_tick = 0, now;

	while (!atomic_load(&pl->stop)) {
		pl->o.poll(pl->o.poll_arg, w->id, (int)pl->o.poll_ms);
		now = wall_ns();
		if (now - last_tick >= 1000000000ull) {
			/* Records reach a worker up to a poll period late, and a ring
			 * may hold older ones: the watermark trails the clock. */
			worker_tick(w, now, now - LIVE_WATERMARK_LAG_NS);
			last_tick = now;
		}
	}
	now = wall_ns();
	worker_tick(w, now, now - LIVE_WATERMARK_LAG_NS);
}

static void *worker_main(void *arg)
{
	struct pipeline_worker *w = arg;

	if (w->pl->o.poll) {
		worker_live(w);
		goto out;
	}
	for (;;) {
		const struct frame_rec *h;
		uint32_t len, snap;

		snap = qwait_snapshot(&w->inq.not_empty);
		h = spsc_bytes_peek(&w->inq, &len);
		if (!h) {
			/* Short: commits wake us only once a batch is queued. */
			qwait_sleep(&w->inq.not_empty, snap, 2);
			continue;
		}
		if (h->kind == FRAME_PKT) {
			worker_frame(w, h, (const uint8_t *)(h + 1));
		} else if (h->kind == FRAME_TICK) {
			worker_tick(w, h->ts_ns, h->ts_ns);
		} else {
			worker_tick(w, h->ts_ns, h->ts_ns);
			spsc_bytes_release(&w->inq);
			break;
		}
		spsc_bytes_release(&w->inq);
	}
out:
	flow_table__flush(w->ft, FLOW_END_SHUTDOWN);
	atomic_store(&w->done, true);
	qwait_wake(&w->pl->out_wake);
	return NULL;
}

/* --- output thread ----------------------------------------------------- */

static unsigned lat_bucket(uint64_t us)
{
	unsigned hi, sub;

	if (us < LAT_SUB)
		return (unsigned)us;
	hi = 63u - (unsigned)__builtin_clzll(us);
	sub = (unsigned)(us >> (hi - 2)) & (LAT_SUB - 1);
	return hi * LAT_SUB + sub;
}

/* Upper bound (us) of bucket @b: a percentile is reported conservatively. */
static uint64_t lat_bucket_top(unsigned b)
{
	unsigned hi = b / LAT_SUB, sub = b % LAT_SUB;

	if (b < LAT_SUB)
		return b;
	return ((uint64_t)(LAT_SUB + sub + 1) << hi) / LAT_SUB;
}

static void lat_record(struct pipeline *pl, const struct weir_event *ev)
{
	uint64_t now = wall_ns(), us;

	if (ev->type != EVENT_ALERT || !pl->o.poll || ev->ts_ns > now)
		return;
	us = (now - ev->ts_ns) / 1000;
	pl->lat_hist[lat_bucket(us)]++;
	if (us > pl->lat_max_us)
		pl->lat_max_us = us;
}

static uint64_t lat_percentile(const struct pipeline *pl, unsigned pct)
{
	uint64_t total = 0, seen = 0;

	for (unsigned b = 0; b < LAT_BUCKETS; b++)
		total += pl->lat_hist[b];
	if (!total)
		return 0;
	for (unsigned b = 0; b < LAT_BUCKETS; b++) {
		seen += pl->lat_hist[b];
		if (seen * 100 >= total * pct)
			return lat_bucket_top(b);
	}
	return pl->lat_max_us;
}

/*
 * A stats event with every counter. While workers run, their counters are
 * read without synchronisation: each is a naturally aligned 64-bit word that
 * only its worker writes, so a reader sees an old or a new value, never a torn
 * one, and a periodic snapshot needs nothing stronger.
 */
static void write_stats(struct pipeline *pl, uint64_t ts_ns)
{
	struct weir_stats sum;
	struct weir_event ev;

	pipeline_stats_sum(pl, &sum);
	STAT_ADD(&sum, PIPELINE_ALERT_LATENCY_P50, lat_percentile(pl, 50));
	STAT_ADD(&sum, PIPELINE_ALERT_LATENCY_P99, lat_percentile(pl, 99));
	STAT_ADD(&sum, PIPELINE_ALERT_LATENCY_MAX, pl->lat_max_us);
	if (pl->o.extra_stats)
		pl->o.extra_stats(pl->o.extra_stats_arg, &sum);
	memset(&ev, 0, sizeof(ev));
	ev.type = EVENT_STATS;
	ev.ts_ns = ts_ns;
	ev.stats.stats = &sum;
	ev.stats.uptime_s = (wall_ns() - pl->start_wall_ns) / 1000000000ull;
	output__write(pl->o.out, &ev);
}

static void *output_main(void *arg)
{
	struct pipeline *pl = arg;
	uint64_t interval = (uint64_t)pl->o.stats_interval_s * 1000000000ull;
	uint64_t next_stats = interval ? wall_ns() + interval : UINT64_MAX;

	for (;;) {
		uint32_t snap = qwait_snapshot(&pl->out_wake);
		bool all_done = true;
		uint64_t n = 0;

		for (uint32_t i = 0; i < pl->o.workers; i++) {
			struct pipeline_worker *w = &pl->w[i];
			bool done = atomic_load(&w->done);
			struct weir_event *ev;

			/* Bounded batch per queue keeps the workers served fairly. */
			for (int b = 0; b < 256 && (ev = spsc_slots_front(&w->evq)); b++) {
				/* The writer counts its own failures (output.write_errors). */
				if (pl->o.out)
					output__write(pl->o.out, ev);
				lat_record(pl, ev);
				spsc_slots_pop(&w->evq);
				n++;
			}
			if (!done || spsc_slots_count(&w->evq))
				all_done = false;
		}
		if (pl->heur) {
			struct weir_event *ev;
			bool hdone = atomic_load(&pl->heur_done);

			for (int b = 0; b < 256 && (ev = spsc_slots_front(&pl->heur_evq)); b++) {
				if (pl->o.out)
					output__write(pl->o.out, ev);
				spsc_slots_pop(&pl->heur_evq);
				n++;
			}
			if (!hdone || spsc_slots_count(&pl->heur_evq))
				all_done = false;
		}
		if (all_done)
			break;
		if (pl->o.out && wall_ns() >= next_stats) {
			write_stats(pl, wall_ns());
			next_stats += interval;
		}
		if (!n) {
			if (pl->o.out)
				output__flush(pl->o.out);
			qwait_sleep(&pl->out_wake, snap, OUTPUT_POLL_MS);
		}
	}
	if (pl->o.out)
		output__flush(pl->o.out);
	return NULL;
}

/* --- lifecycle --------------------------------------------------------- */

struct pipeline *pipeline__new(const struct pipeline_opts *opts)
{
	struct pipeline *pl;

	if (!opts->workers || opts->workers > WEIR_WORKERS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return NULL;
	pl->o = *opts;
	if (!pl->o.worker_queue_bytes)
		pl->o.worker_queue_bytes = 8ull << 20;
	if (!pl->o.event_queue_slots)
		pl->o.event_queue_slots = 8192;
	if (!pl->o.poll_ms)
		pl->o.poll_ms = 20;
	pl->w = calloc(pl->o.workers, sizeof(*pl->w));
	if (!pl->w)
		goto err;
	for (uint32_t i = 0; i < pl->o.workers; i++) {
		struct pipeline_worker *w = &pl->w[i];

		w->pl = pl;
		w->id = i;
		if (spsc_bytes__init(&w->inq, pl->o.worker_queue_bytes) ||
		    spsc_slots__init(&w->evq, pl->o.event_queue_slots, sizeof(struct weir_event)))
			goto err;
		w->dc = decode_ctx__new(&pl->o.decode, &w->stats);
		if (!w->dc)
			goto err;
		w->ft = flow_table__new(&pl->o.flow, worker_flow_end, w, &w->stats);
		if (!w->ft)
			goto err;
		if (pl->o.detect) {
			w->dw = detect_worker__new(pl->o.detect, &w->stats, worker_emit, w);
			if (!w->dw)
				goto err;
		}
	}
	if (pl->o.heur) {
		if (spsc_slots__init(&pl->heur_evq, pl->o.event_queue_slots, sizeof(struct weir_event)))
			goto err;
		pl->heur = heur_engine__new(pl->o.heur, pl->o.workers, heur_emit, pl, &pl->heur_stats);
		if (!pl->heur)
			goto err;
	}
	pl->start_wall_ns = wall_ns();
	return pl;
err:
	pipeline__free(pl);
	if (!errno)
		errno = ENOMEM;
	return NULL;
}

int pipeline__start(struct pipeline *pl)
{
	int err;

	for (uint32_t i = 0; i < pl->o.workers; i++) {
		err = pthread_create(&pl->w[i].thread, NULL, worker_main, &pl->w[i]);
		if (err)
			return -err;
		pl->w[i].started = true;
	}
	if (pl->heur) {
		err = heur_engine__start(pl->heur);
		if (err)
			return err;
	}
	err = pthread_create(&pl->out_thread, NULL, output_main, pl);
	if (err)
		return -err;
	pl->out_started = true;
	return 0;
}

/* Reserve room in @w's frame queue, waiting in lossless mode. */
static struct frame_rec *reserve_frame(struct pipeline *pl, struct pipeline_worker *w, uint32_t len)
{
	for (;;) {
		uint32_t snap = qwait_snapshot(&w->inq.not_full);
		struct frame_rec *h = spsc_bytes_reserve(&w->inq, len);

		if (h)
			return h;
		if (!pl->o.lossless)
			return NULL;
		STAT_INC(&pl->reader_stats, PIPELINE_QUEUE_WAITS);
		qwait_sleep(&w->inq.not_full, snap, 100);
	}
}

int pipeline_submit(struct pipeline *pl, const struct pipeline_frame *fr)
{
	uint32_t shard = 0;
	struct frame_rec *h;
	struct pipeline_worker *w;

	if (pl->o.workers > 1)
		shard = decode_shard_hash(fr->data, fr->caplen, fr->linktype) % pl->o.workers;
	w = &pl->w[shard];
	h = reserve_frame(pl, w, (uint32_t)sizeof(*h) + fr->caplen);
	if (!h) {
		STAT_INC(&pl->reader_stats, PIPELINE_QUEUE_FULL);
		return -ENOBUFS;
	}
	h->kind = FRAME_PKT;
	h->linktype = fr->linktype;
	h->caplen = fr->caplen;
	h->wirelen = fr->wirelen;
	h->ifindex = fr->ifindex;
	h->ts_ns = fr->ts_ns;
	h->pcap_cnt = fr->pcap_cnt;
	memcpy(h + 1, fr->data, fr->caplen);
	spsc_bytes_commit(&w->inq);
	if (fr->ts_ns > pl->last_ts_ns)
		pl->last_ts_ns = fr->ts_ns;
	return 0;
}

static void broadcast(struct pipeline *pl, enum frame_kind kind, uint64_t now_ns)
{
	for (uint32_t i = 0; i < pl->o.workers; i++) {
		struct pipeline_worker *w = &pl->w[i];
		struct frame_rec *h;

		/* Control records are never dropped: wait for room even when lossy. */
		for (;;) {
			uint32_t snap = qwait_snapshot(&w->inq.not_full);

			h = spsc_bytes_reserve(&w->inq, sizeof(*h));
			if (h)
				break;
			qwait_sleep(&w->inq.not_full, snap, 100);
		}
		memset(h, 0, sizeof(*h));
		h->kind = (uint16_t)kind;
		h->ts_ns = now_ns;
		spsc_bytes_commit(&w->inq);
		spsc_bytes_kick(&w->inq);
	}
}

void pipeline_tick(struct pipeline *pl, uint64_t now_ns)
{
	broadcast(pl, FRAME_TICK, now_ns);
}

struct weir_stats *pipeline_reader_stats(struct pipeline *pl)
{
	return &pl->reader_stats;
}

void pipeline_stats_sum(struct pipeline *pl, struct weir_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	stats_add(sum, &pl->reader_stats);
	stats_add(sum, &pl->output_stats);
	stats_add(sum, &pl->heur_stats);
	if (pl->o.out)
		stats_add(sum, output_stats(pl->o.out));
	for (uint32_t i = 0; i < pl->o.workers; i++)
		stats_add(sum, &pl->w[i].stats);
}

int pipeline__finish(struct pipeline *pl)
{
	int err = 0;

	if (pl->o.poll)
		pipeline_stop(pl);
	else
		broadcast(pl, FRAME_EOF, pl->last_ts_ns);
	for (uint32_t i = 0; i < pl->o.workers; i++) {
		if (pl->w[i].started)
			pthread_join(pl->w[i].thread, NULL);
		pl->w[i].started = false;
	}
	/* Workers are gone: the heuristics thread processes what is left. */
	if (pl->heur)
		heur_engine__finish(pl->heur);
	atomic_store(&pl->heur_done, true);
	qwait_wake(&pl->out_wake);
	if (pl->out_started)
		pthread_join(pl->out_thread, NULL);
	pl->out_started = false;

	/* All threads are gone: the counters are final. */
	if (pl->o.out) {
		write_stats(pl, pl->o.poll || !pl->last_ts_ns ? wall_ns() : pl->last_ts_ns);
		if (output__flush(pl->o.out) < 0)
			err = -EIO;
	}
	return err;
}

void pipeline__free(struct pipeline *pl)
{
	bool running = false;

	if (!pl)
		return;
	for (uint32_t i = 0; pl->w && i < pl->o.workers; i++)
		running |= pl->w[i].started;
	/* Still running (an error path): stop cleanly so every flow ends once. */
	if (running || pl->out_started)
		pipeline__finish(pl);
	for (uint32_t i = 0; pl->w && i < pl->o.workers; i++) {
		struct pipeline_worker *w = &pl->w[i];

		flow_table__free(w->ft);
		detect_worker__free(w->dw);
		decode_ctx__free(w->dc);
		spsc_bytes__destroy(&w->inq);
		spsc_slots__destroy(&w->evq);
	}
	heur_engine__free(pl->heur);
	spsc_slots__destroy(&pl->heur_evq);
	free(pl->w);
	free(pl);
}
