/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * stats.bpf.h - per-CPU counters and the one exit of every program.
 * Counter ids are enum weir_kstat (include/weir/abi.h); the map is
 * stats_pcpu (maps.bpf.h).
 */
#ifndef WEIR_STATS_BPF_H
#define WEIR_STATS_BPF_H

#include "maps.bpf.h"
#include "compiler.bpf.h"

static __always_inline void stat_add(__u32 id, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats_pcpu, &id);

	/* per-CPU slot: no other writer, no atomic needed */
	if (v)
		*v += n;
}

static __always_inline void stat_inc(__u32 id)
{
	stat_add(id, 1);
}

/*
 * pass() - count the packet's outcome and let it through. Every program
 * returns through here with its XDP_PASS / TC_ACT_OK: the sensor never
 * drops, redirects or changes a packet.
 */
static __always_inline int pass(__u32 outcome, int verdict)
{
	stat_inc(outcome);
	return verdict;
}

#endif /* WEIR_STATS_BPF_H */
