// SPDX-License-Identifier: GPL-2.0-only
/* stats.c - names of the userspace counters and their sums. */
#include "core/stats.h"

static const char *const stat_names[WS__MAX] = {
#define WEIR_STAT_NAME(id, name) [WS_##id] = name,
	WEIR_ALL_STATS(WEIR_STAT_NAME)
#undef WEIR_STAT_NAME
#define WEIR_KSTAT_NAME(id, name) [WS_KERNEL_##id] = name,
	WEIR_KSTATS(WEIR_KSTAT_NAME)
#undef WEIR_KSTAT_NAME
};

const char *stats_name(enum weir_stat_id id)
{
	return (unsigned)id < WS__MAX ? stat_names[id] : "unknown";
}

void stats_add(struct weir_stats *dst, const struct weir_stats *src)
{
	for (int i = 0; i < WS__MAX; i++)
		dst->v[i] += src->v[i];
}
