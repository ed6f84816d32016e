/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * abi.h - the kernel <-> userspace ABI of the live sensor.
 *
 * The one definition of everything the BPF programs (kern/) and the loader
 * (user/source/source_bpf.c) exchange: the ring record header, the per-CPU
 * counter ids, the run-time config map value, the flow table and local
 * endpoint map layouts. Compiled by clang -target bpf and by gcc, so it only
 * uses <linux/types.h>, fixed-width types, explicit padding, and pins every
 * layout with _Static_assert. Compile-time bounds live in limits.h; userspace
 * decoding of the frame that follows a record lives in user/decode.
 */
#ifndef WEIR_ABI_H
#define WEIR_ABI_H

#include <linux/types.h>

/* Where a record was taken. Values are stable: they go into events. */
enum weir_hook {
	WEIR_HOOK_XDP = 0,	/* XDP on a host-side veth: traffic leaving the pod */
	WEIR_HOOK_TC_INGRESS = 1, /* TC ingress: pod egress (veth) or decapsulated overlay */
	WEIR_HOOK_TC_EGRESS = 2,  /* TC egress: traffic entering the pod / leaving by overlay */
	WEIR_HOOK_UPLINK = 3,	/* XDP on the NIC, VXLAN/Geneve decapsulated */
	WEIR_HOOK__MAX,
};

/* struct weir_rec.flags */
enum weir_rec_flag {
	WEIR_REC_F_CONTROL = 1 << 0, /* recorded because TCP SYN/FIN/RST */
	WEIR_REC_F_HEAD = 1 << 1,    /* recorded as part of its direction's head */
	WEIR_REC_F_SAMPLED = 1 << 2, /* recorded by 1-in-sample_rate of the bulk */
	WEIR_REC_F_DIR_BA = 1 << 3,  /* packet goes key.addr_b -> key.addr_a (dir index 1) */
	WEIR_REC_F_FRAG = 1 << 4,    /* IP fragment: no L4, ports 0 in the flow key */
	WEIR_REC_F_DECAP = 1 << 5,   /* frame is the inner frame of a VXLAN/Geneve packet */
	WEIR_REC_F_SNAPPED = 1 << 6, /* cap_len < wire_len */
	WEIR_REC_F_NOFLOW = 1 << 7,  /* flow table update failed: counters are this packet only */
	WEIR_REC_F_IPV6 = 1 << 8,    /* flow key addresses are IPv6 (else v4-mapped IPv4) */
};

/*
 * struct weir_rec - header of one ring buffer record; the captured frame
 * (cap_len bytes from the L2 header) follows it directly. Flow counters are
 * the kernel's view of the whole flow after this packet, so accounting stays
 * exact when bulk packets are not recorded. Index 0 of the per-direction
 * arrays is key.addr_a -> key.addr_b (see struct weir_kflow_key).
 */
struct weir_rec {
	__u64 ts_ns;	    /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 ifindex;	    /* interface the hook runs on */
	__u8 hook;	    /* enum weir_hook */
	__u8 ip_proto;	    /* IPPROTO_* of the flow, 0 if none */
	__u16 flags;	    /* enum weir_rec_flag */
	__u32 cap_len;	    /* bytes of frame following this header */
	__u32 wire_len;	    /* frame length on the wire (inner frame if DECAP) */
	__u32 flow_hash;    /* symmetric hash of the normalised flow key */
	__u32 tun_id;	    /* VXLAN VNI / Geneve VNI if DECAP, else 0 (host order) */
	__u64 pkts[2];	    /* flow packets per direction */
	__u64 bytes[2];	    /* flow wire bytes per direction */
	__u8 tcp_flags[2];  /* TCP flags seen per direction (OR) */
	__u8 __pad[6];
};
_Static_assert(sizeof(struct weir_rec) == 72, "struct weir_rec layout");

/*
 * Per-CPU counters, X(ID, "dotted.name"). Each packet ends in exactly one
 * outcome (marked "outcome"), so seen_* == sum of outcomes; the others are
 * details of a path and may overlap.
 */
#define WEIR_KSTATS(X)                                                          \
	X(SEEN_XDP, "kernel.seen.xdp")                                           \
	X(SEEN_TC_INGRESS, "kernel.seen.tc_ingress")                             \
	X(SEEN_TC_EGRESS, "kernel.seen.tc_egress")                               \
	X(SEEN_UPLINK, "kernel.seen.uplink")                                     \
	/* outcomes */                                                           \
	X(RECORDED, "kernel.recorded")                                           \
	X(RING_FULL, "kernel.lost.ring_full")                                    \
	X(RING_MISSING, "kernel.lost.ring_missing")                              \
	X(COPY_FAIL, "kernel.lost.copy_fail")                                    \
	X(SAMPLED_OUT, "kernel.sampled_out")                                     \
	X(DISABLED, "kernel.disabled")                                           \
	X(DUP_SKIPPED, "kernel.duplicate_skipped")                               \
	X(NON_IP, "kernel.non_ip")                                               \
	X(NOT_TUNNEL, "kernel.uplink_not_tunnel")                                \
	X(ERR_ETH_TRUNC, "kernel.invalid.eth_trunc")                             \
	X(ERR_VLAN_TRUNC, "kernel.invalid.vlan_trunc")                           \
	X(ERR_VLAN_DEPTH, "kernel.invalid.vlan_depth")                           \
	X(ERR_IPV4_TRUNC, "kernel.invalid.ipv4_trunc")                           \
	X(ERR_IPV4_HLEN, "kernel.invalid.ipv4_hlen")                             \
	X(ERR_IPV6_TRUNC, "kernel.invalid.ipv6_trunc")                           \
	X(ERR_IPV6_EXT_TRUNC, "kernel.invalid.ipv6_ext_trunc")                   \
	X(ERR_IPV6_EXT_CHAIN, "kernel.invalid.ipv6_ext_chain")                   \
	X(ERR_L4_TRUNC, "kernel.invalid.l4_trunc")                               \
	X(ERR_TUNNEL_TRUNC, "kernel.invalid.tunnel_trunc")                       \
	/* details */                                                            \
	X(REC_CONTROL, "kernel.record.control")                                  \
	X(REC_HEAD, "kernel.record.head")                                        \
	X(REC_SAMPLED, "kernel.record.sampled")                                  \
	X(HEAD_EXCEEDED, "kernel.head_exceeded")                                 \
	X(SNAPPED, "kernel.record.snapped")                                      \
	X(WAKEUPS, "kernel.ring.wakeups")                                        \
	X(FRAGMENTS, "kernel.fragments")                                         \
	X(DECAP, "kernel.decap")                                                 \
	X(FLOW_NEW, "kernel.flow.new")                                           \
	X(FLOW_UPDATE_FAIL, "kernel.flow.update_fail")                           \
	X(TC_PULLED, "kernel.tc_pulled")

enum weir_kstat {
#define WEIR_KSTAT_ENUM(id, name) WEIR_KSTAT_##id,
	WEIR_KSTATS(WEIR_KSTAT_ENUM)
#undef WEIR_KSTAT_ENUM
	WEIR_KSTAT__MAX,
};

/*
 * struct weir_kcfg - run-time config, entry 0 of cfg_map. Userspace (the CPU
 * governor) rewrites it whole; the programs read it once per packet.
 */
struct weir_kcfg {
	__u32 enabled;	    /* 0: count seen/disabled and pass, nothing else */
	__u32 head_bytes;   /* captured payload per direction recorded in full */
	__u32 sample_rate;  /* 1 in N bulk packets per direction recorded; 0 = none */
	__u32 snaplen;	    /* frame bytes copied per record, <= WEIR_SNAPLEN_MAX */
	__u32 n_shards;	    /* ring shards in use, 1..WEIR_WORKERS_MAX */
	__u32 wakeup_bytes; /* wake the reader when a ring holds this much; 0 = every record */
};
_Static_assert(sizeof(struct weir_kcfg) == 24, "struct weir_kcfg layout");

/*
 * struct weir_kflow_key - direction-normalised flow key. Addresses are
 * 16 bytes, IPv4 as v4-mapped (::ffff:a.b.c.d); (addr_a, port_a) is the
 * smaller endpoint in memcmp order, so both directions share one key. ICMP
 * and fragments have ports 0. Network byte order throughout.
 */
struct weir_kflow_key {
	__u8 addr_a[16];
	__u8 addr_b[16];
	__be16 port_a;
	__be16 port_b;
	__u8 proto;	/* IPPROTO_* */
	__u8 __pad[3];
};
_Static_assert(sizeof(struct weir_kflow_key) == 40, "struct weir_kflow_key layout");

/* One direction of a kernel flow. */
struct weir_kflow_dir {
	__u64 pkts;
	__u64 bytes;	    /* wire bytes */
	__u32 head_cap;	    /* head used: captured payload of head records, >= WEIR_HEAD_MIN_CHARGE each */
	__u32 bulk_seen;    /* packets past the head, drives 1-in-sample_rate */
	__u32 tcp_flags;    /* OR of TCP flags seen (32 bits: BPF has no 8-bit atomics) */
	__u32 __pad;
};
_Static_assert(sizeof(struct weir_kflow_dir) == 32, "struct weir_kflow_dir layout");

struct weir_kflow_val {
	struct weir_kflow_dir dir[2]; /* [0] addr_a -> addr_b, [1] addr_b -> addr_a */
	__u64 first_ns;		      /* CLOCK_MONOTONIC */
};
_Static_assert(sizeof(struct weir_kflow_val) == 72, "struct weir_kflow_val layout");

/* Key of local_ep_map: a local pod address, IPv4 v4-mapped, network order. */
struct weir_kaddr {
	__u8 addr[16];
};
_Static_assert(sizeof(struct weir_kaddr) == 16, "struct weir_kaddr layout");

#endif /* WEIR_ABI_H */
