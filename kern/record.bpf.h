/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * record.bpf.h - ring output: reserve a record in the packet's shard, fill
 * the struct weir_rec header, copy the frame with bpf_xdp_load_bytes /
 * bpf_skb_load_bytes, and submit with batched wake-ups.
 *
 * Wake-ups dominate the cost of a ring (PLATFORM.md: waking the reader on
 * every record cut the veth rate by 4x), so records are submitted with
 * BPF_RB_NO_WAKEUP and the reader is woken only once the ring holds
 * wakeup_bytes; the reader also consumes on a short timer.
 */
#ifndef WEIR_RECORD_BPF_H
#define WEIR_RECORD_BPF_H

#include "maps.bpf.h"
#include "stats.bpf.h"

/* struct pkt_ctx - the hook-independent view of one packet. */
struct pkt_ctx {
	void *ctx;	/* struct xdp_md * or struct __sk_buff * */
	void *data;
	void *data_end;
	__u32 wire_len; /* whole frame, including non-linear parts (TC) */
	__u32 ifindex;
	__u8 hook;	/* enum weir_hook */
	__u8 is_xdp;	/* constant per program: picks the load_bytes helper */
	__u8 overlay_in; /* TC ingress of an overlay device (once-per-node rule) */
};

/* struct rec_meta - header fields decided before the ring reservation. */
struct rec_meta {
	__u32 frame_off; /* where the recorded frame starts (inner frame if decapsulated) */
	__u32 frame_len; /* its wire length */
	__u32 cap;	 /* bytes to copy, 1..WEIR_SNAPLEN_MAX */
	__u32 flow_hash;
	__u32 tun_id;
	__u16 flags;
	__u8 proto;
	__u8 dir;
	const struct weir_kflow_val *flow; /* counters to snapshot */
};

/*
 * Verifier workaround: "R4 min value is negative, either use unsigned or
 * 'var &= const'". With the libbpf prototypes (__u32 len) clang checks a
 * zero-extended copy of the length but passes the unextended register, so
 * the verifier never sees the bound. These 64-bit-length aliases of the
 * same helpers make the checked register the one passed.
 */
static long (*xdp_load_bytes64)(struct xdp_md *xdp_md, __u32 offset, void *buf,
				__u64 len) = (void *)BPF_FUNC_xdp_load_bytes;
static long (*skb_load_bytes64)(const void *skb, __u32 offset, void *to,
				__u64 len) = (void *)BPF_FUNC_skb_load_bytes;

static __always_inline long pkt_load_bytes(const struct pkt_ctx *pc, __u32 off, void *buf,
					   __u64 len)
{
	if (pc->is_xdp)
		return xdp_load_bytes64(pc->ctx, off, buf, len);
	return skb_load_bytes64(pc->ctx, off, buf, len);
}

/*
 * record_emit_sized() - one record with room for @room frame bytes (a
 * constant, as bpf_ringbuf_reserve requires).
 * Return: the outcome: RECORDED, RING_FULL or COPY_FAIL.
 */
static __always_inline __u32 record_emit_sized(const struct pkt_ctx *pc, void *rb,
					       const struct rec_meta *m, const struct weir_kcfg *cfg,
					       const __u32 room)
{
	struct weir_rec *r;
	__u64 cap = m->cap;
	__u64 avail, flags;
	int i;

	r = bpf_ringbuf_reserve(rb, sizeof(*r) + room, 0);
	if (!r)
		return WEIR_KSTAT_RING_FULL;

	r->ts_ns = bpf_ktime_get_ns();
	r->ifindex = pc->ifindex;
	r->hook = pc->hook;
	r->ip_proto = m->proto;
	r->flags = m->flags | (m->dir ? WEIR_REC_F_DIR_BA : 0) |
		   (cap < m->frame_len ? WEIR_REC_F_SNAPPED : 0);
	r->cap_len = cap;
	r->wire_len = m->frame_len;
	r->flow_hash = m->flow_hash;
	r->tun_id = m->tun_id;
#pragma unroll
	for (i = 0; i < 2; i++) {
		r->pkts[i] = m->flow->dir[i].pkts;
		r->bytes[i] = m->flow->dir[i].bytes;
		r->tcp_flags[i] = m->flow->dir[i].tcp_flags;
	}
	__builtin_memset(r->__pad, 0, sizeof(r->__pad));

	/* Verifier workaround: "R4 min value is negative" when clang merges
	 * the two bounds into one (cap - 1 > room - 1) test; the barriers keep
	 * them apart so the verifier learns 1 <= cap <= room. */
	barrier_var(cap);
	if (cap > room) {
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
		return WEIR_KSTAT_COPY_FAIL;
	}
	barrier_var(cap);
	if (cap == 0) {
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
		return WEIR_KSTAT_COPY_FAIL;
	}
	if (pkt_load_bytes(pc, m->frame_off, r + 1, cap)) {
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
		return WEIR_KSTAT_COPY_FAIL;
	}

	/* AVAIL_DATA counts this reserved record too */
	avail = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA);
	flags = BPF_RB_NO_WAKEUP;
	if (avail >= cfg->wakeup_bytes) {
		flags = BPF_RB_FORCE_WAKEUP;
		stat_inc(WEIR_KSTAT_WAKEUPS);
	}
	bpf_ringbuf_submit(r, flags);
	return WEIR_KSTAT_RECORDED;
}

/*
 * record_emit() - record into shard @shard. Small frames take a small
 * reservation, so a ring holds many more control packets and ACKs.
 * Return: the outcome: RECORDED, RING_MISSING, RING_FULL or COPY_FAIL.
 */
static __always_inline __u32 record_emit(const struct pkt_ctx *pc, __u32 shard,
					 const struct rec_meta *m, const struct weir_kcfg *cfg)
{
	void *rb = bpf_map_lookup_elem(&rings, &shard);

	if (!rb)
		return WEIR_KSTAT_RING_MISSING;
	if (m->cap <= WEIR_REC_SMALL_FRAME)
		return record_emit_sized(pc, rb, m, cfg, WEIR_REC_SMALL_FRAME);
	return record_emit_sized(pc, rb, m, cfg, WEIR_SNAPLEN_MAX);
}

#endif /* WEIR_RECORD_BPF_H */
