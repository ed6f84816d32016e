/* SPDX-License-Identifier: GPL-2.0-only */
/* output_stats.h - counters of the output stage (see core/stats.h). */
#ifndef WEIR_OUTPUT_STATS_H
#define WEIR_OUTPUT_STATS_H

#define OUTPUT_STATS(X)                              \
	X(OUTPUT_EVENTS_ALERT, "output.events.alert") \
	X(OUTPUT_EVENTS_FLOW, "output.events.flow")   \
	X(OUTPUT_EVENTS_STATS, "output.events.stats") \
	X(OUTPUT_QUEUE_FULL, "output.queue_full")      \
	X(OUTPUT_WRITE_ERRORS, "output.write_errors")

#endif
