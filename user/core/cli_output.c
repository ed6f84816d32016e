// SPDX-License-Identifier: GPL-2.0-only
/*
 * cli_output.c - the output options shared by `weir replay` and `weir run`
 * (--eve, --host, --publish, --publish-group, --publish-sndbuf,
 * --publish-wait, --stats-interval) and opening the writer and publisher.
 */
#include <argp.h>
#include <errno.h>
#include <string.h>

#include "core/cli.h"
#include "core/log.h"
#include "output/output.h"
#include "output/output_pub.h"

enum {
	OPT_EVE = 0x400,
	OPT_HOST,
	OPT_PUBLISH,
	OPT_PUBLISH_GROUP,
	OPT_PUBLISH_SNDBUF,
	OPT_PUBLISH_WAIT,
	OPT_PUBLISH_BATCH,
	OPT_STATS_INTERVAL,
};

static const struct argp_option output_options[] = {
	{ "eve", OPT_EVE, "FILE|-", 0, "Write EVE JSON to FILE (appended) or - for stdout (default -, none when publishing)", 0 },
	{ "host", OPT_HOST, "NAME", 0, "Node name in the EVE \"host\" field", 0 },
	{ "publish", OPT_PUBLISH, "URL", 0, "Publish events as msgpack on a nanomsg PUB socket: ipc://PATH, tcp://ADDR:PORT, or 'default' for " OUTPUT_PUB_DEFAULT_URL " (repeatable)", 0 },
	{ "publish-group", OPT_PUBLISH_GROUP, "GROUP", 0, "Group owning ipc:// socket files (mode 0660)", 0 },
	{ "publish-sndbuf", OPT_PUBLISH_SNDBUF, "BYTES", 0, "nanomsg send buffer (default 8M)", 0 },
	{ "publish-wait", OPT_PUBLISH_WAIT, "MS", 0, "Wait up to MS for a first subscriber before sending (default 0)", 0 },
	{ "publish-batch", OPT_PUBLISH_BATCH, "BYTES", 0, "Pack events into messages of up to BYTES (default 0: one event per message); weir tail reads both", 0 },
	{ "stats-interval", OPT_STATS_INTERVAL, "SECONDS", 0, "Write a stats event this often (replay default 0 = only at the end; run default 30)", 0 },
	{ 0 },
};

static error_t output_parse(int key, char *arg, struct argp_state *state)
{
	struct cli_output *o = state->input;
	uint64_t v;

	switch (key) {
	case OPT_EVE:
		o->eve = arg;
		break;
	case OPT_HOST:
		o->host = arg;
		break;
	case OPT_PUBLISH:
		if (o->n_urls == CLI_OUTPUT_MAX_URLS)
			argp_error(state, "--publish: at most %d URLs", CLI_OUTPUT_MAX_URLS);
		o->urls[o->n_urls++] = strcmp(arg, "default") ? arg : OUTPUT_PUB_DEFAULT_URL;
		break;
	case OPT_PUBLISH_GROUP:
		o->group = arg;
		break;
	case OPT_PUBLISH_SNDBUF:
		if (cli_parse_size(arg, 64 << 10, 1u << 30, &v))
			argp_error(state, "--publish-sndbuf: bad size '%s' (64K to 1G)", arg);
		o->sndbuf = v;
		break;
	case OPT_PUBLISH_WAIT:
		if (cli_parse_u64(arg, 0, 600000, &v))
			argp_error(state, "--publish-wait: bad number of milliseconds '%s'", arg);
		o->wait_ms = (uint32_t)v;
		break;
	case OPT_PUBLISH_BATCH:
		if (cli_parse_size(arg, 0, 16u << 20, &v))
			argp_error(state, "--publish-batch: bad size '%s' (0 to 16M)", arg);
		o->batch = v;
		break;
	case OPT_STATS_INTERVAL:
		if (cli_parse_u64(arg, 0, 86400, &v))
			argp_error(state, "--stats-interval: '%s' is not a number of seconds (0-86400)", arg);
		o->stats_interval = (uint32_t)v;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp cli_output_argp = {
	.options = output_options,
	.parser = output_parse,
};

int cli_output_open(struct cli_output *o)
{
	struct output_opts oo = { .host = o->host };
	const char *path = o->eve ? o->eve : (o->n_urls ? NULL : "-");

	if (o->n_urls) {
		struct output_pub_opts po = {
			.urls = o->urls,
			.n_urls = o->n_urls,
			.ipc_group = o->group,
			.sndbuf = o->sndbuf,
			.wait_ms = o->wait_ms,
			.batch_bytes = o->batch,
			.host = o->host,
		};

		/* output_pub__new() names the URL and the reason when it fails. */
		o->pub = output_pub__new(&po);
		if (!o->pub) {
			pr_err("--publish: %s\n", strerror(errno));
			return -errno;
		}
	}
	oo.path = path;
	oo.pub = o->pub;
	o->out = output__new(&oo);
	if (!o->out) {
		int err = -errno;

		pr_err("--eve %s: %s\n", path ? path : "(none)", strerror(errno));
		output_pub__free(o->pub);
		o->pub = NULL;
		return err;
	}
	return 0;
}

void cli_output_close(struct cli_output *o)
{
	output__free(o->out);
	output_pub__free(o->pub);
	o->out = NULL;
	o->pub = NULL;
}
