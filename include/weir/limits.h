/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * limits.h - compile-time bounds shared by the BPF programs and userspace.
 *
 * Loop bounds and table sizes that the verifier or a fixed-size structure needs
 * at compile time. Run-time limits (memcaps, timeouts, depths) live in the
 * userspace configuration, not here. Every value can be overridden by the build
 * (-DWEIR_VLAN_MAX_DEPTH=...).
 */
#ifndef WEIR_LIMITS_H
#define WEIR_LIMITS_H

/* 802.1Q / 802.1ad tags walked before giving up (outer + inner). */
#ifndef WEIR_VLAN_MAX_DEPTH
#define WEIR_VLAN_MAX_DEPTH 2
#endif

/* IPv6 extension headers walked before the packet counts as "ext chain too long". */
#ifndef WEIR_IPV6_EXT_MAX_CHAIN
#define WEIR_IPV6_EXT_MAX_CHAIN 8
#endif

/* Tunnel layers (VXLAN, Geneve, GRE) decoded inside one frame. */
#ifndef WEIR_TUNNEL_MAX_DEPTH
#define WEIR_TUNNEL_MAX_DEPTH 2
#endif

/* Largest frame a record or a pcap packet may carry (bytes). */
#ifndef WEIR_FRAME_MAX
#define WEIR_FRAME_MAX 65535
#endif

/* Worker threads / ring shards. */
#ifndef WEIR_WORKERS_MAX
#define WEIR_WORKERS_MAX 64
#endif

/* UDP ports that carry tunnels. */
#define WEIR_PORT_VXLAN       4789
#define WEIR_PORT_VXLAN_LINUX 8472
#define WEIR_PORT_GENEVE      6081

/* Frame bytes a record can carry: ring records are reserved at a fixed size
 * (the verifier needs a constant), so this bounds the run-time snaplen.
 * 1536 = 1500 MTU + Ethernet + two VLAN tags, rounded up. */
#ifndef WEIR_SNAPLEN_MAX
#define WEIR_SNAPLEN_MAX 1536
#endif

/* Frame bytes of the small record class: records that fit are reserved at
 * this size instead of WEIR_SNAPLEN_MAX, so ACKs and control packets do not
 * take 1.5 KiB of ring each. */
#ifndef WEIR_REC_SMALL_FRAME
#define WEIR_REC_SMALL_FRAME 184
#endif

/* Head bytes a recorded head packet uses up at least, so a direction that
 * carries no payload (ACKs of a download) ends its head too. */
#ifndef WEIR_HEAD_MIN_CHARGE
#define WEIR_HEAD_MIN_CHARGE 64
#endif

/* Entries of the kernel LRU flow table (shared by all hooks of a node). */
#ifndef WEIR_KFLOW_MAX
#define WEIR_KFLOW_MAX 65536
#endif

/* Local pod endpoints the "record once per node" check knows. */
#ifndef WEIR_LOCAL_EP_MAX
#define WEIR_LOCAL_EP_MAX 8192
#endif

/* Bytes TC pulls into the linear area when headers straddle it. */
#ifndef WEIR_TC_PULL_LEN
#define WEIR_TC_PULL_LEN 256
#endif

/* Size of the ring buffer template in the object; userspace creates the real
 * shards with their configured size (a power of two, >= page size). */
#ifndef WEIR_RING_TEMPLATE_BYTES
#define WEIR_RING_TEMPLATE_BYTES 4096
#endif

#endif /* WEIR_LIMITS_H */
