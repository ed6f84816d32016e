/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * flow_stats.h - counters of the flow stage (see core/stats.h).
 *
 * "flow.*" counts the flow table (creation, ends by reason, memcap), "tcp.*"
 * the TCP tracker and "stream.*" the reassembler; every loss (memcap, gap,
 * window overflow) has its own counter. "flow.active" and "flow.memuse" are
 * gauges (last value), the others only grow. Names follow Suricata's stats
 * where one exists (flow.tcp, flow.emerg_mode..., tcp.sessions, tcp.midstream).
 */
#ifndef WEIR_FLOW_STATS_H
#define WEIR_FLOW_STATS_H

#define FLOW_STATS(X)                                                   \
	X(FLOW_CREATED, "flow.created")                                 \
	X(FLOW_TCP, "flow.tcp")                                         \
	X(FLOW_UDP, "flow.udp")                                         \
	X(FLOW_ICMP, "flow.icmp")                                       \
	X(FLOW_OTHER, "flow.other")                                     \
	X(FLOW_ENDED_TIMEOUT, "flow.ended.timeout")                     \
	X(FLOW_ENDED_FORCED, "flow.ended.forced")                       \
	X(FLOW_ENDED_SHUTDOWN, "flow.ended.shutdown")                   \
	X(FLOW_ACTIVE, "flow.active")                                   \
	X(FLOW_MEMUSE, "flow.memuse")                                   \
	X(FLOW_MEMCAP_DROP, "flow.memcap_drop")                         \
	X(FLOW_EMERG_EVICTED, "flow.emerg_evicted")                     \
	X(FLOW_NO_IP, "flow.no_ip")                                     \
	X(FLOW_TCP_REUSE, "flow.tcp_reuse")                             \
	X(TCP_SYN, "tcp.syn")                                           \
	X(TCP_SYNACK, "tcp.synack")                                     \
	X(TCP_RST, "tcp.rst")                                           \
	X(TCP_SESSIONS, "tcp.sessions")                                 \
	X(TCP_MIDSTREAM, "tcp.midstream")                               \
	X(STREAM_OOO_SEGMENTS, "stream.ooo_segments")                   \
	X(STREAM_RETRANSMITS, "stream.retransmits")                     \
	X(STREAM_OVERLAPS, "stream.overlaps")                           \
	X(STREAM_OVERLAP_DIFF, "stream.overlap_diff")                   \
	X(STREAM_GAPS, "stream.gaps")                                   \
	X(STREAM_DEPTH_REACHED, "stream.depth_reached")                 \
	X(STREAM_WINDOW_OVERFLOW, "stream.window_overflow")             \
	X(STREAM_MEMCAP_DROP, "stream.memcap_drop")

#endif
