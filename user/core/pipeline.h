/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pipeline.h - worker threads and the output thread, shared by replay and run.
 *
 * A pipeline owns N workers (decode -> flow -> detect on their own data) and
 * one output thread (EVE writer). Frames enter through pipeline_submit()
 * (replay: one reader thread shards by a symmetric hash of the IP pair) or,
 * in the live sensor, straight from a worker's own ring shard
 * (pipeline_worker_frame()). See pipeline.c for the design notes.
 */
#ifndef WEIR_PIPELINE_H
#define WEIR_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stats.h"
#include "decode/decode.h"
#include "flow/flow.h"

struct detect_engine;
struct heur_opts;
struct output;

struct pipeline_opts {
	uint32_t workers;            /* 1..WEIR_WORKERS_MAX */
	bool lossless;               /* replay: producers wait on full queues (counted)
				      * instead of dropping (counted) */
	struct detect_engine *detect;/* NULL: no signature matching */
	const struct heur_opts *heur;/* NULL: no heuristics; else the pipeline runs an engine */
	struct output *out;          /* event writer, used by the output thread only */
	struct decode_opts decode;
	struct flow_table_opts flow;
	uint64_t worker_queue_bytes; /* per-worker frame queue; 0 = 8 MiB */
	uint32_t event_queue_slots;  /* per-worker event queue; 0 = 8192 */
	/*
	 * Live: instead of reading the frame queue, worker i calls
	 * poll(poll_arg, i, timeout_ms), which hands records to
	 * pipeline_worker_frame() on that thread; time ticks by the wall clock.
	 */
	int (*poll)(void *arg, uint32_t worker, int timeout_ms);
	void *poll_arg;
	uint32_t poll_ms;            /* live: longest wait per poll; 0 = 20 ms. Bounds the
				      * delay of records below the ring's wake-up threshold */
	uint32_t stats_interval_s;   /* output thread writes a stats event this often; 0 = only at the end */
	/* Extra counters summed into stats events (kernel counters, ...): called on the output thread. */
	void (*extra_stats)(void *arg, struct weir_stats *sum);
	void *extra_stats_arg;
};

/* Kernel flow counters a live record carries: [0] the packet's direction, [1] the reverse. */
struct pipeline_kflow {
	uint64_t pkts[2], bytes[2];
	uint8_t tcp_flags[2];
};

/* One frame handed to a worker. */
struct pipeline_frame {
	const uint8_t *data;
	uint32_t caplen, wirelen;
	uint64_t ts_ns;              /* ns since the Unix epoch */
	uint64_t pcap_cnt;           /* 1-based in replay, 0 live */
	uint16_t linktype;
	uint32_t ifindex;
	const struct pipeline_kflow *kflow; /* live: whole-flow counters from the kernel, or NULL */
};

struct pipeline;
struct pipeline_worker;

/* pipeline_worker() - worker @i, to pass as the context of its live source. */
struct pipeline_worker *pipeline_worker(struct pipeline *pl, uint32_t i);

/*
 * pipeline_worker_frame() - live: process one frame on worker @w's own thread
 * (called from inside the poll function). The frame is decoded in place.
 */
void pipeline_worker_frame(struct pipeline_worker *w, const struct pipeline_frame *fr);

/* pipeline_stop() - live: ask the workers to end (pipeline__finish() then joins). Signal-safe. */
void pipeline_stop(struct pipeline *pl);

/* pipeline__new() - allocate workers, queues and per-worker stage contexts. */
struct pipeline *pipeline__new(const struct pipeline_opts *opts);

/* pipeline__start() - start the worker and output threads. Return: 0 or -errno. */
int pipeline__start(struct pipeline *pl);

/*
 * pipeline_submit() - reader thread: copy @fr to the worker its flow hashes to.
 * Waits when that worker's queue is full and the pipeline is lossless; else
 * drops and counts (pipeline.queue_full). Return: 0, or -ENOBUFS when dropped.
 */
int pipeline_submit(struct pipeline *pl, const struct pipeline_frame *fr);

/*
 * pipeline_tick() - reader thread: tell every worker that packet time reached
 * @now_ns, so flows time out at the same packet time whatever the worker count.
 */
void pipeline_tick(struct pipeline *pl, uint64_t now_ns);

/* pipeline_reader_stats() - counters of the thread that submits frames. */
struct weir_stats *pipeline_reader_stats(struct pipeline *pl);

/*
 * pipeline__finish() - no more frames: workers end their flows (reason
 * shutdown) and exit; the output thread drains every queue; then one stats
 * event with the sum of all counters is written. Return: 0 or -errno.
 */
int pipeline__finish(struct pipeline *pl);

/* pipeline_stats_sum() - all counters summed (valid after pipeline__finish()). */
void pipeline_stats_sum(struct pipeline *pl, struct weir_stats *sum);

void pipeline__free(struct pipeline *pl);

#endif /* WEIR_PIPELINE_H */
