// SPDX-License-Identifier: GPL-2.0-only
/*
 * decode_link.c - link layers: pcap link types, Ethernet with 802.1Q/802.1ad
 * tags, PPP, and the ethertype dispatch shared with GRE and SLL.
 */
#include "decode/decode_priv.h"
#include "weir/limits.h"

#define ETH_HLEN_ 14
#define VLAN_HLEN_ 4
#define SLL_HLEN_ 16
#define SLL2_HLEN_ 20
#define NULL_HLEN_ 4

/* BSD address families: IPv6 differs between the BSDs (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS). */
#define BSD_AF_INET 2
#define BSD_AF_INET6_BSD 24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

int decode_ethertype(struct decode_walk *w, uint16_t type, const uint8_t *b, uint32_t len)
{
	switch (type) {
	case ETH_P_IPV4_:
		return decode_ipv4(w, b, len);
	case ETH_P_IPV6_:
		return decode_ipv6(w, b, len);
	default:
		/* ARP, LLDP, ...: nothing to inspect, and not an error. */
		decode_count(w, WS_DECODE_NON_IP);
		return -EINVAL;
	}
}

int decode_ether(struct decode_walk *w, const uint8_t *b, uint32_t len)
{
	struct weir_pkt *p = w->p;
	uint16_t type;
	int tags = 0;

	if (len < ETH_HLEN_)
		return decode_bad(w, WS_DECODE_INV_ETH_TRUNC);
	decode_count(w, WS_DECODE_ETHERNET);
	type = rd16(b + 12);
	b += ETH_HLEN_;
	len -= ETH_HLEN_;

	while (type == ETH_P_8021Q_ || type == ETH_P_8021AD_) {
		if (++tags > WEIR_VLAN_MAX_DEPTH)
			return decode_bad(w, WS_DECODE_INV_VLAN_TOO_MANY);
		if (len < VLAN_HLEN_)
			return decode_bad(w, WS_DECODE_INV_VLAN_TRUNC);
		decode_count(w, tags == 1 ? WS_DECODE_VLAN : WS_DECODE_VLAN_QINQ);
		/* Tags of inner Ethernet layers (VXLAN) add to the outer ones while there is room. */
		if (p->vlan_cnt < 2)
			p->vlan[p->vlan_cnt++] = rd16(b) & 0x0fff;
		type = rd16(b + 2);
		b += VLAN_HLEN_;
		len -= VLAN_HLEN_;
	}
	return decode_ethertype(w, type, b, len);
}

int decode_ppp(struct decode_walk *w, const uint8_t *b, uint32_t len)
{
	uint16_t proto;

	/* Address/control bytes (0xff 0x03) are optional (ACFC). */
	if (len >= 2 && b[0] == 0xff && b[1] == 0x03) {
		b += 2;
		len -= 2;
	}
	if (len < 1)
		return decode_bad(w, WS_DECODE_INV_PPP_TRUNC);
	/* A protocol field with an odd first byte is compressed to one byte (PFC). */
	if (b[0] & 1) {
		proto = b[0];
		b += 1;
		len -= 1;
	} else {
		if (len < 2)
			return decode_bad(w, WS_DECODE_INV_PPP_TRUNC);
		proto = rd16(b);
		b += 2;
		len -= 2;
	}
	decode_count(w, WS_DECODE_PPP);
	switch (proto) {
	case PPP_IPV4:
		return decode_ipv4(w, b, len);
	case PPP_IPV6:
		return decode_ipv6(w, b, len);
	default:
		/* LCP, IPCP, CCP...: PPP control traffic. */
		decode_count(w, WS_DECODE_NON_IP);
		return -EINVAL;
	}
}

static int decode_raw(struct decode_walk *w, const uint8_t *b, uint32_t len)
{
	decode_count(w, WS_DECODE_RAW);
	if (len < 1)
		return decode_bad(w, WS_DECODE_INV_IPV4_TOO_SMALL);
	switch (b[0] >> 4) {
	case 4:
		return decode_ipv4(w, b, len);
	case 6:
		return decode_ipv6(w, b, len);
	default:
		return decode_bad(w, WS_DECODE_INV_RAW_VER);
	}
}

static int decode_null(struct decode_walk *w, const uint8_t *b, uint32_t len, bool host_order)
{
	uint32_t af;

	if (len < NULL_HLEN_)
		return decode_bad(w, WS_DECODE_INV_NULL_TRUNC);
	decode_count(w, WS_DECODE_NULL);
	af = rd32(b);
	/*
	 * DLT_NULL stores the AF in the capturing host's order, which the file
	 * does not tell us; AF values are small, so a big value is byte-swapped
	 * (what libpcap and Wireshark do).
	 */
	if (host_order && af > 0xffff)
		af = __builtin_bswap32(af);
	b += NULL_HLEN_;
	len -= NULL_HLEN_;
	switch (af) {
	case BSD_AF_INET:
		return decode_ipv4(w, b, len);
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		return decode_ipv6(w, b, len);
	default:
		decode_count(w, WS_DECODE_NON_IP);
		return -EINVAL;
	}
}

int decode_link(struct decode_walk *w, const uint8_t *b, uint32_t len)
{
	switch (w->p->linktype) {
	case DECODE_LINK_ETHERNET:
		return decode_ether(w, b, len);
	case DECODE_LINK_RAW:
		return decode_raw(w, b, len);
	case DECODE_LINK_IPV4:
		decode_count(w, WS_DECODE_RAW);
		return decode_ipv4(w, b, len);
	case DECODE_LINK_IPV6:
		decode_count(w, WS_DECODE_RAW);
		return decode_ipv6(w, b, len);
	case DECODE_LINK_LINUX_SLL:
		if (len < SLL_HLEN_)
			return decode_bad(w, WS_DECODE_INV_SLL_TRUNC);
		decode_count(w, WS_DECODE_SLL);
		return decode_ethertype(w, rd16(b + 14), b + SLL_HLEN_, len - SLL_HLEN_);
	case DECODE_LINK_LINUX_SLL2:
		if (len < SLL2_HLEN_)
			return decode_bad(w, WS_DECODE_INV_SLL2_TRUNC);
		decode_count(w, WS_DECODE_SLL2);
		return decode_ethertype(w, rd16(b), b + SLL2_HLEN_, len - SLL2_HLEN_);
	case DECODE_LINK_PPP:
		return decode_ppp(w, b, len);
	case DECODE_LINK_NULL:
		return decode_null(w, b, len, true);
	case DECODE_LINK_LOOP:
		return decode_null(w, b, len, false);
	default:
		return decode_bad(w, WS_DECODE_INV_LINKTYPE);
	}
}
