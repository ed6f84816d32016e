// SPDX-License-Identifier: GPL-2.0-only
/*
 * decode_l4.c - transport headers (TCP with options, UDP, ICMP, ICMPv6) and
 * the dispatch of IP payloads that are tunnels (GRE, IP-in-IP, UDP tunnels).
 */
#include "decode/decode_priv.h"
#include "weir/limits.h"

#define IPPROTO_ICMP_ 1
#define IPPROTO_IPIP_ 4
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_IPV6_ 41
#define IPPROTO_GRE_ 47
#define IPPROTO_ICMPV6_ 58

#define TCP_HLEN_MIN 20
#define UDP_HLEN 8
#define ICMP_HLEN 8

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_WSCALE 3
#define TCPOPT_TFO 34
#define TCPOPT_EXP 254
#define TCPOPT_EXP_TFO_MAGIC 0xf989
#define TCP_WSCALE_MAX 14 /* RFC 7323: larger shifts are treated as 14 */
#define TCP_SYN 0x02

static void decode_tcp_opts(struct decode_walk *w, const uint8_t *o, uint32_t len)
{
	struct weir_pkt *p = w->p;
	uint32_t i = 0;

	while (i < len) {
		uint8_t kind = o[i], olen;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		/*
		 * A bad option length is counted but the packet is still
		 * inspected: receivers differ on such options and dropping the
		 * packet from inspection would be an evasion.
		 */
		if (len - i < 2 || o[i + 1] < 2 || o[i + 1] > len - i) {
			decode_count(w, WS_DECODE_TCP_OPT_INVALID_LEN);
			break;
		}
		olen = o[i + 1];
		switch (kind) {
		case TCPOPT_WSCALE:
			if (olen == 3)
				p->tcp_wscale = o[i + 2] > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : o[i + 2];
			break;
		case TCPOPT_TFO:
			if (p->tcp_flags & TCP_SYN)
				p->flags |= PKT_F_TCP_TFO;
			break;
		case TCPOPT_EXP:
			/* RFC 7413 experimental form: kind 254 with magic 0xF989. */
			if (olen >= 4 && rd16(o + i + 2) == TCPOPT_EXP_TFO_MAGIC &&
			    (p->tcp_flags & TCP_SYN))
				p->flags |= PKT_F_TCP_TFO;
			break;
		default:
			break;
		}
		i += olen;
	}
}

static int decode_tcp(struct decode_walk *w, const uint8_t *b, uint32_t len)
{
	struct weir_pkt *p = w->p;
	uint32_t hlen;

	if (len < TCP_HLEN_MIN)
		return decode_bad(w, WS_DECODE_INV_TCP_TOO_SMALL);
	hlen = (b[12] >> 4) * 4u;
	if (hlen < TCP_HLEN_MIN || hlen > len)
		return decode_bad(w, WS_DECODE_INV_TCP_HLEN);
	decode_count(w, WS_DECODE_TCP);
	p->sport = rd16(b);
	p->dport = rd16(b + 2);
	p->tcp_seq = rd32(b + 4);
	p->tcp_ack = rd32(b + 8);
	p->tcp_flags = b[13];
	p->tcp_win = rd16(b + 14);
	decode_tcp_opts(w, b + TCP_HLEN_MIN, hlen - TCP_HLEN_MIN);
	p->payload = b + hlen;
	p->payload_len = len - hlen;
	return 0;
}

static int decode_udp(struct decode_walk *w, const uint8_t *b, uint32_t len)
{
	struct weir_pkt *p = w->p;
	uint32_t ulen;
	int rc;

	if (len < UDP_HLEN)
		return decode_bad(w, WS_DECODE_INV_UDP_TOO_SMALL);
	ulen = rd16(b + 4);
	/* The IP length bounds the datagram; UDP length 0 (jumbogram) is not supported. */
	if (ulen < UDP_HLEN || ulen > len)
		return decode_bad(w, WS_DECODE_INV_UDP_LEN);
	decode_count(w, WS_DECODE_UDP);
	p->flags |= PKT_F_L4;
	p->sport = rd16(b);
	p->dport = rd16(b + 2);
	p->payload = b + UDP_HLEN;
	p->payload_len = ulen - UDP_HLEN;
	if (decode_udp_tunnel(w, p->dport, p->payload, p->payload_len, &rc))
		return rc;
	return 0;
}

static int decode_icmp(struct decode_walk *w, const uint8_t *b, uint32_t len, bool v6)
{
	struct weir_pkt *p = w->p;

	if (len < ICMP_HLEN)
		return decode_bad(w, v6 ? WS_DECODE_INV_ICMPV6_TOO_SMALL :
					  WS_DECODE_INV_ICMPV4_TOO_SMALL);
	decode_count(w, v6 ? WS_DECODE_ICMPV6 : WS_DECODE_ICMPV4);
	p->icmp_type = b[0];
	p->icmp_code = b[1];
	/* Echo request/reply: v4 8/0, v6 128/129. */
	if ((!v6 && (b[0] == 8 || b[0] == 0)) || (v6 && (b[0] == 128 || b[0] == 129)))
		p->icmp_id = rd16(b + 4);
	p->payload = b + ICMP_HLEN;
	p->payload_len = len - ICMP_HLEN;
	return 0;
}

int decode_l4(struct decode_walk *w, uint8_t proto, const uint8_t *b, uint32_t len)
{
	struct weir_pkt *p = w->p;
	int rc;

	p->l4 = b;
	p->l4_len = len;
	switch (proto) {
	case IPPROTO_TCP_:
		rc = decode_tcp(w, b, len);
		break;
	case IPPROTO_UDP_:
		/* Sets PKT_F_L4 itself: a UDP tunnel may replace it by the inner packet's. */
		return decode_udp(w, b, len);
	case IPPROTO_ICMP_:
		rc = decode_icmp(w, b, len, false);
		break;
	case IPPROTO_ICMPV6_:
		rc = decode_icmp(w, b, len, true);
		break;
	case IPPROTO_GRE_:
		return decode_gre(w, b, len);
	case IPPROTO_IPIP_:
	case IPPROTO_IPV6_:
		if (w->depth >= WEIR_TUNNEL_MAX_DEPTH) {
			decode_count(w, WS_DECODE_TUNNEL_TOO_DEEP);
			return 0;
		}
		decode_count(w, proto == IPPROTO_IPIP_ ? WS_DECODE_IPV4_IN_IP : WS_DECODE_IPV6_IN_IP);
		/* No tunnel type of its own: the inner packet keeps the enclosing tunnel's id. */
		decode_enter_tunnel(w, (enum pkt_tunnel)p->tunnel, p->tunnel_id);
		return proto == IPPROTO_IPIP_ ? decode_ipv4(w, b, len) : decode_ipv6(w, b, len);
	default:
		/* SCTP, ESP, ...: addresses only. */
		decode_count(w, WS_DECODE_OTHER_PROTO);
		return 0;
	}
	if (rc == 0)
		p->flags |= PKT_F_L4;
	return rc;
}
