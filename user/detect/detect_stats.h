/* SPDX-License-Identifier: GPL-2.0-only */
/* detect_stats.h - counters of the detect stage (see core/stats.h). */
#ifndef WEIR_DETECT_STATS_H
#define WEIR_DETECT_STATS_H

#define DETECT_STATS(X)                                                  \
	X(DETECT_ALERTS, "detect.alerts")                                \
	X(DETECT_PKTS, "detect.pkts")                                    \
	X(DETECT_STREAM_CHUNKS, "detect.stream_chunks")                  \
	X(DETECT_STREAM_BYTES, "detect.stream_bytes_scanned")            \
	X(DETECT_STREAM_FULL_SCAN, "detect.stream_full_scan")            \
	X(DETECT_FLOW_END_CHUNKS, "detect.flow_end_chunks")              \
	X(DETECT_THRESHOLDED, "detect.thresholded")                      \
	X(DETECT_THRESHOLD_NOMEM, "detect.threshold_nomem")              \
	X(DETECT_THRESHOLD_SWEEPS, "detect.threshold_sweeps")            \
	X(DETECT_HS_ERRORS, "detect.hs_errors")                          \
	X(DETECT_RELOAD_NOMEM, "detect.reload_nomem")

#endif
