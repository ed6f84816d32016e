/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * decode_priv.h - internals shared by the decode stage's files; nothing here
 * is for other stages (they use decode.h).
 *
 * Each layer decoder takes the walk state, a pointer to its header and the
 * bytes left for it (already bounded by the enclosing length field), and
 * returns 0, -EINVAL (counted) or -EAGAIN (fragment held). A layer that finds
 * another layer inside calls its decoder directly, so the C stack mirrors the
 * header stack; depth is bounded by WEIR_TUNNEL_MAX_DEPTH and the VLAN/IPv6
 * chain limits.
 */
#ifndef WEIR_DECODE_PRIV_H
#define WEIR_DECODE_PRIV_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "decode/decode.h"

/* Largest frame prefix (link + outer headers) kept in front of a reassembled datagram. */
#define DECODE_REASM_PREFIX_MAX 1024u
/* Largest reassembled IP datagram: an IPv6 header plus a 65535-byte payload. */
#define DECODE_REASM_DGRAM_MAX (40u + 65535u)

#define ETH_P_IPV4_ 0x0800
#define ETH_P_IPV6_ 0x86dd
#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88a8
#define ETH_P_TEB_ 0x6558  /* transparent Ethernet bridging */
#define ETH_P_PPP_ 0x880b

struct decode_defrag;

struct decode_ctx {
	struct decode_opts opts;
	struct weir_stats *stats;
	struct decode_defrag *defrag;
	uint8_t *reasm;        /* DECODE_REASM_PREFIX_MAX + DECODE_REASM_DGRAM_MAX */
};

/* State of one decode_packet() walk. */
struct decode_walk {
	struct decode_ctx *dc;
	struct weir_pkt *p;
	const uint8_t *frame;  /* start of the frame the current pointers are in */
	uint8_t depth;         /* tunnel layers entered */
	bool reasm;            /* walking a reassembled datagram (no nested defrag) */
};

static inline uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* decode_bad() - count malformed reason @id, flag the packet; returns -EINVAL. */
static inline int decode_bad(struct decode_walk *w, enum weir_stat_id id)
{
	w->dc->stats->v[id]++;
	w->dc->stats->v[WS_DECODE_INVALID]++;
	w->p->flags |= PKT_F_INVALID;
	return -EINVAL;
}

static inline void decode_count(struct decode_walk *w, enum weir_stat_id id)
{
	w->dc->stats->v[id]++;
}

/* decode_link.c */
int decode_link(struct decode_walk *w, const uint8_t *b, uint32_t len);
int decode_ether(struct decode_walk *w, const uint8_t *b, uint32_t len);
int decode_ppp(struct decode_walk *w, const uint8_t *b, uint32_t len);
int decode_ethertype(struct decode_walk *w, uint16_t type, const uint8_t *b, uint32_t len);

/* decode_ip.c */
int decode_ipv4(struct decode_walk *w, const uint8_t *b, uint32_t len);
int decode_ipv6(struct decode_walk *w, const uint8_t *b, uint32_t len);
void decode_reset_l3(struct weir_pkt *p);

/* decode_l4.c: @proto's header at @b, @len bytes to the end of the IP payload. */
int decode_l4(struct decode_walk *w, uint8_t proto, const uint8_t *b, uint32_t len);

/* decode_tunnel.c */
int decode_gre(struct decode_walk *w, const uint8_t *b, uint32_t len);
/* decode_udp_tunnel() - 1 when @b parsed as a tunnel (result in *rc), 0 if plain UDP. */
int decode_udp_tunnel(struct decode_walk *w, uint16_t dport, const uint8_t *b, uint32_t len,
		      int *rc);
/* decode_enter_tunnel() - forget outer L3/L4 before decoding an inner frame. */
void decode_enter_tunnel(struct decode_walk *w, enum pkt_tunnel t, uint32_t id);

/* decode_defrag.c */

/* One fragment as the IP decoders see it. */
struct defrag_frag {
	uint8_t ver;              /* 4 or 6 */
	uint8_t proto;            /* IPv4 protocol (part of the v4 key) */
	uint32_t id;              /* IPv4 16-bit id or IPv6 32-bit id */
	struct weir_addr src, dst;
	uint16_t vlan[2];
	uint32_t tunnel_id;
	uint32_t off;             /* byte offset of @data in the datagram payload */
	bool more;                /* MF / M flag */
	const uint8_t *data;      /* fragment payload */
	uint32_t len;
	/* header of this fragment, kept when off == 0 */
	const uint8_t *frame;     /* frame start; prefix = @hdr - @frame */
	const uint8_t *hdr;       /* IPv4 header / IPv6 header + unfragmentable ext headers */
	uint32_t hdr_len;
	uint32_t nh_off;          /* IPv6: offset in @hdr of the next-header byte naming 44 */
	uint8_t nh;               /* IPv6: next header of the fragment header */
	uint64_t ts_ns;
};

struct decode_defrag *decode_defrag__new(const struct decode_defrag_opts *o, struct weir_stats *st);
void decode_defrag__free(struct decode_defrag *df);
/*
 * decode_defrag__add() - hand a fragment to the defragmenter (copied).
 * Return: -EAGAIN held; -EINVAL refused (counted); > 0 the datagram is
 * complete: @out holds prefix + IP datagram, the return value is its total
 * length and *@prefix_len the bytes before the IP header.
 */
int decode_defrag__add(struct decode_defrag *df, const struct defrag_frag *f, uint8_t *out,
		       uint32_t *prefix_len);
void decode_defrag__expire(struct decode_defrag *df, uint64_t now_ns);

#endif /* WEIR_DECODE_PRIV_H */
