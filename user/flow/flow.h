/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * flow.h - the flow stage: per-worker flow table and TCP stream tracking.
 *
 * A flow is keyed by the direction-normalised 5-tuple plus VLAN ids and tunnel
 * id (ICMP echo flows use the echo identifier in place of ports). The table is
 * per worker (no locks), bounded by a memcap with emergency eviction of the
 * least recently used flows (counted), and expires flows by protocol/state
 * timeouts driven by packet time (flow_table__tick()), so replay results do not
 * depend on wall-clock time or on how packets are spread over workers.
 *
 * TCP: client and server come from the handshake (the SYN sender is the
 * client); a flow is established only after SYN, SYN/ACK, ACK (Suricata: a
 * flow picked up mid-stream is never established). Each direction is
 * reassembled in sequence order up to the stream depth; retransmitted and
 * overlapping bytes keep the first data seen (counted); a gap is counted and
 * skipped once the out-of-order queue is full or the flow ends.
 *
 * What the next stage sees (flow_stream.c): after flow_table__process() a
 * packet has its flow, its direction, and for TCP the in-order data that this
 * packet made available, as a window of reassembled bytes (struct
 * flow_stream_view) that also holds up to `stream_window` bytes already
 * inspected before it, so a pattern split across segments is found once.
 *
 * Threads: a struct flow_table belongs to one worker.
 */
#ifndef WEIR_FLOW_H
#define WEIR_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stats.h"
#include "decode/decode.h"

enum flow_dir {
	FLOW_DIR_TOSERVER = 0,
	FLOW_DIR_TOCLIENT = 1,
};

/* Direction-normalised key: side 0 is the lower (address, port). */
struct flow_key {
	struct weir_addr addr[2];
	uint16_t port[2];     /* host order; ICMP: echo id in both, or 0 */
	uint16_t vlan[2];
	uint32_t tunnel_id;
	uint8_t ip_ver;
	uint8_t proto;
	uint8_t pad[2];
};

enum flow_state {
	FLOW_STATE_NEW,
	FLOW_STATE_ESTABLISHED,
	FLOW_STATE_CLOSED,
};

enum flow_end_reason {
	FLOW_END_TIMEOUT,
	FLOW_END_FORCED,    /* evicted by the memcap (emergency) */
	FLOW_END_SHUTDOWN,  /* still open at end of replay or at exit */
};

enum tcp_state {
	TCP_NONE,
	TCP_SYN_SENT,
	TCP_SYN_RECV,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT,     /* one side sent FIN */
	TCP_CLOSING,      /* both sides sent FIN */
	TCP_CLOSED,       /* RST, or FINs acknowledged */
};

struct flow_seg;

/* One direction of a TCP stream (data sent by that side). */
struct flow_stream {
	uint32_t isn;          /* initial sequence number (SYN seq, or first seen - 1) */
	uint32_t next_seq;     /* next in-order sequence number expected */
	bool isn_set;
	bool depth_reached;    /* stream depth reached: no more reassembly */
	uint64_t reassembled;  /* in-order bytes delivered so far (stream offset of next_seq) */
	uint8_t *buf;          /* inspection window: bytes [buf_off, buf_off + buf_len) */
	uint32_t buf_len, buf_cap;
	uint32_t view_keep;    /* look-behind shown by flow_stream_view() (stream_window) */
	uint64_t buf_off;      /* stream offset of buf[0] */
	struct flow_seg *ooo;  /* out-of-order segments, sorted by seq */
	uint32_t ooo_bytes, ooo_cnt;
	/* additions (flow_stream.c) */
	uint64_t insp_off;     /* stream offset of the first byte not yet inspected */
	struct flow_seg *ooo_tail; /* last queued segment: in-order arrival is O(1) */
	uint32_t peer_ack;     /* highest ACK the receiver sent for this data */
	bool peer_ack_set;
};

/* Per-flow storage owned by later stages; the flow table calls their free hook. */
struct flow_ext {
	void *detect;          /* detect stage (flowbits, per-flow thresholds) */
	void *heur;            /* heuristics stage */
};

struct flow {
	struct flow_key key;
	struct flow *hnext;            /* hash chain */
	struct flow *lru_prev, *lru_next;
	uint64_t flow_id;              /* stable id (from key and start time) */
	uint8_t cli_side;              /* which key side (0/1) is the client */
	uint8_t state;                 /* enum flow_state */
	uint8_t tcp_state;             /* enum tcp_state */
	uint8_t alerted;               /* detect raised at least one alert */
	uint8_t fflags;                /* FLOW_F_* (addition) */
	uint8_t tmo_class;             /* which timeout list the flow is on (internal) */
	uint64_t start_ns, last_ns;    /* packet times */
	uint64_t lru_ns;               /* expiry clock: max packet time of the table when
					* last seen (>= last_ns; keeps lists ordered
					* when capture times step back) */
	uint64_t first_pcap_cnt;
	uint64_t pkts[2], bytes[2];    /* by enum flow_dir; bytes = frame wire length */
	uint8_t tcp_flags[2];          /* flags seen, by direction */
	uint8_t icmp_type, icmp_code;  /* ICMP: of the flow's first packet (EVE, Community ID) */
	/* Live: kernel counters at the flow's start, so pkts/bytes can follow the
	 * kernel's exact whole-flow counts when bulk packets are not recorded. */
	uint64_t kbase_pkts[2], kbase_bytes[2];
	struct flow_stream stream[2];  /* by enum flow_dir (data sent in that direction) */
	struct flow_ext ext;
};

/* f->fflags */
#define FLOW_F_SEEN_TS   0x01 /* a packet was seen to the server */
#define FLOW_F_SEEN_TC   0x02 /* a packet was seen to the client */
#define FLOW_F_HANDSHAKE 0x04 /* TCP 3-way handshake completed (sticky) */
#define FLOW_F_MIDSTREAM 0x08 /* TCP flow picked up without its SYN: never established */
#define FLOW_F_FIN_TS    0x10 /* FIN sent by the client */
#define FLOW_F_FIN_TC    0x20 /* FIN sent by the server */
#define FLOW_F_RST       0x40 /* RST seen (either side) */

/* What flow_table__process() tells the next stage about a packet. */
struct flow_pkt_info {
	struct flow *flow;
	enum flow_dir dir;
	bool established;   /* flow established (TCP: after the 3-way handshake) */
	bool retransmit;    /* TCP segment whose data was all seen before */
	/* TCP only: new in-order stream data made available by this packet */
	bool stream_new;
};

/* Reassembled bytes of one direction for inspection. */
struct flow_stream_view {
	const uint8_t *data;   /* window of in-order bytes */
	uint32_t len;
	uint64_t offset;       /* stream offset of data[0] (0 = first byte after the SYN) */
	uint32_t new_off;      /* data[new_off..len) was not inspected before */
};

struct flow_table_opts {
	uint64_t memcap;            /* bytes for flows + stream buffers; 0 = 256 MiB */
	uint32_t hash_size;         /* buckets, rounded to a power of 2; 0 = 65536 */
	uint32_t stream_depth;      /* bytes reassembled per direction; 0 = 1 MiB */
	uint32_t stream_window;     /* bytes of already-inspected data kept for
				     * patterns split across segments; 0 = 4096 */
	uint32_t stream_ooo_max;    /* out-of-order bytes queued per direction; 0 = 256 KiB */
	/* timeouts in seconds (0 = defaults: new 30, established 300, closed 10;
	 * udp new 30, udp established 300, icmp 30) */
	uint32_t timeout_new;
	uint32_t timeout_est;
	uint32_t timeout_closed;
	uint32_t timeout_udp_new;
	uint32_t timeout_udp_est;
	uint32_t timeout_icmp;
};

/* Called once for every flow that ends (timeout, eviction, shutdown), before it is freed. */
typedef void (*flow_end_fn)(void *arg, struct flow *f, enum flow_end_reason why);

struct flow_table;

/*
 * flow_table__new() - a worker's flow table. @opts may be NULL (defaults).
 * @on_end is called for every ending flow; @stats is the worker's counters.
 * Return: the table, or NULL with errno set.
 */
struct flow_table *flow_table__new(const struct flow_table_opts *opts, flow_end_fn on_end,
				   void *arg, struct weir_stats *stats);

/* flow_table__free() - frees every flow without calling on_end (call flush first). */
void flow_table__free(struct flow_table *ft);

/*
 * flow_table__process() - find or create @p's flow, update counters, TCP
 * state and stream reassembly; fill @out. A flow whose timeout passed at @p's
 * time ends (on_end, reason timeout) and a new one starts.
 * Return: 0, or -ENOMEM when no flow could be made even after eviction
 * (counted; the packet is inspected without a flow: out->flow NULL), or
 * -EINVAL when @p has no IP header (out->flow NULL).
 */
int flow_table__process(struct flow_table *ft, const struct weir_pkt *p, struct flow_pkt_info *out);

/*
 * flow_stream_view() - the inspection window of @f's direction @dir.
 * Valid until the next flow_table__process() call on the table.
 */
void flow_stream_view(const struct flow *f, enum flow_dir dir, struct flow_stream_view *v);

/*
 * flow_stream_inspected() - the next stage has inspected all of @dir's window;
 * the table may trim it down to stream_window bytes of look-behind.
 */
void flow_stream_inspected(struct flow_table *ft, struct flow *f, enum flow_dir dir);

/* flow_table__tick() - end flows whose timeout passed at packet time @now_ns. */
void flow_table__tick(struct flow_table *ft, uint64_t now_ns);

/* flow_table__flush() - end every flow with reason @why (end of replay, exit). */
void flow_table__flush(struct flow_table *ft, enum flow_end_reason why);

/* flow_table__count() - flows currently in the table. */
uint32_t flow_table__count(const struct flow_table *ft);

/* flow_table__memuse() - bytes charged to the memcap (flows, buffers, queues). */
uint64_t flow_table__memuse(const struct flow_table *ft);

/* flow_pkt_dir_src() - does the client of @f send as @dir? helpers for events */
const struct weir_addr *flow_client_addr(const struct flow *f);
const struct weir_addr *flow_server_addr(const struct flow *f);
uint16_t flow_client_port(const struct flow *f);
uint16_t flow_server_port(const struct flow *f);

const char *flow_state_name(const struct flow *f);      /* "new" "established" "closed" */
const char *flow_end_reason_name(enum flow_end_reason why); /* "timeout" "forced" "shutdown" */
/* "syn_sent" ... like Suricata's EVE tcp.state; NULL when not TCP or no TCP
 * session (mid-stream flow before any FIN/RST, as Suricata prints none). */
const char *flow_tcp_state_name(const struct flow *f);

#endif /* WEIR_FLOW_H */
