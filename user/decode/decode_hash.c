// SPDX-License-Identifier: GPL-2.0-only
/*
 * decode_hash.c - decode_shard_hash(): which worker gets a replayed frame.
 *
 * Runs on the reader thread for every packet, so it walks the same headers as
 * decode_packet() with only the checks needed to stay in bounds and to stop
 * where decode would stop (a tunnel header that does not parse, a tunnel
 * too deep). It must give one value for both directions of a flow and for
 * every fragment of a datagram, so it hashes the address pair symmetrically
 * and never ports; at an IP fragment it stops, since only the first fragment
 * shows what is inside. Consequence: a flow carried in a *fragmented* tunnel
 * packet is sharded by the outer addresses, its unfragmented packets by the
 * inner ones -- such a flow may be seen by two workers.
 * UDP tunnels are recognised on their default ports whatever the decode
 * options say.
 */
#include "decode/decode_priv.h"
#include "weir/limits.h"

static uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	h ^= h >> 16;
	return h;
}

static uint32_t addr_hash(const uint8_t *a, int n)
{
	uint32_t h = 0x9e3779b9u;

	for (int i = 0; i < n; i += 4)
		h = mix32(h ^ rd32(a + i));
	return h;
}

uint32_t decode_shard_hash(const uint8_t *b, uint32_t len, uint16_t linktype)
{
	const uint8_t *src = NULL, *dst = NULL;
	uint32_t vlan = 0, tid = 0, hl, l4len = 0;
	int alen = 0, depth = 0, tags, nvlan = 0;
	uint16_t type = 0;
	uint8_t proto = 0;

	if (!b)
		return 0;
	switch (linktype) {
	case DECODE_LINK_ETHERNET:
		goto eth;
	case DECODE_LINK_RAW:
		if (len < 1)
			return 0;
		type = (b[0] >> 4) == 6 ? ETH_P_IPV6_ : ETH_P_IPV4_;
		goto etype;
	case DECODE_LINK_IPV4:
		type = ETH_P_IPV4_;
		goto etype;
	case DECODE_LINK_IPV6:
		type = ETH_P_IPV6_;
		goto etype;
	case DECODE_LINK_LINUX_SLL:
		if (len < 16)
			return 0;
		type = rd16(b + 14);
		b += 16;
		len -= 16;
		goto etype;
	case DECODE_LINK_LINUX_SLL2:
		if (len < 20)
			return 0;
		type = rd16(b);
		b += 20;
		len -= 20;
		goto etype;
	case DECODE_LINK_PPP:
		goto ppp;
	case DECODE_LINK_NULL:
	case DECODE_LINK_LOOP: {
		uint32_t af;

		if (len < 4)
			return 0;
		af = rd32(b);
		if (linktype == DECODE_LINK_NULL && af > 0xffff)
			af = __builtin_bswap32(af);
		b += 4;
		len -= 4;
		type = af == 2 ? ETH_P_IPV4_ : (af == 24 || af == 28 || af == 30) ? ETH_P_IPV6_ : 0;
		goto etype;
	}
	default:
		return 0;
	}

eth:
	if (len < 14)
		return 0;
	type = rd16(b + 12);
	b += 14;
	len -= 14;
	for (tags = 0; (type == ETH_P_8021Q_ || type == ETH_P_8021AD_); tags++) {
		if (tags >= WEIR_VLAN_MAX_DEPTH || len < 4)
			return 0;
		/* Like decode: the first two ids of all Ethernet layers. */
		if (nvlan++ < 2)
			vlan = vlan * 4099 + (rd16(b) & 0x0fff) + 1;
		type = rd16(b + 2);
		b += 4;
		len -= 4;
	}
	goto etype;

ppp:
	if (len >= 2 && b[0] == 0xff && b[1] == 0x03) {
		b += 2;
		len -= 2;
	}
	if (len >= 1 && (b[0] & 1)) {
		type = b[0];
		b += 1;
		len -= 1;
	} else if (len >= 2) {
		type = rd16(b);
		b += 2;
		len -= 2;
	} else {
		return 0;
	}
	type = type == 0x0021 ? ETH_P_IPV4_ : type == 0x0057 ? ETH_P_IPV6_ : 0;

etype:
	if (type == ETH_P_IPV4_) {
		if (len < 20 || (b[0] >> 4) != 4)
			return 0;
		hl = (b[0] & 0x0f) * 4u;
		if (hl < 20 || rd16(b + 2) < hl || rd16(b + 2) > len)
			return 0;
		len = rd16(b + 2);
		src = b + 12;
		dst = b + 16;
		alen = 4;
		if (rd16(b + 6) & 0x3fff)
			goto done;
		proto = b[9];
		b += hl;
		l4len = len - hl;
	} else if (type == ETH_P_IPV6_) {
		uint32_t end;

		if (len < 40 || (b[0] >> 4) != 6 || 40u + rd16(b + 4) > len)
			return 0;
		end = 40u + rd16(b + 4);
		src = b + 8;
		dst = b + 24;
		alen = 16;
		proto = b[6];
		hl = 40;
		for (int i = 0; i <= WEIR_IPV6_EXT_MAX_CHAIN; i++) {
			uint32_t eh;

			if (proto != 0 && proto != 43 && proto != 44 && proto != 51 && proto != 60)
				break;
			if (end - hl < 8)
				goto done;
			if (proto == 44) {
				if (rd16(b + hl + 2) & 0xfff9)
					goto done;
				eh = 8;
			} else {
				eh = proto == 51 ? (b[hl + 1] + 2u) * 4 : (b[hl + 1] + 1u) * 8;
			}
			if (eh > end - hl)
				goto done;
			proto = b[hl];
			hl += eh;
		}
		b += hl;
		l4len = end - hl;
	} else {
		return 0;
	}
	if (depth >= WEIR_TUNNEL_MAX_DEPTH)
		goto done;

	/* Tunnels: the same acceptance tests as decode_tunnel.c. */
	if (proto == 17 && l4len >= 8) {
		uint16_t dport = rd16(b + 2), ulen = rd16(b + 4);

		if (ulen < 8 || ulen > l4len)
			goto done;
		b += 8;
		len = ulen - 8u;
		if ((dport == WEIR_PORT_VXLAN || dport == WEIR_PORT_VXLAN_LINUX) && len >= 22 &&
		    (b[0] & 0x08)) {
			tid = rd32(b + 4) >> 8;
			depth++;
			b += 8;
			len -= 8;
			goto eth;
		}
		if (dport == WEIR_PORT_GENEVE && len >= 8 && !(b[0] >> 6) &&
		    8u + (b[0] & 0x3f) * 4u <= len) {
			type = rd16(b + 2);
			hl = 8u + (b[0] & 0x3f) * 4u;
			if (type != ETH_P_TEB_ && type != ETH_P_IPV4_ && type != ETH_P_IPV6_)
				goto done;
			tid = rd32(b + 4) >> 8;
			depth++;
			b += hl;
			len -= hl;
			if (type == ETH_P_TEB_)
				goto eth;
			goto etype;
		}
	} else if (proto == 47 && l4len >= 4) {
		uint16_t flags = rd16(b);
		uint32_t key = 0;

		type = rd16(b + 2);
		hl = 4;
		if ((flags & 7) == 0 && !(flags & 0x4000)) {
			hl += flags & 0x8000 ? 4 : 0;
			if ((flags & 0x2000) && l4len >= hl + 4) {
				key = rd32(b + hl);
				hl += 4;
			}
			hl += flags & 0x1000 ? 4 : 0;
		} else if ((flags & 7) == 1 && (flags & 0x2000) && !(flags & 0xc000) &&
			   l4len >= 8) {
			key = rd16(b + 6);
			hl = 8 + (flags & 0x1000 ? 4 : 0) + (flags & 0x0080 ? 4 : 0);
		} else {
			goto done;
		}
		if (hl >= l4len)
			goto done;
		if (type != ETH_P_IPV4_ && type != ETH_P_IPV6_ && type != ETH_P_TEB_ &&
		    type != ETH_P_PPP_)
			goto done;
		tid = key;
		depth++;
		b += hl;
		len = l4len - hl;
		if (type == ETH_P_TEB_)
			goto eth;
		if (type == ETH_P_PPP_)
			goto ppp;
		goto etype;
	} else if (proto == 4 || proto == 41) {
		depth++;
		len = l4len;
		type = proto == 4 ? ETH_P_IPV4_ : ETH_P_IPV6_;
		goto etype;
	}

done:
	if (!src)
		return 0;
	/* Sum of per-address hashes: symmetric in src/dst. */
	return mix32(addr_hash(src, alen) + addr_hash(dst, alen) + mix32(vlan ^ (tid * 0x9e3779b1u)));
}
