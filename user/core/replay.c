// SPDX-License-Identifier: GPL-2.0-only
/*
 * replay.c - `weir replay`: run capture files through the sensor pipeline.
 *
 * The calling thread reads each capture in turn (one continuous input: flows
 * and pcap_cnt carry on from one file to the next), shards frames to the
 * workers and ticks packet time; the pipeline writes EVE JSON. Replay is
 * lossless: when workers fall behind the reader waits (counted).
 */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/log.h"
#include "core/pipeline.h"
#include "detect/detect.h"
#include "output/output.h"
#include "source/source_pcap.h"

#define MAX_RULE_PATHS 64
#define MAX_VARS       64

struct replay_args {
	uint32_t workers;
	const char *eve;
	const char *host;
	const char *rule_paths[MAX_RULE_PATHS + 1];
	uint32_t n_rule_paths;
	const char *classification;
	struct detect_var vars[MAX_VARS];
	uint32_t n_vars;
	bool no_detect;
	bool strict;
	bool quiet;
	struct pipeline_opts po;
	char **pcaps;
	int n_pcaps;
};

enum {
	OPT_EVE = 0x100,
	OPT_NO_DETECT,
	OPT_STRICT,
	OPT_VAR,
	OPT_CLASSIFICATION,
	OPT_HOST,
	OPT_STREAM_DEPTH,
	OPT_FLOW_MEMCAP,
	OPT_DEFRAG_MEMCAP,
	OPT_QUEUE_BYTES,
};

static const struct argp_option replay_options[] = {
	{ "workers", 'w', "N", 0, "Worker threads (default 1, max 64); output is the same for any N", 0 },
	{ "eve", OPT_EVE, "FILE|-", 0, "Write EVE JSON to FILE (appended) or - for stdout (default -)", 0 },
	{ "rules", 'r', "PATH", 0, "Rule file or directory of *.rules (repeatable; default: the bundled signatures/)", 1 },
	{ "no-detect", OPT_NO_DETECT, NULL, 0, "Do not load rules: decode, flows and flow events only", 1 },
	{ "strict", OPT_STRICT, NULL, 0, "A rule that fails to load is fatal (default: skip it with a warning)", 1 },
	{ "var", OPT_VAR, "NAME=VALUE", 0, "Set a rule variable, e.g. --var HOME_NET=[10.0.0.0/8] (repeatable)", 1 },
	{ "classification", OPT_CLASSIFICATION, "FILE", 0, "classification.config (default: beside the rules)", 1 },
	{ "host", OPT_HOST, "NAME", 0, "Node name written in the EVE \"host\" field", 2 },
	{ "stream-depth", OPT_STREAM_DEPTH, "BYTES", 0, "TCP bytes reassembled per direction (default 1048576)", 3 },
	{ "flow-memcap", OPT_FLOW_MEMCAP, "BYTES", 0, "Memory for flows and streams per worker (default 268435456)", 3 },
	{ "defrag-memcap", OPT_DEFRAG_MEMCAP, "BYTES", 0, "Memory for IP fragments per worker (default 33554432)", 3 },
	{ "queue-bytes", OPT_QUEUE_BYTES, "BYTES", 0, "Frame queue per worker (default 8388608)", 3 },
	{ "quiet", 'q', NULL, 0, "No progress line on stderr", 4 },
	{ "verbose", 'v', NULL, 0, "More diagnostics (repeat for debug)", 4 },
	{ 0 },
};

static error_t replay_parse(int key, char *arg, struct argp_state *state)
{
	struct replay_args *a = state->input;
	uint64_t v;

	switch (key) {
	case 'w':
		if (cli_parse_u64(arg, 1, 64, &v))
			argp_error(state, "--workers: '%s' is not a number from 1 to 64", arg);
		a->workers = (uint32_t)v;
		break;
	case OPT_EVE:
		a->eve = arg;
		break;
	case 'r':
		if (a->n_rule_paths == MAX_RULE_PATHS)
			argp_error(state, "--rules: at most %d paths", MAX_RULE_PATHS);
		a->rule_paths[a->n_rule_paths++] = arg;
		break;
	case OPT_NO_DETECT:
		a->no_detect = true;
		break;
	case OPT_STRICT:
		a->strict = true;
		break;
	case OPT_VAR: {
		char *eq = strchr(arg, '=');

		if (!eq || eq == arg || a->n_vars == MAX_VARS)
			argp_error(state, "--var: expected NAME=VALUE, got '%s'", arg);
		*eq = '\0';
		a->vars[a->n_vars].name = arg[0] == '$' ? arg + 1 : arg;
		a->vars[a->n_vars].value = eq + 1;
		a->n_vars++;
		break;
	}
	case OPT_CLASSIFICATION:
		a->classification = arg;
		break;
	case OPT_HOST:
		a->host = arg;
		break;
	case OPT_STREAM_DEPTH:
		if (cli_parse_size(arg, 0, UINT32_MAX, &v))
			argp_error(state, "--stream-depth: bad size '%s'", arg);
		a->po.flow.stream_depth = (uint32_t)v;
		break;
	case OPT_FLOW_MEMCAP:
		if (cli_parse_size(arg, 1 << 20, UINT64_MAX, &v))
			argp_error(state, "--flow-memcap: bad size '%s' (at least 1M)", arg);
		a->po.flow.memcap = v;
		break;
	case OPT_DEFRAG_MEMCAP:
		if (cli_parse_size(arg, 64 << 10, UINT64_MAX, &v))
			argp_error(state, "--defrag-memcap: bad size '%s' (at least 64K)", arg);
		a->po.decode.defrag.memcap = v;
		break;
	case OPT_QUEUE_BYTES:
		if (cli_parse_size(arg, 256 << 10, 1ull << 32, &v))
			argp_error(state, "--queue-bytes: bad size '%s' (256K to 4G)", arg);
		a->po.worker_queue_bytes = v;
		break;
	case 'q':
		a->quiet = true;
		break;
	case 'v':
		log_set_level(log_get_level() == LOG_LEVEL_WARN ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG);
		break;
	case ARGP_KEY_ARGS:
		a->pcaps = state->argv + state->next;
		a->n_pcaps = state->argc - state->next;
		state->next = state->argc;
		break;
	case ARGP_KEY_NO_ARGS:
		argp_error(state, "no capture file given");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp replay_argp = {
	.options = replay_options,
	.parser = replay_parse,
	.args_doc = "PCAP...",
	.doc = "Replay pcap/pcapng captures through the sensor pipeline and write EVE JSON."
	       "\vLink types: Ethernet, raw IPv4/IPv6, Linux cooked (SLL, SLL2), PPP, BSD "
	       "loopback. Several captures are read in order as one input. Exit status: 0 "
	       "when every capture was read (a corrupt record header ends its file with a "
	       "warning, as in Suricata), 1 on bad input (missing, unreadable, not a capture, "
	       "truncated capture, bad option or rule). A truncated capture is replayed up "
	       "to the cut before the error.",
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct progress {
	bool on;
	double t0, last;
	uint64_t pkts, bytes;
};

static void progress_show(struct progress *pr, bool final)
{
	double now = mono_s(), el;

	if (!pr->on || (!final && now - pr->last < 0.5))
		return;
	pr->last = now;
	el = now - pr->t0 > 1e-6 ? now - pr->t0 : 1e-6;
	fprintf(stderr, "\r%" PRIu64 " packets, %.1f MB, %.0f pkt/s, %.1f MB/s%s",
		pr->pkts, (double)pr->bytes / 1e6, (double)pr->pkts / el,
		(double)pr->bytes / 1e6 / el, final ? "\n" : "   ");
}

/* Read one capture into the pipeline. Return: 0, or 1 when it was bad or truncated. */
static int replay_file(struct pipeline *pl, const char *path, uint64_t *pcap_cnt,
		       uint64_t *tick_s, struct progress *pr)
{
	struct weir_stats *rs = pipeline_reader_stats(pl);
	char err[512];
	struct source_pcap *sp;
	struct source_frame fr;
	uint64_t n = 0;
	int rc;

	sp = source_pcap__open(path, err, sizeof(err));
	if (!sp) {
		pr_err("%s: %s\n", path, err);
		return 1;
	}
	while (!stop && (rc = source_pcap__next(sp, &fr, err, sizeof(err))) == 1) {
		struct pipeline_frame pf = {
			.data = fr.data,
			.caplen = fr.caplen,
			.wirelen = fr.wirelen,
			.ts_ns = fr.ts_ns,
			.pcap_cnt = ++*pcap_cnt,
			.linktype = source_pcap__linktype(sp),
		};
		uint64_t sec = fr.ts_ns / 1000000000ull;

		/* Tick each new second of packet time, before the packet itself. */
		if (sec > *tick_s) {
			if (*tick_s)
				pipeline_tick(pl, sec * 1000000000ull);
			*tick_s = sec;
		}
		STAT_INC(rs, CAPTURE_PKTS);
		STAT_ADD(rs, CAPTURE_BYTES, fr.wirelen);
		pipeline_submit(pl, &pf);
		n++;
		pr->pkts++;
		pr->bytes += fr.wirelen;
		if ((pr->pkts & 1023) == 0)
			progress_show(pr, false);
	}
	source_pcap__close(sp);
	if (rc < 0 && !stop) {
		/*
		 * A file cut short (libpcap: "truncated dump file") is bad input:
		 * exit status 1 after replaying what was whole. A record whose header
		 * is corrupt ends the file too, but as Suricata does we keep what was
		 * read and succeed, with a warning and a counter.
		 */
		if (strstr(err, "truncated")) {
			STAT_INC(rs, CAPTURE_TRUNCATED_FILES);
			pr_err("%s: truncated capture after %" PRIu64 " packets: %s\n", path, n, err);
			return 1;
		}
		STAT_INC(rs, CAPTURE_CORRUPT_FILES);
		pr_warn("%s: corrupt record after %" PRIu64 " packets, rest of file skipped: %s\n",
			path, n, err);
	}
	return 0;
}

/* The bundled signatures: $WEIR_SIGNATURES, beside the binary, or installed. */
static const char *bundled_signatures(char *buf, size_t len)
{
	const char *env = getenv("WEIR_SIGNATURES");
	const char *const fixed[] = { "/usr/local/share/weir/signatures", "/usr/share/weir/signatures" };
	struct stat st;
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			/* .output/bin/weir in a source tree */
			if (snprintf(buf, len, "%.*s/../../signatures", PATH_MAX - 32, exe) < (int)len &&
			    stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
				return buf;
		}
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (stat(fixed[i], &st) == 0 && S_ISDIR(st.st_mode))
			return fixed[i];
	return NULL;
}

int replay_main(int argc, char **argv)
{
	struct replay_args a = { .workers = 1, .eve = "-" };
	struct detect_engine *de = NULL;
	struct output *out = NULL;
	struct pipeline *pl = NULL;
	struct progress pr = { 0 };
	uint64_t pcap_cnt = 0, tick_s = 0;
	char sigbuf[PATH_MAX];
	int bad = 0, err;

	decode_opts_default(&a.po.decode);
	if (argp_parse(&replay_argp, argc, argv, 0, NULL, &a))
		return 1;

	/* Every capture must at least open before any work starts. */
	for (int i = 0; i < a.n_pcaps; i++) {
		if (access(a.pcaps[i], R_OK)) {
			pr_err("%s: %s\n", a.pcaps[i], strerror(errno));
			return 1;
		}
	}

	if (!a.no_detect) {
		struct detect_opts dopts = {
			.classification = a.classification,
			.vars = a.vars,
			.n_vars = a.n_vars,
			.strict = a.strict,
		};
		struct detect_load_report rep = { 0 };

		if (!a.n_rule_paths) {
			const char *sig = bundled_signatures(sigbuf, sizeof(sigbuf));

			if (!sig) {
				pr_err("no --rules given and the bundled signatures/ were not found "
				       "(set WEIR_SIGNATURES or use --no-detect)\n");
				return 1;
			}
			a.rule_paths[a.n_rule_paths++] = sig;
		}
		a.rule_paths[a.n_rule_paths] = NULL;
		dopts.rule_paths = a.rule_paths;
		de = detect_engine__new(&dopts, &rep);
		if (!de) {
			pr_err("rules: %s\n", errno == EINVAL ? "no usable rule loaded" : strerror(errno));
			return 1;
		}
		pr_info("rules: %u loaded, %u skipped, compiled in %.1f ms\n", rep.loaded,
			rep.skipped, rep.compile_ms);
	}

	{
		struct output_opts oo = { .path = a.eve, .host = a.host };

		out = output__new(&oo);
		if (!out) {
			pr_err("--eve %s: %s\n", a.eve, strerror(errno));
			detect_engine__free(de);
			return 1;
		}
	}

	a.po.workers = a.workers;
	a.po.lossless = true;
	a.po.detect = de;
	a.po.out = out;
	pl = pipeline__new(&a.po);
	if (!pl) {
		pr_err("pipeline: %s\n", strerror(errno));
		bad = 1;
		goto out;
	}
	err = pipeline__start(pl);
	if (err) {
		pr_err("start workers: %s\n", strerror(-err));
		bad = 1;
		goto out;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pr.on = !a.quiet && isatty(STDERR_FILENO);
	pr.t0 = pr.last = mono_s();
	for (int i = 0; i < a.n_pcaps && !stop; i++)
		bad |= replay_file(pl, a.pcaps[i], &pcap_cnt, &tick_s, &pr);
	progress_show(&pr, true);
	if (stop)
		pr_warn("interrupted: flushing what was read\n");
	if (pipeline__finish(pl)) {
		pr_err("--eve %s: write failed\n", a.eve);
		bad = 1;
	}
out:
	pipeline__free(pl);
	output__free(out);
	detect_engine__free(de);
	return bad ? 1 : 0;
}
