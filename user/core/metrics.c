// SPDX-License-Identifier: GPL-2.0-only
/*
 * metrics.c - Prometheus /metrics and /healthz over libmicrohttpd (see metrics.h).
 *
 * libmicrohttpd runs one internal polling thread (MHD_USE_INTERNAL_POLLING_THREAD):
 * a scrape is rare (seconds apart) and cheap, so one thread that collects and
 * renders on demand is enough, and it never touches the workers' hot path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "core/log.h"
#include "core/metrics.h"
#include "heur/heur.h"

/* Heuristic alerts carry HEUR_GID; signature alerts gid 1 (rules may set others). */
#define METRICS_SIG_GID 1

struct metrics {
	struct metrics_opts o;
	struct MHD_Daemon *d;
};

/*
 * Counters that are gauges (a level, not a running total), with the name to
 * use when the generic one would miss its unit. Everything else is a counter.
 */
static const struct {
	enum weir_stat_id id;
	const char *name; /* NULL: generic name without _total */
} gauges[] = {
	{ WS_FLOW_ACTIVE, "weir_flows_active" },
	{ WS_FLOW_MEMUSE, "weir_flow_memuse_bytes" },
	{ WS_HEUR_KEYS, NULL },
	{ WS_HEUR_MEMUSE, "weir_heur_memuse_bytes" },
	{ WS_PIPELINE_ALERT_LATENCY_P50, NULL },
	{ WS_PIPELINE_ALERT_LATENCY_P99, NULL },
	{ WS_PIPELINE_ALERT_LATENCY_MAX, NULL },
	{ WS_CAPTURE_LOSS_RATIO_PPM, NULL },
	{ WS_GOVERNOR_LEVEL, NULL },
	{ WS_GOVERNOR_SHED_LEVEL, NULL },
	{ WS_GOVERNOR_CPU_USED, NULL },
	{ WS_GOVERNOR_CPU_BUDGET, NULL },
};

bool metrics_name(enum weir_stat_id id, char *buf, size_t len)
{
	const char *dotted = stats_name(id);
	bool gauge = false;
	size_t n;

	for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
		if (gauges[i].id != id)
			continue;
		if (gauges[i].name) {
			snprintf(buf, len, "%s", gauges[i].name);
			return true;
		}
		gauge = true;
	}
	n = (size_t)snprintf(buf, len, "weir_%s", dotted);
	if (n >= len)
		n = len - 1;
	for (size_t i = 5; i < n; i++) {
		char c = buf[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			buf[i] = '_';
	}
	if (!gauge && n + 6 < len)
		memcpy(buf + n, "_total", 7);
	return gauge;
}

/* Every heur.alerts.<kind> counter: new heuristics count without an edit here. */
static uint64_t heur_alerts(const struct weir_stats *s)
{
	uint64_t n = 0;

	for (int id = 0; id < WS__MAX; id++)
		if (!strncmp(stats_name((enum weir_stat_id)id), "heur.alerts.", 12))
			n += s->v[id];
	return n;
}

static void render_explicit(FILE *f, const struct weir_stats *s, const struct metrics_extra *x)
{
	fprintf(f, "# HELP weir_alerts_total Alerts raised, by gid (1: signatures, %d: heuristics).\n"
		   "# TYPE weir_alerts_total counter\n"
		   "weir_alerts_total{gid=\"%d\"} %" PRIu64 "\n"
		   "weir_alerts_total{gid=\"%d\"} %" PRIu64 "\n",
		HEUR_GID, METRICS_SIG_GID, STAT_GET(s, DETECT_ALERTS), HEUR_GID, heur_alerts(s));
	fprintf(f, "# HELP weir_cpu_used_cores CPU of the whole sensor over the last governor tick.\n"
		   "# TYPE weir_cpu_used_cores gauge\nweir_cpu_used_cores %.4f\n",
		x->cpu_used_cores);
	fprintf(f, "# HELP weir_cpu_budget_cores The --cpu-budget (0: none).\n"
		   "# TYPE weir_cpu_budget_cores gauge\nweir_cpu_budget_cores %.4f\n",
		x->cpu_budget_cores);
	fprintf(f, "# HELP weir_capture_loss_ratio Records lost / records offered to the rings.\n"
		   "# TYPE weir_capture_loss_ratio gauge\nweir_capture_loss_ratio %.6f\n",
		x->loss_ratio);
	fprintf(f, "# HELP weir_uptime_seconds Time since the sensor started.\n"
		   "# TYPE weir_uptime_seconds gauge\nweir_uptime_seconds %.3f\n",
		x->uptime_s);
	fprintf(f, "# HELP weir_workers Worker threads (= ring shards).\n"
		   "# TYPE weir_workers gauge\nweir_workers %u\n",
		x->workers);
	if (x->ring_known) {
		fprintf(f, "# HELP weir_ring_size_bytes Size of each ring shard.\n"
			   "# TYPE weir_ring_size_bytes gauge\nweir_ring_size_bytes %" PRIu64 "\n",
			x->ring_size);
		fprintf(f, "# HELP weir_ring_used_bytes Bytes written to a ring shard and not yet consumed.\n"
			   "# TYPE weir_ring_used_bytes gauge\n");
		for (uint32_t i = 0; i < x->n_shards && i < WEIR_WORKERS_MAX; i++)
			fprintf(f, "weir_ring_used_bytes{shard=\"%u\"} %" PRIu64 "\n", i,
				x->ring_avail[i]);
	}
	fprintf(f, "# HELP weir_memory_bytes Memory in use by pool.\n"
		   "# TYPE weir_memory_bytes gauge\n"
		   "weir_memory_bytes{pool=\"flow\"} %" PRIu64 "\n"
		   "weir_memory_bytes{pool=\"heur\"} %" PRIu64 "\n",
		STAT_GET(s, FLOW_MEMUSE), STAT_GET(s, HEUR_MEMUSE));
	fprintf(f, "# HELP weir_rules_loaded Rules in the ruleset in force.\n"
		   "# TYPE weir_rules_loaded gauge\nweir_rules_loaded %u\n",
		x->rules_loaded);
	fprintf(f, "# HELP weir_rules_load_seconds Compile time of the ruleset in force.\n"
		   "# TYPE weir_rules_load_seconds gauge\nweir_rules_load_seconds %.6f\n",
		x->rules_load_s);
	fprintf(f, "# HELP weir_rules_reloads_total Rule reloads (SIGHUP) that succeeded.\n"
		   "# TYPE weir_rules_reloads_total counter\nweir_rules_reloads_total %" PRIu64 "\n",
		x->reloads);
	fprintf(f, "# HELP weir_rules_reload_failures_total Rule reloads that failed (old rules kept).\n"
		   "# TYPE weir_rules_reload_failures_total counter\n"
		   "weir_rules_reload_failures_total %" PRIu64 "\n",
		x->reload_failures);
}

long metrics_render(const struct weir_stats *s, const struct metrics_extra *x, char **out)
{
	char *buf = NULL, name[160];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return -ENOMEM;
	for (int id = 0; id < WS__MAX; id++) {
		bool gauge = metrics_name((enum weir_stat_id)id, name, sizeof(name));

		fprintf(f, "# HELP %s Weir %s \"%s\".\n# TYPE %s %s\n%s %" PRIu64 "\n", name,
			gauge ? "gauge" : "counter", stats_name((enum weir_stat_id)id), name,
			gauge ? "gauge" : "counter", name, s->v[id]);
	}
	render_explicit(f, s, x);
	if (fclose(f) || !buf) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return (long)len;
}

/* --- HTTP ----------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code, const char *type,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct metrics *m = cls;
	static const char text[] = "text/plain; charset=utf-8";

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, "method not allowed\n", 19,
			     MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/metrics")) {
		struct weir_stats *sum = calloc(1, sizeof(*sum));
		struct metrics_extra *x = calloc(1, sizeof(*x));
		char *body = NULL;
		long n = -ENOMEM;

		if (sum && x) {
			m->o.collect(m->o.arg, sum, x);
			n = metrics_render(sum, x, &body);
		}
		free(sum);
		free(x);
		if (n < 0)
			return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, text, "out of memory\n", 14,
				     MHD_RESPMEM_PERSISTENT);
		return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body,
			     (size_t)n, MHD_RESPMEM_MUST_FREE);
	}
	if (!strcmp(url, "/healthz")) {
		if (m->o.healthy && !m->o.healthy(m->o.arg))
			return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, text, "not running\n", 12,
				     MHD_RESPMEM_PERSISTENT);
		return reply(c, MHD_HTTP_OK, text, "ok\n", 3, MHD_RESPMEM_PERSISTENT);
	}
	return reply(c, MHD_HTTP_NOT_FOUND, text, "not found\n", 10, MHD_RESPMEM_PERSISTENT);
}

/* "ADDR:PORT" or "[V6]:PORT" -> numeric address. Return: 0 or -EINVAL. */
static int listen_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	};
	struct addrinfo *ai = NULL;
	char host[128];
	const char *colon, *h = s;
	size_t hl;
	int err;

	if (!s)
		return -EINVAL;
	colon = strrchr(s, ':');
	if (!colon || !colon[1])
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (hl && s[0] == '[') {
		if (s[hl - 1] != ']')
			return -EINVAL;
		h = s + 1;
		hl -= 2;
	}
	if (!hl || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	err = getaddrinfo(host, colon + 1, &hints, &ai);
	if (err || !ai)
		return -EINVAL;
	if (ai->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(ai);
		return -EINVAL;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sl = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int metrics_parse_listen(const char *s)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	return listen_addr(s, &ss, &sl);
}

struct metrics *metrics__new(const struct metrics_opts *opts)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	struct metrics *m;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD;
	uint16_t port;

	if (!opts || !opts->collect || listen_addr(opts->listen, &ss, &sl)) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->o = *opts;
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	errno = 0;
	m->d = MHD_start_daemon(flags, port, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_END);
	if (!m->d) {
		int e = errno ? errno : EADDRINUSE;

		free(m);
		errno = e;
		return NULL;
	}
	return m;
}

void metrics__free(struct metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	free(m);
}
