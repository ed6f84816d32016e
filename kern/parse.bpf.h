/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * parse.bpf.h - cursor parsing of one frame: Ethernet, up to
 * WEIR_VLAN_MAX_DEPTH VLAN tags, IPv4 (options), IPv6 (extension chain
 * bounded by WEIR_IPV6_EXT_MAX_CHAIN), TCP/UDP/ICMP/ICMPv6, and the
 * VXLAN/Geneve header in front of an inner frame.
 *
 * Only what the flow table and the sampling policy need is extracted: the
 * addresses, ports, protocol, TCP flags and where the L4 payload starts.
 * Userspace decodes the recorded frame in full. Every read is preceded by a
 * bounds check against data_end, and every failure returns the counter of
 * its reason (enum weir_kstat, never 0), so the caller can count it and pass.
 */
#ifndef WEIR_PARSE_BPF_H
#define WEIR_PARSE_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include <weir/abi.h>
#include <weir/limits.h>
#include "compiler.bpf.h"

/* 0 is "parsed": it is never an outcome counter. */
#define PARSE_OK 0
build_bug_on(WEIR_KSTAT_SEEN_XDP != PARSE_OK);

#define TCP_F_FIN 0x01
#define TCP_F_SYN 0x02
#define TCP_F_RST 0x04

/* Outer headers in front of a tunnel header never reach this far. */
#define PARSE_TUNNEL_OFF_MAX 512

struct hdr_cursor {
	void *pos;
};

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct ipv6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset << 3 | M */
	__be32 id;
};

struct vxlan_hdr {
	__be32 flags; /* I flag 0x08000000 */
	__be32 vni;   /* VNI << 8 */
};

struct geneve_hdr {
	__u8 ver_optlen; /* version (2 bits), option length in 4-byte words (6 bits) */
	__u8 flags;
	__be16 proto;	 /* ETH_P_TEB for an Ethernet inner frame */
	__be32 vni;	 /* VNI << 8 */
};

/*
 * struct parsed - what one frame parse yields. Addresses are 16 bytes in
 * network order, IPv4 v4-mapped, so IPv4 and IPv6 share one flow key.
 * Offsets are from the start of the parsed frame.
 */
struct parsed {
	__u32 saddr[4];
	__u32 daddr[4];
	__be16 sport; /* TCP/UDP, 0 otherwise */
	__be16 dport;
	__u8 proto;   /* IPPROTO_* */
	__u8 tcp_flags;
	__u8 is_frag;
	__u8 is_ipv6;
	__u32 payload_off; /* L4 payload (IP payload for fragments and other protocols) */
	__u32 payload_len; /* from the IP lengths, not the frame: excludes Ethernet padding */
};

/*
 * parse_eth() - Ethernet and VLAN tags.
 * Sets *proto to the EtherType after the tags (network order).
 */
static __always_inline __u32 parse_eth(struct hdr_cursor *c, void *data_end, __be16 *proto)
{
	struct ethhdr *eth = c->pos;
	struct vlan_hdr *vh;
	__be16 p;
	int i;

	if ((void *)(eth + 1) > data_end)
		return WEIR_KSTAT_ERR_ETH_TRUNC;
	p = eth->h_proto;
	c->pos = eth + 1;

#pragma unroll
	for (i = 0; i < WEIR_VLAN_MAX_DEPTH; i++) {
		if (p != bpf_htons(ETH_P_8021Q) && p != bpf_htons(ETH_P_8021AD))
			break;
		vh = c->pos;
		if ((void *)(vh + 1) > data_end)
			return WEIR_KSTAT_ERR_VLAN_TRUNC;
		p = vh->proto;
		c->pos = vh + 1;
	}
	if (p == bpf_htons(ETH_P_8021Q) || p == bpf_htons(ETH_P_8021AD))
		return WEIR_KSTAT_ERR_VLAN_DEPTH;
	*proto = p;
	return PARSE_OK;
}

/* parse_ipv4() - header with options; sets addresses, proto, fragment flag, *l4_len. */
static __always_inline __u32 parse_ipv4(struct hdr_cursor *c, void *data_end, struct parsed *p,
					__u32 *l4_len)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot;

	if ((void *)(iph + 1) > data_end)
		return WEIR_KSTAT_ERR_IPV4_TRUNC;
	hlen = iph->ihl * 4;
	if (hlen < sizeof(*iph))
		return WEIR_KSTAT_ERR_IPV4_HLEN;
	if (c->pos + hlen > data_end)
		return WEIR_KSTAT_ERR_IPV4_TRUNC;
	tot = bpf_ntohs(iph->tot_len);
	/* 0 is a GSO/GRO packet above 64 KiB ("BIG TCP"): the caller uses the frame length */
	if (tot && tot < hlen)
		return WEIR_KSTAT_ERR_IPV4_HLEN;

	p->saddr[2] = bpf_htonl(0x0000ffff);
	p->saddr[3] = iph->saddr;
	p->daddr[2] = bpf_htonl(0x0000ffff);
	p->daddr[3] = iph->daddr;
	p->proto = iph->protocol;
	/* MF set or a non-zero offset: a fragment, recorded whole without L4 */
	p->is_frag = !!(iph->frag_off & bpf_htons(0x3fff));
	*l4_len = tot ? tot - hlen : ~0U;
	c->pos += hlen;
	return PARSE_OK;
}

/* Extension headers walked by parse_ipv6(), as a bit set over next-header
 * values (all below 64): hop-by-hop 0, routing 43, fragment 44, AH 51,
 * destination options 60. */
#define IPV6_EXT_MASK                                                                      \
	((1ULL << IPPROTO_HOPOPTS) | (1ULL << IPPROTO_ROUTING) | (1ULL << IPPROTO_FRAGMENT) | \
	 (1ULL << IPPROTO_AH) | (1ULL << IPPROTO_DSTOPTS))

static __always_inline __u64 ipv6_is_ext(__u64 nh)
{
	return nh < 64 && ((1ULL << nh) & IPV6_EXT_MASK);
}

/* 1 if @x == 0, else 0, for 0 <= x < 2^31, without a branch. */
static __always_inline __u32 is_zero(__u32 x)
{
	return (__u32)((__s32)(x - 1) >> 31) & ((~x) >> 31);
}

/*
 * parse_ipv6() - fixed header and the extension chain, at most
 * WEIR_IPV6_EXT_MAX_CHAIN headers. A fragment header with a non-zero offset
 * or M set ends the walk: what follows is fragment data, not L4.
 *
 * Verifier cost: the loop body computes each header's length without
 * branching on its type (AH counts 4-byte units, the fragment header is a
 * fixed 8 bytes, the others count 8-byte units). A branch per type would
 * give the verifier 3-5 distinct states per header, 5^8 paths over a full
 * chain; arithmetic keeps one path per header.
 */
static __always_inline __u32 parse_ipv6(struct hdr_cursor *c, void *data_end, struct parsed *p,
					__u32 *l4_len)
{
	struct ipv6hdr *ip6 = c->pos;
	struct ipv6_frag *fh;
	__u32 plen, ext = 0, len, is_ah, is_fh, hl;
	__u64 nh;
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return WEIR_KSTAT_ERR_IPV6_TRUNC;
	__builtin_memcpy(p->saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->daddr, &ip6->daddr, 16);
	p->is_ipv6 = 1;
	plen = bpf_ntohs(ip6->payload_len);
	nh = ip6->nexthdr;
	c->pos = ip6 + 1;

	for (i = 0; i < WEIR_IPV6_EXT_MAX_CHAIN; i++) {
		if (!ipv6_is_ext(nh))
			break;
		/* every extension header is >= 8 bytes; 4 cover the fields read */
		fh = c->pos;
		if (c->pos + 4 > data_end)
			return WEIR_KSTAT_ERR_IPV6_EXT_TRUNC;
		is_ah = is_zero(nh ^ IPPROTO_AH);
		is_fh = is_zero(nh ^ IPPROTO_FRAGMENT);
		/* offset != 0 or M set: a real fragment (offset 0 without M is
		 * an atomic fragment, and L4 follows) */
		if (is_fh & !is_zero(fh->frag_off & bpf_htons(0xfff9))) {
			p->is_frag = 1;
			nh = fh->nexthdr;
			ext += sizeof(*fh);
			c->pos += sizeof(*fh);
			goto out;
		}
		/* the fragment header's second byte is reserved, not a length */
		hl = fh->reserved & (is_fh - 1);
		len = (hl + 1 + is_ah) << (3 - is_ah); /* <= 2048 */
		/* Verifier workaround: "math between pkt pointer and register
		 * with unbounded min value": a shift by a register loses the
		 * bounds; clang drops a plain mask it can prove redundant */
		barrier_var(len);
		len &= 0xfff;
		nh = fh->nexthdr;
		ext += len;
		c->pos += len;
	}
	if (ipv6_is_ext(nh))
		return WEIR_KSTAT_ERR_IPV6_EXT_CHAIN;
out:
	p->proto = nh;
	/* payload_len 0 is a jumbogram (or GSO "big TCP"): the caller uses the frame length */
	*l4_len = plen > ext ? plen - ext : 0;
	if (!plen)
		*l4_len = ~0U;
	return PARSE_OK;
}

/* parse_l4() - ports, TCP flags and where the payload starts. */
static __always_inline __u32 parse_l4(struct hdr_cursor *c, void *data_end, struct parsed *p,
				      __u32 l4_len)
{
	struct tcphdr *th;
	struct udphdr *uh;
	__u32 hlen = 0;

	switch (p->proto) {
	case IPPROTO_TCP:
		th = c->pos;
		if ((void *)(th + 1) > data_end)
			return WEIR_KSTAT_ERR_L4_TRUNC;
		hlen = th->doff * 4;
		if (hlen < sizeof(*th) || c->pos + hlen > data_end)
			return WEIR_KSTAT_ERR_L4_TRUNC;
		p->sport = th->source;
		p->dport = th->dest;
		p->tcp_flags = ((__u8 *)th)[13];
		break;
	case IPPROTO_UDP:
		uh = c->pos;
		if ((void *)(uh + 1) > data_end)
			return WEIR_KSTAT_ERR_L4_TRUNC;
		hlen = sizeof(*uh);
		p->sport = uh->source;
		p->dport = uh->dest;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* type, code, checksum; the rest depends on the type */
		if (c->pos + 4 > data_end)
			return WEIR_KSTAT_ERR_L4_TRUNC;
		hlen = 4;
		break;
	default:
		break;
	}
	c->pos += hlen;
	p->payload_len = l4_len > hlen ? l4_len - hlen : 0;
	return PARSE_OK;
}

/*
 * parse_frame() - one frame from @data: L2, L3 and (unless a fragment) L4.
 * @frame_len is the frame length on the wire, which bounds payload_len when
 * IP gives none (IPv6 jumbograms).
 * Return: PARSE_OK, WEIR_KSTAT_NON_IP, or a WEIR_KSTAT_ERR_* reason.
 */
static __always_inline __u32 parse_frame(void *data, void *data_end, __u32 frame_len,
					 struct parsed *p)
{
	struct hdr_cursor c = { .pos = data };
	__u32 l4_len = 0, l4_off, ret;
	__be16 proto;

	ret = parse_eth(&c, data_end, &proto);
	if (ret)
		return ret;
	if (proto == bpf_htons(ETH_P_IP))
		ret = parse_ipv4(&c, data_end, p, &l4_len);
	else if (proto == bpf_htons(ETH_P_IPV6))
		ret = parse_ipv6(&c, data_end, p, &l4_len);
	else
		return WEIR_KSTAT_NON_IP;
	if (ret)
		return ret;

	l4_off = c.pos - data;
	if (l4_len == ~0U)
		l4_len = frame_len > l4_off ? frame_len - l4_off : 0;
	if (p->is_frag) {
		p->payload_off = l4_off;
		p->payload_len = l4_len;
		return PARSE_OK;
	}
	ret = parse_l4(&c, data_end, p, l4_len);
	if (ret)
		return ret;
	p->payload_off = c.pos - data;
	return PARSE_OK;
}

/*
 * parse_tunnel() - if the frame @p describes is VXLAN (UDP 4789/8472) or
 * Geneve (6081) carrying Ethernet, find the inner frame.
 * Sets *inner_off (from @data) and *vni.
 * Return: PARSE_OK, WEIR_KSTAT_NOT_TUNNEL, or WEIR_KSTAT_ERR_TUNNEL_TRUNC.
 */
static __always_inline __u32 parse_tunnel(void *data, void *data_end, const struct parsed *p,
					  __u32 *inner_off, __u32 *vni)
{
	struct vxlan_hdr *vh;
	struct geneve_hdr *gh;
	void *pos;
	__u16 dport = bpf_ntohs(p->dport);
	__u64 off = p->payload_off;
	__u32 hlen;

	if (p->proto != IPPROTO_UDP || p->is_frag)
		return WEIR_KSTAT_NOT_TUNNEL;
	/* Verifier workaround: "R2 offset is outside of the packet": clang
	 * re-extends a 32-bit offset after checking it, losing the bound; a
	 * 64-bit offset behind a barrier is checked and used as one register. */
	barrier_var(off);
	if (off > PARSE_TUNNEL_OFF_MAX)
		return WEIR_KSTAT_NOT_TUNNEL;
	pos = data + off;
	if (dport == WEIR_PORT_VXLAN || dport == WEIR_PORT_VXLAN_LINUX) {
		vh = pos;
		if ((void *)(vh + 1) > data_end)
			return WEIR_KSTAT_ERR_TUNNEL_TRUNC;
		if (!(vh->flags & bpf_htonl(0x08000000)))
			return WEIR_KSTAT_NOT_TUNNEL;
		*vni = bpf_ntohl(vh->vni) >> 8;
		hlen = sizeof(*vh);
	} else if (dport == WEIR_PORT_GENEVE) {
		gh = pos;
		if ((void *)(gh + 1) > data_end)
			return WEIR_KSTAT_ERR_TUNNEL_TRUNC;
		if (gh->proto != bpf_htons(ETH_P_TEB))
			return WEIR_KSTAT_NOT_TUNNEL;
		*vni = bpf_ntohl(gh->vni) >> 8;
		hlen = sizeof(*gh) + (gh->ver_optlen & 0x3f) * 4;
	} else {
		return WEIR_KSTAT_NOT_TUNNEL;
	}
	if (pos + hlen > data_end)
		return WEIR_KSTAT_ERR_TUNNEL_TRUNC;
	*inner_off = off + hlen;
	return PARSE_OK;
}

#endif /* WEIR_PARSE_BPF_H */
