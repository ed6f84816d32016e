// SPDX-License-Identifier: GPL-2.0-only
/*
 * decode_ip.c - IPv4 (with options) and IPv6 (with a bounded extension header
 * chain), and the hand-off of fragments to the defragmenter.
 *
 * Checksums are not verified: Suricata's verification cases run with
 * checksum validation off, and a sensor that skips packets with bad checksums
 * hands attackers an evasion (the receiver may not check either, e.g. with
 * offload).
 */
#include <stddef.h>

#include "decode/decode_priv.h"
#include "weir/limits.h"

#define IPV4_HLEN_MIN 20
#define IPV6_HLEN 40
#define IPV4_MF 0x2000
#define IPV4_OFFMASK 0x1fff

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_AH_ 51
#define IPPROTO_DSTOPTS_ 60

void decode_reset_l3(struct weir_pkt *p)
{
	memset(&p->ip_ver, 0, sizeof(*p) - offsetof(struct weir_pkt, ip_ver));
	p->tcp_wscale = 0xff;
}

/* Continue the walk in the datagram the defragmenter just rebuilt. */
static int decode_reassembled(struct decode_walk *w, int total, uint32_t prefix, int ver)
{
	struct weir_pkt *p = w->p;
	const uint8_t *buf = w->dc->reasm;

	p->data = buf;
	p->caplen = p->wirelen = (uint32_t)total;
	p->flags |= PKT_F_REASSEMBLED;
	w->frame = buf;
	w->reasm = true;
	if (ver == 4)
		return decode_ipv4(w, buf + prefix, (uint32_t)total - prefix);
	return decode_ipv6(w, buf + prefix, (uint32_t)total - prefix);
}

static int decode_fragment(struct decode_walk *w, struct defrag_frag *f)
{
	uint32_t prefix = 0;
	int rc;

	/*
	 * A fragment inside a datagram we rebuilt would be reassembled into
	 * the buffer it is read from; such nesting has no legitimate use.
	 */
	if (w->reasm)
		return decode_bad(w, WS_DECODE_INV_FRAG_NESTED);
	f->frame = w->frame;
	f->vlan[0] = w->p->vlan[0];
	f->vlan[1] = w->p->vlan[1];
	f->tunnel_id = w->p->tunnel_id;
	f->ts_ns = w->p->ts_ns;
	decode_count(w, f->ver == 4 ? WS_DECODE_DEFRAG_IPV4_FRAGS : WS_DECODE_DEFRAG_IPV6_FRAGS);
	rc = decode_defrag__add(w->dc->defrag, f, w->dc->reasm, &prefix);
	if (rc == -EAGAIN) {
		w->p->flags |= PKT_F_FRAG_HELD;
		return rc;
	}
	if (rc < 0) {
		w->p->flags |= PKT_F_INVALID;
		return rc;
	}
	return decode_reassembled(w, rc, prefix, f->ver);
}

int decode_ipv4(struct decode_walk *w, const uint8_t *b, uint32_t len)
{
	struct weir_pkt *p = w->p;
	uint32_t hlen, tot, frag;

	if (len < IPV4_HLEN_MIN)
		return decode_bad(w, WS_DECODE_INV_IPV4_TOO_SMALL);
	if (b[0] >> 4 != 4)
		return decode_bad(w, WS_DECODE_INV_IPV4_VER);
	hlen = (b[0] & 0x0f) * 4u;
	if (hlen < IPV4_HLEN_MIN || hlen > len)
		return decode_bad(w, WS_DECODE_INV_IPV4_HLEN);
	tot = rd16(b + 2);
	if (tot < hlen)
		return decode_bad(w, WS_DECODE_INV_IPV4_IPLEN);
	/* Bytes past the total length (Ethernet padding) are not part of the packet. */
	if (tot > len)
		return decode_bad(w, WS_DECODE_INV_IPV4_TRUNC);
	decode_count(w, WS_DECODE_IPV4);

	p->flags = (p->flags & ~PKT_F_IPV6) | PKT_F_IPV4;
	p->ip_ver = 4;
	p->ttl = b[8];
	p->proto = b[9];
	memset(&p->src, 0, sizeof(p->src));
	memset(&p->dst, 0, sizeof(p->dst));
	memcpy(&p->src.a[0], b + 12, 4);
	memcpy(&p->dst.a[0], b + 16, 4);
	p->l3 = b;
	p->l3_len = tot;

	frag = rd16(b + 6);
	if (frag & (IPV4_MF | IPV4_OFFMASK)) {
		struct defrag_frag f = {
			.ver = 4,
			.proto = b[9],
			.id = rd16(b + 4),
			.src = p->src,
			.dst = p->dst,
			.off = (frag & IPV4_OFFMASK) * 8u,
			.more = frag & IPV4_MF,
			.data = b + hlen,
			.len = tot - hlen,
			.hdr = b,
			.hdr_len = hlen,
		};
		return decode_fragment(w, &f);
	}
	return decode_l4(w, b[9], b + hlen, tot - hlen);
}

int decode_ipv6(struct decode_walk *w, const uint8_t *b, uint32_t len)
{
	struct weir_pkt *p = w->p;
	uint32_t end, off = IPV6_HLEN, nh_off = 6, hl;
	uint8_t nh;
	int chain = 0;

	if (len < IPV6_HLEN)
		return decode_bad(w, WS_DECODE_INV_IPV6_TOO_SMALL);
	if (b[0] >> 4 != 6)
		return decode_bad(w, WS_DECODE_INV_IPV6_VER);
	end = IPV6_HLEN + rd16(b + 4);
	if (end > len)
		return decode_bad(w, WS_DECODE_INV_IPV6_TRUNC);
	decode_count(w, WS_DECODE_IPV6);

	p->flags = (p->flags & ~PKT_F_IPV4) | PKT_F_IPV6;
	p->ip_ver = 6;
	p->ttl = b[7];
	memcpy(p->src.a, b + 8, 16);
	memcpy(p->dst.a, b + 24, 16);
	p->l3 = b;
	p->l3_len = end;

	nh = b[6];
	for (;;) {
		switch (nh) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_ROUTING_:
		case IPPROTO_DSTOPTS_:
		case IPPROTO_AH_:
		case IPPROTO_FRAGMENT_:
			break;
		default:
			goto l4;
		}
		p->proto = nh;
		/* Bounded so a crafted chain cannot make us walk the whole payload. */
		if (++chain > WEIR_IPV6_EXT_MAX_CHAIN)
			return decode_bad(w, WS_DECODE_INV_IPV6_EXT_CHAIN);
		if (end - off < 8)
			return decode_bad(w, WS_DECODE_INV_IPV6_EXTHDR_TRUNC);
		if (nh == IPPROTO_FRAGMENT_) {
			uint16_t fo = rd16(b + off + 2);

			/* An atomic fragment (offset 0, M clear; RFC 6946) is a whole packet. */
			if (fo & 0xfff9) {
				struct defrag_frag f = {
					.ver = 6,
					.id = rd32(b + off + 4),
					.src = p->src,
					.dst = p->dst,
					.off = fo & 0xfff8,
					.more = fo & 1,
					.data = b + off + 8,
					.len = end - off - 8,
					.hdr = b,
					.hdr_len = off,
					.nh_off = nh_off,
					.nh = b[off],
				};
				return decode_fragment(w, &f);
			}
			hl = 8;
		} else if (nh == IPPROTO_AH_) {
			hl = (b[off + 1] + 2u) * 4;
		} else {
			hl = (b[off + 1] + 1u) * 8;
		}
		if (hl > end - off)
			return decode_bad(w, WS_DECODE_INV_IPV6_EXTHDR_TRUNC);
		nh_off = off;
		nh = b[off];
		off += hl;
	}
l4:
	p->proto = nh;
	return decode_l4(w, nh, b + off, end - off);
}
