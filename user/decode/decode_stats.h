/* SPDX-License-Identifier: GPL-2.0-only */
/* decode_stats.h - counters of the decode stage (see core/stats.h). */
#ifndef WEIR_DECODE_STATS_H
#define WEIR_DECODE_STATS_H

#define DECODE_STATS(X)                     \
	X(DECODE_PKTS, "decoder.pkts")      \
	X(DECODE_BYTES, "decoder.bytes")

#endif
