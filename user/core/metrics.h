/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * metrics.h - Prometheus text exposition of the sensor's counters, served
 * over HTTP (libmicrohttpd) on /metrics, with /healthz for probes.
 *
 * Every counter of struct weir_stats (userspace and kernel) becomes a metric
 * generically from its dotted name: "kernel.lost.ring_full" ->
 * weir_kernel_lost_ring_full_total (counter); the few gauges among them
 * (flow.active, *.memuse, governor.level, ...) drop the _total. A new counter
 * added to a <stage>_stats.h appears without touching this file. A handful of
 * explicit metrics with labels or float values follow (alerts by gid, CPU
 * used vs budget, ring fill per shard, memory by pool, rules).
 *
 * What to collect is the caller's business (user/core/run.c): the server
 * calls metrics_opts.collect on its own thread for every scrape.
 */
#ifndef WEIR_METRICS_H
#define WEIR_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stats.h"
#include "weir/limits.h"

/* Values that are not in struct weir_stats, filled by the collector. */
struct metrics_extra {
	double cpu_used_cores;   /* last governor tick (measured even without a budget) */
	double cpu_budget_cores; /* 0 = no budget */
	double loss_ratio;       /* capture.lost / records offered, 0..1 */
	double uptime_s;
	uint32_t workers;
	uint32_t n_shards;       /* ring shards with a fill figure below */
	uint64_t ring_size;      /* bytes per shard */
	uint64_t ring_avail[WEIR_WORKERS_MAX]; /* bytes written and not yet consumed */
	bool ring_known;         /* false: ring fill could not be read */
	uint32_t rules_loaded;
	double rules_load_s;     /* compile time of the ruleset in force */
	uint64_t reloads, reload_failures;
};

struct metrics_opts {
	const char *listen;      /* "ADDR:PORT", "[V6ADDR]:PORT" */
	/* Scrape: fill @sum (all counters) and @x. Called on the HTTP thread. */
	void (*collect)(void *arg, struct weir_stats *sum, struct metrics_extra *x);
	/* /healthz: true while the workers run. Called on the HTTP thread. */
	bool (*healthy)(void *arg);
	void *arg;
};

struct metrics;

/*
 * metrics__new() - bind @opts->listen and start serving (one internal
 * polling thread). Return: the server, or NULL with errno (EINVAL: bad
 * address, EADDRINUSE, ...).
 */
struct metrics *metrics__new(const struct metrics_opts *opts);

/* metrics__free() - stop serving and free. NULL-safe. */
void metrics__free(struct metrics *m);

/*
 * metrics_render() - the exposition text of @s and @x into a malloc'd,
 * NUL-terminated buffer (*@out, caller frees). Pure; thread-safe.
 * Return: length, or -ENOMEM.
 */
long metrics_render(const struct weir_stats *s, const struct metrics_extra *x, char **out);

/*
 * metrics_name() - Prometheus name of counter @id into @buf (@len bytes):
 * "weir_" + dotted name with every other character than [a-zA-Z0-9_] as
 * '_', plus "_total" for counters. Return: true if @id is a gauge.
 */
bool metrics_name(enum weir_stat_id id, char *buf, size_t len);

/* metrics_parse_listen() - check "ADDR:PORT". Return: 0 or -EINVAL. */
int metrics_parse_listen(const char *s);

#endif /* WEIR_METRICS_H */
