/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stats.h - userspace counters of every stage, by one enum.
 *
 * Each stage lists its counters in its own <stage>_stats.h as an X-macro
 * (X(ID, "dotted.name")); this header joins them into enum weir_stat_id so a
 * worker keeps one flat array (struct weir_stats) and the output stage can name
 * every counter in stats events and metrics. Dotted names become nested
 * objects in EVE stats ("decoder.invalid.ipv4_trunc").
 *
 * Threads: a struct weir_stats belongs to one thread; the pipeline sums them.
 */
#ifndef WEIR_STATS_H
#define WEIR_STATS_H

#include <stdint.h>

#include "weir/abi.h"

#include "core/core_stats.h"
#include "decode/decode_stats.h"
#include "flow/flow_stats.h"
#include "detect/detect_stats.h"
#include "output/output_stats.h"
#include "heur/heur_stats.h"

#define WEIR_ALL_STATS(X) \
	CORE_STATS(X)     \
	DECODE_STATS(X)   \
	FLOW_STATS(X)     \
	DETECT_STATS(X)   \
	HEUR_STATS(X)     \
	OUTPUT_STATS(X)

/*
 * Userspace counters first, then the kernel's (include/weir/abi.h, read from
 * the per-CPU map by the live sensor) so one array carries both into stats
 * events: WS_KERNEL_<ID> == WS__USER_MAX + WEIR_KSTAT_<ID>.
 */
enum weir_stat_id {
#define WEIR_STAT_ENUM(id, name) WS_##id,
	WEIR_ALL_STATS(WEIR_STAT_ENUM)
#undef WEIR_STAT_ENUM
	WS__USER_MAX,
#define WEIR_KSTAT_WS_ENUM(id, name) WS_KERNEL_##id = WS__USER_MAX + WEIR_KSTAT_##id,
	WEIR_KSTATS(WEIR_KSTAT_WS_ENUM)
#undef WEIR_KSTAT_WS_ENUM
	WS__MAX = WS__USER_MAX + WEIR_KSTAT__MAX,
};

struct weir_stats {
	uint64_t v[WS__MAX];
};

#define STAT_INC(st, id)    ((st)->v[WS_##id]++)
#define STAT_ADD(st, id, n) ((st)->v[WS_##id] += (n))
#define STAT_GET(st, id)    ((st)->v[WS_##id])

/* stats_name() - dotted name of counter @id ("decoder.pkts"). */
const char *stats_name(enum weir_stat_id id);

/* stats_add() - @dst += @src, counter by counter. */
void stats_add(struct weir_stats *dst, const struct weir_stats *src);

#endif /* WEIR_STATS_H */
