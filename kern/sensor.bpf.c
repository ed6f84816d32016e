// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sensor.bpf.c - the program sections of the live sensor. Each one builds
 * a struct pkt_ctx for its hook and runs handle_packet() (handle.bpf.h);
 * every one returns XDP_PASS / TC_ACT_OK through pass().
 *
 *   sensor_xdp                 XDP on a host-side veth: traffic leaving the pod
 *   sensor_xdp_uplink          XDP on the NIC: VXLAN/Geneve decapsulated, inner frame recorded
 *   sensor_tc_ingress          TC ingress of a veth (TC mode)
 *   sensor_tc_overlay_ingress  TC ingress of an overlay device: skips packets
 *                              for local pods (recorded at their veth egress)
 *   sensor_tc_egress           TC egress: veth or overlay; skips local-pod sources
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "handle.bpf.h"

static __always_inline int run_xdp(struct xdp_md *ctx, __u8 hook, __u32 seen)
{
	struct pkt_ctx pc = {
		.ctx = ctx,
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
		.ifindex = ctx->ingress_ifindex,
		.hook = hook,
		.is_xdp = 1,
	};

	stat_inc(seen);
	pc.wire_len = pc.data_end - pc.data;
	return pass(handle_packet(&pc), XDP_PASS);
}

static __always_inline int run_tc(struct __sk_buff *skb, __u8 hook, __u32 seen, __u8 overlay_in)
{
	struct pkt_ctx pc = {
		.ctx = skb,
		.data = (void *)(long)skb->data,
		.data_end = (void *)(long)skb->data_end,
		.wire_len = skb->len,
		.ifindex = skb->ifindex,
		.hook = hook,
		.overlay_in = overlay_in,
	};

	stat_inc(seen);
	return pass(handle_packet(&pc), TC_ACT_OK);
}

SEC("xdp")
int sensor_xdp(struct xdp_md *ctx)
{
	return run_xdp(ctx, WEIR_HOOK_XDP, WEIR_KSTAT_SEEN_XDP);
}

SEC("xdp")
int sensor_xdp_uplink(struct xdp_md *ctx)
{
	return run_xdp(ctx, WEIR_HOOK_UPLINK, WEIR_KSTAT_SEEN_UPLINK);
}

SEC("tc")
int sensor_tc_ingress(struct __sk_buff *skb)
{
	return run_tc(skb, WEIR_HOOK_TC_INGRESS, WEIR_KSTAT_SEEN_TC_INGRESS, 0);
}

SEC("tc")
int sensor_tc_overlay_ingress(struct __sk_buff *skb)
{
	return run_tc(skb, WEIR_HOOK_TC_INGRESS, WEIR_KSTAT_SEEN_TC_INGRESS, 1);
}

SEC("tc")
int sensor_tc_egress(struct __sk_buff *skb)
{
	return run_tc(skb, WEIR_HOOK_TC_EGRESS, WEIR_KSTAT_SEEN_TC_EGRESS, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
