/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * flow_priv.h - internals shared by the flow stage's files (flow_table.c,
 * flow_tcp.c, flow_stream.c). Nothing here is for other stages: they use flow.h.
 */
#ifndef WEIR_FLOW_PRIV_H
#define WEIR_FLOW_PRIV_H

#include <stdint.h>

#include "flow/flow.h"

#define NSEC_PER_SEC 1000000000ULL

/* TCP flags as in the header (decode.h gives the same bit values). */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* Sequence-space comparisons, correct across the 2^32 wrap. */
#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

/* One queued out-of-order piece of a stream; pieces never overlap each other. */
struct flow_seg {
	struct flow_seg *next;
	uint32_t seq;
	uint32_t len;
	uint8_t data[];
};

/*
 * Timeout classes. Each has its own list ordered by f->lru_ns (oldest first),
 * so flow_table__tick() stops at the first unexpired flow of every list and
 * still ends every expired flow, although timeouts differ by state.
 */
enum flow_tmo_class {
	FLOW_TMO_TCP_NEW,
	FLOW_TMO_TCP_EST,
	FLOW_TMO_TCP_CLOSED,
	FLOW_TMO_UDP_NEW,   /* also other non-TCP, non-ICMP protocols */
	FLOW_TMO_UDP_EST,
	FLOW_TMO_ICMP,
	FLOW_TMO__MAX,
};

struct flow_lru {
	struct flow *head, *tail; /* head = least recently seen */
};

struct flow_table {
	struct flow_table_opts o;     /* resolved: no zero left */
	uint64_t tmo_ns[FLOW_TMO__MAX];
	uint32_t window_max;          /* inspected bytes dropped on append past this */
	uint64_t window_hard;         /* uninspected bytes dropped (counted) past this */
	uint32_t ending;              /* > 0 while a flow ends: no eviction then */
	flow_end_fn on_end;
	void *arg;
	struct weir_stats *st;
	struct flow **buckets;
	uint32_t mask;
	uint32_t count;
	uint64_t hash_seed;
	uint64_t now_ns;              /* highest packet time seen (expiry clock) */
	uint64_t memuse;
	struct flow_lru lru[FLOW_TMO__MAX];
	struct weir_stats own_stats;  /* used when the caller passed no stats */
};

/*
 * flow_mem_reserve() - charge @bytes to the memcap, evicting least recently
 * seen flows (never @keep) when it would pass. Return: 0, or -ENOMEM.
 */
int flow_mem_reserve(struct flow_table *ft, const struct flow *keep, uint64_t bytes);
void flow_mem_release(struct flow_table *ft, uint64_t bytes);

/*
 * flow_tcp_packet() - TCP tracking of @p (direction @dir) in @f: handshake,
 * FIN/RST, and the payload handed to the reassembler. @created: @p made @f.
 */
void flow_tcp_packet(struct flow_table *ft, struct flow *f, const struct weir_pkt *p,
		     enum flow_dir dir, bool created, struct flow_pkt_info *fi);

/* flow_stream_start() - anchor direction @dir at @isn (SYN seq): offset 0 is isn + 1. */
void flow_stream_start(struct flow *f, enum flow_dir dir, uint32_t isn);

/*
 * flow_stream_segment() - reassemble @len payload bytes at @seq sent in @dir.
 * Sets fi->stream_new / fi->retransmit.
 */
void flow_stream_segment(struct flow_table *ft, struct flow *f, enum flow_dir dir, uint32_t seq,
			 const uint8_t *data, uint32_t len, struct flow_pkt_info *fi);

/* flow_stream_acked() - the receiver of @dir's data acknowledged up to @ack. */
void flow_stream_acked(struct flow *f, enum flow_dir dir, uint32_t ack);

/*
 * flow_stream_close() - the sender of @dir is done (FIN, RST, flow end): skip
 * every hole and deliver what the out-of-order queue holds.
 * Return: true when in-order bytes were added to the window.
 */
bool flow_stream_close(struct flow_table *ft, struct flow *f, enum flow_dir dir);

/* flow_stream_free() - release @dir's buffer and queue (flow end). */
void flow_stream_free(struct flow_table *ft, struct flow *f, enum flow_dir dir);

#endif /* WEIR_FLOW_PRIV_H */
