// SPDX-License-Identifier: GPL-2.0-only
/*
 * decode_tunnel.c - GRE (version 0, and version 1 "enhanced GRE" of PPTP),
 * VXLAN and Geneve.
 *
 * A tunnel header is parsed in full before the walk commits to it: if it does
 * not parse, the outer packet stays what @p describes (GRE: the outer IP
 * packet; UDP: plain UDP, counted). Once committed, the outer L3/L4 fields
 * are forgotten and the inner frame's result is the packet's result.
 */
#include "decode/decode_priv.h"
#include "weir/limits.h"

#define GRE_C 0x8000
#define GRE_R 0x4000
#define GRE_K 0x2000
#define GRE_S 0x1000
#define GRE_A 0x0080 /* version 1: acknowledgment number present */
#define GRE_VER_MASK 0x0007

#define VXLAN_HLEN 8
#define VXLAN_I 0x08
#define GENEVE_HLEN 8
#define ETH_HLEN_ 14

void decode_enter_tunnel(struct decode_walk *w, enum pkt_tunnel t, uint32_t id)
{
	struct weir_pkt *p = w->p;

	w->depth++;
	p->tunnel = (uint8_t)t;
	p->tunnel_id = id;
	p->flags &= ~(PKT_F_IPV4 | PKT_F_IPV6 | PKT_F_L4 | PKT_F_TCP_TFO);
	decode_reset_l3(p);
}

/* Room for one more tunnel layer? Counts the refusal. */
static bool decode_tunnel_room(struct decode_walk *w)
{
	if (w->depth < WEIR_TUNNEL_MAX_DEPTH)
		return true;
	decode_count(w, WS_DECODE_TUNNEL_TOO_DEEP);
	return false;
}

int decode_gre(struct decode_walk *w, const uint8_t *b, uint32_t len)
{
	uint32_t hl = 4, key = 0;
	uint16_t flags, type;

	if (len < 4)
		return decode_bad(w, WS_DECODE_INV_GRE_TRUNC);
	flags = rd16(b);
	type = rd16(b + 2);
	decode_count(w, WS_DECODE_GRE);
	switch (flags & GRE_VER_MASK) {
	case 0:
		/* RFC 1701 source routing is obsolete (RFC 2784) and never seen in practice. */
		if (flags & GRE_R)
			return decode_bad(w, WS_DECODE_INV_GRE_FLAGS);
		if (flags & GRE_C)
			hl += 4;
		if (flags & GRE_K) {
			if (len < hl + 4)
				return decode_bad(w, WS_DECODE_INV_GRE_TRUNC);
			key = rd32(b + hl);
			hl += 4;
		}
		if (flags & GRE_S)
			hl += 4;
		break;
	case 1:
		/* RFC 2637: no checksum or routing, key required, payload PPP. */
		if ((flags & (GRE_C | GRE_R)) || !(flags & GRE_K) || type != ETH_P_PPP_)
			return decode_bad(w, WS_DECODE_INV_GRE_FLAGS);
		if (len < hl + 4)
			return decode_bad(w, WS_DECODE_INV_GRE_TRUNC);
		key = rd16(b + hl + 2); /* the call id; the upper half is the payload length */
		hl += 4;
		if (flags & GRE_S)
			hl += 4;
		if (flags & GRE_A)
			hl += 4;
		break;
	default:
		return decode_bad(w, WS_DECODE_INV_GRE_VERSION);
	}
	if (len < hl)
		return decode_bad(w, WS_DECODE_INV_GRE_TRUNC);
	b += hl;
	len -= hl;

	switch (type) {
	case ETH_P_IPV4_:
	case ETH_P_IPV6_:
	case ETH_P_TEB_:
	case ETH_P_PPP_:
		break;
	default:
		/* ERSPAN, MPLS, keepalives...: the outer packet is all there is. */
		decode_count(w, WS_DECODE_GRE_OTHER_PROTO);
		return 0;
	}
	/* PPTP sends acknowledgments with no payload. */
	if (len == 0 || !decode_tunnel_room(w))
		return 0;
	decode_enter_tunnel(w, PKT_TUNNEL_GRE, key);
	switch (type) {
	case ETH_P_TEB_:
		return decode_ether(w, b, len);
	case ETH_P_PPP_:
		return decode_ppp(w, b, len);
	default:
		return decode_ethertype(w, type, b, len);
	}
}

static int decode_vxlan(struct decode_walk *w, const uint8_t *b, uint32_t len, int *rc)
{
	/* Only the I flag is required: VXLAN-GBP and others use the reserved bits. */
	if (len < VXLAN_HLEN + ETH_HLEN_ || !(b[0] & VXLAN_I)) {
		decode_count(w, WS_DECODE_TUNNEL_PORT_PLAIN_UDP);
		return 0;
	}
	if (!decode_tunnel_room(w))
		return 0;
	decode_count(w, WS_DECODE_VXLAN);
	decode_enter_tunnel(w, PKT_TUNNEL_VXLAN, rd32(b + 4) >> 8);
	*rc = decode_ether(w, b + VXLAN_HLEN, len - VXLAN_HLEN);
	return 1;
}

static int decode_geneve(struct decode_walk *w, const uint8_t *b, uint32_t len, int *rc)
{
	uint32_t hl;
	uint16_t type;

	if (len < GENEVE_HLEN)
		goto plain;
	hl = GENEVE_HLEN + (b[0] & 0x3f) * 4u;
	type = rd16(b + 2);
	if (b[0] >> 6 != 0 || hl > len)
		goto plain;
	if (type != ETH_P_TEB_ && type != ETH_P_IPV4_ && type != ETH_P_IPV6_)
		goto plain;
	if (!decode_tunnel_room(w))
		return 0;
	decode_count(w, WS_DECODE_GENEVE);
	decode_enter_tunnel(w, PKT_TUNNEL_GENEVE, rd32(b + 4) >> 8);
	if (type == ETH_P_TEB_)
		*rc = decode_ether(w, b + hl, len - hl);
	else
		*rc = decode_ethertype(w, type, b + hl, len - hl);
	return 1;
plain:
	decode_count(w, WS_DECODE_TUNNEL_PORT_PLAIN_UDP);
	return 0;
}

int decode_udp_tunnel(struct decode_walk *w, uint16_t dport, const uint8_t *b, uint32_t len,
		      int *rc)
{
	const struct decode_opts *o = &w->dc->opts;

	/* Tunnels are recognised by destination port, as the receiving endpoint does. */
	if ((dport == WEIR_PORT_VXLAN || dport == WEIR_PORT_VXLAN_LINUX) && o->vxlan)
		return decode_vxlan(w, b, len, rc);
	if (dport == WEIR_PORT_GENEVE && o->geneve)
		return decode_geneve(w, b, len, rc);
	return 0;
}
