/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * decode_stats.h - counters of the decode stage (see core/stats.h).
 *
 * "decoder.<proto>" counts packets that reached a layer; "decoder.invalid.*"
 * counts malformed or truncated packets by reason (each also counts in
 * "decoder.invalid"); "decoder.defrag.*" counts the defragmenter's work and
 * losses. Names follow Suricata's decoder counters where one exists.
 */
#ifndef WEIR_DECODE_STATS_H
#define WEIR_DECODE_STATS_H

#define DECODE_STATS(X)                                                         \
	X(DECODE_PKTS, "decoder.pkts")                                          \
	X(DECODE_BYTES, "decoder.bytes")                                        \
	X(DECODE_ETHERNET, "decoder.ethernet")                                  \
	X(DECODE_SLL, "decoder.sll")                                            \
	X(DECODE_SLL2, "decoder.sll2")                                          \
	X(DECODE_PPP, "decoder.ppp")                                            \
	X(DECODE_NULL, "decoder.null")                                          \
	X(DECODE_RAW, "decoder.raw")                                            \
	X(DECODE_VLAN, "decoder.vlan")                                          \
	X(DECODE_VLAN_QINQ, "decoder.vlan_qinq")                                \
	X(DECODE_IPV4, "decoder.ipv4")                                          \
	X(DECODE_IPV6, "decoder.ipv6")                                          \
	X(DECODE_TCP, "decoder.tcp")                                            \
	X(DECODE_UDP, "decoder.udp")                                            \
	X(DECODE_ICMPV4, "decoder.icmpv4")                                      \
	X(DECODE_ICMPV6, "decoder.icmpv6")                                      \
	X(DECODE_GRE, "decoder.gre")                                            \
	X(DECODE_VXLAN, "decoder.vxlan")                                        \
	X(DECODE_GENEVE, "decoder.geneve")                                      \
	X(DECODE_IPV4_IN_IP, "decoder.ipv4_in_ip")                              \
	X(DECODE_IPV6_IN_IP, "decoder.ipv6_in_ip")                              \
	X(DECODE_NON_IP, "decoder.non_ip")                                      \
	X(DECODE_OTHER_PROTO, "decoder.other_proto")                            \
	X(DECODE_GRE_OTHER_PROTO, "decoder.gre_other_proto")                    \
	X(DECODE_TUNNEL_PORT_PLAIN_UDP, "decoder.tunnel_port_plain_udp")        \
	X(DECODE_TUNNEL_TOO_DEEP, "decoder.tunnel_too_deep")                    \
	X(DECODE_TCP_OPT_INVALID_LEN, "decoder.tcp_opt_invalid_len")            \
	X(DECODE_INVALID, "decoder.invalid")                                    \
	X(DECODE_INV_LINKTYPE, "decoder.invalid.linktype")                      \
	X(DECODE_INV_ETH_TRUNC, "decoder.invalid.eth_trunc")                    \
	X(DECODE_INV_SLL_TRUNC, "decoder.invalid.sll_trunc")                    \
	X(DECODE_INV_SLL2_TRUNC, "decoder.invalid.sll2_trunc")                  \
	X(DECODE_INV_PPP_TRUNC, "decoder.invalid.ppp_trunc")                    \
	X(DECODE_INV_NULL_TRUNC, "decoder.invalid.null_trunc")                  \
	X(DECODE_INV_RAW_VER, "decoder.invalid.raw_ip_ver")                     \
	X(DECODE_INV_VLAN_TRUNC, "decoder.invalid.vlan_trunc")                  \
	X(DECODE_INV_VLAN_TOO_MANY, "decoder.invalid.vlan_too_many")            \
	X(DECODE_INV_IPV4_TOO_SMALL, "decoder.invalid.ipv4_pkt_too_small")      \
	X(DECODE_INV_IPV4_VER, "decoder.invalid.ipv4_wrong_ip_ver")             \
	X(DECODE_INV_IPV4_HLEN, "decoder.invalid.ipv4_hlen")                    \
	X(DECODE_INV_IPV4_IPLEN, "decoder.invalid.ipv4_iplen")                  \
	X(DECODE_INV_IPV4_TRUNC, "decoder.invalid.ipv4_trunc")                  \
	X(DECODE_INV_IPV6_TOO_SMALL, "decoder.invalid.ipv6_pkt_too_small")      \
	X(DECODE_INV_IPV6_VER, "decoder.invalid.ipv6_wrong_ip_ver")             \
	X(DECODE_INV_IPV6_TRUNC, "decoder.invalid.ipv6_trunc")                  \
	X(DECODE_INV_IPV6_EXTHDR_TRUNC, "decoder.invalid.ipv6_exthdr_trunc")    \
	X(DECODE_INV_IPV6_EXT_CHAIN, "decoder.invalid.ipv6_ext_chain")          \
	X(DECODE_INV_TCP_TOO_SMALL, "decoder.invalid.tcp_pkt_too_small")        \
	X(DECODE_INV_TCP_HLEN, "decoder.invalid.tcp_hlen")                      \
	X(DECODE_INV_UDP_TOO_SMALL, "decoder.invalid.udp_pkt_too_small")        \
	X(DECODE_INV_UDP_LEN, "decoder.invalid.udp_len")                        \
	X(DECODE_INV_ICMPV4_TOO_SMALL, "decoder.invalid.icmpv4_pkt_too_small")  \
	X(DECODE_INV_ICMPV6_TOO_SMALL, "decoder.invalid.icmpv6_pkt_too_small")  \
	X(DECODE_INV_GRE_TRUNC, "decoder.invalid.gre_trunc")                    \
	X(DECODE_INV_GRE_VERSION, "decoder.invalid.gre_version")                \
	X(DECODE_INV_GRE_FLAGS, "decoder.invalid.gre_flags")                    \
	X(DECODE_INV_FRAG_NESTED, "decoder.invalid.frag_nested")                \
	X(DECODE_INV_FRAG_PREFIX, "decoder.invalid.frag_prefix_too_long")       \
	X(DECODE_DEFRAG_IPV4_FRAGS, "decoder.defrag.ipv4.fragments")            \
	X(DECODE_DEFRAG_IPV6_FRAGS, "decoder.defrag.ipv6.fragments")            \
	X(DECODE_DEFRAG_REASSEMBLED, "decoder.defrag.reassembled")              \
	X(DECODE_DEFRAG_TIMEOUTS, "decoder.defrag.timeouts")                    \
	X(DECODE_DEFRAG_MEMCAP_DROPS, "decoder.defrag.memcap_drops")            \
	X(DECODE_DEFRAG_TRACKER_DROPS, "decoder.defrag.tracker_drops")          \
	X(DECODE_DEFRAG_OVERLAPS, "decoder.defrag.overlaps")                    \
	X(DECODE_DEFRAG_OVERSIZE, "decoder.defrag.oversize")                    \
	X(DECODE_DEFRAG_INVALID, "decoder.defrag.invalid")

#endif
