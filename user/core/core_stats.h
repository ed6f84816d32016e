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
	X(PIPELINE_ALERT_LATENCY_MAX, "pipeline.alert_latency_us.max") \
	/* live loss summary (gauges, set from the kernel and worker counters) */ \
	X(CAPTURE_RING_MALFORMED, "capture.ring_malformed")       \
	X(CAPTURE_LOST, "capture.lost")                           \
	X(CAPTURE_LOSS_RATIO_PPM, "capture.loss_ratio_ppm")       \
	/* CPU governor (user/core/governor.h): records shed by workers, per level */ \
	X(GOVERNOR_SHED_L1, "governor.shed.level1")               \
	X(GOVERNOR_SHED_L2, "governor.shed.level2")               \
	X(GOVERNOR_SHED_L3, "governor.shed.level3")               \
	X(GOVERNOR_SHED_L4, "governor.shed.level4")               \
	X(GOVERNOR_ADJ_SHED, "governor.adjustments.shed")         \
	X(GOVERNOR_ADJ_RESTORE, "governor.adjustments.restore")   \
	X(GOVERNOR_SET_FAILED, "governor.set_config_failed")      \
	/* governor gauges */                                      \
	X(GOVERNOR_LEVEL, "governor.level")                       \
	X(GOVERNOR_SHED_LEVEL, "governor.shed_level")             \
	X(GOVERNOR_CPU_USED, "governor.cpu_used_millicores")      \
	X(GOVERNOR_CPU_BUDGET, "governor.cpu_budget_millicores")

#endif
