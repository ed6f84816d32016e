/* SPDX-License-Identifier: GPL-2.0-only */
/* core_stats.h - counters of the capture source and the pipeline (see core/stats.h). */
#ifndef WEIR_CORE_STATS_H
#define WEIR_CORE_STATS_H

#define CORE_STATS(X)                                              \
	X(CAPTURE_PKTS, "capture.packets")                         \
	X(CAPTURE_BYTES, "capture.bytes")                          \
	X(CAPTURE_TRUNCATED_FILES, "capture.truncated_files")      \
	X(CAPTURE_CORRUPT_FILES, "capture.corrupt_files")          \
	X(CAPTURE_UNSUPPORTED_LINKTYPE, "capture.unsupported_linktype") \
	X(PIPELINE_QUEUE_WAITS, "pipeline.queue_waits")           \
	X(PIPELINE_QUEUE_FULL, "pipeline.queue_full")             \
	X(PIPELINE_ALERT_LATENCY_P50, "pipeline.alert_latency_us.p50") \
	X(PIPELINE_ALERT_LATENCY_P99, "pipeline.alert_latency_us.p99") \
	X(PIPELINE_ALERT_LATENCY_MAX, "pipeline.alert_latency_us.max")

#endif
