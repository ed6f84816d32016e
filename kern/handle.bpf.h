/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * handle.bpf.h - the per-packet path shared by every program:
 * config -> parse (-> decapsulate) -> once-per-node check -> flow table ->
 * sampling policy -> ring record. It returns the packet's outcome counter;
 * the program section passes it to pass(), so no path can forget to count
 * or to let the packet through.
 */
#ifndef WEIR_HANDLE_BPF_H
#define WEIR_HANDLE_BPF_H

#include "parse.bpf.h"
#include "flow.bpf.h"
#include "sample.bpf.h"
#include "record.bpf.h"

/* Offsets beyond this cannot hold a frame we parse; keeps the verifier's
 * range of the decapsulated frame start small. */
#define HANDLE_INNER_OFF_MAX 512

/* Outcomes that mean "a header ends before it should" in the data seen. */
static __always_inline int is_trunc(__u32 outcome)
{
	return outcome >= WEIR_KSTAT_ERR_ETH_TRUNC && outcome <= WEIR_KSTAT_ERR_TUNNEL_TRUNC;
}

/*
 * tc_need_pull() - after a parse of a TC packet ended in @outcome: if it
 * looked truncated only because headers lie beyond the linear area (a GSO
 * packet built by a driver that keeps few bytes linear), pull them in and
 * tell the caller to parse again. Only then: the pull moves no packet bytes,
 * but on a cloned skb (TCP transmit) it copies the head. The helper
 * invalidates packet pointers, so data/data_end are re-read.
 */
static __always_inline int tc_need_pull(struct pkt_ctx *pc, __u32 outcome)
{
	struct __sk_buff *skb = pc->ctx;
	__u32 lin = pc->data_end - pc->data;

	if (!is_trunc(outcome) || pc->wire_len <= lin || lin >= WEIR_TC_PULL_LEN)
		return 0;
	if (bpf_skb_pull_data(skb, min(pc->wire_len, (__u32)WEIR_TC_PULL_LEN)))
		return 0;
	stat_inc(WEIR_KSTAT_TC_PULLED);
	pc->data = (void *)(long)skb->data;
	pc->data_end = (void *)(long)skb->data_end;
	return 1;
}

/*
 * handle_packet() - observe one packet.
 * Return: the outcome, an enum weir_kstat counted by the caller.
 */
static __always_inline __u32 handle_packet(struct pkt_ctx *pc)
{
	struct weir_kflow_val noflow = {}, *v;
	struct weir_kflow_key key = {};
	struct rec_meta m = {};
	struct parsed p = {};
	struct weir_kcfg *cfg;
	__u32 zero = 0, ret, dir, pair_hash, n_shards, snap, cap_pl;
	void *frame = pc->data;

	cfg = bpf_map_lookup_elem(&cfg_map, &zero);
	if (!cfg || !cfg->enabled)
		return WEIR_KSTAT_DISABLED;

	m.frame_len = pc->wire_len;
	ret = parse_frame(pc->data, pc->data_end, pc->wire_len, &p);
	if (!pc->is_xdp && tc_need_pull(pc, ret)) {
		__builtin_memset(&p, 0, sizeof(p));
		ret = parse_frame(pc->data, pc->data_end, pc->wire_len, &p);
	}
	if (ret)
		return ret;

	if (pc->hook == WEIR_HOOK_UPLINK) {
		ret = parse_tunnel(pc->data, pc->data_end, &p, &m.frame_off, &m.tun_id);
		if (ret)
			return ret;
		barrier_var(m.frame_off);
		if (m.frame_off > HANDLE_INNER_OFF_MAX || m.frame_off >= pc->wire_len)
			return WEIR_KSTAT_ERR_TUNNEL_TRUNC;
		frame = pc->data + m.frame_off;
		m.frame_len = pc->wire_len - m.frame_off;
		__builtin_memset(&p, 0, sizeof(p));
		ret = parse_frame(frame, pc->data_end, m.frame_len, &p);
		if (ret)
			return ret;
		m.flags |= WEIR_REC_F_DECAP;
		stat_inc(WEIR_KSTAT_DECAP);
	}

	/* Record once per node. A packet from a local pod was recorded at the
	 * ingress of that pod's own veth; seeing it again on the way into the
	 * destination pod (or out through the overlay) would count it twice.
	 * A packet arriving by the overlay for a local pod will be recorded at
	 * the egress of that pod's veth. The map only holds pods whose veth the
	 * sensor watches, so nothing is skipped that is not recorded elsewhere. */
	if (pc->hook == WEIR_HOOK_TC_EGRESS && bpf_map_lookup_elem(&local_ep_map, p.saddr))
		return WEIR_KSTAT_DUP_SKIPPED;
	if (pc->overlay_in && bpf_map_lookup_elem(&local_ep_map, p.daddr))
		return WEIR_KSTAT_DUP_SKIPPED;

	if (p.is_frag) {
		m.flags |= WEIR_REC_F_FRAG;
		stat_inc(WEIR_KSTAT_FRAGMENTS);
	}
	if (p.is_ipv6)
		m.flags |= WEIR_REC_F_IPV6;

	dir = flow_key_build(&p, &key, &m.flow_hash, &pair_hash);
	v = flow_update(&key, dir, m.frame_len, p.tcp_flags, bpf_ktime_get_ns());
	if (!v) {
		/* No shared state: this packet's own counters, and it is treated
		 * as head, since missing it could hide an attack. */
		stat_inc(WEIR_KSTAT_FLOW_UPDATE_FAIL);
		noflow.dir[dir & 1].pkts = 1;
		noflow.dir[dir & 1].bytes = m.frame_len;
		noflow.dir[dir & 1].tcp_flags = p.tcp_flags;
		v = &noflow;
		m.flags |= WEIR_REC_F_NOFLOW;
	}

	ret = sample_decide(cfg, &v->dir[dir & 1], p.tcp_flags);
	if (!ret)
		return WEIR_KSTAT_SAMPLED_OUT;
	m.flags |= ret;

	snap = min(cfg->snaplen, (__u32)WEIR_SNAPLEN_MAX);
	m.cap = min(m.frame_len, snap);
	m.proto = p.proto;
	m.dir = dir;
	m.flow = v;

	n_shards = cfg->n_shards;
	if (!n_shards || n_shards > WEIR_WORKERS_MAX)
		n_shards = 1;
	ret = record_emit(pc, pair_hash % n_shards, &m, cfg);
	if (ret != WEIR_KSTAT_RECORDED)
		return ret;

	if (m.flags & WEIR_REC_F_CONTROL)
		stat_inc(WEIR_KSTAT_REC_CONTROL);
	else if (m.flags & WEIR_REC_F_HEAD)
		stat_inc(WEIR_KSTAT_REC_HEAD);
	else
		stat_inc(WEIR_KSTAT_REC_SAMPLED);
	if (m.cap < m.frame_len)
		stat_inc(WEIR_KSTAT_SNAPPED);

	/* control packets are recorded anyway: they do not use up the head */
	if (m.flags & WEIR_REC_F_HEAD) {
		cap_pl = m.cap > p.payload_off ? m.cap - p.payload_off : 0;
		sample_captured(&v->dir[dir & 1], min(cap_pl, p.payload_len));
	}
	return WEIR_KSTAT_RECORDED;
}

#endif /* WEIR_HANDLE_BPF_H */
