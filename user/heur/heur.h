/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * heur.h - the heuristics stage: L4 anomaly detection across all workers.
 *
 * Workers do not run heuristics. For the few packets that matter (the first
 * packet of a flow, TCP control packets, the packet that completes a TCP
 * handshake) and for every ending flow they build a small fixed-size struct
 * heur_rec and submit it to their own bounded SPSC queue. One heuristics thread
 * (struct heur_engine) merges the worker streams in (ts, pcap_cnt, kind,
 * flow_id) order and only processes records older than the lowest watermark of
 * all workers, so the processing order -- and therefore every alert -- is the
 * same whatever the worker count (scan state spans flows of many workers).
 *
 * Heuristics (docs/heuristics.md lists their sids): port scan, address sweep,
 * SYN flood, ICMP sweep, fan-out, high-risk service access, brute force. State
 * is per source (or per destination for SYN floods), bounded by a memcap and a
 * maximum number of tracked keys with LRU eviction (counted). Each incident
 * raises one EVENT_ALERT (gid HEUR_GID) carrying an anomaly object, then is
 * suppressed for suppress_s seconds of packet time per (heuristic, key).
 *
 * Thresholds and the high-risk service policy come from signatures/services.yaml
 * (heur_opts_load()); heur_opts_default() gives the same values without a file.
 *
 * What does not belong here: per-packet payload inspection (detect/), flow
 * tracking (flow/), event encoding (output/).
 *
 * Threads: heur_submit(), heur_watermark() and the heur_rec_from_*() helpers run
 * on worker @worker's thread (one producer per worker index); everything else
 * on the thread that owns the engine. The emit callback runs on the heuristics
 * thread (and on the caller of heur_engine__finish()).
 */
#ifndef WEIR_HEUR_H
#define WEIR_HEUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stats.h"
#include "decode/decode.h"
#include "flow/flow.h"
#include "output/event.h"

/* gid of every heuristic alert; sids are HEUR_SID_BASE + enum heur_kind. */
#define HEUR_GID      9000
#define HEUR_SID_BASE 9200000

/* The heuristics, in sid order (sid = HEUR_SID_BASE + 1 + value). */
enum heur_kind {
	HEUR_PORT_SCAN,       /* one source, many ports on one destination */
	HEUR_ADDR_SWEEP,      /* one source, one port, many destinations */
	HEUR_SYN_FLOOD,       /* many half-open attempts against one destination */
	HEUR_ICMP_SWEEP,      /* echo requests to many hosts */
	HEUR_FANOUT,          /* more distinct peers in a window than the source's baseline */
	HEUR_SERVICE,         /* access to a high-risk service from a source not allowed */
	HEUR_BRUTE_FORCE,     /* many short sessions from one source to one service */
	HEUR__MAX,
};

enum heur_rec_kind {
	HEUR_REC_FLOW_END = 0,  /* sorts first at equal time: ends at a tick precede packets */
	HEUR_REC_FLOW_START,    /* first packet of a flow (may also be a SYN) */
	HEUR_REC_TCP_CTRL,      /* SYN, SYN/ACK, RST or FIN that did not start the flow */
	HEUR_REC_TCP_EST,       /* the packet that completed the 3-way handshake */
};

/* r->rflags */
#define HEUR_RF_TOSERVER  0x01 /* packet records: sent by the flow's client */
#define HEUR_RF_HANDSHAKE 0x02 /* flow completed the 3-way handshake (so far) */
#define HEUR_RF_RST       0x04 /* flow saw a RST (so far) */
#define HEUR_RF_FIN       0x08 /* flow saw a FIN (so far) */
#define HEUR_RF_MIDSTREAM 0x10 /* TCP flow picked up without its SYN */

/*
 * One record from a worker. Fixed size, copied by value. The tuple is always
 * oriented client -> server (the flow's initiator first), whatever packet
 * made the record; HEUR_RF_TOSERVER tells who sent the packet.
 */
struct heur_rec {
	uint64_t ts_ns;            /* packet time; flow end: time the flow ended */
	uint64_t pcap_cnt;         /* packet number (0 for flow ends) */
	uint64_t flow_id;
	uint64_t start_ns;         /* flow start (packet time) */
	uint64_t last_ns;          /* flow end: last packet time */
	uint64_t bytes[2];         /* flow end: frame bytes by enum flow_dir */
	uint32_t pkts[2];          /* flow end: packets by enum flow_dir (saturated) */
	struct weir_addr cli, srv; /* network order */
	uint16_t cport, sport;     /* host order; ICMP: 0 */
	uint8_t kind;              /* enum heur_rec_kind */
	uint8_t ip_ver, proto;
	uint8_t tcp_flags;         /* packet records: this packet's flags; end: all seen */
	uint8_t icmp_type, icmp_code; /* ICMP: of the flow's first packet */
	uint8_t rflags;            /* HEUR_RF_* */
	uint8_t end_reason;        /* flow end: enum flow_end_reason */
	uint8_t tcp_seen[2];       /* TCP flags seen so far, by enum flow_dir */
	uint16_t vlan[2];
};

/* A source CIDR for allow-lists and service addresses. */
struct heur_cidr {
	struct weir_addr addr;     /* network order, masked */
	uint8_t ip_ver;            /* 4 or 6 */
	uint8_t plen;              /* prefix length */
};

#define HEUR_SVC_PORTS_MAX 8
#define HEUR_SVC_NAME_MAX  32

/* One high-risk service of the policy. */
struct heur_service {
	char name[HEUR_SVC_NAME_MAX];
	uint8_t proto;                     /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t n_ports;
	uint16_t ports[HEUR_SVC_PORTS_MAX];
	bool brute_force;                  /* count short sessions for HEUR_BRUTE_FORCE */
	bool alert_access;                 /* raise HEUR_SERVICE on access (default true) */
	struct heur_cidr *dst;             /* server must be in one of these; NULL/0 = any */
	uint32_t n_dst;
	struct heur_cidr *allow;           /* clients allowed (no HEUR_SERVICE alert) */
	uint32_t n_allow;
};

/* Thresholds below are the defaults; a count threshold of 0 turns its heuristic off. */
struct heur_opts {
	bool lossless;              /* heur_submit() waits on a full queue (replay) */
	uint32_t queue_slots;       /* records per worker queue; 0 = 16384 */
	uint64_t memcap;            /* bytes of heuristic state; 0 = 64 MiB */
	uint32_t max_keys;          /* tracked sources + destinations; 0 = 200000 */
	uint32_t suppress_s;        /* one alert per incident per this period; 0 = 3600 */
	struct {
		uint32_t ports, window_s;       /* port scan: 15 distinct ports in 300 s */
		uint32_t halfopen_ports;        /* or reset probes (client RST after the
						 * SYN/ACK, no data) to this many ports: 2 */
	} port_scan;
	struct {
		uint32_t hosts, window_s;       /* address sweep: 25 hosts in 300 s */
	} addr_sweep;
	struct {
		uint32_t syns, window_s;        /* SYN flood: 200 half-open attempts in 10 s */
	} syn_flood;
	struct {
		uint32_t hosts, window_s;       /* ICMP sweep: 25 hosts in 300 s */
	} icmp_sweep;
	struct {
		uint32_t window_s;              /* 60 */
		uint32_t min_peers;             /* alert only above this many peers: 50 */
		uint32_t factor_pct;            /* peers > baseline * factor_pct / 100: 400 */
		uint32_t alpha_pct;             /* EWMA weight of the last window: 25 */
		uint32_t max_tracked;           /* distinct peers counted per window: 1024 */
	} fanout;
	struct {
		uint32_t sessions, window_s;    /* 10 short sessions in 300 s */
		uint32_t max_duration_s;        /* a session is short below this: 30 */
		uint64_t max_bytes_toserver;    /* ... and below this many client bytes: 16384 */
	} brute_force;
	struct heur_service *services;      /* owned; heur_opts_free() */
	uint32_t n_services;
};

/* heur_opts_default() - defaults above, and the built-in service list of services.yaml. */
int heur_opts_default(struct heur_opts *o);

/*
 * heur_opts_load() - heur_opts_default(), then apply @services_yaml_path
 * (signatures/services.yaml). On error writes "file:line: message" to @err.
 * Return: 0, -ENOENT / -EINVAL / -ENOMEM. Free with heur_opts_free() either way.
 */
int heur_opts_load(struct heur_opts *o, const char *services_yaml_path, char *err, size_t n);

/* heur_opts_free() - free the service list of @o (not @o itself). */
void heur_opts_free(struct heur_opts *o);

/*
 * heur_rec_from_pkt() - worker side, after flow_table__process(): fill @r if
 * @p is worth a record (first packet of @fi->flow, TCP SYN/RST/FIN, or the
 * packet completing the handshake). Uses f->ext.heur as a flag word (never a
 * pointer: nobody must free it).
 * Return: true when @r was filled and should be submitted.
 */
bool heur_rec_from_pkt(struct heur_rec *r, const struct weir_pkt *p,
		       const struct flow_pkt_info *fi);

/*
 * heur_rec_from_flow_end() - worker side, in the flow table's on_end callback:
 * fill @r for ending flow @f. @now_ns: the worker's packet time at the end
 * (max(worker now, f->last_ns)); it orders the record.
 */
void heur_rec_from_flow_end(struct heur_rec *r, const struct flow *f,
			    enum flow_end_reason why, uint64_t now_ns);

struct heur_engine;

typedef void (*heur_emit_fn)(void *arg, const struct weir_event *ev);

/*
 * heur_engine__new() - engine for @n_workers producers. @o is copied
 * (services included). @emit is called for every alert (by value, @ev is valid
 * only during the call). @stats: the heuristics thread's own counters
 * (heur_stats.h), written by that thread only.
 * Return: the engine, or NULL with errno set.
 */
struct heur_engine *heur_engine__new(const struct heur_opts *o, uint32_t n_workers,
				     heur_emit_fn emit, void *emit_arg, struct weir_stats *stats);

/* heur_engine__start() - start the heuristics thread. Return: 0 or -errno. */
int heur_engine__start(struct heur_engine *he);

/*
 * heur_submit() - worker @worker queues @r. Records of one worker must come
 * with ts_ns >= its last watermark. A full queue waits (lossless) or drops
 * the record (counted in heur.queue_full).
 */
void heur_submit(struct heur_engine *he, uint32_t worker, const struct heur_rec *r);

/*
 * heur_watermark() - worker @worker promises that every record it submits
 * from now on has ts_ns >= @now_ns (call at every tick, after flows timed out
 * at that tick were submitted). Records older than the lowest watermark of all
 * workers are processed.
 */
void heur_watermark(struct heur_engine *he, uint32_t worker, uint64_t now_ns);

/*
 * heur_engine__finish() - after every worker stopped submitting: process all
 * pending records in order, stop and join the thread (if started). Alerts
 * raised here are emitted on the calling thread.
 */
void heur_engine__finish(struct heur_engine *he);

/* heur_engine__free() - free everything (finish first if it was started). NULL-safe. */
void heur_engine__free(struct heur_engine *he);

/* heur_engine__memuse() - bytes of heuristic state (heuristics thread or after finish). */
uint64_t heur_engine__memuse(const struct heur_engine *he);

/* heur_kind_name() - "port_scan", ... the anomaly.kind of @k. */
const char *heur_kind_name(enum heur_kind k);

#endif /* WEIR_HEUR_H */
