// SPDX-License-Identifier: GPL-2.0-only
/*
 * heur_opts.c - heuristic thresholds and the high-risk service policy.
 *
 * heur_opts_default() holds the same values as the shipped
 * signatures/services.yaml, so the sensor behaves the same without the file.
 * heur_opts_load() reads the file with libyaml's document API: a
 * "heuristics" mapping overrides thresholds one by one, a "services" list
 * replaces the built-in list as a whole (so a site can drop a service).
 * Unknown keys are errors: a typo must not silently disable a heuristic.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "heur/heur_priv.h"

/* The built-in policy (keep in step with signatures/services.yaml). */
struct svc_default {
	const char *name;
	uint8_t proto;
	uint16_t ports[HEUR_SVC_PORTS_MAX];
	bool brute_force;
	const char *dst;
};

static const struct svc_default svc_defaults[] = {
	{ "ssh", 6, { 22 }, true, NULL },
	{ "docker-api", 6, { 2375, 2376 }, false, NULL },
	{ "kubelet", 6, { 10250, 10255 }, false, NULL },
	{ "etcd", 6, { 2379, 2380 }, false, NULL },
	{ "kube-apiserver", 6, { 6443 }, false, NULL },
	{ "redis", 6, { 6379 }, true, NULL },
	{ "memcached", 6, { 11211 }, false, NULL },
	{ "memcached-udp", 17, { 11211 }, false, NULL },
	{ "mysql", 6, { 3306 }, true, NULL },
	{ "postgresql", 6, { 5432 }, true, NULL },
	{ "mongodb", 6, { 27017 }, false, NULL },
	{ "elasticsearch", 6, { 9200 }, false, NULL },
	{ "cloud-metadata", 6, { 80 }, false, "169.254.169.254/32" },
};

static int cidr_parse(const char *s, struct heur_cidr *c)
{
	char buf[64];
	char *slash;
	long plen = -1;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		char *end;

		*slash = '\0';
		errno = 0;
		plen = strtol(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 || plen < 0)
			return -EINVAL;
	}
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, &c->addr.a[0]) == 1) {
		c->ip_ver = 4;
		if (plen < 0)
			plen = 32;
		if (plen > 32)
			return -EINVAL;
	} else if (inet_pton(AF_INET6, buf, c->addr.a) == 1) {
		c->ip_ver = 6;
		if (plen < 0)
			plen = 128;
		if (plen > 128)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	c->plen = (uint8_t)plen;
	/* Store masked, so a match is a plain compare of the prefix. */
	for (int i = 0, bits = (int)plen; i < 4; i++, bits -= 32) {
		uint32_t m = bits >= 32 ? 0xffffffffu : bits <= 0 ? 0 : ~(0xffffffffu >> bits);

		c->addr.a[i] = __builtin_bswap32(__builtin_bswap32(c->addr.a[i]) & m);
	}
	return 0;
}

void heur_opts_free(struct heur_opts *o)
{
	for (uint32_t i = 0; i < o->n_services; i++) {
		free(o->services[i].dst);
		free(o->services[i].allow);
	}
	free(o->services);
	o->services = NULL;
	o->n_services = 0;
}

int heur_opts_default(struct heur_opts *o)
{
	uint32_t n = sizeof(svc_defaults) / sizeof(svc_defaults[0]);

	memset(o, 0, sizeof(*o));
	o->memcap = 64ull << 20;
	o->max_keys = 200000;
	o->suppress_s = 3600;
	o->port_scan.ports = 15;
	o->port_scan.window_s = 300;
	o->port_scan.halfopen_ports = 2;
	o->addr_sweep.hosts = 25;
	o->addr_sweep.window_s = 300;
	o->syn_flood.syns = 200;
	o->syn_flood.window_s = 10;
	o->icmp_sweep.hosts = 25;
	o->icmp_sweep.window_s = 300;
	o->fanout.window_s = 60;
	o->fanout.min_peers = 50;
	o->fanout.factor_pct = 400;
	o->fanout.alpha_pct = 25;
	o->fanout.max_tracked = 1024;
	o->brute_force.sessions = 10;
	o->brute_force.window_s = 300;
	o->brute_force.max_duration_s = 30;
	o->brute_force.max_bytes_toserver = 16384;
	o->services = calloc(n, sizeof(*o->services));
	if (!o->services)
		return -ENOMEM;
	o->n_services = n;
	for (uint32_t i = 0; i < n; i++) {
		const struct svc_default *d = &svc_defaults[i];
		struct heur_service *s = &o->services[i];

		snprintf(s->name, sizeof(s->name), "%s", d->name);
		s->proto = d->proto;
		for (int j = 0; j < HEUR_SVC_PORTS_MAX && d->ports[j]; j++)
			s->ports[s->n_ports++] = d->ports[j];
		s->brute_force = d->brute_force;
		s->alert_access = true;
		if (d->dst) {
			s->dst = calloc(1, sizeof(*s->dst));
			if (!s->dst || cidr_parse(d->dst, s->dst))
				return -ENOMEM;
			s->n_dst = 1;
		}
	}
	return 0;
}

/* --- YAML ----------------------------------------------------------------- */

struct yctx {
	yaml_document_t doc;
	const char *path;
	char *err;
	size_t n;
};

static int yerr(struct yctx *y, const yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int yerr(struct yctx *y, const yaml_node_t *node, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (y->err && y->n)
		snprintf(y->err, y->n, "%s:%zu: %s", y->path,
			 node ? node->start_mark.line + 1 : 0, msg);
	return -EINVAL;
}

static const char *yscalar(const yaml_node_t *node)
{
	return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

static int yuint(struct yctx *y, const yaml_node_t *node, uint64_t max, uint64_t *out)
{
	const char *s = yscalar(node);
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return yerr(y, node, "expected a non-negative integer");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return yerr(y, node, "bad number '%s' (0..%llu)", s, (unsigned long long)max);
	*out = v;
	return 0;
}

static int yu32(struct yctx *y, const yaml_node_t *node, uint32_t *out)
{
	uint64_t v = 0;
	int err = yuint(y, node, UINT32_MAX, &v);

	if (!err)
		*out = (uint32_t)v;
	return err;
}

static int ybool(struct yctx *y, const yaml_node_t *node, bool *out)
{
	const char *s = yscalar(node);

	if (s && (!strcmp(s, "true") || !strcmp(s, "yes"))) {
		*out = true;
		return 0;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "no"))) {
		*out = false;
		return 0;
	}
	return yerr(y, node, "expected true or false");
}

/* One threshold field: a name and where it goes. */
struct yfield {
	const char *name;
	uint32_t *u32;
	uint64_t *u64;
};

static int yfields(struct yctx *y, const yaml_node_t *map, const char *what,
		   const struct yfield *f, int nf)
{
	if (map->type != YAML_MAPPING_NODE)
		return yerr(y, map, "%s: expected a mapping", what);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&y->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&y->doc, p->value);
		const char *key = yscalar(k);
		int i, err;

		for (i = 0; i < nf; i++)
			if (key && !strcmp(key, f[i].name))
				break;
		if (i == nf)
			return yerr(y, k, "%s: unknown key '%s'", what, key ? key : "?");
		err = f[i].u32 ? yu32(y, v, f[i].u32) : yuint(y, v, UINT64_MAX, f[i].u64);
		if (err)
			return err;
	}
	return 0;
}

static int yheuristics(struct yctx *y, const yaml_node_t *map, struct heur_opts *o)
{
	uint32_t memcap_mb = (uint32_t)(o->memcap >> 20);
	const struct yfield top[] = {
		{ "suppress_s", &o->suppress_s, NULL },
		{ "memcap_mb", &memcap_mb, NULL },
		{ "max_keys", &o->max_keys, NULL },
	};
	const struct yfield ps[] = {
		{ "ports", &o->port_scan.ports, NULL },
		{ "window_s", &o->port_scan.window_s, NULL },
		{ "halfopen_ports", &o->port_scan.halfopen_ports, NULL },
	};
	const struct yfield as[] = {
		{ "hosts", &o->addr_sweep.hosts, NULL },
		{ "window_s", &o->addr_sweep.window_s, NULL },
	};
	const struct yfield sf[] = {
		{ "syns", &o->syn_flood.syns, NULL },
		{ "window_s", &o->syn_flood.window_s, NULL },
	};
	const struct yfield is[] = {
		{ "hosts", &o->icmp_sweep.hosts, NULL },
		{ "window_s", &o->icmp_sweep.window_s, NULL },
	};
	const struct yfield fo[] = {
		{ "window_s", &o->fanout.window_s, NULL },
		{ "min_peers", &o->fanout.min_peers, NULL },
		{ "factor_pct", &o->fanout.factor_pct, NULL },
		{ "alpha_pct", &o->fanout.alpha_pct, NULL },
		{ "max_tracked", &o->fanout.max_tracked, NULL },
	};
	const struct yfield bf[] = {
		{ "sessions", &o->brute_force.sessions, NULL },
		{ "window_s", &o->brute_force.window_s, NULL },
		{ "max_duration_s", &o->brute_force.max_duration_s, NULL },
		{ "max_bytes_toserver", NULL, &o->brute_force.max_bytes_toserver },
	};
	const struct {
		const char *name;
		const struct yfield *f;
		int n;
	} sub[] = {
		{ "port_scan", ps, 3 }, { "address_sweep", as, 2 }, { "syn_flood", sf, 2 },
		{ "icmp_sweep", is, 2 }, { "fanout", fo, 5 }, { "brute_force", bf, 4 },
	};

	if (map->type != YAML_MAPPING_NODE)
		return yerr(y, map, "heuristics: expected a mapping");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&y->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&y->doc, p->value);
		const char *key = yscalar(k);
		bool done = false;
		int err = 0;

		for (size_t i = 0; key && i < sizeof(sub) / sizeof(sub[0]); i++) {
			if (!strcmp(key, sub[i].name)) {
				err = yfields(y, v, sub[i].name, sub[i].f, sub[i].n);
				done = true;
			}
		}
		for (size_t i = 0; key && !done && i < sizeof(top) / sizeof(top[0]); i++) {
			if (!strcmp(key, top[i].name)) {
				err = yu32(y, v, top[i].u32);
				done = true;
			}
		}
		if (err)
			return err;
		if (!done)
			return yerr(y, k, "heuristics: unknown key '%s'", key ? key : "?");
	}
	if (o->fanout.alpha_pct > 100)
		return yerr(y, map, "heuristics: fanout.alpha_pct must be 0..100");
	o->memcap = (uint64_t)memcap_mb << 20;
	return 0;
}

static int ycidrs(struct yctx *y, const yaml_node_t *seq, struct heur_cidr **out, uint32_t *n)
{
	uint32_t cnt;

	if (seq->type != YAML_SEQUENCE_NODE)
		return yerr(y, seq, "expected a list of addresses/CIDRs");
	cnt = (uint32_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	free(*out);
	*out = NULL;
	*n = 0;
	if (!cnt)
		return 0;
	*out = calloc(cnt, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (uint32_t i = 0; i < cnt; i++) {
		yaml_node_t *it = yaml_document_get_node(&y->doc, seq->data.sequence.items.start[i]);
		const char *s = yscalar(it);

		if (!s || cidr_parse(s, &(*out)[i]))
			return yerr(y, it, "bad address or CIDR '%s'", s ? s : "?");
		(*n)++;
	}
	return 0;
}

static int yservice(struct yctx *y, const yaml_node_t *map, struct heur_service *s)
{
	if (map->type != YAML_MAPPING_NODE)
		return yerr(y, map, "services: each service is a mapping");
	s->proto = 6;
	s->alert_access = true;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&y->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&y->doc, p->value);
		const char *key = yscalar(k), *val = yscalar(v);
		int err = 0;

		if (!key) {
			err = yerr(y, k, "services: bad key");
		} else if (!strcmp(key, "name")) {
			if (!val || !*val || strlen(val) >= sizeof(s->name))
				err = yerr(y, v, "services: name must be 1..%zu characters",
					   sizeof(s->name) - 1);
			else
				snprintf(s->name, sizeof(s->name), "%s", val);
		} else if (!strcmp(key, "proto")) {
			if (val && !strcmp(val, "tcp"))
				s->proto = 6;
			else if (val && !strcmp(val, "udp"))
				s->proto = 17;
			else
				err = yerr(y, v, "services: proto must be tcp or udp");
		} else if (!strcmp(key, "ports")) {
			if (v->type != YAML_SEQUENCE_NODE)
				return yerr(y, v, "services: ports must be a list");
			s->n_ports = 0;
			for (yaml_node_item_t *it = v->data.sequence.items.start;
			     !err && it < v->data.sequence.items.top; it++) {
				yaml_node_t *pn = yaml_document_get_node(&y->doc, *it);
				uint64_t port = 0;

				if (s->n_ports >= HEUR_SVC_PORTS_MAX)
					return yerr(y, pn, "services: at most %d ports",
						    HEUR_SVC_PORTS_MAX);
				err = yuint(y, pn, 65535, &port);
				if (!err)
					s->ports[s->n_ports++] = (uint16_t)port;
			}
		} else if (!strcmp(key, "brute_force")) {
			err = ybool(y, v, &s->brute_force);
		} else if (!strcmp(key, "alert")) {
			err = ybool(y, v, &s->alert_access);
		} else if (!strcmp(key, "dst")) {
			err = ycidrs(y, v, &s->dst, &s->n_dst);
		} else if (!strcmp(key, "allow")) {
			err = ycidrs(y, v, &s->allow, &s->n_allow);
		} else {
			err = yerr(y, k, "services: unknown key '%s'", key);
		}
		if (err)
			return err;
	}
	if (!s->name[0])
		return yerr(y, map, "services: a service needs a name");
	if (!s->n_ports)
		return yerr(y, map, "services: '%s' needs ports", s->name);
	return 0;
}

static int yservices(struct yctx *y, const yaml_node_t *seq, struct heur_opts *o)
{
	uint32_t cnt;

	if (seq->type != YAML_SEQUENCE_NODE)
		return yerr(y, seq, "services: expected a list");
	heur_opts_free(o);
	cnt = (uint32_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	if (!cnt)
		return 0;
	o->services = calloc(cnt, sizeof(*o->services));
	if (!o->services)
		return -ENOMEM;
	for (uint32_t i = 0; i < cnt; i++) {
		yaml_node_t *it = yaml_document_get_node(&y->doc, seq->data.sequence.items.start[i]);
		int err;

		o->n_services = i + 1;
		err = yservice(y, it, &o->services[i]);
		if (err)
			return err;
	}
	return 0;
}

int heur_opts_load(struct heur_opts *o, const char *services_yaml_path, char *err, size_t n)
{
	struct yctx y = { .path = services_yaml_path, .err = err, .n = n };
	yaml_parser_t parser;
	yaml_node_t *root;
	FILE *f;
	int ret;

	if (err && n)
		err[0] = '\0';
	ret = heur_opts_default(o);
	if (ret)
		return ret;
	f = fopen(services_yaml_path, "r");
	if (!f) {
		ret = -errno;
		if (err && n)
			snprintf(err, n, "%s: %s", services_yaml_path, strerror(errno));
		return ret;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &y.doc)) {
		if (err && n)
			snprintf(err, n, "%s:%zu: %s", services_yaml_path,
				 parser.problem_mark.line + 1,
				 parser.problem ? parser.problem : "YAML error");
		yaml_parser_delete(&parser);
		fclose(f);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&y.doc);
	ret = 0;
	if (root && root->type != YAML_MAPPING_NODE) {
		ret = yerr(&y, root, "expected a mapping with 'heuristics' and 'services'");
	} else if (root) {
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		     !ret && p < root->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(&y.doc, p->key);
			yaml_node_t *v = yaml_document_get_node(&y.doc, p->value);
			const char *key = yscalar(k);

			if (key && !strcmp(key, "heuristics"))
				ret = yheuristics(&y, v, o);
			else if (key && !strcmp(key, "services"))
				ret = yservices(&y, v, o);
			else
				ret = yerr(&y, k, "unknown top-level key '%s'", key ? key : "?");
		}
	}
	yaml_document_delete(&y.doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return ret;
}
