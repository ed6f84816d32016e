// SPDX-License-Identifier: GPL-2.0-only
/*
 * heur_bench.c - cost per record and memory of the L4 heuristics.
 *
 * Feeds synthetic records straight into a heuristics engine (no capture, no
 * flow table), SOURCES sources opening FLOWS_PER_SOURCE flows each:
 * - scan (the worst case): every flow goes to a new destination of a /16 and
 *   its SYN is answered by RST, then the flow ends: start, RST, end records,
 *   each creating or touching port-scan, sweep, fan-out and SYN-flood state;
 * - steady: every source talks to the same peer over and over with completed
 *   sessions: start, handshake, end records on state that already exists.
 * Records go through the real path -- per-worker queues, watermark merge,
 * heuristics -- with the engine drained on the calling thread, so the time is
 * the heuristics thread's cost per record.
 *
 *   heur_bench [SOURCES [FLOWS_PER_SOURCE [WORKERS [MAX_KEYS [MEMCAP_MB [scan|steady]]]]]]
 *   defaults:   100000   4                  1         (services.yaml defaults)   scan
 *
 * Prints records, ns/record, keys, heuristic memory, evictions, alerts, and the
 * process's peak RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/resource.h>

#include "heur/heur.h"
#include "heur/heur_priv.h"

#define SEC 1000000000ull
#define T0  (1700000000ull * SEC)

static uint64_t alerts;

static void count_alert(void *arg, const struct weir_event *ev)
{
	(void)arg;
	(void)ev;
	alerts++;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static struct weir_addr v4(uint32_t host_order)
{
	struct weir_addr a = { { htonl(host_order), 0, 0, 0 } };

	return a;
}

int main(int argc, char **argv)
{
	uint32_t sources = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 100000;
	uint32_t flows = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 4;
	uint32_t workers = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : 1;
	struct heur_opts o;
	struct heur_engine *he;
	struct rusage ru;
	uint64_t n = 0, t_start, t_end, ts = T0;
	bool steady = argc > 6 && !strcmp(argv[6], "steady");

	if (heur_opts_default(&o))
		return 1;
	if (argc > 4)
		o.max_keys = (uint32_t)strtoul(argv[4], NULL, 0);
	if (argc > 5)
		o.memcap = strtoull(argv[5], NULL, 0) << 20;
	o.lossless = true;
	he = heur_engine__new(&o, workers ? workers : 1, count_alert, NULL, NULL);
	if (!he) {
		perror("heur_engine__new");
		return 1;
	}
	t_start = now_ns();
	for (uint32_t f = 0; f < flows; f++) {
		for (uint32_t s = 0; s < sources; s++) {
			struct heur_rec r;
			uint32_t w = s % he->n_workers;

			memset(&r, 0, sizeof(r));
			r.ts_ns = ts;
			r.pcap_cnt = ++n;
			r.flow_id = n;
			r.start_ns = ts;
			r.cli = v4(0x0a000000u + s);              /* 10.x.y.z */
			r.srv = v4(0xac100000u + (s * 7 + (steady ? 0 : f)) % 65536); /* 172.16/16 */
			r.cport = (uint16_t)(30000 + f);
			r.sport = steady ? 8080 : (uint16_t)(1 + (s + f * 13) % 1024);
			r.ip_ver = 4;
			r.proto = 6;
			r.kind = HEUR_REC_FLOW_START;
			r.tcp_flags = 0x02;
			r.tcp_seen[0] = 0x02;
			r.rflags = HEUR_RF_TOSERVER;
			heur_submit(he, w, &r);
			if (steady) {
				r.kind = HEUR_REC_TCP_EST;
				r.pcap_cnt = ++n;
				r.tcp_flags = 0x10;
				r.tcp_seen[0] = r.tcp_seen[1] = 0x12;
				r.rflags = HEUR_RF_TOSERVER | HEUR_RF_HANDSHAKE;
			} else {
				r.kind = HEUR_REC_TCP_CTRL;
				r.pcap_cnt = ++n;
				r.tcp_flags = 0x14;
				r.tcp_seen[1] = 0x14;
				r.rflags = HEUR_RF_RST;
			}
			heur_submit(he, w, &r);
			r.kind = HEUR_REC_FLOW_END;
			r.pcap_cnt = 0;
			r.last_ns = ts;
			r.pkts[0] = steady ? 8 : 1;
			r.pkts[1] = steady ? 6 : 1;
			r.bytes[0] = steady ? 900 : 60;
			if (steady)
				r.tcp_seen[0] = r.tcp_seen[1] = 0x13;
			heur_submit(he, w, &r);
			n++;
			ts += 1000; /* 1 us apart: 1M records per second of packet time */
			if (s % 1000 == 999)
				for (uint32_t i = 0; i < he->n_workers; i++)
					heur_watermark(he, i, ts);
		}
	}
	heur_engine__finish(he);
	t_end = now_ns();
	getrusage(RUSAGE_SELF, &ru);
	printf("%s: sources %u flows/source %u workers %u max_keys %u memcap %llu MiB\n",
	       steady ? "steady" : "scan", sources, flows, he->n_workers, he->o.max_keys, (unsigned long long)(he->o.memcap >> 20));
	printf("records %llu  %.0f ns/record  keys %u  heur memory %.1f MiB (%.0f B/source)\n",
	       (unsigned long long)he->st[HST_HEUR_RECORDS],
	       (double)(t_end - t_start) / (double)he->st[HST_HEUR_RECORDS], he->tab.n,
	       (double)heur_engine__memuse(he) / (1 << 20),
	       (double)heur_engine__memuse(he) / sources);
	printf("evicted %llu  set_full %llu  alerts %llu  peak RSS %.1f MiB\n",
	       (unsigned long long)he->st[HST_HEUR_EVICTED],
	       (unsigned long long)he->st[HST_HEUR_SET_FULL], (unsigned long long)alerts,
	       ru.ru_maxrss / 1024.0);
	heur_engine__free(he);
	heur_opts_free(&o);
	return 0;
}
