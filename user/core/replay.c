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

struct replay_args {
	uint32_t workers;
	struct cli_output out;
	struct cli_rules rules;
	bool quiet;
	struct pipeline_opts po;
	char **pcaps;
	int n_pcaps;
};

static const struct argp_option replay_options[] = {
	{ "workers", 'w', "N", 0, "Worker threads (default 1, max 64); output is the same for any N", 0 },
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
	case 'q':
		a->quiet = true;
		break;
	case 'v':
		log_set_level(log_get_level() == LOG_LEVEL_WARN ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG);
		break;
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->rules;
		state->child_inputs[1] = &a->po;
		state->child_inputs[2] = &a->out;
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

static const struct argp_child replay_children[] = {
	{ &cli_rules_argp, 0, "Rules:", 1 },
	{ &cli_tuning_argp, 0, "Limits:", 3 },
	{ &cli_output_argp, 0, "Output:", 2 },
	{ 0 },
};

static const struct argp replay_argp = {
	.children = replay_children,
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

int replay_main(int argc, char **argv)
{
	struct replay_args a = { .workers = 1, .rules.heur_mode = -1 };
	struct detect_engine *de = NULL;
	struct pipeline *pl = NULL;
	struct progress pr = { 0 };
	uint64_t pcap_cnt = 0, tick_s = 0;
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

	/* Heuristics join the bundled signatures; with the user's own --rules
	 * the output is what those rules give (as in Suricata) unless --heur. */
	if (cli_rules_heur(&a.rules, a.rules.n_paths == 0 && !a.rules.no_detect, &a.po.heur))
		return 1;
	if (cli_rules_load(&a.rules, &de)) {
		cli_rules_free(&a.rules);
		return 1;
	}

	if (cli_output_open(&a.out)) {
		detect_engine__free(de);
		cli_rules_free(&a.rules);
		return 1;
	}

	a.po.workers = a.workers;
	a.po.lossless = true;
	if (a.po.heur)
		a.rules.heur.lossless = true;
	a.po.detect = de;
	a.po.out = a.out.out;
	a.po.stats_interval_s = a.out.stats_interval;
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
		pr_err("--eve %s: write failed\n", a.out.eve ? a.out.eve : "-");
		bad = 1;
	}
out:
	pipeline__free(pl);
	cli_output_close(&a.out);
	detect_engine__free(de);
	cli_rules_free(&a.rules);
	return bad ? 1 : 0;
}
