/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maps.bpf.h - every map of the sensor programs. Sizes come from
 * include/weir/limits.h, key and value types from include/weir/abi.h (the
 * skeleton does not export them). Logic that uses the maps lives in
 * flow.bpf.h, sample.bpf.h and sensor.bpf.c.
 */
#ifndef WEIR_MAPS_BPF_H
#define WEIR_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include <weir/abi.h>
#include <weir/limits.h>

/* Flow table: weir_kflow_key -> weir_kflow_val. Written by every hook (atomic
 * adds, so one flow seen on two CPUs stays exact), read by userspace only for
 * debugging. LRU so a flood of new flows evicts old ones instead of failing. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WEIR_KFLOW_MAX);
	__type(key, struct weir_kflow_key);
	__type(value, struct weir_kflow_val);
} flow_map SEC(".maps");

/* Ring shards: index (address-pair hash % n_shards) -> ring buffer. Filled by
 * userspace with one ring per worker after load; read by the programs. The
 * template size is a placeholder, the kernel does not compare it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, WEIR_WORKERS_MAX);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_RINGBUF);
		__uint(max_entries, WEIR_RING_TEMPLATE_BYTES);
	});
} rings SEC(".maps");

/* Counters: enum weir_kstat -> __u64 per CPU. Written by the programs, summed
 * by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WEIR_KSTAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats_pcpu SEC(".maps");

/* Run-time config: 0 -> struct weir_kcfg. Written by userspace (governor),
 * read once per packet. All zero (disabled) until userspace writes it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct weir_kcfg);
} cfg_map SEC(".maps");

/* Local pod endpoints: weir_kaddr -> ifindex of the pod's host-side veth.
 * Written by userspace, read by the TC egress hook to skip packets already
 * recorded at the source pod's own veth. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WEIR_LOCAL_EP_MAX);
	__type(key, struct weir_kaddr);
	__type(value, __u32);
} local_ep_map SEC(".maps");

#endif /* WEIR_MAPS_BPF_H */
