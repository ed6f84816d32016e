// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpf_pps.c - ns per packet of each sensor program path, measured with
 * BPF_PROG_TEST_RUN repeat, next to the baseline program (parse + flow
 * update only, kern/baseline.bpf.c), for XDP and TC:
 *   bulk     non-sampled packet of an established flow (head done, rate 0)
 *   head     head packet, recorded (small record class)
 *   control  TCP SYN, recorded
 *   non-ip   ARP
 *   full     recorded path with the ring full (loss counted)
 * Each figure is the median of 5 runs; bulk/base is the median of 5 ratios
 * of back-to-back runs. Compare ratios within one run.
 * Needs root. Usage: bpf_pps [repeat]   (default 200000)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <weir/abi.h>
#include <weir/limits.h>

#include "core/log.h"
#include "source/source_bpf.h"
#include "sensor.skel.h"
#include "baseline.skel.h"
#include "../tests/bpf/sensor_fixtures.h"

#define RUNS 5
/* holds one run of recorded packets (repeat x 264 bytes), drained after each run */
#define RING_BYTES (128U << 20)

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static uint32_t measure_once(int fd, const uint8_t *pkt, uint32_t len, uint32_t repeat)
{
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
			    .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o)) {
		fprintf(stderr, "test run: %s\n", strerror(errno));
		return 0;
	}
	return o.duration;
}

/* Median ns/packet of @fd on @pkt, or 0 on error. */
static uint32_t measure(int fd, const uint8_t *pkt, uint32_t len, uint32_t repeat,
			struct source_bpf *drain)
{
	uint32_t ns[RUNS + 1];
	int i;

	/* run 0 warms up: it takes the page faults of the ring's first pass */
	for (i = 0; i <= RUNS; i++) {
		DECLARE_LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
				    .repeat = repeat);

		if (bpf_prog_test_run_opts(fd, &o)) {
			fprintf(stderr, "test run: %s\n", strerror(errno));
			return 0;
		}
		ns[i] = o.duration;
		if (drain)
			source_bpf__shard_consume(drain, 0);
	}
	qsort(ns + 1, RUNS, sizeof(ns[0]), cmp_u32);
	return ns[1 + RUNS / 2];
}

/* What veristat reports, from bpf_prog_info (veristat is not packaged here). */
static void print_insns(const struct bpf_program *p)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len)) {
		fprintf(stderr, "prog info %s: %s\n", bpf_program__name(p), strerror(errno));
		return;
	}
	printf("%-26s verified_insns %6u  xlated_insns %6u\n", bpf_program__name(p),
	       info.verified_insns, info.xlated_prog_len / 8);
}

/*
 * Median over RUNS of bulk/baseline measured back to back, so both sides of
 * each ratio see the same machine load (the VMs are shared and noisy).
 */
static double measure_ratio(int fd, int bfd, const uint8_t *pkt, uint32_t len, uint32_t repeat)
{
	double r[RUNS], tmp;
	int i, j;

	for (i = 0; i < RUNS; i++) {
		uint32_t b = measure_once(bfd, pkt, len, repeat);
		uint32_t x = measure_once(fd, pkt, len, repeat);

		r[i] = b ? (double)x / b : 0.0;
	}
	for (i = 1; i < RUNS; i++)
		for (j = i; j > 0 && r[j - 1] > r[j]; j--) {
			tmp = r[j];
			r[j] = r[j - 1];
			r[j - 1] = tmp;
		}
	return r[RUNS / 2];
}

static int discard(void *ctx, const struct weir_rec *rec, const uint8_t *frame)
{
	(void)ctx;
	(void)rec;
	(void)frame;
	return 0;
}

static void set_cfg(struct source_bpf *sb, uint32_t head, uint32_t rate)
{
	struct weir_kcfg c = {
		.enabled = 1,
		.head_bytes = head,
		.sample_rate = rate,
		.snaplen = WEIR_SNAPLEN_MAX,
		.wakeup_bytes = 1U << 31, /* no reader sleeps here */
	};

	source_bpf__set_config(sb, &c);
}

int main(int argc, char **argv)
{
	struct source_bpf_opts o = { .n_shards = 1, .ring_bytes = RING_BYTES };
	uint32_t repeat = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 200000;
	struct baseline_bpf *base;
	struct source_bpf *sb, *small;
	struct sensor_bpf *s;
	int hook;

	if (!repeat || repeat > 400000) {
		fprintf(stderr, "usage: bpf_pps [repeat 1..400000]\n");
		return 2;
	}

	source_bpf_log_libbpf();
	sb = source_bpf__new(&o);
	o.ring_bytes = 4096;
	small = source_bpf__new(&o);
	base = baseline_bpf__open_and_load();
	if (!sb || !small || !base) {
		fprintf(stderr, "load: %s (needs root)\n", strerror(errno));
		return 1;
	}
	source_bpf__shard_start(sb, 0, discard, NULL);
	s = source_bpf__skel(sb);

	printf("ns/packet, median of %d runs of %u repeats (%zu-byte TCP data, %zu-byte SYN)\n",
	       RUNS, repeat, sizeof(pkt_tcp4_data60), sizeof(pkt_tcp4_syn));
	printf("(bulk/base: median of %d ratios of back-to-back runs)\n", RUNS);
	printf("%-6s %9s %9s %9s %9s %9s %9s %11s\n", "hook", "baseline", "bulk", "head",
	       "control", "non-ip", "full", "bulk/base");
	for (hook = 0; hook < 2; hook++) {
		int fd = bpf_program__fd(hook ? s->progs.sensor_tc_ingress : s->progs.sensor_xdp);
		int bfd = bpf_program__fd(hook ? base->progs.baseline_tc : base->progs.baseline_xdp);
		int sfd = bpf_program__fd(hook ? source_bpf__skel(small)->progs.sensor_tc_ingress :
						 source_bpf__skel(small)->progs.sensor_xdp);
		uint32_t b, bulk, head, ctl, nonip, full;

		b = measure(bfd, pkt_tcp4_data60, sizeof(pkt_tcp4_data60), repeat, NULL);
		set_cfg(sb, 0, 0);
		bulk = measure(fd, pkt_tcp4_data60, sizeof(pkt_tcp4_data60), repeat, NULL);
		set_cfg(sb, UINT32_MAX, 0);
		head = measure(fd, pkt_tcp4_data60, sizeof(pkt_tcp4_data60), repeat, sb);
		ctl = measure(fd, pkt_tcp4_syn, sizeof(pkt_tcp4_syn), repeat, sb);
		nonip = measure(fd, pkt_arp, sizeof(pkt_arp), repeat, NULL);
		set_cfg(small, UINT32_MAX, 0);
		full = measure(sfd, pkt_tcp4_data60, sizeof(pkt_tcp4_data60), repeat, NULL);
		set_cfg(sb, 0, 0);
		printf("%-6s %9u %9u %9u %9u %9u %9u %11.2f\n", hook ? "tc" : "xdp", b, bulk, head,
		       ctl, nonip, full,
		       measure_ratio(fd, bfd, pkt_tcp4_data60, sizeof(pkt_tcp4_data60), repeat));
	}

	printf("\nverifier: instructions processed / xlated instructions per program\n");
	print_insns(s->progs.sensor_xdp);
	print_insns(s->progs.sensor_xdp_uplink);
	print_insns(s->progs.sensor_tc_ingress);
	print_insns(s->progs.sensor_tc_overlay_ingress);
	print_insns(s->progs.sensor_tc_egress);
	print_insns(base->progs.baseline_xdp);
	print_insns(base->progs.baseline_tc);
	baseline_bpf__destroy(base);
	source_bpf__free(small);
	source_bpf__free(sb);
	return 0;
}
