// SPDX-License-Identifier: GPL-2.0-only
/*
 * decode_ctx.c - the decode stage's entry points: context lifecycle and
 * decode_packet().
 *
 * DESIGN
 * Threads: one struct decode_ctx per worker; nothing is shared, no locks.
 * Memory: the context owns one reassembly buffer (prefix + largest IP
 * datagram, ~66 KiB) allocated at creation and the defragmenter, which
 * allocates trackers and fragment copies within its memcap. Decoding a packet
 * allocates nothing else.
 * Ordering: packets are decoded in the order given; defrag timeouts use packet
 * time (p->ts_ns), so replay does not depend on the wall clock.
 * Overload: decode has no queue of its own; the defragmenter sheds its oldest
 * datagrams when its memcap or tracker limit is reached (counted).
 * Walk: link layer -> VLAN -> IP -> (tunnel -> link/IP)* -> L4. Each tunnel
 * entered resets the L3/L4 fields, so @p ends up describing the innermost IP
 * packet; VLAN ids of every Ethernet layer are kept (up to two).
 */
#include <stdlib.h>

#include "decode/decode_priv.h"

void decode_opts_default(struct decode_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->defrag.memcap = 32ull << 20;
	o->defrag.max_trackers = 65536;
	o->defrag.timeout_s = 60;
	o->vxlan = true;
	o->geneve = true;
}

struct decode_ctx *decode_ctx__new(const struct decode_opts *opts, struct weir_stats *stats)
{
	struct decode_ctx *dc;

	if (!stats) {
		errno = EINVAL;
		return NULL;
	}
	dc = calloc(1, sizeof(*dc));
	if (!dc)
		return NULL;
	if (opts)
		dc->opts = *opts;
	else
		decode_opts_default(&dc->opts);
	dc->stats = stats;
	dc->reasm = malloc(DECODE_REASM_PREFIX_MAX + DECODE_REASM_DGRAM_MAX);
	dc->defrag = decode_defrag__new(&dc->opts.defrag, stats);
	if (!dc->reasm || !dc->defrag) {
		decode_ctx__free(dc);
		errno = ENOMEM;
		return NULL;
	}
	return dc;
}

void decode_ctx__free(struct decode_ctx *dc)
{
	if (!dc)
		return;
	decode_defrag__free(dc->defrag);
	free(dc->reasm);
	free(dc);
}

void decode_expire(struct decode_ctx *dc, uint64_t now_ns)
{
	decode_defrag__expire(dc->defrag, now_ns);
}

int decode_packet(struct decode_ctx *dc, struct weir_pkt *p)
{
	struct decode_walk w = {
		.dc = dc,
		.p = p,
		.frame = p->data,
	};
	uint32_t len = p->caplen;

	p->flags = 0;
	p->vlan[0] = p->vlan[1] = 0;
	p->vlan_cnt = 0;
	p->tunnel = PKT_TUNNEL_NONE;
	p->tunnel_id = 0;
	decode_reset_l3(p);

	STAT_INC(dc->stats, DECODE_PKTS);
	STAT_ADD(dc->stats, DECODE_BYTES, p->wirelen);
	if (!p->data)
		len = 0;
	return decode_link(&w, p->data, len);
}
