/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * decode.h - the decode stage: an L2 frame in, a struct weir_pkt out.
 *
 * Decode walks link layer (pcap link types), VLAN tags, IPv4/IPv6 (options,
 * extension headers), tunnels (GRE, PPP, VXLAN, Geneve) down to the innermost
 * IP packet and its TCP/UDP/ICMP/ICMPv6 header. IP fragments are held by the
 * per-worker defragmenter (decode_defrag.c); when a datagram completes, the
 * packet handed back describes the reassembled datagram.
 *
 * Pure code: no sockets, no maps, no allocation per packet (the defragmenter
 * allocates within its memcap). Every malformed or truncated packet is counted
 * by reason in the caller's struct weir_stats (decode_stats.h) and never fatal.
 *
 * Threads: a struct decode_ctx belongs to one worker.
 */
#ifndef WEIR_DECODE_H
#define WEIR_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stats.h"

/* pcap link types understood by decode_packet() (values from the pcap spec). */
enum decode_linktype {
	DECODE_LINK_NULL = 0,       /* BSD loopback: 4-byte host-order AF */
	DECODE_LINK_ETHERNET = 1,
	DECODE_LINK_PPP = 9,
	DECODE_LINK_RAW = 101,      /* raw IPv4 or IPv6 (LINKTYPE_RAW) */
	DECODE_LINK_LOOP = 108,     /* OpenBSD loopback: 4-byte network-order AF */
	DECODE_LINK_LINUX_SLL = 113,
	DECODE_LINK_IPV4 = 228,
	DECODE_LINK_IPV6 = 229,
	DECODE_LINK_LINUX_SLL2 = 276,
};

/* An IPv4 or IPv6 address. IPv4 is in a[0] (network order), a[1..3] zero. */
struct weir_addr {
	uint32_t a[4]; /* network order */
};

enum pkt_tunnel {
	PKT_TUNNEL_NONE,
	PKT_TUNNEL_GRE,
	PKT_TUNNEL_VXLAN,
	PKT_TUNNEL_GENEVE,
};

/* pkt->flags */
#define PKT_F_IPV4        0x0001
#define PKT_F_IPV6        0x0002
#define PKT_F_L4          0x0004 /* TCP/UDP/ICMP header decoded: ports/type valid */
#define PKT_F_REASSEMBLED 0x0008 /* datagram rebuilt from fragments */
#define PKT_F_FRAG_HELD   0x0010 /* a fragment taken by the defragmenter, nothing to inspect */
#define PKT_F_INVALID     0x0020 /* malformed: counted, headers up to the error valid */
#define PKT_F_TCP_TFO     0x0040 /* SYN carries a TCP Fast Open option */

/*
 * A decoded packet. decode_packet() fills everything after "decoded"; the
 * caller fills "input". Pointers point into @data or, for a reassembled
 * datagram, into a buffer of the decode_ctx that stays valid until the next
 * decode_packet() call on that ctx.
 */
struct weir_pkt {
	/* input */
	const uint8_t *data;  /* frame as captured, from the link layer */
	uint32_t caplen;      /* bytes at @data */
	uint32_t wirelen;     /* frame length on the wire */
	uint64_t ts_ns;       /* capture time, ns since the Unix epoch */
	uint64_t pcap_cnt;    /* 1-based packet number in the input, 0 for live */
	uint16_t linktype;    /* enum decode_linktype */
	uint32_t ifindex;     /* live capture: interface; 0 in replay */

	/* decoded */
	uint32_t flags;       /* PKT_F_* */
	uint16_t vlan[2];     /* VLAN ids, outer first */
	uint8_t vlan_cnt;
	uint8_t tunnel;       /* enum pkt_tunnel of the innermost tunnel */
	uint32_t tunnel_id;   /* VXLAN/Geneve VNI, GRE key; 0 if none */

	uint8_t ip_ver;       /* 4 or 6, 0 if no IP */
	uint8_t proto;        /* IPPROTO_* of the transport (after IPv6 ext headers) */
	uint8_t ttl;          /* IPv4 TTL / IPv6 hop limit */
	struct weir_addr src, dst;
	const uint8_t *l3;    /* innermost IP header */
	uint32_t l3_len;      /* IP header + payload as bounded by the IP length */

	const uint8_t *l4;    /* transport header */
	uint32_t l4_len;      /* transport header + payload */
	uint16_t sport, dport; /* host order; 0 for ICMP */

	/* TCP (proto 6) */
	uint32_t tcp_seq, tcp_ack; /* host order */
	uint16_t tcp_win;
	uint8_t tcp_flags;    /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80 */
	uint8_t tcp_wscale;   /* window scale option, 0xff if absent */

	/* ICMP / ICMPv6 */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id;     /* echo request/reply identifier, host order */

	const uint8_t *payload; /* application payload (after the L4 header) */
	uint32_t payload_len;
};

struct decode_defrag_opts {
	uint64_t memcap;        /* bytes held by incomplete datagrams; 0 = default 32 MiB */
	uint32_t max_trackers;  /* datagrams in progress; 0 = default 65536 */
	uint32_t timeout_s;     /* an incomplete datagram is dropped after this; 0 = 60 */
};

struct decode_opts {
	struct decode_defrag_opts defrag;
	bool vxlan;             /* decode UDP 4789/8472 as VXLAN (default true) */
	bool geneve;            /* decode UDP 6081 as Geneve (default true) */
};

struct decode_ctx;

/*
 * decode_ctx__new() - a worker's decoder; @opts may be NULL for defaults;
 * @stats is the worker's counter array (kept, not owned).
 * Return: the context, or NULL with errno set.
 */
struct decode_ctx *decode_ctx__new(const struct decode_opts *opts, struct weir_stats *stats);
void decode_ctx__free(struct decode_ctx *dc);

/* decode_opts_default() - fill @o with the defaults documented above. */
void decode_opts_default(struct decode_opts *o);

/*
 * decode_packet() - decode @p->data per @p->linktype into @p.
 * Counts the packet and any error by reason.
 * Return: 0 when @p is ready for the flow stage (IP with a decoded L4 header or
 * at least IP addresses), -EAGAIN when a fragment was held (PKT_F_FRAG_HELD),
 * -EINVAL when the packet is malformed/non-IP and has nothing to inspect.
 */
int decode_packet(struct decode_ctx *dc, struct weir_pkt *p);

/*
 * decode_expire() - drop incomplete datagrams older than the timeout at
 * @now_ns (packet time). Counted as defrag timeouts.
 */
void decode_expire(struct decode_ctx *dc, uint64_t now_ns);

/*
 * decode_shard_hash() - a symmetric hash of the innermost IP address pair of a
 * frame (plus VLAN ids and tunnel id), for sharding packets to workers without
 * a full decode: both directions, and every fragment of a datagram, give the
 * same value. Cheap and never fails: malformed frames hash to 0.
 */
uint32_t decode_shard_hash(const uint8_t *data, uint32_t caplen, uint16_t linktype);

/* decode_addr_cmp() - total order on addresses (memcmp of a[]). */
static inline int decode_addr_cmp(const struct weir_addr *x, const struct weir_addr *y)
{
	for (int i = 0; i < 4; i++) {
		if (x->a[i] != y->a[i]) {
			uint32_t xa = __builtin_bswap32(x->a[i]), ya = __builtin_bswap32(y->a[i]);
			return xa < ya ? -1 : 1;
		}
	}
	return 0;
}

#endif /* WEIR_DECODE_H */
