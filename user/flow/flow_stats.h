/* SPDX-License-Identifier: GPL-2.0-only */
/* flow_stats.h - counters of the flow stage (see core/stats.h). */
#ifndef WEIR_FLOW_STATS_H
#define WEIR_FLOW_STATS_H

#define FLOW_STATS(X)                      \
	X(FLOW_CREATED, "flow.created")

#endif
