// SPDX-License-Identifier: GPL-2.0-only
/*
 * detect_scan.c - the detect stage against its ceiling: the raw Hyperscan
 * scan of the same payload bytes with the same fast-pattern database.
 *
 *   .output/bin/detect_scan RULES PCAP [REPS]
 *
 * Loads RULES (file or directory) as the sensor does, reads PCAP into memory,
 * then, single-threaded, REPS times each (median reported):
 *   raw      hs_scan() of every packet's L4 payload, no-op match callback: the
 *            ceiling a prefilter-then-verify design can approach;
 *   pipeline decode + flow (+ reassembly) + detect_packet() per packet, the
 *            work of one replay worker without capture and output;
 *   no-det   decode + flow only, so pipeline - no-det is detect's own cost.
 * Prints packets/s and payload MB/s of each and the ratios
 * pipeline/raw (the target is >= 0.5) and raw/(detect only), and the
 * ruleset's memory: heap growth while it was built (glibc mallinfo2: rules,
 * indexes, the Hyperscan database) with the database and one worker's
 * scratch on their own.
 */
#include <errno.h>
#include <malloc.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode/decode.h"
#include "detect/detect.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

struct rec {
	uint8_t *data;
	uint32_t caplen, wirelen;
	uint64_t ts_ns;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void count_match(void *arg, uint32_t idx, uint64_t end)
{
	(void)idx;
	(void)end;
	(*(uint64_t *)arg)++;
}

static uint64_t n_alerts;

static void on_alert(void *arg, const struct weir_event *ev)
{
	(void)arg;
	(void)ev;
	n_alerts++;
}

static void on_end(void *arg, struct flow *f, enum flow_end_reason why)
{
	(void)why;
	if (arg)
		detect_flow_end(arg, f);
}

/* decode + flow (+ detect when @dw) over all records; returns seconds. */
static double run_pipeline(struct rec *recs, size_t n, int linktype, struct detect_worker *dw,
			   struct weir_stats *st)
{
	struct decode_ctx *dc = decode_ctx__new(NULL, st);
	struct flow_table *ft = flow_table__new(NULL, on_end, dw, st);
	double t0 = now_s(), t;

	if (!dc || !ft) {
		fprintf(stderr, "detect_scan: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		struct weir_pkt p;
		struct flow_pkt_info fi;

		memset(&p, 0, sizeof(p));
		p.data = recs[i].data;
		p.caplen = recs[i].caplen;
		p.wirelen = recs[i].wirelen;
		p.ts_ns = recs[i].ts_ns;
		p.pcap_cnt = i + 1;
		p.linktype = (uint16_t)linktype;
		if (decode_packet(dc, &p))
			continue;
		if (flow_table__process(ft, &p, &fi))
			fi.flow = NULL;
		if (dw)
			detect_packet(dw, ft, &p, &fi);
		else if (fi.flow && fi.stream_new)
			flow_stream_inspected(ft, fi.flow, fi.dir); /* what detect would do */
		if (!(i & 1023))
			flow_table__tick(ft, p.ts_ns);
	}
	flow_table__flush(ft, FLOW_END_SHUTDOWN);
	t = now_s() - t0;
	flow_table__free(ft);
	decode_ctx__free(dc);
	return t;
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	struct rec *recs = NULL;
	size_t n = 0, cap = 0;
	uint64_t pay_bytes = 0, pay_pkts = 0, matches = 0;
	int reps = argc > 3 ? atoi(argv[3]) : 3, linktype;
	double traw[16], tpipe[16], tnod[16];
	const char *paths[2];
	struct detect_opts o = { 0 };
	struct detect_load_report rep = { 0 };
	struct detect_engine *de;
	struct det_ruleset *rs;
	struct det_hs_scratch *scr;
	struct weir_stats st;
	size_t heap0, heap1, hs_db, hs_scr;
	pcap_t *pc;

	if (argc < 3) {
		fprintf(stderr, "usage: %s RULES PCAP [REPS]\n", argv[0]);
		return 2;
	}
	if (reps < 1 || reps > 16)
		reps = 3;
	paths[0] = argv[1];
	paths[1] = NULL;
	o.rule_paths = paths;
	heap0 = mallinfo2().uordblks;
	de = detect_engine__new(&o, &rep);
	heap1 = mallinfo2().uordblks;
	if (!de) {
		fprintf(stderr, "detect_scan: rules %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	rs = det_engine_current(de);
	det_hs_mem(rs->hs, &hs_db, &hs_scr);
	pc = pcap_open_offline(argv[2], errbuf);
	if (!pc) {
		fprintf(stderr, "detect_scan: %s\n", errbuf);
		return 1;
	}
	linktype = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &d) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			recs = realloc(recs, cap * sizeof(*recs));
			if (!recs)
				return 1;
		}
		recs[n].data = malloc(h->caplen);
		if (!recs[n].data)
			return 1;
		memcpy(recs[n].data, d, h->caplen);
		recs[n].caplen = h->caplen;
		recs[n].wirelen = h->len;
		recs[n].ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec * 1000;
		n++;
	}
	pcap_close(pc);

	/* The payloads the raw scan sees: every decoded packet's L4 payload. */
	{
		struct decode_ctx *dc;
		uint8_t **pl = NULL;
		uint32_t *pll = NULL;

		memset(&st, 0, sizeof(st));
		dc = decode_ctx__new(NULL, &st);
		pl = calloc(n ? n : 1, sizeof(*pl));
		pll = calloc(n ? n : 1, sizeof(*pll));
		if (!dc || !pl || !pll)
			return 1;
		for (size_t i = 0; i < n; i++) {
			struct weir_pkt p;

			memset(&p, 0, sizeof(p));
			p.data = recs[i].data;
			p.caplen = recs[i].caplen;
			p.wirelen = recs[i].wirelen;
			p.ts_ns = recs[i].ts_ns;
			p.linktype = (uint16_t)linktype;
			if (decode_packet(dc, &p) || !p.payload_len)
				continue;
			pl[pay_pkts] = malloc(p.payload_len);
			if (!pl[pay_pkts])
				return 1;
			memcpy(pl[pay_pkts], p.payload, p.payload_len);
			pll[pay_pkts++] = p.payload_len;
			pay_bytes += p.payload_len;
		}
		decode_ctx__free(dc);
		scr = det_hs_scratch_new(rs->hs);
		if (!scr)
			return 1;
		for (int r = 0; r < reps; r++) {
			double t0 = now_s();

			matches = 0;
			for (uint64_t i = 0; i < pay_pkts; i++)
				det_hs_scan(rs->hs, scr, pl[i], pll[i], count_match, &matches);
			traw[r] = now_s() - t0;
		}
		det_hs_scratch_free(scr);
		for (uint64_t i = 0; i < pay_pkts; i++)
			free(pl[i]);
		free(pl);
		free(pll);
	}
	for (int r = 0; r < reps; r++) {
		struct detect_worker *dw;

		memset(&st, 0, sizeof(st));
		n_alerts = 0;
		dw = detect_worker__new(de, &st, on_alert, NULL);
		if (!dw)
			return 1;
		tpipe[r] = run_pipeline(recs, n, linktype, dw, &st);
		detect_worker__free(dw);
		memset(&st, 0, sizeof(st));
		tnod[r] = run_pipeline(recs, n, linktype, NULL, &st);
	}
	qsort(traw, reps, sizeof(double), dbl_cmp);
	qsort(tpipe, reps, sizeof(double), dbl_cmp);
	qsort(tnod, reps, sizeof(double), dbl_cmp);
	{
		double raw = traw[reps / 2], pipe = tpipe[reps / 2], nod = tnod[reps / 2];
		double det = pipe > nod ? pipe - nod : 1e-9;

		printf("rules: %u loaded, %u skipped, built in %.1f ms; heap %.1f MiB "
		       "(Hyperscan database %.2f MiB, scratch per worker %.1f KiB)\n",
		       rep.loaded, rep.skipped, rep.compile_ms,
		       heap1 > heap0 ? (heap1 - heap0) / 1048576.0 : 0.0, hs_db / 1048576.0,
		       hs_scr / 1024.0);
		printf("capture: %zu packets, %llu with payload, %.1f MB payload\n", n,
		       (unsigned long long)pay_pkts, pay_bytes / 1e6);
		printf("| run (median of %d) | seconds | packets/s | payload MB/s |\n", reps);
		printf("|---|---|---|---|\n");
		printf("| raw hs_scan of payloads | %.3f | %.0f | %.0f |\n", raw, n / raw,
		       pay_bytes / 1e6 / raw);
		printf("| decode+flow+detect | %.3f | %.0f | %.0f |\n", pipe, n / pipe,
		       pay_bytes / 1e6 / pipe);
		printf("| decode+flow (no detect) | %.3f | %.0f | %.0f |\n", nod, n / nod,
		       pay_bytes / 1e6 / nod);
		printf("| detect only (difference) | %.3f | %.0f | %.0f |\n", det, n / det,
		       pay_bytes / 1e6 / det);
		printf("pipeline / raw scan throughput: %.2f; detect only / raw scan: %.2f; "
		       "alerts per run: %llu; raw fast-pattern matches: %llu\n",
		       raw / pipe, raw / det, (unsigned long long)n_alerts,
		       (unsigned long long)matches);
	}
	for (size_t i = 0; i < n; i++)
		free(recs[i].data);
	free(recs);
	detect_engine__free(de);
	return 0;
}
