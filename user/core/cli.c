// SPDX-License-Identifier: GPL-2.0-only
/* cli.c - number and size parsing for options (see cli.h). */
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "core/cli.h"
#include "core/pipeline.h"

static int parse(const char *s, uint64_t min, uint64_t max, uint64_t *out, int allow_suffix)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (allow_suffix && *end) {
		switch (*end) {
		case 'k': case 'K': mult = 1ull << 10; break;
		case 'm': case 'M': mult = 1ull << 20; break;
		case 'g': case 'G': mult = 1ull << 30; break;
		default: return -EINVAL;
		}
		end++;
		if (*end == 'b' || *end == 'B' || *end == 'i')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
	}
	if (*end)
		return -EINVAL;
	if (v > max / mult)
		return -ERANGE;
	v *= mult;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return parse(s, min, max, out, 0);
}

int cli_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return parse(s, min, max, out, 1);
}

enum {
	OPT_STREAM_DEPTH = 0x300,
	OPT_FLOW_MEMCAP,
	OPT_DEFRAG_MEMCAP,
	OPT_QUEUE_BYTES,
	OPT_EVENT_QUEUE,
};

static const struct argp_option tuning_options[] = {
	{ "stream-depth", OPT_STREAM_DEPTH, "BYTES", 0, "TCP bytes reassembled per direction (default 1M; K/M/G suffixes)", 0 },
	{ "flow-memcap", OPT_FLOW_MEMCAP, "BYTES", 0, "Memory for flows and streams per worker (default 256M)", 0 },
	{ "defrag-memcap", OPT_DEFRAG_MEMCAP, "BYTES", 0, "Memory for IP fragments per worker (default 32M)", 0 },
	{ "queue-bytes", OPT_QUEUE_BYTES, "BYTES", 0, "Frame queue per worker (default 8M)", 0 },
	{ "event-queue", OPT_EVENT_QUEUE, "N", 0, "Events queued per worker for the output thread (default 8192)", 0 },
	{ 0 },
};

static error_t tuning_parse(int key, char *arg, struct argp_state *state)
{
	struct pipeline_opts *po = state->input;
	uint64_t v;

	switch (key) {
	case OPT_STREAM_DEPTH:
		if (cli_parse_size(arg, 1, UINT32_MAX, &v))
			argp_error(state, "--stream-depth: bad size '%s'", arg);
		po->flow.stream_depth = (uint32_t)v;
		break;
	case OPT_FLOW_MEMCAP:
		if (cli_parse_size(arg, 1 << 20, UINT64_MAX, &v))
			argp_error(state, "--flow-memcap: bad size '%s' (at least 1M)", arg);
		po->flow.memcap = v;
		break;
	case OPT_DEFRAG_MEMCAP:
		if (cli_parse_size(arg, 64 << 10, UINT64_MAX, &v))
			argp_error(state, "--defrag-memcap: bad size '%s' (at least 64K)", arg);
		po->decode.defrag.memcap = v;
		break;
	case OPT_QUEUE_BYTES:
		if (cli_parse_size(arg, 256 << 10, 1ull << 32, &v))
			argp_error(state, "--queue-bytes: bad size '%s' (256K to 4G)", arg);
		po->worker_queue_bytes = v;
		break;
	case OPT_EVENT_QUEUE:
		if (cli_parse_u64(arg, 64, 1u << 24, &v))
			argp_error(state, "--event-queue: bad count '%s' (64 to 16777216)", arg);
		po->event_queue_slots = (uint32_t)v;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp cli_tuning_argp = {
	.options = tuning_options,
	.parser = tuning_parse,
};
