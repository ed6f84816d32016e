// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_decode.c - libFuzzer target for the decode stage.
 *
 * Input: byte 0 picks the link type (index into the supported list), the rest
 * is the frame. One decode context lives across inputs (lazy init) with a
 * small defragmenter, so fragments of successive inputs meet, trackers are
 * evicted and timed out. Packet time advances 10 ms per input; every 16th
 * input runs decode_expire(). After decode, the pointers the flow stage will
 * follow are checked to lie inside the frame decode reports.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "decode/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t linktypes[] = {
	DECODE_LINK_ETHERNET,
	DECODE_LINK_RAW,
	DECODE_LINK_IPV4,
	DECODE_LINK_IPV6,
	DECODE_LINK_LINUX_SLL,
	DECODE_LINK_LINUX_SLL2,
	DECODE_LINK_PPP,
	DECODE_LINK_NULL,
	DECODE_LINK_LOOP,
};

static struct weir_stats stats;
static struct decode_ctx *dc;
static uint64_t now_ns;

/* @ptr/@len must lie within the frame [@p->data, @p->data + @p->caplen). */
static void check_span(const struct weir_pkt *p, const uint8_t *ptr, uint32_t len)
{
	if (!ptr)
		return;
	if (ptr < p->data || ptr > p->data + p->caplen ||
	    len > (size_t)(p->data + p->caplen - ptr))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct weir_pkt p = { 0 };
	int rc;

	if (!dc) {
		struct decode_opts o;

		decode_opts_default(&o);
		o.defrag.memcap = 1 << 20;
		o.defrag.max_trackers = 64;
		o.defrag.timeout_s = 1;
		dc = decode_ctx__new(&o, &stats);
		if (!dc)
			abort();
	}
	if (size < 1 || size - 1 > UINT32_MAX)
		return 0;
	now_ns += 10 * 1000 * 1000;
	p.data = data + 1;
	p.caplen = p.wirelen = (uint32_t)(size - 1);
	p.linktype = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
	p.ts_ns = now_ns;

	(void)decode_shard_hash(p.data, p.caplen, p.linktype);
	rc = decode_packet(dc, &p);
	if (rc != 0 && rc != -EINVAL && rc != -EAGAIN)
		abort();
	if (rc == 0) {
		check_span(&p, p.l3, p.l3_len);
		check_span(&p, p.l4, p.l4_len);
		check_span(&p, p.payload, p.payload_len);
		if (p.ip_ver != 4 && p.ip_ver != 6)
			abort();
	}
	if (now_ns % (16 * 10 * 1000 * 1000) == 0)
		decode_expire(dc, now_ns);
	return 0;
}
