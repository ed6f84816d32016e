/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * event.h - the one event model every stage produces and every encoder reads.
 *
 * A struct weir_event is a fixed-size value: workers fill one on the stack (or
 * in a queue slot) and hand it to the output thread by copy, so nothing is
 * allocated per event. Strings that belong to a rule (signature, category,
 * metadata) are owned by the ruleset; an alert event holds a reference to the
 * rule's immutable struct event_sig, which stays alive until every event that
 * points to it was written (the ruleset keeps its sigs until then).
 *
 * Encoders: output_eve.c (EVE JSON via jansson); the msgpack encoder builds the
 * same keys in the same nesting.
 */
#ifndef WEIR_EVENT_H
#define WEIR_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stats.h"
#include "decode/decode.h"

enum event_type {
	EVENT_ALERT,
	EVENT_FLOW,
	EVENT_STATS,
};

/* The tuple as EVE prints it: src/dest oriented as the event says. */
struct event_tuple {
	struct weir_addr src, dst;
	uint16_t sport, dport;  /* host order */
	uint8_t ip_ver;         /* 4 or 6; 0 = no IP (no tuple fields printed) */
	uint8_t proto;          /* IPPROTO_* */
	uint8_t icmp_type, icmp_code; /* ICMP: what Community ID and EVE print */
	uint16_t vlan[2];
	uint8_t vlan_cnt;
};

/* A rule's fixed description, owned by the ruleset (refcounted with it). */
struct event_sig {
	uint32_t gid, sid, rev;
	int severity;            /* 1 = high */
	const char *signature;   /* msg */
	const char *category;    /* classtype description, "" if none */
	const char *const *metadata; /* "key value" strings, NULL-terminated, may be NULL */
};

/* Flow counters as carried by alert and flow events. */
struct event_flow {
	uint64_t pkts_toserver, pkts_toclient;
	uint64_t bytes_toserver, bytes_toclient;
	uint64_t start_ns, end_ns;
	const char *state;       /* "new" "established" "closed" (static strings) */
	const char *reason;      /* flow events: "timeout" "forced" "shutdown" */
	const char *tcp_state;   /* flow events, TCP: Suricata's tcp.state, or NULL */
	uint8_t tcp_flags, tcp_flags_ts, tcp_flags_tc; /* TCP flags seen, TCP only */
	bool alerted;
};

/* Heuristics evidence (EVE "anomaly" object); used from the heuristics issue on. */
struct event_anomaly {
	const char *kind;        /* "port_scan", ... (static) */
	uint32_t count;          /* distinct targets / attempts counted */
	uint32_t window_s;
	uint64_t first_ns, last_ns;
	uint8_t n_targets;
	uint16_t target_ports[8];
	struct weir_addr target_addrs[8];
};

struct weir_event {
	enum event_type type;
	uint64_t ts_ns;          /* packet time (alert), flow end (flow), now (stats) */
	uint64_t pcap_cnt;       /* 0 = not from a packet (not printed) */
	uint64_t flow_id;        /* 0 = no flow */
	struct event_tuple t;
	const char *direction;   /* alert: "to_server" / "to_client", else NULL */
	uint32_t ifindex;        /* live: interface of the packet, 0 in replay */
	union {
		struct {
			const struct event_sig *sig;
			const char *action;        /* "allowed" */
			struct event_flow flow;    /* counters at the time of the alert */
			bool has_flow;
			bool has_anomaly;
			struct event_anomaly anomaly;
		} alert;
		struct event_flow flow;
		struct {
			const struct weir_stats *stats; /* summed counters, owned by the caller */
			uint64_t uptime_s;
		} stats;
	};
};

/* event_tuple_from_pkt() - tuple of @p as seen on the wire (src = sender). */
void event_tuple_from_pkt(struct event_tuple *t, const struct weir_pkt *p);

#endif /* WEIR_EVENT_H */
