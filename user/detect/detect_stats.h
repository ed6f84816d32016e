/* SPDX-License-Identifier: GPL-2.0-only */
/* detect_stats.h - counters of the detect stage (see core/stats.h). */
#ifndef WEIR_DETECT_STATS_H
#define WEIR_DETECT_STATS_H

#define DETECT_STATS(X)                          \
	X(DETECT_ALERTS, "detect.alerts")

#endif
