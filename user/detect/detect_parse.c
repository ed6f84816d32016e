// SPDX-License-Identifier: GPL-2.0-only
/*
 * detect_parse.c - Suricata rule text to struct det_rule. Pure code: no files,
 * no sockets, so the fuzzer and the unit tests call it directly.
 *
 * Semantics follow Suricata 7 where the languages differ from Snort:
 * address and port groups are sets (positives minus negatives, `!` is the
 * complement), `depth` counts from `offset`, `within` counts from the end of the
 * previous match plus `distance`, ranges in `dsize:a<>b` are exclusive, the
 * severity is `priority`, else the classtype's, else 3. Snort 3 inline content
 * modifiers (`content:"x",depth 4,nocase;`) are accepted as well.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "detect/detect_int.h"

/* Nesting of groups and variables; deeper input is rejected rather than recursed on. */
#define DET_MAX_NEST 16

static const det_u128 U32_MAX_128 = 0xffffffffu;
#define U128_MAX (~(det_u128)0)

static void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* Trim in place; returns the first non-space character. */
static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* --- range sets ------------------------------------------------------------ */

static int range_cmp(const void *a, const void *b)
{
	const struct det_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

static void rset_free(struct det_rset *s)
{
	free(s->r);
	s->r = NULL;
	s->n = 0;
}

static int rset_add(struct det_rset *s, det_u128 lo, det_u128 hi)
{
	struct det_range *r = realloc(s->r, (s->n + 1) * sizeof(*r));

	if (!r)
		return -ENOMEM;
	r[s->n].lo = lo;
	r[s->n].hi = hi;
	s->r = r;
	s->n++;
	return 0;
}

/* Sort and merge overlapping or adjacent ranges. */
static void rset_norm(struct det_rset *s)
{
	uint32_t i, o = 0;

	if (s->n < 2)
		return;
	qsort(s->r, s->n, sizeof(*s->r), range_cmp);
	for (i = 1; i < s->n; i++) {
		struct det_range *last = &s->r[o];

		if (s->r[i].lo <= last->hi || (last->hi != U128_MAX && s->r[i].lo == last->hi + 1)) {
			if (s->r[i].hi > last->hi)
				last->hi = s->r[i].hi;
		} else {
			s->r[++o] = s->r[i];
		}
	}
	s->n = o + 1;
}

static int rset_union(struct det_rset *d, const struct det_rset *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (rset_add(d, s->r[i].lo, s->r[i].hi))
			return -ENOMEM;
	rset_norm(d);
	return 0;
}

/* Complement of a normalised set within [0, max]. */
static int rset_complement(struct det_rset *s, det_u128 max)
{
	struct det_rset o = { 0 };
	det_u128 next = 0;
	bool done = false;

	for (uint32_t i = 0; i < s->n; i++) {
		if (s->r[i].lo > next && rset_add(&o, next, s->r[i].lo - 1))
			goto nomem;
		if (s->r[i].hi >= max) {
			done = true;
			break;
		}
		next = s->r[i].hi + 1;
	}
	if (!done && rset_add(&o, next, max))
		goto nomem;
	rset_free(s);
	*s = o;
	return 0;
nomem:
	rset_free(&o);
	return -ENOMEM;
}

/* d = d minus s (both normalised), via the complement of s. */
static int rset_subtract(struct det_rset *d, const struct det_rset *s, det_u128 max)
{
	struct det_rset c = { 0 }, o = { 0 };
	uint32_t i = 0, j = 0;
	int err;

	if (!s->n)
		return 0;
	err = rset_union(&c, s);
	if (!err)
		err = rset_complement(&c, max);
	while (!err && i < d->n && j < c.n) {
		det_u128 lo = d->r[i].lo > c.r[j].lo ? d->r[i].lo : c.r[j].lo;
		det_u128 hi = d->r[i].hi < c.r[j].hi ? d->r[i].hi : c.r[j].hi;

		if (lo <= hi)
			err = rset_add(&o, lo, hi);
		if (d->r[i].hi < c.r[j].hi)
			i++;
		else
			j++;
	}
	rset_free(&c);
	if (err) {
		rset_free(&o);
		return err;
	}
	rset_free(d);
	*d = o;
	return 0;
}

static bool rset_has(const struct det_rset *s, det_u128 v)
{
	uint32_t lo = 0, hi = s->n;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (v < s->r[mid].lo)
			hi = mid;
		else if (v > s->r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static bool rset_full(const struct det_rset *s, det_u128 max)
{
	return s->n == 1 && s->r[0].lo == 0 && s->r[0].hi == max;
}

/* --- variables ------------------------------------------------------------- */

static const struct {
	const char *name, *value;
} default_vars[] = {
	{ "HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" },
	{ "EXTERNAL_NET", "!$HOME_NET" },
	{ "HTTP_SERVERS", "$HOME_NET" },
	{ "SMTP_SERVERS", "$HOME_NET" },
	{ "SQL_SERVERS", "$HOME_NET" },
	{ "DNS_SERVERS", "$HOME_NET" },
	{ "TELNET_SERVERS", "$HOME_NET" },
	{ "AIM_SERVERS", "$EXTERNAL_NET" },
	{ "DC_SERVERS", "$HOME_NET" },
	{ "DNP3_SERVER", "$HOME_NET" },
	{ "DNP3_CLIENT", "$HOME_NET" },
	{ "MODBUS_CLIENT", "$HOME_NET" },
	{ "MODBUS_SERVER", "$HOME_NET" },
	{ "ENIP_CLIENT", "$HOME_NET" },
	{ "ENIP_SERVER", "$HOME_NET" },
	{ "HTTP_PORTS", "80" },
	{ "SHELLCODE_PORTS", "!80" },
	{ "ORACLE_PORTS", "1521" },
	{ "SSH_PORTS", "22" },
	{ "DNP3_PORTS", "20000" },
	{ "MODBUS_PORTS", "502" },
	{ "FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]" },
	{ "FTP_PORTS", "21" },
	{ "GENEVE_PORTS", "6081" },
	{ "VXLAN_PORTS", "4789" },
	{ "TEREDO_PORTS", "3544" },
};

int det_ctx_set_var(struct det_parse_ctx *c, const char *name, const char *value)
{
	struct det_var *v;
	char *val;

	if (*name == '$')
		name++;
	val = strdup(value);
	if (!val)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->n_vars; i++) {
		if (!strcmp(c->vars[i].name, name)) {
			free(c->vars[i].value);
			c->vars[i].value = val;
			return 0;
		}
	}
	v = realloc(c->vars, (c->n_vars + 1) * sizeof(*v));
	if (!v)
		goto nomem;
	c->vars = v;
	v[c->n_vars].name = strdup(name);
	if (!v[c->n_vars].name)
		goto nomem;
	v[c->n_vars].value = val;
	c->n_vars++;
	return 0;
nomem:
	free(val);
	return -ENOMEM;
}

int det_ctx_init(struct det_parse_ctx *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < sizeof(default_vars) / sizeof(default_vars[0]); i++) {
		if (det_ctx_set_var(c, default_vars[i].name, default_vars[i].value)) {
			det_ctx_free(c);
			return -ENOMEM;
		}
	}
	return 0;
}

void det_ctx_free(struct det_parse_ctx *c)
{
	for (uint32_t i = 0; i < c->n_vars; i++) {
		free(c->vars[i].name);
		free(c->vars[i].value);
	}
	for (uint32_t i = 0; i < c->n_cls; i++) {
		free(c->cls[i].name);
		free(c->cls[i].desc);
	}
	free(c->vars);
	free(c->cls);
	memset(c, 0, sizeof(*c));
}

static const char *var_get(const struct det_parse_ctx *c, const char *name)
{
	for (uint32_t i = 0; i < c->n_vars; i++)
		if (!strcmp(c->vars[i].name, name))
			return c->vars[i].value;
	return NULL;
}

/* "config classification: name,description,priority" lines. */
int det_ctx_add_classification(struct det_parse_ctx *c, const char *text, char *err,
			       size_t errlen)
{
	char *copy = strdup(text), *save = NULL, *line;
	uint32_t lineno = 0;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *s = trim(line), *name, *desc, *prio, *end;
		struct det_class *cl;
		long p;

		lineno++;
		if (!*s || *s == '#')
			continue;
		if (strncmp(s, "config classification:", 22)) {
			seterr(err, errlen, "line %u: not a classification", lineno);
			ret = -EINVAL;
			continue;
		}
		name = s + 22;
		desc = strchr(name, ',');
		prio = desc ? strrchr(desc + 1, ',') : NULL;
		if (!desc || !prio) {
			seterr(err, errlen, "line %u: want name,description,priority", lineno);
			ret = -EINVAL;
			continue;
		}
		*desc++ = 0;
		*prio++ = 0;
		errno = 0;
		p = strtol(trim(prio), &end, 10);
		if (errno || *end || p < 1 || p > 255) {
			seterr(err, errlen, "line %u: bad priority", lineno);
			ret = -EINVAL;
			continue;
		}
		name = trim(name);
		desc = trim(desc);
		/* A later definition replaces an earlier one, as in Suricata. */
		for (uint32_t i = 0; i < c->n_cls; i++) {
			if (!strcmp(c->cls[i].name, name)) {
				char *d = strdup(desc);

				if (!d)
					goto nomem;
				free(c->cls[i].desc);
				c->cls[i].desc = d;
				c->cls[i].prio = (int)p;
				name = NULL;
				break;
			}
		}
		if (!name)
			continue;
		cl = realloc(c->cls, (c->n_cls + 1) * sizeof(*cl));
		if (!cl)
			goto nomem;
		c->cls = cl;
		cl[c->n_cls].name = strdup(name);
		cl[c->n_cls].desc = strdup(desc);
		cl[c->n_cls].prio = (int)p;
		c->n_cls++;
		if (!cl[c->n_cls - 1].name || !cl[c->n_cls - 1].desc)
			goto nomem;
	}
	free(copy);
	return ret;
nomem:
	free(copy);
	return -ENOMEM;
}

/* --- address and port groups ---------------------------------------------- */

/*
 * Split the inside of "[a,[b,c],!d]" at top-level commas. Returns the number
 * of elements, or -1 on unbalanced brackets. Elements are written back as
 * NUL-terminated pieces of @s.
 */
static int split_list(char *s, char **elems, int max)
{
	int n = 0, depth = 0;
	char *start = s;

	for (char *p = s;; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		if (depth < 0)
			return -1;
		if ((*p == ',' && depth == 0) || !*p) {
			bool end = !*p;

			if (n == max)
				return -1;
			*p = 0;
			elems[n++] = trim(start);
			start = p + 1;
			if (end)
				break;
		}
	}
	return depth ? -1 : n;
}

static int parse_ip_elem(const char *s, struct det_addrs *out, char *err, size_t errlen)
{
	char buf[128], *slash, *dash;
	uint8_t b[16];

	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash) {
		/* a.b.c.d-e.f.g.h range */
		struct in_addr x, y;

		*dash = 0;
		if (inet_pton(AF_INET, buf, &x) != 1 || inet_pton(AF_INET, dash + 1, &y) != 1 ||
		    ntohl(x.s_addr) > ntohl(y.s_addr))
			goto bad;
		return rset_add(&out->v4, ntohl(x.s_addr), ntohl(y.s_addr));
	}
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	if (inet_pton(AF_INET, buf, b) == 1) {
		uint32_t v = ((uint32_t)b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
		uint32_t mask = 0xffffffffu;
		long bits = 32;
		char *end;

		if (slash) {
			uint8_t m[4];

			if (strchr(slash, '.')) {
				if (inet_pton(AF_INET, slash, m) != 1)
					goto bad;
				mask = ((uint32_t)m[0] << 24) | (m[1] << 16) | (m[2] << 8) | m[3];
			} else {
				errno = 0;
				bits = strtol(slash, &end, 10);
				if (errno || *end || end == slash || bits < 0 || bits > 32)
					goto bad;
				mask = bits ? 0xffffffffu << (32 - bits) : 0;
			}
		}
		return rset_add(&out->v4, v & mask, (v & mask) | ~mask);
	}
	if (inet_pton(AF_INET6, buf, b) == 1) {
		det_u128 v = 0, mask = U128_MAX;
		long bits = 128;
		char *end;

		for (int i = 0; i < 16; i++)
			v = (v << 8) | b[i];
		if (slash) {
			errno = 0;
			bits = strtol(slash, &end, 10);
			if (errno || *end || end == slash || bits < 0 || bits > 128)
				goto bad;
			mask = bits ? U128_MAX << (128 - bits) : 0;
		}
		return rset_add(&out->v6, v & mask, (v & mask) | ~mask);
	}
bad:
	seterr(err, errlen, "bad address '%s'", s);
	return -EINVAL;
}

static void addrs_free(struct det_addrs *a)
{
	rset_free(&a->v4);
	rset_free(&a->v6);
}

static int addrs_all(struct det_addrs *a)
{
	if (rset_add(&a->v4, 0, U32_MAX_128) || rset_add(&a->v6, 0, U128_MAX))
		return -ENOMEM;
	return 0;
}

static int parse_addr(const struct det_parse_ctx *c, const char *s, int depth,
		      struct det_addrs *out, char *err, size_t errlen);

/* One element: "!x", "[...]", "$VAR", "any", an address. */
static int parse_addr_elem(const struct det_parse_ctx *c, const char *s, int depth,
			   struct det_addrs *out, char *err, size_t errlen)
{
	if (depth > DET_MAX_NEST) {
		seterr(err, errlen, "address group nested too deep");
		return -EINVAL;
	}
	if (*s == '!') {
		int e = parse_addr_elem(c, s + 1, depth + 1, out, err, errlen);

		if (e)
			return e;
		if (rset_complement(&out->v4, U32_MAX_128) || rset_complement(&out->v6, U128_MAX))
			return -ENOMEM;
		return 0;
	}
	if (*s == '[')
		return parse_addr(c, s, depth + 1, out, err, errlen);
	if (*s == '$') {
		const char *v = var_get(c, s + 1);

		if (!v) {
			seterr(err, errlen, "unknown variable '%s'", s);
			return -EINVAL;
		}
		return parse_addr(c, v, depth + 1, out, err, errlen);
	}
	if (!strcmp(s, "any"))
		return addrs_all(out);
	if (!*s) {
		seterr(err, errlen, "empty address");
		return -EINVAL;
	}
	return parse_ip_elem(s, out, err, errlen);
}

/*
 * Split "[a,b,...]" (or a single element) into @elems for an address or port
 * group named @kind. *@copy receives the buffer the elements point into (the
 * caller frees it). Return: the element count, or -EINVAL / -ENOMEM.
 */
static int group_split(const char *s, const char *kind, char **elems, int max, char **copy,
		       char *err, size_t errlen)
{
	char *in;
	size_t l;
	int n;

	*copy = strdup(s);
	if (!*copy)
		return -ENOMEM;
	in = trim(*copy);
	l = strlen(in);
	if (in[0] != '[') {
		elems[0] = in;
		return 1;
	}
	if (l < 2 || in[l - 1] != ']')
		goto bad;
	in[l - 1] = 0;
	n = split_list(in + 1, elems, max);
	if (n >= 0)
		return n;
bad:
	seterr(err, errlen, "bad %s group '%s'", kind, s);
	return -EINVAL;
}

/* A group: positives united, minus negatives united; only negatives = any minus them. */
static int parse_addr(const struct det_parse_ctx *c, const char *s, int depth,
		      struct det_addrs *out, char *err, size_t errlen)
{
	struct det_addrs pos = { 0 }, neg = { 0 };
	char *copy = NULL, *elems[4096];
	bool have_pos = false;
	int n, e = 0;

	if (depth > DET_MAX_NEST) {
		seterr(err, errlen, "address group nested too deep");
		return -EINVAL;
	}
	n = group_split(s, "address", elems, 4096, &copy, err, errlen);
	if (n < 0) {
		e = n;
		goto out;
	}
	for (int i = 0; i < n && !e; i++) {
		struct det_addrs x = { 0 };
		bool negated = elems[i][0] == '!';

		e = parse_addr_elem(c, negated ? elems[i] + 1 : elems[i], depth + 1, &x, err,
				    errlen);
		if (!e) {
			struct det_addrs *d = negated ? &neg : &pos;

			if (rset_union(&d->v4, &x.v4) || rset_union(&d->v6, &x.v6))
				e = -ENOMEM;
			have_pos |= !negated;
		}
		addrs_free(&x);
	}
	if (e)
		goto out;
	if (!have_pos && addrs_all(&pos)) {
		e = -ENOMEM;
		goto out;
	}
	rset_norm(&pos.v4);
	rset_norm(&pos.v6);
	if (rset_subtract(&pos.v4, &neg.v4, U32_MAX_128) ||
	    rset_subtract(&pos.v6, &neg.v6, U128_MAX) || rset_union(&out->v4, &pos.v4) ||
	    rset_union(&out->v6, &pos.v6))
		e = -ENOMEM;
out:
	addrs_free(&pos);
	addrs_free(&neg);
	free(copy);
	return e;
}

static int parse_addr_top(const struct det_parse_ctx *c, const char *s, struct det_addrs *out,
			  char *err, size_t errlen)
{
	int e = parse_addr(c, s, 0, out, err, errlen);

	if (e)
		return e;
	if (!out->v4.n && !out->v6.n) {
		seterr(err, errlen, "address group '%s' is empty", s);
		return -EINVAL;
	}
	out->any = rset_full(&out->v4, U32_MAX_128) && rset_full(&out->v6, U128_MAX);
	return 0;
}

static int parse_ports(const struct det_parse_ctx *c, const char *s, int depth,
		       struct det_rset *out, char *err, size_t errlen);

static int parse_port_elem(const struct det_parse_ctx *c, const char *s, int depth,
			   struct det_rset *out, char *err, size_t errlen)
{
	unsigned long lo, hi;
	char *end;

	if (depth > DET_MAX_NEST) {
		seterr(err, errlen, "port group nested too deep");
		return -EINVAL;
	}
	if (*s == '!') {
		int e = parse_port_elem(c, s + 1, depth + 1, out, err, errlen);

		return e ? e : rset_complement(out, 65535);
	}
	if (*s == '[')
		return parse_ports(c, s, depth + 1, out, err, errlen);
	if (*s == '$') {
		const char *v = var_get(c, s + 1);

		if (!v) {
			seterr(err, errlen, "unknown variable '%s'", s);
			return -EINVAL;
		}
		return parse_ports(c, v, depth + 1, out, err, errlen);
	}
	if (!strcmp(s, "any"))
		return rset_add(out, 0, 65535);
	/* N, N:M, N:, :M */
	lo = 0;
	hi = 65535;
	if (*s != ':') {
		errno = 0;
		lo = strtoul(s, &end, 10);
		if (errno || end == s || lo > 65535 || (*end && *end != ':'))
			goto bad;
		hi = *end ? 65535 : lo;
		s = end;
	}
	if (*s == ':') {
		s++;
		if (*s) {
			errno = 0;
			hi = strtoul(s, &end, 10);
			if (errno || end == s || *end || hi > 65535)
				goto bad;
		}
	}
	if (lo > hi)
		goto bad;
	return rset_add(out, lo, hi);
bad:
	seterr(err, errlen, "bad port '%s'", s);
	return -EINVAL;
}

static int parse_ports(const struct det_parse_ctx *c, const char *s, int depth,
		       struct det_rset *out, char *err, size_t errlen)
{
	struct det_rset pos = { 0 }, neg = { 0 };
	char *copy = NULL, *elems[1024];
	bool have_pos = false;
	int n, e = 0;

	if (depth > DET_MAX_NEST) {
		seterr(err, errlen, "port group nested too deep");
		return -EINVAL;
	}
	n = group_split(s, "port", elems, 1024, &copy, err, errlen);
	if (n < 0) {
		e = n;
		goto out;
	}
	for (int i = 0; i < n && !e; i++) {
		struct det_rset x = { 0 };
		bool negated = elems[i][0] == '!';

		e = parse_port_elem(c, negated ? elems[i] + 1 : elems[i], depth + 1, &x, err,
				    errlen);
		if (!e && rset_union(negated ? &neg : &pos, &x))
			e = -ENOMEM;
		have_pos |= !negated;
		rset_free(&x);
	}
	if (e)
		goto out;
	if (!have_pos && rset_add(&pos, 0, 65535)) {
		e = -ENOMEM;
		goto out;
	}
	rset_norm(&pos);
	if (rset_subtract(&pos, &neg, 65535) || rset_union(out, &pos))
		e = -ENOMEM;
out:
	rset_free(&pos);
	rset_free(&neg);
	free(copy);
	return e;
}

static int parse_ports_top(const struct det_parse_ctx *c, const char *s, struct det_ports *out,
			   char *err, size_t errlen)
{
	int e = parse_ports(c, s, 0, &out->p, err, errlen);

	if (e)
		return e;
	if (!out->p.n) {
		seterr(err, errlen, "port group '%s' is empty", s);
		return -EINVAL;
	}
	out->any = rset_full(&out->p, 65535);
	return 0;
}

det_u128 det_addr_value(const struct weir_addr *ip, uint8_t ver)
{
	det_u128 v = 0;

	if (ver == 4)
		return ntohl(ip->a[0]);
	for (int i = 0; i < 4; i++)
		v = (v << 32) | ntohl(ip->a[i]);
	return v;
}

bool det_addrs_match(const struct det_addrs *a, const struct weir_addr *ip, uint8_t ver)
{
	if (a->any)
		return true;
	if (ver == 4)
		return rset_has(&a->v4, ntohl(ip->a[0]));
	if (ver != 6)
		return false;
	return rset_has(&a->v6, det_addr_value(ip, ver));
}

bool det_ports_match(const struct det_ports *p, uint16_t port)
{
	return p->any || rset_has(&p->p, port);
}

/* --- option values ---------------------------------------------------------- */

int det_ctx_check_var(const struct det_parse_ctx *c, const char *name, char *err,
		      size_t errlen)
{
	struct det_addrs a = { 0 };
	struct det_ports p = { 0 };
	char aerr[128] = "";
	const char *v = var_get(c, *name == '$' ? name + 1 : name);
	int e;

	if (!v) {
		seterr(err, errlen, "unknown variable '%s'", name);
		return -EINVAL;
	}
	/* A variable is good if it reads as an address group or as a port group. */
	e = parse_addr_top(c, v, &a, aerr, sizeof(aerr));
	addrs_free(&a);
	if (!e)
		return 0;
	e = parse_ports_top(c, v, &p, err, errlen);
	rset_free(&p.p);
	if (e && *aerr && !strchr(v, ':'))
		seterr(err, errlen, "%s", aerr);
	return e;
}

bool det_num_match(const struct det_num *n, uint32_t v)
{
	switch (n->cmp) {
	case DET_CMP_NONE:
		return true;
	case DET_CMP_EQ:
		return v == n->a;
	case DET_CMP_NE:
		return v != n->a;
	case DET_CMP_LT:
		return v < n->a;
	case DET_CMP_LE:
		return v <= n->a;
	case DET_CMP_GT:
		return v > n->a;
	case DET_CMP_GE:
		return v >= n->a;
	case DET_CMP_RANGE:
		return v > n->a && v < n->b;
	}
	return false;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	unsigned long v;
	char *end;

	s = s ? s : "";
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || *end || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_i32(const char *s, int32_t *out)
{
	long v;
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s) && *s != '-')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || *end || v < -65535 || v > 65535)
		return -EINVAL;
	*out = (int32_t)v;
	return 0;
}

/* "N", "<N", ">N", "<=N", ">=N", "!N", "N<>M", "N-M" (Suricata's uint syntax). */
static int parse_num(char *s, uint32_t max, struct det_num *n)
{
	char *r;

	s = trim(s);
	memset(n, 0, sizeof(*n));
	if ((r = strstr(s, "<>")) || ((r = strchr(s, '-')) && r != s)) {
		size_t skip = r[0] == '<' ? 2 : 1;

		*r = 0;
		n->cmp = DET_CMP_RANGE;
		if (parse_u32(s, max, &n->a) || parse_u32(r + skip, max, &n->b) || n->a >= n->b)
			return -EINVAL;
		return 0;
	}
	if (!strncmp(s, "<=", 2) || !strncmp(s, ">=", 2)) {
		n->cmp = s[0] == '<' ? DET_CMP_LE : DET_CMP_GE;
		s += 2;
	} else if (*s == '<' || *s == '>' || *s == '!' || *s == '=') {
		n->cmp = *s == '<' ? DET_CMP_LT : *s == '>' ? DET_CMP_GT : *s == '!' ? DET_CMP_NE :
								      DET_CMP_EQ;
		s++;
	} else {
		n->cmp = DET_CMP_EQ;
	}
	return parse_u32(s, max, &n->a);
}

/* Unquote "..." with backslash escapes (msg, names). */
static char *unquote(const char *s, char *err, size_t errlen)
{
	size_t l = strlen(s), o = 0;
	char *d;

	if (l >= 2 && s[0] == '"' && s[l - 1] == '"') {
		s++;
		l -= 2;
	}
	d = malloc(l + 1);
	if (!d)
		return NULL;
	for (size_t i = 0; i < l; i++) {
		if (s[i] == '\\' && i + 1 < l)
			i++;
		else if (s[i] == '"') {
			seterr(err, errlen, "unescaped '\"' in value");
			free(d);
			return NULL;
		}
		d[o++] = s[i];
	}
	d[o] = 0;
	return d;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Decode the quoted part of a content ("abc|0d 0a|\"x"). @s points at the
 * opening quote; *@rest gets the text after the closing quote.
 */
static int decode_content(const char *s, uint8_t **pat, uint32_t *plen, const char **rest,
			  char *err, size_t errlen)
{
	size_t l = strlen(s);
	uint8_t *d = malloc(l + 1);
	bool hex = false;
	uint32_t n = 0;
	int hi = -1;

	if (!d)
		return -ENOMEM;
	if (*s != '"')
		goto bad;
	for (s++; *s; s++) {
		if (hex) {
			if (*s == '|') {
				if (hi >= 0)
					goto bad;
				hex = false;
			} else if (isspace((unsigned char)*s)) {
				continue;
			} else {
				int v = hexval((unsigned char)*s);

				if (v < 0)
					goto bad;
				if (hi < 0) {
					hi = v;
				} else {
					d[n++] = (uint8_t)(hi << 4 | v);
					hi = -1;
				}
			}
			continue;
		}
		if (*s == '"')
			break;
		if (*s == '|') {
			hex = true;
			continue;
		}
		if (*s == '\\') {
			s++;
			if (*s != '"' && *s != ';' && *s != '\\' && *s != ':' && *s != '|')
				goto bad;
		}
		d[n++] = (uint8_t)*s;
	}
	if (*s != '"' || hex || !n)
		goto bad;
	*rest = s + 1;
	*pat = d;
	*plen = n;
	return 0;
bad:
	free(d);
	seterr(err, errlen, "bad content value");
	return -EINVAL;
}

/* --- the rule ---------------------------------------------------------------- */

static const char *const known_kw[] = {
	"msg", "sid", "rev", "gid", "classtype", "priority", "reference", "metadata",
	"content", "nocase", "offset", "depth", "distance", "within", "fast_pattern",
	"pcre", "flow", "flags", "dsize", "itype", "icode", "ttl", "ip_proto", "threshold",
	"detection_filter", "flowbits", "rawbytes",
};

static bool kw_known(const char *k)
{
	for (size_t i = 0; i < sizeof(known_kw) / sizeof(known_kw[0]); i++)
		if (!strcmp(k, known_kw[i]))
			return true;
	return false;
}

struct opt {
	char *key, *val; /* val NULL when the keyword has none */
};

/*
 * Split "k:v; k2; k3:v3;" in place. A ';' ends an option unless escaped by a
 * backslash or inside a quoted string (Snort 3 leaves ';' unescaped in quotes).
 */
static int split_opts(char *s, struct opt **out, uint32_t *n_out)
{
	struct opt *o = NULL;
	uint32_t n = 0;

	for (;;) {
		char *start, *p, *colon = NULL;
		bool quoted = false;
		struct opt *no;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		start = s;
		for (p = s; *p; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				continue;
			}
			if (*p == '"')
				quoted = !quoted;
			else if (*p == ':' && !colon && !quoted)
				colon = p;
			else if (*p == ';' && !quoted)
				break;
		}
		if (!*p) {
			free(o);
			return -EINVAL; /* last option without ';' */
		}
		*p = 0;
		s = p + 1;
		no = realloc(o, (n + 1) * sizeof(*o));
		if (!no) {
			free(o);
			return -ENOMEM;
		}
		o = no;
		if (colon) {
			*colon = 0;
			o[n].val = trim(colon + 1);
		} else {
			o[n].val = NULL;
		}
		o[n].key = trim(start);
		n++;
	}
	*out = o;
	*n_out = n;
	return 0;
}

/* Split a header into its seven fields; brackets may hold spaces. */
static int split_header(char *s, char **f)
{
	int n = 0;

	while (n < 7) {
		int depth = 0;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		f[n++] = s;
		while (*s && (depth || !isspace((unsigned char)*s))) {
			if (*s == '[')
				depth++;
			else if (*s == ']')
				depth--;
			s++;
		}
		if (*s)
			*s++ = 0;
	}
	while (isspace((unsigned char)*s))
		s++;
	return n == 7 && !*s ? 0 : -EINVAL;
}

static int parse_proto(const char *p, struct det_rule *r)
{
	static const struct {
		const char *name;
		uint8_t protos, flow;
	} t[] = {
		{ "tcp", DET_PROTO_TCP, 0 },
		{ "tcp-pkt", DET_PROTO_TCP, DET_FLOW_NO_STREAM },
		{ "tcp-stream", DET_PROTO_TCP, DET_FLOW_ONLY_STREAM },
		{ "udp", DET_PROTO_UDP, 0 },
		/* Suricata's "icmp" covers ICMPv4 and ICMPv6. */
		{ "icmp", DET_PROTO_ICMP | DET_PROTO_ICMP6, 0 },
		{ "icmpv4", DET_PROTO_ICMP, 0 },
		{ "icmpv6", DET_PROTO_ICMP6, 0 },
		{ "ip", DET_PROTO_ALL, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!strcmp(p, t[i].name)) {
			r->protos = t[i].protos;
			r->flow |= t[i].flow;
			return 0;
		}
	}
	return -EINVAL;
}

static struct det_pm *last_content(struct det_rule *r)
{
	for (uint32_t i = r->n_pm; i > 0; i--)
		if (r->pm[i - 1].type == DET_PM_CONTENT)
			return i == r->n_pm ? &r->pm[i - 1] : NULL;
	return NULL;
}

/* A content modifier (classic "kw:v;" or Snort 3 inline "kw v"). */
static int apply_modifier(struct det_rule *r, struct det_pm *pm, const char *kw, char *val,
			  char *err, size_t errlen)
{
	int32_t v;

	if (!pm) {
		seterr(err, errlen, "'%s' needs a preceding content", kw);
		return -EINVAL;
	}
	if (!strcmp(kw, "nocase")) {
		pm->flags |= DET_PM_NOCASE;
		return 0;
	}
	if (!strcmp(kw, "rawbytes"))
		return 0;
	if (!strcmp(kw, "fast_pattern")) {
		for (uint32_t i = 0; i < r->n_pm; i++) {
			if (r->pm[i].flags & DET_PM_FP && &r->pm[i] != pm) {
				seterr(err, errlen, "fast_pattern set twice");
				return -EINVAL;
			}
		}
		pm->flags |= DET_PM_FP;
		if (val && !strcmp(trim(val), "only")) {
			pm->flags |= DET_PM_FP_ONLY;
		} else if (val && *val) {
			uint32_t off, len;
			char *comma = strchr(val, ',');

			if (!comma)
				goto bad;
			*comma = 0;
			if (parse_u32(val, 65535, &off) || parse_u32(comma + 1, 65535, &len) ||
			    !len || off + len > pm->len)
				goto bad;
			pm->flags |= DET_PM_FP_CHOP;
			pm->fp_off = (uint16_t)off;
			pm->fp_len = (uint16_t)len;
		}
		return 0;
	}
	if (!strcmp(kw, "fast_pattern_offset") || !strcmp(kw, "fast_pattern_length")) {
		/* Snort 3 spelling of fast_pattern:offset,length */
		uint32_t u;

		if (!val || parse_u32(val, 65535, &u))
			goto bad;
		if (!(pm->flags & DET_PM_FP_CHOP)) {
			pm->fp_off = 0;
			pm->fp_len = (uint16_t)pm->len;
		}
		pm->flags |= DET_PM_FP | DET_PM_FP_CHOP;
		if (kw[13] == 'o') {
			/* offset first: the length defaults to the rest of the content */
			if (u >= pm->len)
				goto bad;
			pm->fp_off = (uint16_t)u;
			if ((uint32_t)pm->fp_off + pm->fp_len > pm->len)
				pm->fp_len = (uint16_t)(pm->len - u);
		} else {
			pm->fp_len = (uint16_t)u;
		}
		if (!pm->fp_len || (uint32_t)pm->fp_off + pm->fp_len > pm->len)
			goto bad;
		return 0;
	}
	if (!val || parse_i32(val, &v)) {
		if (val && (isalpha((unsigned char)*trim(val)) || *val == '_'))
			seterr(err, errlen, "%s: byte_extract variables are not supported", kw);
		else
			goto bad;
		return -EINVAL;
	}
	if (!strcmp(kw, "offset")) {
		if (v < 0 || pm->flags & DET_PM_RELATIVE)
			goto bad;
		pm->flags |= DET_PM_OFFSET;
		pm->offset = v;
	} else if (!strcmp(kw, "depth")) {
		if (v <= 0 || pm->flags & DET_PM_RELATIVE)
			goto bad;
		if ((uint32_t)v < pm->len) {
			seterr(err, errlen, "depth %d smaller than content length %u", v, pm->len);
			return -EINVAL;
		}
		pm->flags |= DET_PM_DEPTH;
		pm->depth = v;
	} else if (!strcmp(kw, "distance")) {
		if (pm->flags & (DET_PM_OFFSET | DET_PM_DEPTH))
			goto bad;
		pm->flags |= DET_PM_DISTANCE | DET_PM_RELATIVE;
		pm->distance = v;
	} else if (!strcmp(kw, "within")) {
		if (v <= 0 || pm->flags & (DET_PM_OFFSET | DET_PM_DEPTH))
			goto bad;
		if ((uint32_t)v < pm->len) {
			seterr(err, errlen, "within %d smaller than content length %u", v, pm->len);
			return -EINVAL;
		}
		pm->flags |= DET_PM_WITHIN | DET_PM_RELATIVE;
		pm->within = v;
	} else {
		seterr(err, errlen, "unsupported content modifier '%s'", kw);
		return -EINVAL;
	}
	return 0;
bad:
	seterr(err, errlen, "bad value for %s", kw);
	return -EINVAL;
}

static struct det_pm *new_pm(struct det_rule *r)
{
	struct det_pm *pm = realloc(r->pm, (r->n_pm + 1) * sizeof(*pm));

	if (!pm)
		return NULL;
	r->pm = pm;
	pm = &r->pm[r->n_pm++];
	memset(pm, 0, sizeof(*pm));
	return pm;
}

static int opt_content(struct det_rule *r, char *val, char *err, size_t errlen)
{
	struct det_pm *pm;
	const char *rest;
	bool neg = false;
	char *mods;
	int e;

	if (!val)
		goto bad;
	if (*val == '!') {
		neg = true;
		val = trim(val + 1);
	}
	pm = new_pm(r);
	if (!pm)
		return -ENOMEM;
	pm->type = DET_PM_CONTENT;
	pm->flags = neg ? DET_PM_NEGATED : 0;
	e = decode_content(val, &pm->pat, &pm->len, &rest, err, errlen);
	if (e)
		return e;
	/* Snort 3: ,depth 4,nocase after the string. */
	mods = strdup(rest);
	if (!mods)
		return -ENOMEM;
	{
		char *p = trim(mods), *save = NULL, *m;

		if (*p && *p != ',') {
			free(mods);
			goto bad;
		}
		for (m = strtok_r(p, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
			char *kw = trim(m), *sp = kw;

			while (*sp && !isspace((unsigned char)*sp))
				sp++;
			if (*sp)
				*sp++ = 0;
			e = apply_modifier(r, pm, kw, *sp ? trim(sp) : NULL, err, errlen);
			if (e) {
				free(mods);
				return e;
			}
		}
	}
	free(mods);
	return 0;
bad:
	seterr(err, errlen, "bad content value");
	return -EINVAL;
}

static int opt_pcre(struct det_rule *r, char *val, char *err, size_t errlen)
{
	uint32_t opts = 0;
	struct det_pm *pm;
	char *s, *end;
	bool neg = false;
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *re;

	if (!val)
		goto bad;
	if (*val == '!') {
		neg = true;
		val++;
	}
	/* The pattern keeps its backslashes: "\;" and "\"" mean the same to PCRE. */
	val = trim(val);
	if (strlen(val) < 2 || val[0] != '"' || val[strlen(val) - 1] != '"')
		goto bad;
	s = xstrndup(val + 1, strlen(val) - 2);
	if (!s)
		return -ENOMEM;
	end = strrchr(s, '/');
	if (s[0] != '/' || end == s) {
		free(s);
		goto bad;
	}
	*end++ = 0;
	pm = new_pm(r);
	if (!pm) {
		free(s);
		return -ENOMEM;
	}
	pm->type = DET_PM_PCRE;
	pm->flags = neg ? DET_PM_NEGATED : 0;
	for (char *f = end; *f; f++) {
		switch (*f) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		case 'A': opts |= PCRE2_ANCHORED; break;
		case 'E': opts |= PCRE2_DOLLAR_ENDONLY; break;
		case 'G': opts |= PCRE2_UNGREEDY; break;
		case 'R': pm->flags |= DET_PM_RELATIVE; break;
		case 'B': /* rawbytes: the only buffer we have */
		case 'O': /* override match limits */
			break;
		default:
			seterr(err, errlen, "unsupported pcre modifier '%c'", *f);
			free(s);
			return -EINVAL;
		}
	}
	re = pcre2_compile((PCRE2_SPTR)(s + 1), PCRE2_ZERO_TERMINATED, opts, &ec, &eo, NULL);
	free(s);
	if (!re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		seterr(err, errlen, "bad pcre at offset %zu: %s", (size_t)eo, (char *)msg);
		return -EINVAL;
	}
	/* JIT is an optimisation: when it is unavailable the interpreter runs. */
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	pm->re = re;
	return 0;
bad:
	seterr(err, errlen, "bad pcre value");
	return -EINVAL;
}

static int opt_flow(struct det_rule *r, char *val, char *err, size_t errlen)
{
	char *save = NULL, *t;

	if (!val)
		goto bad;
	for (t = strtok_r(val, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t = trim(t);
		if (!strcmp(t, "to_server") || !strcmp(t, "from_client"))
			r->flow |= DET_FLOW_TOSERVER;
		else if (!strcmp(t, "to_client") || !strcmp(t, "from_server"))
			r->flow |= DET_FLOW_TOCLIENT;
		else if (!strcmp(t, "established"))
			r->flow |= DET_FLOW_ESTABLISHED;
		else if (!strcmp(t, "not_established"))
			r->flow |= DET_FLOW_NOT_EST;
		else if (!strcmp(t, "stateless"))
			r->flow |= DET_FLOW_STATELESS;
		else if (!strcmp(t, "only_stream"))
			r->flow |= DET_FLOW_ONLY_STREAM;
		else if (!strcmp(t, "no_stream"))
			r->flow |= DET_FLOW_NO_STREAM;
		else {
			seterr(err, errlen, "unsupported flow option '%s'", t);
			return -EINVAL;
		}
	}
	if ((r->flow & DET_FLOW_TOSERVER && r->flow & DET_FLOW_TOCLIENT) ||
	    (r->flow & DET_FLOW_ESTABLISHED && r->flow & DET_FLOW_NOT_EST) ||
	    (r->flow & DET_FLOW_ONLY_STREAM && r->flow & DET_FLOW_NO_STREAM))
		goto bad;
	return 0;
bad:
	seterr(err, errlen, "bad flow value");
	return -EINVAL;
}

static int tcp_flag_bit(char c)
{
	switch (toupper((unsigned char)c)) {
	case 'F': return 0x01;
	case 'S': return 0x02;
	case 'R': return 0x04;
	case 'P': return 0x08;
	case 'A': return 0x10;
	case 'U': return 0x20;
	case 'E': case '2': return 0x40;
	case 'C': case '1': return 0x80;
	case '0': return 0;
	}
	return -1;
}

static int opt_flags(struct det_rule *r, char *val, char *err, size_t errlen)
{
	char *mask;
	int mods = 0;

	if (!val)
		goto bad;
	mask = strchr(val, ',');
	if (mask)
		*mask++ = 0;
	r->flags_mod = DET_FLAGS_EXACT;
	for (char *p = trim(val); *p; p++) {
		int b;

		if (*p == '+' || *p == '*' || *p == '!') {
			r->flags_mod = *p == '+' ? DET_FLAGS_PLUS :
				       *p == '*' ? DET_FLAGS_ANY : DET_FLAGS_NOT;
			if (++mods > 1)
				goto bad;
			continue;
		}
		b = tcp_flag_bit(*p);
		if (b < 0)
			goto bad;
		r->flags_set |= (uint8_t)b;
	}
	if (mask) {
		for (char *p = trim(mask); *p; p++) {
			int b = tcp_flag_bit(*p);

			if (b <= 0)
				goto bad;
			r->flags_ignore |= (uint8_t)b;
		}
	}
	r->has_flags = true;
	return 0;
bad:
	seterr(err, errlen, "bad flags value");
	return -EINVAL;
}

static int opt_ip_proto(struct det_rule *r, char *val, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		uint32_t num;
	} names[] = {
		{ "ip", 0 }, { "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 },
		{ "ipv6", 41 }, { "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { "ipv6-icmp", 58 },
		{ "icmpv6", 58 }, { "sctp", 132 },
	};
	char buf[64], *s = val ? trim(val) : NULL;
	size_t pre;

	if (!s)
		goto bad;
	pre = strspn(s, "<>!=");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s + pre, names[i].name) && pre < 3) {
			snprintf(buf, sizeof(buf), "%.*s%u", (int)pre, s, names[i].num);
			return parse_num(buf, 255, &r->ip_proto) ? -EINVAL : 0;
		}
	}
	if (!parse_num(s, 255, &r->ip_proto))
		return 0;
bad:
	seterr(err, errlen, "bad ip_proto value");
	return -EINVAL;
}

static int opt_threshold(struct det_thr *t, bool df, char *val, char *err, size_t errlen)
{
	char *save = NULL, *kv;
	bool have_count = false, have_secs = false, have_track = false;
	const char *kw = df ? "detection_filter" : "threshold";

	if (t->type != DET_THR_NONE) {
		seterr(err, errlen, "%s set twice", kw);
		return -EINVAL;
	}
	t->type = df ? DET_THR_DETECTION : DET_THR_NONE;
	if (!val)
		goto bad;
	for (kv = strtok_r(val, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *k = trim(kv), *v = k;

		while (*v && !isspace((unsigned char)*v))
			v++;
		if (*v)
			*v++ = 0;
		v = trim(v);
		if (!strcmp(k, "type") && !df) {
			if (!strcmp(v, "limit"))
				t->type = DET_THR_LIMIT;
			else if (!strcmp(v, "threshold"))
				t->type = DET_THR_THRESHOLD;
			else if (!strcmp(v, "both"))
				t->type = DET_THR_BOTH;
			else if (!strcmp(v, "backoff"))
				t->type = DET_THR_BACKOFF;
			else
				goto bad;
		} else if (!strcmp(k, "track")) {
			have_track = true;
			if (!strcmp(v, "by_src"))
				t->track = DET_TRACK_SRC;
			else if (!strcmp(v, "by_dst"))
				t->track = DET_TRACK_DST;
			else if (!strcmp(v, "by_rule"))
				t->track = DET_TRACK_RULE;
			else if (!strcmp(v, "by_flow"))
				t->track = DET_TRACK_FLOW;
			else if (!strcmp(v, "by_both"))
				t->track = DET_TRACK_BOTH;
			else
				goto bad;
		} else if (!strcmp(k, "count")) {
			if (parse_u32(v, UINT32_MAX, &t->count))
				goto bad;
			have_count = true;
		} else if (!strcmp(k, "seconds")) {
			if (parse_u32(v, UINT32_MAX, &t->seconds))
				goto bad;
			have_secs = true;
		} else if (!strcmp(k, "multiplier") && !df) {
			if (parse_u32(v, UINT32_MAX, &t->multiplier) || t->multiplier < 2)
				goto bad;
		} else if (!strcmp(k, "unique_on") && df) {
			if (!strcmp(v, "src_port"))
				t->unique = DET_UNIQUE_SRC_PORT;
			else if (!strcmp(v, "dst_port"))
				t->unique = DET_UNIQUE_DST_PORT;
			else
				goto bad;
		} else {
			seterr(err, errlen, "%s: unsupported option '%s'", kw, k);
			return -EINVAL;
		}
	}
	if (t->type == DET_THR_NONE || !have_track || !have_count)
		goto bad;
	if (t->type == DET_THR_BACKOFF) {
		if (!t->multiplier || !t->count || have_secs)
			goto bad;
	} else if (!have_secs || t->multiplier) {
		goto bad;
	}
	if (t->type != DET_THR_DETECTION && t->type != DET_THR_BACKOFF && !t->count)
		goto bad;
	return 0;
bad:
	seterr(err, errlen, "bad %s value", kw);
	return -EINVAL;
}

static int opt_flowbits(struct det_rule *r, char *val, char *err, size_t errlen)
{
	static const char *const cmds[] = {
		[DET_FB_SET] = "set", [DET_FB_UNSET] = "unset", [DET_FB_TOGGLE] = "toggle",
		[DET_FB_ISSET] = "isset", [DET_FB_ISNOTSET] = "isnotset",
	};
	struct det_flowbit *fb;
	char *cmd, *name;

	if (!val)
		goto bad;
	cmd = val;
	name = strchr(val, ',');
	if (name)
		*name++ = 0;
	cmd = trim(cmd);
	if (!strcmp(cmd, "noalert")) {
		if (name)
			goto bad;
		r->noalert = true;
		return 0;
	}
	if (!name || !*(name = trim(name)))
		goto bad;
	if (strpbrk(name, "|&")) {
		seterr(err, errlen, "flowbits: '|' and '&' groups are not supported");
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmd, cmds[i]))
			continue;
		fb = realloc(r->fb, (r->n_fb + 1) * sizeof(*fb));
		if (!fb)
			return -ENOMEM;
		r->fb = fb;
		fb[r->n_fb].cmd = (uint8_t)i;
		fb[r->n_fb].id = 0;
		fb[r->n_fb].name = strdup(name);
		if (!fb[r->n_fb].name)
			return -ENOMEM;
		r->n_fb++;
		return 0;
	}
bad:
	seterr(err, errlen, "bad flowbits value");
	return -EINVAL;
}

static int opt_metadata(struct det_rule *r, char *val)
{
	char *save = NULL, *t;
	uint32_t n = 0;

	while (r->meta && r->meta[n])
		n++;
	if (!val)
		return 0;
	for (t = strtok_r(val, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char **m = realloc(r->meta, (n + 2) * sizeof(*m));

		if (!m)
			return -ENOMEM;
		r->meta = m;
		m[n] = strdup(trim(t));
		m[n + 1] = NULL;
		if (!m[n])
			return -ENOMEM;
		n++;
	}
	return 0;
}

static int opt_one(const struct det_parse_ctx *c, struct det_rule *r, const char *k, char *v,
		   bool *have_sid, char *err, size_t errlen)
{
	uint32_t u;

	if (!strcmp(k, "msg")) {
		if (!v)
			goto bad;
		free(r->msg);
		r->msg = unquote(v, err, errlen);
		return r->msg ? 0 : -EINVAL;
	}
	if (!strcmp(k, "sid") || !strcmp(k, "rev") || !strcmp(k, "gid")) {
		if (!v || parse_u32(v, UINT32_MAX, &u) || (!strcmp(k, "sid") && !u))
			goto bad;
		if (k[0] == 's') {
			r->sig.sid = u;
			*have_sid = true;
		} else if (k[0] == 'r') {
			r->sig.rev = u;
		} else {
			r->sig.gid = u;
		}
		return 0;
	}
	if (!strcmp(k, "priority")) {
		if (!v || parse_u32(v, 255, &u) || !u)
			goto bad;
		r->priority = (int)u;
		r->has_priority = true;
		return 0;
	}
	if (!strcmp(k, "classtype")) {
		if (!v)
			goto bad;
		for (uint32_t i = 0; i < c->n_cls; i++) {
			if (!strcmp(c->cls[i].name, v)) {
				free(r->classtype);
				free(r->category);
				r->classtype = strdup(v);
				r->category = strdup(c->cls[i].desc);
				if (!r->has_priority)
					r->priority = c->cls[i].prio;
				return r->classtype && r->category ? 0 : -ENOMEM;
			}
		}
		seterr(err, errlen, "unknown classtype '%s'", v);
		return -EINVAL;
	}
	if (!strcmp(k, "reference"))
		return v && strchr(v, ',') ? 0 : (seterr(err, errlen, "bad reference value"), -EINVAL);
	if (!strcmp(k, "metadata"))
		return opt_metadata(r, v);
	if (!strcmp(k, "content"))
		return opt_content(r, v, err, errlen);
	if (!strcmp(k, "pcre"))
		return opt_pcre(r, v, err, errlen);
	if (!strcmp(k, "nocase") || !strcmp(k, "offset") || !strcmp(k, "depth") ||
	    !strcmp(k, "distance") || !strcmp(k, "within") || !strcmp(k, "fast_pattern") ||
	    !strcmp(k, "rawbytes"))
		return apply_modifier(r, last_content(r), k, v, err, errlen);
	if (!strcmp(k, "flow"))
		return opt_flow(r, v, err, errlen);
	if (!strcmp(k, "flags"))
		return opt_flags(r, v, err, errlen);
	if (!strcmp(k, "dsize"))
		return v && !parse_num(v, 65535, &r->dsize) ? 0 : (seterr(err, errlen, "bad dsize value"), -EINVAL);
	if (!strcmp(k, "ttl"))
		return v && !parse_num(v, 255, &r->ttl) ? 0 : (seterr(err, errlen, "bad ttl value"), -EINVAL);
	if (!strcmp(k, "itype"))
		return v && !parse_num(v, 255, &r->itype) ? 0 : (seterr(err, errlen, "bad itype value"), -EINVAL);
	if (!strcmp(k, "icode"))
		return v && !parse_num(v, 255, &r->icode) ? 0 : (seterr(err, errlen, "bad icode value"), -EINVAL);
	if (!strcmp(k, "ip_proto"))
		return opt_ip_proto(r, v, err, errlen);
	if (!strcmp(k, "threshold"))
		return opt_threshold(&r->thr, false, v, err, errlen);
	if (!strcmp(k, "detection_filter"))
		return opt_threshold(&r->df, true, v, err, errlen);
	if (!strcmp(k, "flowbits"))
		return opt_flowbits(r, v, err, errlen);
	seterr(err, errlen, "unsupported keyword '%s'", k);
	return -EINVAL;
bad:
	seterr(err, errlen, "bad %s value", k);
	return -EINVAL;
}

/* Longest non-negated content, unless fast_pattern names one (Suricata's choice, simplified). */
static void pick_fast_pattern(struct det_rule *r)
{
	uint32_t best = 0;

	r->fp = -1;
	for (uint32_t i = 0; i < r->n_pm; i++) {
		const struct det_pm *pm = &r->pm[i];

		if (pm->type != DET_PM_CONTENT || pm->flags & DET_PM_NEGATED)
			continue;
		if (pm->flags & DET_PM_FP) {
			r->fp = (int)i;
			return;
		}
		if (pm->len > best) {
			best = pm->len;
			r->fp = (int)i;
		}
	}
}

struct det_rule *det_rule_parse(const struct det_parse_ctx *c, const char *text, char *err,
				size_t errlen)
{
	char *copy = strdup(text), *open, *close, *hdr[7];
	struct opt *opts = NULL;
	uint32_t n_opts = 0;
	struct det_rule *r = calloc(1, sizeof(*r));
	bool have_sid = false;
	int e = -EINVAL;

	if (!copy || !r) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	r->sig.gid = 1;
	r->fp = -1;
	open = strchr(copy, '(');
	close = strrchr(copy, ')');
	if (!open || !close || close < open) {
		seterr(err, errlen, "no option list '( ... )'");
		goto fail;
	}
	if (*trim(close + 1)) {
		seterr(err, errlen, "text after the option list: '%.20s'", trim(close + 1));
		goto fail;
	}
	*open = 0;
	*close = 0;
	e = split_opts(open + 1, &opts, &n_opts);
	if (e) {
		seterr(err, errlen, e == -ENOMEM ? "out of memory" : "option list not terminated by ';'");
		goto fail;
	}
	/* Name the first unsupported keyword before anything else fails: that is
	 * what a user needs to know about a rule we cannot load. */
	for (uint32_t i = 0; i < n_opts; i++) {
		if (!kw_known(opts[i].key)) {
			seterr(err, errlen, "unsupported keyword '%s'", opts[i].key);
			e = -EINVAL;
			goto fail;
		}
	}
	if (split_header(copy, hdr)) {
		seterr(err, errlen, "bad rule header");
		goto fail;
	}
	if (strcmp(hdr[0], "alert")) {
		seterr(err, errlen, "unsupported action '%s'", hdr[0]);
		goto fail;
	}
	if (parse_proto(hdr[1], r)) {
		seterr(err, errlen, "unsupported protocol '%s'", hdr[1]);
		goto fail;
	}
	if (!strcmp(hdr[4], "<>")) {
		r->bidir = true;
	} else if (strcmp(hdr[4], "->")) {
		seterr(err, errlen, "bad direction '%s'", hdr[4]);
		goto fail;
	}
	if ((e = parse_addr_top(c, hdr[2], &r->src, err, errlen)) ||
	    (e = parse_ports_top(c, hdr[3], &r->sp, err, errlen)) ||
	    (e = parse_addr_top(c, hdr[5], &r->dst, err, errlen)) ||
	    (e = parse_ports_top(c, hdr[6], &r->dp, err, errlen)))
		goto fail;
	for (uint32_t i = 0; i < n_opts; i++) {
		e = opt_one(c, r, opts[i].key, opts[i].val, &have_sid, err, errlen);
		if (e)
			goto fail;
	}
	e = -EINVAL;
	if (!have_sid) {
		seterr(err, errlen, "missing sid");
		goto fail;
	}
	if (r->dsize.cmp && r->flow & DET_FLOW_ONLY_STREAM) {
		seterr(err, errlen, "dsize cannot be used with only_stream");
		goto fail;
	}
	if ((r->itype.cmp || r->icode.cmp) && !(r->protos & (DET_PROTO_ICMP | DET_PROTO_ICMP6))) {
		seterr(err, errlen, "itype/icode need an icmp or ip rule");
		goto fail;
	}
	if (r->has_flags && !(r->protos & DET_PROTO_TCP)) {
		seterr(err, errlen, "flags needs a tcp or ip rule");
		goto fail;
	}
	if (!r->msg && !(r->msg = strdup("")))
		goto fail;
	if (!r->category && !(r->category = strdup("")))
		goto fail;
	pick_fast_pattern(r);
	r->sig.signature = r->msg;
	r->sig.category = r->category;
	r->sig.metadata = (const char *const *)r->meta;
	r->sig.severity = r->priority ? r->priority : 3;
	free(opts);
	free(copy);
	return r;
fail:
	free(opts);
	free(copy);
	det_rule_free(r);
	return NULL;
}

void det_rule_free(struct det_rule *r)
{
	if (!r)
		return;
	addrs_free(&r->src);
	addrs_free(&r->dst);
	rset_free(&r->sp.p);
	rset_free(&r->dp.p);
	for (uint32_t i = 0; i < r->n_pm; i++) {
		free(r->pm[i].pat);
		pcre2_code_free(r->pm[i].re);
	}
	free(r->pm);
	for (uint32_t i = 0; i < r->n_fb; i++)
		free(r->fb[i].name);
	free(r->fb);
	for (uint32_t i = 0; r->meta && r->meta[i]; i++)
		free(r->meta[i]);
	free(r->meta);
	free(r->msg);
	free(r->category);
	free(r->classtype);
	free(r);
}
