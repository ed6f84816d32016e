/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * flow.bpf.h - the direction-normalised kernel flow table: key building,
 * the symmetric hashes, and per-direction counters. The sampling decision
 * that reads these counters is in sample.bpf.h.
 */
#ifndef WEIR_FLOW_BPF_H
#define WEIR_FLOW_BPF_H

#include "maps.bpf.h"
#include "parse.bpf.h"
#include "stats.bpf.h"

static __always_inline __u32 hash_mix(__u32 h, __u32 w)
{
	h ^= w;
	h *= 0x9e3779b1;
	return h ^ (h >> 16);
}

static __always_inline __u32 hash_final(__u32 h)
{
	/* murmur3 fmix32 */
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	return h ^ (h >> 16);
}

/*
 * flow_src_first() - true when (saddr, sport) sorts before (daddr, dport)
 * in memcmp order (words compared in host order of their big-endian bytes).
 */
static __always_inline int flow_src_first(const struct parsed *p)
{
	int i;

#pragma unroll
	for (i = 0; i < 4; i++) {
		__u32 s = bpf_ntohl(p->saddr[i]), d = bpf_ntohl(p->daddr[i]);

		if (s != d)
			return s < d;
	}
	return bpf_ntohs(p->sport) <= bpf_ntohs(p->dport);
}

/*
 * flow_key_build() - normalised key of @p and the direction of the packet
 * (0: addr_a -> addr_b). Sets *flow_hash over the whole key and
 * *pair_hash over the two addresses only: shards are chosen by the address
 * pair so the fragments of a datagram (no ports) reach the same worker as
 * the rest of its flow, where userspace reassembles them.
 */
static __always_inline __u32 flow_key_build(const struct parsed *p, struct weir_kflow_key *k,
					    __u32 *flow_hash, __u32 *pair_hash)
{
	const __u32 *w = (const __u32 *)k;
	__u32 dir = !flow_src_first(p), h = 0x5eed1e57;
	int i;

	if (!dir) {
		__builtin_memcpy(k->addr_a, p->saddr, 16);
		__builtin_memcpy(k->addr_b, p->daddr, 16);
		k->port_a = p->sport;
		k->port_b = p->dport;
	} else {
		__builtin_memcpy(k->addr_a, p->daddr, 16);
		__builtin_memcpy(k->addr_b, p->saddr, 16);
		k->port_a = p->dport;
		k->port_b = p->sport;
	}
	k->proto = p->proto;

#pragma unroll
	for (i = 0; i < 8; i++)
		h = hash_mix(h, w[i]);
	*pair_hash = hash_final(h);
	h = hash_mix(h, w[8]);
	h = hash_mix(h, w[9]);
	*flow_hash = hash_final(h);
	return dir;
}

/*
 * flow_update() - find or create the flow of @k and count one packet of
 * @len wire bytes in direction @dir.
 * Return: the flow (map memory, shared by all CPUs), or NULL when the table
 * refused the insert (counted as FLOW_UPDATE_FAIL by the caller).
 */
static __always_inline struct weir_kflow_val *flow_update(const struct weir_kflow_key *k,
							  __u32 dir, __u32 len, __u8 tcp_flags,
							  __u64 now)
{
	struct weir_kflow_val *v;
	struct weir_kflow_dir *d;

	v = bpf_map_lookup_elem(&flow_map, k);
	if (!v) {
		struct weir_kflow_val nv = { .first_ns = now };

		/* -EEXIST means another CPU created it first: look it up again */
		if (!bpf_map_update_elem(&flow_map, k, &nv, BPF_NOEXIST))
			stat_inc(WEIR_KSTAT_FLOW_NEW);
		v = bpf_map_lookup_elem(&flow_map, k);
		if (!v)
			return NULL;
	}
	d = &v->dir[dir & 1];
	__sync_fetch_and_add(&d->pkts, 1);
	__sync_fetch_and_add(&d->bytes, len);
	/* Plain read-modify-write: OR needs BPF atomics v3 that the build does not
	 * target; a lost flag bit under a race only costs accuracy of a summary. */
	if (tcp_flags && (d->tcp_flags & tcp_flags) != tcp_flags)
		d->tcp_flags |= tcp_flags;
	return v;
}

#endif /* WEIR_FLOW_BPF_H */
