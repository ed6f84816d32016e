// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * baseline.bpf.c - the yardstick of bench/bpf_pps.c: parse the frame and
 * update its flow, as the sensor does, with no config, counters, sampling
 * or ring. The sensor's non-sampled path should stay within 1.3x of this.
 * Never attached by the sensor.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "parse.bpf.h"
#include "flow.bpf.h"

static __always_inline void baseline(void *data, void *data_end, __u32 len)
{
	struct weir_kflow_key key = {};
	struct parsed p = {};
	__u32 dir, fh, ph;

	if (parse_frame(data, data_end, len, &p))
		return;
	dir = flow_key_build(&p, &key, &fh, &ph);
	flow_update(&key, dir, len, p.tcp_flags, bpf_ktime_get_ns());
}

SEC("xdp")
int baseline_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;

	baseline(data, data_end, data_end - data);
	return XDP_PASS;
}

SEC("tc")
int baseline_tc(struct __sk_buff *skb)
{
	baseline((void *)(long)skb->data, (void *)(long)skb->data_end, skb->len);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
