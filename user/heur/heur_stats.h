/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * heur_stats.h - counters of the heuristics stage (see core/stats.h).
 *
 * "heur.records" counts what the heuristics thread processed, "heur.queue_full"
 * what workers dropped because their heuristics queue was full (live mode),
 * "heur.queue_waits" how often they waited for room instead (replay),
 * "heur.late" records that arrived after their time was already processed
 * (capture time stepping back), "heur.evicted" tracked sources/destinations
 * dropped by the memcap or the key limit (LRU), "heur.set_full" distinct
 * values not counted because the memcap refused to grow a set, and
 * "heur.forced_order" records processed before the slowest worker's watermark
 * because too many were pending. "heur.alerts.*" counts alerts by
 * heuristic and "heur.suppressed" alerts not raised because the same incident
 * already alerted. "heur.keys" and "heur.memuse" are gauges.
 */
#ifndef WEIR_HEUR_STATS_H
#define WEIR_HEUR_STATS_H

#define HEUR_STATS(X)                                                   \
	X(HEUR_RECORDS, "heur.records")                                 \
	X(HEUR_QUEUE_FULL, "heur.queue_full")                           \
	X(HEUR_QUEUE_WAITS, "heur.queue_waits")                         \
	X(HEUR_LATE, "heur.late")                                       \
	X(HEUR_FORCED, "heur.forced_order")                             \
	X(HEUR_KEYS, "heur.keys")                                       \
	X(HEUR_MEMUSE, "heur.memuse")                                   \
	X(HEUR_EVICTED, "heur.evicted")                                 \
	X(HEUR_SET_FULL, "heur.set_full")                               \
	X(HEUR_SUPPRESSED, "heur.suppressed")                           \
	X(HEUR_ALERTS_PORT_SCAN, "heur.alerts.port_scan")               \
	X(HEUR_ALERTS_ADDR_SWEEP, "heur.alerts.address_sweep")          \
	X(HEUR_ALERTS_SYN_FLOOD, "heur.alerts.syn_flood")               \
	X(HEUR_ALERTS_ICMP_SWEEP, "heur.alerts.icmp_sweep")             \
	X(HEUR_ALERTS_FANOUT, "heur.alerts.fanout")                     \
	X(HEUR_ALERTS_SERVICE, "heur.alerts.service_access")            \
	X(HEUR_ALERTS_BRUTE_FORCE, "heur.alerts.brute_force")

#endif
