// SPDX-License-Identifier: GPL-2.0-only
/*
 * run.c - `weir run`: the live sensor.
 *
 * The control thread (this one) loads the BPF programs with one ring shard
 * per worker, attaches them to every interface whose name matches the globs
 * (and to new ones as netlink reports them), starts the pipeline with each
 * worker draining its own shard, then waits for signals: SIGHUP reloads the
 * rules (a failed reload keeps the running ones), SIGINT/SIGTERM detach
 * everything, flush events and exit 0.
 */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "core/cli.h"
#include "core/governor.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/pipeline.h"
#include "detect/detect.h"
#include "output/output.h"
#include "source/source_bpf.h"
#include "source/source_iface.h"
#include "weir/limits.h"
#include "sensor.skel.h"

struct run_args {
	uint32_t workers;
	struct cli_output out;
	char **pod_globs, **overlay_globs, **uplink_globs;
	size_t n_pod, n_overlay, n_uplink;
	enum source_bpf_mode veth_mode;
	bool xdp_generic;
	uint32_t ring_bytes;
	struct weir_kcfg kcfg;
	struct cli_rules rules;
	struct pipeline_opts po;
	double cpu_budget;           /* cores; 0 = no budget */
	const char *metrics;         /* ADDR:PORT or NULL */
	cpu_set_t pin[WEIR_WORKERS_MAX]; /* --pin-cpus: CPU of worker i (round robin) */
	uint32_t n_pin;
};

enum {
	OPT_IFACE = 0x100,
	OPT_OVERLAY,
	OPT_UPLINK,
	OPT_MODE,
	OPT_XDP_NATIVE,
	OPT_RING_BYTES,
	OPT_HEAD_BYTES,
	OPT_SAMPLE_RATE,
	OPT_SNAPLEN,
	OPT_WAKEUP_BYTES,
	OPT_POLL_MS,
	OPT_CPU_BUDGET,
	OPT_METRICS,
	OPT_PIN_CPUS,
};

static const struct argp_option run_options[] = {
	{ "config", 'c', "FILE", 0, "Settings from a YAML file: long options as keys (cpu-budget: 0.5); command-line options win", 0 },
	{ "workers", 'w', "N", 0, "Worker threads = ring shards (default: number of CPUs, max 64)", 0 },
	{ "iface", OPT_IFACE, "GLOBS", 0, "Pod veth name globs, comma-separated (default veth*,cali*,lxc*)", 2 },
	{ "overlay", OPT_OVERLAY, "GLOBS", 0, "Overlay device globs (default flannel.1,cilium_vxlan,vxlan.calico)", 2 },
	{ "uplink", OPT_UPLINK, "GLOBS", 0, "Uplink NIC globs for XDP with VXLAN/Geneve decapsulation (default none)", 2 },
	{ "mode", OPT_MODE, "tc|xdp", 0, "Hook on pod veths: tc (ingress+egress, default: keeps TSO) or xdp (XDP ingress + TC egress)", 2 },
	{ "xdp-native", OPT_XDP_NATIVE, NULL, 0, "Attach XDP in native mode (default generic on veths: native turns TSO off)", 2 },
	{ "ring-bytes", OPT_RING_BYTES, "BYTES", 0, "Ring buffer per shard, power of 2 (default 4M)", 3 },
	{ "head-bytes", OPT_HEAD_BYTES, "BYTES", 0, "Payload per flow direction recorded in full (default 4096)", 3 },
	{ "sample-rate", OPT_SAMPLE_RATE, "N", 0, "Record 1 in N packets past the head (default 32; 0 = none)", 3 },
	{ "snaplen", OPT_SNAPLEN, "BYTES", 0, "Bytes of each frame recorded (default 1536, the maximum)", 3 },
	{ "wakeup-bytes", OPT_WAKEUP_BYTES, "BYTES", 0, "Wake a worker when its ring holds this much (default 65536)", 3 },
	{ "poll-ms", OPT_POLL_MS, "MS", 0, "Read each ring at least this often (default 20): bounds the delay of a quiet ring", 3 },
	{ "cpu-budget", OPT_CPU_BUDGET, "CORES", 0, "Keep the sensor's CPU under CORES (e.g. 0.5) by shedding samples, least valuable first (default: no budget)", 3 },
	{ "pin-cpus", OPT_PIN_CPUS, "LIST", 0, "Pin workers to these CPUs, round robin (e.g. 2,3 or 4-7)", 3 },
	{ "metrics", OPT_METRICS, "ADDR:PORT", 0, "Serve Prometheus /metrics and /healthz on ADDR:PORT (e.g. 127.0.0.1:9100)", 0 },
	{ "verbose", 'v', NULL, 0, "More diagnostics (repeat for debug, incl. libbpf)", 5 },
	{ 0 },
};

static void globs_arg(struct argp_state *state, const char *opt, const char *arg, char ***globs,
		      size_t *n)
{
	source_iface_globs_free(*globs);
	*globs = source_iface_globs_parse(arg, n);
	if (!*globs)
		argp_error(state, "%s: bad glob list '%s'", opt, arg);
}

/* "0,2-3" -> one CPU per entry of a->pin, in order. Return: 0 or -EINVAL. */
static int pin_parse(struct run_args *a, const char *arg)
{
	const char *p = arg;

	a->n_pin = 0;
	while (*p) {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;

		if (end == p)
			return -EINVAL;
		if (*end == '-') {
			p = end + 1;
			hi = strtoul(p, &end, 10);
			if (end == p || hi < lo)
				return -EINVAL;
		}
		if (hi >= CPU_SETSIZE)
			return -EINVAL;
		for (unsigned long c = lo; c <= hi && a->n_pin < WEIR_WORKERS_MAX; c++) {
			CPU_ZERO(&a->pin[a->n_pin]);
			CPU_SET(c, &a->pin[a->n_pin]);
			a->n_pin++;
		}
		if (*end == ',')
			end++;
		else if (*end)
			return -EINVAL;
		p = end;
	}
	return a->n_pin ? 0 : -EINVAL;
}

static error_t run_parse(int key, char *arg, struct argp_state *state)
{
	struct run_args *a = state->input;
	uint64_t v;
	char *end;

	switch (key) {
	case 'w':
		if (cli_parse_u64(arg, 1, WEIR_WORKERS_MAX, &v))
			argp_error(state, "--workers: '%s' is not a number from 1 to %d", arg, WEIR_WORKERS_MAX);
		a->workers = (uint32_t)v;
		break;
	case OPT_IFACE:
		globs_arg(state, "--iface", arg, &a->pod_globs, &a->n_pod);
		break;
	case OPT_OVERLAY:
		globs_arg(state, "--overlay", arg, &a->overlay_globs, &a->n_overlay);
		break;
	case OPT_UPLINK:
		globs_arg(state, "--uplink", arg, &a->uplink_globs, &a->n_uplink);
		break;
	case OPT_MODE:
		if (!strcmp(arg, "tc"))
			a->veth_mode = SOURCE_BPF_MODE_TC;
		else if (!strcmp(arg, "xdp"))
			a->veth_mode = SOURCE_BPF_MODE_XDP;
		else
			argp_error(state, "--mode: expected tc or xdp, got '%s'", arg);
		break;
	case OPT_XDP_NATIVE:
		a->xdp_generic = false;
		break;
	case OPT_RING_BYTES:
		if (cli_parse_size(arg, 4096, 1u << 30, &v) || (v & (v - 1)))
			argp_error(state, "--ring-bytes: '%s' is not a power of 2 from 4K to 1G", arg);
		a->ring_bytes = (uint32_t)v;
		break;
	case OPT_HEAD_BYTES:
		if (cli_parse_size(arg, 0, UINT32_MAX, &v))
			argp_error(state, "--head-bytes: bad size '%s'", arg);
		a->kcfg.head_bytes = (uint32_t)v;
		break;
	case OPT_SAMPLE_RATE:
		if (cli_parse_u64(arg, 0, UINT32_MAX, &v))
			argp_error(state, "--sample-rate: bad number '%s'", arg);
		a->kcfg.sample_rate = (uint32_t)v;
		break;
	case OPT_SNAPLEN:
		if (cli_parse_u64(arg, 64, WEIR_SNAPLEN_MAX, &v))
			argp_error(state, "--snaplen: '%s' is not from 64 to %d", arg, WEIR_SNAPLEN_MAX);
		a->kcfg.snaplen = (uint32_t)v;
		break;
	case OPT_WAKEUP_BYTES:
		if (cli_parse_size(arg, 0, 1u << 30, &v))
			argp_error(state, "--wakeup-bytes: bad size '%s'", arg);
		a->kcfg.wakeup_bytes = (uint32_t)v;
		break;
	case 'c':
		break; /* applied before the command line, see run_main() */
	case OPT_POLL_MS:
		if (cli_parse_u64(arg, 1, 1000, &v))
			argp_error(state, "--poll-ms: '%s' is not from 1 to 1000", arg);
		a->po.poll_ms = (uint32_t)v;
		break;
	case OPT_CPU_BUDGET:
		a->cpu_budget = strtod(arg, &end);
		if (end == arg || *end || !(a->cpu_budget > 0) || a->cpu_budget > 1024)
			argp_error(state, "--cpu-budget: '%s' is not a number of cores > 0", arg);
		break;
	case OPT_METRICS:
		if (metrics_parse_listen(arg))
			argp_error(state, "--metrics: '%s' is not ADDR:PORT (numeric address)", arg);
		a->metrics = arg;
		break;
	case OPT_PIN_CPUS:
		if (pin_parse(a, arg))
			argp_error(state, "--pin-cpus: bad CPU list '%s'", arg);
		break;
	case 'v':
		log_set_level(log_get_level() == LOG_LEVEL_WARN ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG);
		break;
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->rules;
		state->child_inputs[1] = &a->po;
		state->child_inputs[2] = &a->out;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child run_children[] = {
	{ &cli_rules_argp, 0, "Rules:", 1 },
	{ &cli_tuning_argp, 0, "Limits:", 4 },
	{ &cli_output_argp, 0, "Output:", 0 },
	{ 0 },
};

static const struct argp run_argp = {
	.children = run_children,
	.options = run_options,
	.parser = run_parse,
	.doc = "Run the live sensor: sample pod traffic with eBPF on this node's pod veths and "
	       "overlay devices, inspect it, and write EVE JSON."
	       "\vNeeds root, or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON. New matching interfaces "
	       "are attached as they appear. Signals: SIGHUP reloads the rules, SIGINT/SIGTERM "
	       "detach everything, flush and exit 0. Traffic is never dropped or changed.",
};

static volatile sig_atomic_t sig_stop, sig_reload;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		sig_reload = 1;
	else
		sig_stop = 1;
}

/* --- ring records -> pipeline -------------------------------------------- */

#define RUN_PODS_MAX 4096
/* Governor tick (DESIGN.md §5: at most 250 ms). */
#define RUN_TICK_NS (250ull * 1000000ull)

/*
 * Per worker, on its own cache line: the userspace shed level the governor
 * sets (relaxed: a few records at a stale level are harmless) and what the
 * worker shed. Counters are written by the worker only and read by the
 * stats/metrics threads with relaxed atomics: plain loads and stores on x86.
 */
struct run_wstate {
	struct pipeline_worker *w;
	uint32_t id;
	bool pinned;
	_Atomic uint32_t shed;
	uint64_t seq;
	_Atomic uint64_t shed_cnt[GOVERNOR_SHED_MAX];
} __attribute__((aligned(64)));

/* A ring shard's positions, mapped read-only for the ring-fill metric. */
struct run_ring {
	const unsigned long *cons, *prod;
};

struct run_ctx {
	struct source_bpf *sb;
	int pods[RUN_PODS_MAX];     /* attached pod veths (ifindex), for endpoint sync */
	uint32_t n_pods;
	struct pipeline *pl;
	int64_t mono_to_unix;
	enum source_bpf_mode veth_mode;
	struct detect_engine *de;
	struct cli_rules *rules;
	uint32_t workers;
	struct run_wstate ws[WEIR_WORKERS_MAX];
	const cpu_set_t *pin;        /* --pin-cpus, n_pin entries */
	uint32_t n_pin;
	/* Governor: NULL without --cpu-budget (CPU is still measured for metrics). */
	struct governor *gov;
	double budget;
	_Atomic uint64_t cpu_milli;  /* cores used in the last tick x 1000 */
	_Atomic uint32_t level, shed_level;
	_Atomic uint64_t adj_shed, adj_restore, set_failed;
	/* Metrics. */
	struct metrics *metrics;
	_Atomic bool running;
	uint64_t start_ns;
	struct run_ring rings[WEIR_WORKERS_MAX];
	uint32_t n_rings;
	uint64_t ring_size;
	_Atomic uint32_t rules_loaded;
	_Atomic uint64_t rules_load_us, reloads, reload_failures;
};

static struct run_ctx run;

static inline void relaxed_inc(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static int run_record(void *ctx, const struct weir_rec *rec, const uint8_t *frame)
{
	struct run_wstate *ws = ctx;
	int k = rec->flags & WEIR_REC_F_DIR_BA ? 1 : 0;
	uint32_t shed = atomic_load_explicit(&ws->shed, memory_order_relaxed);
	struct pipeline_kflow kf = {
		.pkts = { rec->pkts[k], rec->pkts[k ^ 1] },
		.bytes = { rec->bytes[k], rec->bytes[k ^ 1] },
		.tcp_flags = { rec->tcp_flags[k], rec->tcp_flags[k ^ 1] },
	};
	struct pipeline_frame fr = {
		.data = frame,
		.caplen = rec->cap_len,
		.wirelen = rec->wire_len,
		.ts_ns = (uint64_t)((int64_t)rec->ts_ns + run.mono_to_unix),
		.linktype = DECODE_LINK_ETHERNET,
		.ifindex = rec->ifindex,
		.kflow = rec->flags & (WEIR_REC_F_NOFLOW | WEIR_REC_F_FRAG) ? NULL : &kf,
	};

	/* Last resort of the governor: control packets and flow starts stay. */
	if (shed && !governor_shed_keep(shed, rec->flags & WEIR_REC_F_CONTROL, rec->pkts[k],
					ws->seq++)) {
		relaxed_inc(&ws->shed_cnt[shed - 1]);
		return 0;
	}
	pipeline_worker_frame(ws->w, &fr);
	return 0;
}

static int run_poll(void *arg, uint32_t worker, int timeout_ms)
{
	struct run_wstate *ws = &run.ws[worker];

	/* Poll runs on the worker's own thread: the place to pin it. */
	if (!ws->pinned && run.n_pin) {
		const cpu_set_t *set = &run.pin[worker % run.n_pin];
		int err = pthread_setaffinity_np(pthread_self(), sizeof(*set), set);

		if (err)
			pr_warn("worker %u: pin to CPU: %s\n", worker, strerror(err));
		ws->pinned = true;
	}
	return source_bpf__shard_poll(arg, worker, timeout_ms);
}

/*
 * Kernel counters, governor counters and the loss summary join every stats
 * event (output thread) and every scrape (metrics thread).
 */
static void run_kstats(void *arg, struct weir_stats *sum)
{
	struct run_ctx *r = arg;
	uint64_t k[WEIR_KSTAT__MAX], lost, offered;

	if (source_bpf__read_kstats(r->sb, k) == 0)
		for (int i = 0; i < WEIR_KSTAT__MAX; i++)
			sum->v[WS__USER_MAX + i] += k[i];
	for (uint32_t i = 0; i < r->workers; i++) {
		for (int l = 0; l < GOVERNOR_SHED_MAX; l++)
			sum->v[WS_GOVERNOR_SHED_L1 + l] +=
				atomic_load_explicit(&r->ws[i].shed_cnt[l], memory_order_relaxed);
		STAT_ADD(sum, CAPTURE_RING_MALFORMED, source_bpf__shard_dropped(r->sb, i));
	}
	STAT_GET(sum, GOVERNOR_ADJ_SHED) = atomic_load(&r->adj_shed);
	STAT_GET(sum, GOVERNOR_ADJ_RESTORE) = atomic_load(&r->adj_restore);
	STAT_GET(sum, GOVERNOR_SET_FAILED) = atomic_load(&r->set_failed);
	STAT_GET(sum, GOVERNOR_LEVEL) = atomic_load(&r->level);
	STAT_GET(sum, GOVERNOR_SHED_LEVEL) = atomic_load(&r->shed_level);
	STAT_GET(sum, GOVERNOR_CPU_USED) = atomic_load(&r->cpu_milli);
	STAT_GET(sum, GOVERNOR_CPU_BUDGET) = (uint64_t)(r->budget * 1000 + 0.5);
	/*
	 * Records lost on the way from the kernel to the workers, whatever the
	 * cause, over the records the kernel tried to put in a ring. Sampling
	 * by policy (kernel.sampled_out) is not a loss: it is the configured
	 * (or governed) sampling and has its own counter.
	 */
	lost = STAT_GET(sum, KERNEL_RING_FULL) + STAT_GET(sum, KERNEL_RING_MISSING) +
	       STAT_GET(sum, KERNEL_COPY_FAIL) + STAT_GET(sum, CAPTURE_RING_MALFORMED) +
	       STAT_GET(sum, PIPELINE_QUEUE_FULL);
	for (int l = 0; l < GOVERNOR_SHED_MAX; l++)
		lost += sum->v[WS_GOVERNOR_SHED_L1 + l];
	offered = STAT_GET(sum, KERNEL_RECORDED) + STAT_GET(sum, KERNEL_RING_FULL) +
		  STAT_GET(sum, KERNEL_RING_MISSING) + STAT_GET(sum, KERNEL_COPY_FAIL);
	STAT_GET(sum, CAPTURE_LOST) = lost;
	STAT_GET(sum, CAPTURE_LOSS_RATIO_PPM) = offered ? lost * 1000000 / offered : 0;
}

/* --- CPU governor ----------------------------------------------------------- */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CPU time of every thread of the sensor (workers, output, heuristics, control). */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One tick: @used cores over the last tick; apply what the governor decides. */
static void run_govern(struct run_ctx *r, double used)
{
	struct governor_decision d;

	atomic_store(&r->cpu_milli, (uint64_t)(used * 1000 + 0.5));
	if (!r->gov || !governor__tick(r->gov, used, &d))
		return;
	if (source_bpf__set_config(r->sb, &d.kcfg))
		atomic_fetch_add(&r->set_failed, 1);
	for (uint32_t i = 0; i < r->workers; i++)
		atomic_store_explicit(&r->ws[i].shed, d.shed_level, memory_order_relaxed);
	atomic_fetch_add(d.change > 0 ? &r->adj_shed : &r->adj_restore, 1);
	atomic_store(&r->level, d.level);
	atomic_store(&r->shed_level, d.shed_level);
	pr_info("governor: %.2f of %.2f cores: level %u (sample 1/%u, head %u, snaplen %u, shed %u)\n",
		used, r->budget, d.level, d.kcfg.sample_rate, d.kcfg.head_bytes, d.kcfg.snaplen,
		d.shed_level);
}

/* --- metrics ----------------------------------------------------------------- */

/*
 * Map each shard's consumer and producer positions read-only (the ring
 * buffer's first two pages), so a scrape can report ring fill. libbpf 1.1
 * has no ring__avail_data_size(); these are the same two words it would read.
 */
static void run_rings_map(struct run_ctx *r)
{
	int outer = bpf_map__fd(source_bpf__skel(r->sb)->maps.rings);
	long pg = sysconf(_SC_PAGESIZE);

	for (uint32_t i = 0; i < r->workers; i++) {
		struct bpf_map_info info = { 0 };
		uint32_t il = sizeof(info), id;
		void *c, *p;
		int fd;

		if (bpf_map_lookup_elem(outer, &i, &id))
			break;
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			break;
		if (bpf_obj_get_info_by_fd(fd, &info, &il)) {
			close(fd);
			break;
		}
		c = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fd, 0);
		p = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fd, pg);
		close(fd);
		if (c == MAP_FAILED || p == MAP_FAILED) {
			if (c != MAP_FAILED)
				munmap(c, (size_t)pg);
			if (p != MAP_FAILED)
				munmap(p, (size_t)pg);
			break;
		}
		r->rings[i].cons = c;
		r->rings[i].prod = p;
		r->ring_size = info.max_entries;
		r->n_rings = i + 1;
	}
	if (r->n_rings < r->workers)
		pr_info("metrics: ring fill not available (%u of %u rings mapped)\n", r->n_rings,
			r->workers);
}

static void run_rings_unmap(struct run_ctx *r)
{
	long pg = sysconf(_SC_PAGESIZE);

	for (uint32_t i = 0; i < r->n_rings; i++) {
		munmap((void *)r->rings[i].cons, (size_t)pg);
		munmap((void *)r->rings[i].prod, (size_t)pg);
	}
	r->n_rings = 0;
}

static void run_collect(void *arg, struct weir_stats *sum, struct metrics_extra *x)
{
	struct run_ctx *r = arg;
	uint64_t offered;

	pipeline_stats_sum(r->pl, sum);
	run_kstats(r, sum);
	x->cpu_used_cores = (double)atomic_load(&r->cpu_milli) / 1000;
	x->cpu_budget_cores = r->budget;
	offered = STAT_GET(sum, KERNEL_RECORDED) + STAT_GET(sum, KERNEL_RING_FULL) +
		  STAT_GET(sum, KERNEL_RING_MISSING) + STAT_GET(sum, KERNEL_COPY_FAIL);
	x->loss_ratio = offered ? (double)STAT_GET(sum, CAPTURE_LOST) / (double)offered : 0;
	x->uptime_s = (double)(mono_ns() - r->start_ns) / 1e9;
	x->workers = r->workers;
	x->ring_known = r->n_rings == r->workers;
	x->n_shards = r->n_rings;
	x->ring_size = r->ring_size;
	for (uint32_t i = 0; i < r->n_rings; i++) {
		unsigned long c = __atomic_load_n(r->rings[i].cons, __ATOMIC_ACQUIRE);
		unsigned long p = __atomic_load_n(r->rings[i].prod, __ATOMIC_ACQUIRE);

		x->ring_avail[i] = p >= c ? p - c : 0;
	}
	x->rules_loaded = atomic_load(&r->rules_loaded);
	x->rules_load_s = (double)atomic_load(&r->rules_load_us) / 1e6;
	x->reloads = atomic_load(&r->reloads);
	x->reload_failures = atomic_load(&r->reload_failures);
}

static bool run_healthy(void *arg)
{
	struct run_ctx *r = arg;

	return atomic_load(&r->running);
}

/* --- interfaces ----------------------------------------------------------- */

static void on_iface(void *ctx, const struct source_iface_event *ev)
{
	struct run_ctx *r = ctx;
	enum source_bpf_mode mode;
	int err;

	if (ev->gone) {
		/* Its programs went with it: just forget it and its endpoints. */
		source_bpf__local_ep_del_ifindex(r->sb, (uint32_t)ev->ifindex);
		for (uint32_t i = 0; i < r->n_pods; i++) {
			if (r->pods[i] == ev->ifindex) {
				r->pods[i] = r->pods[--r->n_pods];
				break;
			}
		}
		if (source_bpf__detach(r->sb, ev->ifindex) == 0)
			pr_info("%s: gone, detached\n", ev->name);
		return;
	}
	switch (ev->kind) {
	case SOURCE_IFACE_POD:
		mode = r->veth_mode;
		break;
	case SOURCE_IFACE_OVERLAY:
		mode = SOURCE_BPF_MODE_OVERLAY;
		break;
	case SOURCE_IFACE_UPLINK:
		mode = SOURCE_BPF_MODE_UPLINK;
		break;
	default:
		return;
	}
	err = source_bpf__attach(r->sb, ev->ifindex, mode);
	if (err == -ENODEV)
		return; /* vanished between the event and now */
	if (err) {
		pr_warn("attach %s (%s): %s\n", ev->name, source_bpf_mode_name(mode), strerror(-err));
		return;
	}
	pr_info("attached %s (%s)\n", ev->name, source_bpf_mode_name(mode));
	if (ev->kind != SOURCE_IFACE_POD)
		return;
	/* Record once per node: the pod's addresses, read from its namespace. */
	source_bpf__local_ep_sync(r->sb, ev->ifindex);
	for (uint32_t i = 0; i < r->n_pods; i++)
		if (r->pods[i] == ev->ifindex)
			return;
	if (r->n_pods < RUN_PODS_MAX)
		r->pods[r->n_pods++] = ev->ifindex;
	else
		pr_warn("%s: more than %d pod interfaces, its addresses are not re-synced\n",
			ev->name, RUN_PODS_MAX);
}

/* A pod's address can change with no host-side link event: re-read them. */
static void run_sync_endpoints(struct run_ctx *r)
{
	for (uint32_t i = 0; i < r->n_pods; i++)
		source_bpf__local_ep_sync(r->sb, r->pods[i]);
}

static void run_reload(struct run_ctx *r)
{
	struct detect_load_report rep = { 0 };
	struct detect_opts o;
	int err;

	if (!r->de) {
		pr_warn("SIGHUP: rules are off (--no-detect), nothing to reload\n");
		return;
	}
	if (cli_rules_opts(r->rules, &o))
		return;
	err = detect_engine__reload(r->de, &o, &rep);
	if (err) {
		atomic_fetch_add(&r->reload_failures, 1);
		pr_warn("SIGHUP: reload failed (%s): the running rules stay in place\n", strerror(-err));
	} else {
		atomic_fetch_add(&r->reloads, 1);
		atomic_store(&r->rules_loaded, rep.loaded);
		atomic_store(&r->rules_load_us, (uint64_t)(rep.compile_ms * 1000));
		pr_warn("SIGHUP: rules reloaded: %u loaded, %u skipped, compiled in %.1f ms\n",
			rep.loaded, rep.skipped, rep.compile_ms);
	}
}

/* cli_rules_load() that keeps the load report for the metrics. Return: 0 or -errno. */
static int run_rules_load(struct run_ctx *r)
{
	struct detect_load_report rep = { 0 };
	struct detect_opts o;

	r->de = NULL;
	if (r->rules->no_detect)
		return 0;
	if (cli_rules_opts(r->rules, &o))
		return -ENOENT;
	r->de = detect_engine__new(&o, &rep);
	if (!r->de) {
		pr_err("rules: %s\n", errno == EINVAL ? "no usable rule loaded" : strerror(errno));
		return -EINVAL;
	}
	atomic_store(&r->rules_loaded, rep.loaded);
	atomic_store(&r->rules_load_us, (uint64_t)(rep.compile_ms * 1000));
	return 0;
}

/* Can this process load BPF and attach to interfaces? */
static bool have_caps(void)
{
	cap_value_t need[] = { CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON };
	cap_t caps;
	bool ok = true;

	if (geteuid() == 0)
		return true;
	caps = cap_get_proc();
	if (!caps)
		return false;
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		cap_flag_value_t v = CAP_CLEAR;

		if (cap_get_flag(caps, need[i], CAP_EFFECTIVE, &v) || v != CAP_SET)
			ok = false;
	}
	cap_free(caps);
	return ok;
}

int run_main(int argc, char **argv)
{
	struct run_args a = {
		.out.stats_interval = 30,
		.rules.heur_mode = -1,
		.veth_mode = SOURCE_BPF_MODE_TC,
		.xdp_generic = true,
		.kcfg = {
			.enabled = 1,
			.head_bytes = 4096,
			.sample_rate = 32,
			.snaplen = WEIR_SNAPLEN_MAX,
			.wakeup_bytes = 65536,
		},
	};
	struct source_iface_opts io = { 0 };
	struct source_iface *si = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	char hostname[256] = "";
	int ret = 1, err, n;
	time_t last_sync = 0;
	uint64_t next_tick, last_wall, last_cpu;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	a.workers = ncpu > 0 ? (uint32_t)(ncpu < WEIR_WORKERS_MAX ? ncpu : WEIR_WORKERS_MAX) : 1;
	decode_opts_default(&a.po.decode);
	/* The file first, so the command line overrides it. */
	if (cli_config_path(argc, argv) && cli_config_apply(&run_argp, &a, cli_config_path(argc, argv)))
		return 1;
	if (argp_parse(&run_argp, argc, argv, 0, NULL, &a))
		return 1;
	if (!have_caps()) {
		pr_err("run: needs root, or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON\n");
		return 1;
	}
	if (!a.out.host && gethostname(hostname, sizeof(hostname)) == 0)
		a.out.host = hostname;

	run.rules = &a.rules;
	run.veth_mode = a.veth_mode;
	if (cli_rules_heur(&a.rules, true, &a.po.heur))
		return 1;
	run.start_ns = mono_ns();
	run.pin = a.pin;
	run.n_pin = a.n_pin;
	if (run_rules_load(&run))
		goto out;

	if (cli_output_open(&a.out))
		goto out;

	source_bpf_log_libbpf();
	{
		struct source_bpf_opts so = {
			.n_shards = a.workers,
			.ring_bytes = a.ring_bytes,
			.xdp_generic = a.xdp_generic,
			.cfg = a.kcfg,
		};

		run.sb = source_bpf__new(&so);
		if (!run.sb) {
			pr_err("load BPF programs: %s%s\n", strerror(errno),
			       errno == EPERM ? " (needs root, or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)" : "");
			goto out;
		}
	}
	run.mono_to_unix = source_bpf_mono_to_unix_ns();
	run.workers = a.workers;
	if (a.cpu_budget > 0) {
		struct governor_opts go = { .budget_cores = a.cpu_budget, .base = a.kcfg };

		go.base.n_shards = a.workers;
		run.budget = a.cpu_budget;
		run.gov = governor__new(&go);
		if (!run.gov) {
			pr_err("governor: %s\n", strerror(errno));
			goto out;
		}
	}

	a.po.workers = a.workers;
	a.po.lossless = false;
	a.po.detect = run.de;
	a.po.out = a.out.out;
	a.po.poll = run_poll;
	a.po.poll_arg = run.sb;
	a.po.stats_interval_s = a.out.stats_interval;
	a.po.extra_stats = run_kstats;
	a.po.extra_stats_arg = &run;
	run.pl = pipeline__new(&a.po);
	if (!run.pl) {
		pr_err("pipeline: %s\n", strerror(errno));
		goto out;
	}
	for (uint32_t i = 0; i < a.workers; i++) {
		run.ws[i].w = pipeline_worker(run.pl, i);
		run.ws[i].id = i;
		err = source_bpf__shard_start(run.sb, i, run_record, &run.ws[i]);
		if (err) {
			pr_err("ring shard %u: %s\n", i, strerror(-err));
			goto out;
		}
	}

	io.pod = a.pod_globs ? (const char *const *)a.pod_globs : NULL;
	io.n_pod = a.n_pod;
	io.overlay = a.overlay_globs ? (const char *const *)a.overlay_globs : NULL;
	io.n_overlay = a.n_overlay;
	io.uplink = a.uplink_globs ? (const char *const *)a.uplink_globs : NULL;
	io.n_uplink = a.n_uplink;
	si = source_iface__new(&io, on_iface, &run);
	if (!si) {
		pr_err("netlink: %s\n", strerror(errno));
		goto out;
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	err = pipeline__start(run.pl);
	if (err) {
		pr_err("start workers: %s\n", strerror(-err));
		goto out;
	}
	atomic_store(&run.running, true);
	if (a.metrics) {
		struct metrics_opts mo = {
			.listen = a.metrics,
			.collect = run_collect,
			.healthy = run_healthy,
			.arg = &run,
		};

		run_rings_map(&run);
		run.metrics = metrics__new(&mo);
		if (!run.metrics) {
			pr_err("--metrics %s: %s\n", a.metrics, strerror(errno));
			goto out;
		}
		pr_info("metrics on http://%s/metrics\n", a.metrics);
	}
	n = source_bpf_tc_remove_stale_all();
	if (n > 0)
		pr_warn("removed %d stale Weir TC filters left by a previous sensor\n", n);
	n = source_iface__dump(si);
	if (n < 0) {
		pr_err("list interfaces: %s\n", strerror(-n));
		goto out;
	}
	if (!source_bpf__n_attached(run.sb))
		pr_warn("no matching interface yet: watching for new ones\n");
	pr_info("running: %u workers, %u interfaces\n", a.workers, source_bpf__n_attached(run.sb));

	last_wall = mono_ns();
	last_cpu = cpu_ns();
	next_tick = last_wall + RUN_TICK_NS;
	while (!sig_stop) {
		struct pollfd pfd = { .fd = source_iface__fd(si), .events = POLLIN };
		struct timespec now;
		uint64_t t = mono_ns();
		int wait_ms = t >= next_tick ? 0 : (int)((next_tick - t) / 1000000) + 1;

		if (poll(&pfd, 1, wait_ms) > 0)
			source_iface__process(si);
		t = mono_ns();
		if (t >= next_tick) {
			uint64_t c = cpu_ns();

			run_govern(&run, (double)(c - last_cpu) / (double)(t - last_wall));
			last_cpu = c;
			last_wall = t;
			next_tick = t + RUN_TICK_NS;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec != last_sync) {
			last_sync = now.tv_sec;
			run_sync_endpoints(&run);
		}
		if (sig_reload) {
			sig_reload = 0;
			run_reload(&run);
		}
	}
	pr_info("stopping: detaching and flushing\n");
	ret = 0;
out:
	atomic_store(&run.running, false);
	/* The server's scrapes read the pipeline and the rings: stop it first. */
	metrics__free(run.metrics);
	run.metrics = NULL;
	run_rings_unmap(&run);
	source_iface__free(si);
	if (run.pl) {
		/* Workers poll the rings: stop them before the rings go away. */
		if (pipeline__finish(run.pl))
			ret = 1;
		pipeline__free(run.pl);
	}
	source_bpf__free(run.sb);
	governor__free(run.gov);
	cli_output_close(&a.out);
	detect_engine__free(run.de);
	source_iface_globs_free(a.pod_globs);
	source_iface_globs_free(a.overlay_globs);
	source_iface_globs_free(a.uplink_globs);
	cli_rules_free(&a.rules);
	return ret;
}
