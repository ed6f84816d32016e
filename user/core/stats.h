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

#include "core/core_stats.h"
#include "decode/decode_stats.h"
#include "flow/flow_stats.h"
#include "detect/detect_stats.h"
#include "output/output_stats.h"

#define WEIR_ALL_STATS(X) \
	CORE_STATS(X)     \
	DECODE_STATS(X)   \
	FLOW_STATS(X)     \
	DETECT_STATS(X)   \
	OUTPUT_STATS(X)

enum weir_stat_id {
#define WEIR_STAT_ENUM(id, name) WS_##id,
	WEIR_ALL_STATS(WEIR_STAT_ENUM)
#undef WEIR_STAT_ENUM
	WS__MAX,
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
