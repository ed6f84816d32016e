// SPDX-License-Identifier: GPL-2.0-only
/*
 * detect_hs.c - the Hyperscan prefilter: one block-mode database holding the
 * fast pattern of every rule that has one.
 *
 * Identical fast patterns (same bytes, same case flag) share one Hyperscan id
 * whose match expands to the list of rules using it, so a ruleset with many
 * rules on "GET " scans for it once. Every id is HS_FLAG_SINGLEMATCH: a match
 * only nominates candidates, the verifier (detect_match.c) finds every
 * position itself, so further matches of the same id are wasted callbacks.
 * Literals go through hs_compile_lit_multi(), so no escaping is needed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs.h>

#include "detect/detect_int.h"

struct det_hs {
	hs_database_t *db;
	hs_scratch_t *proto;     /* prototype scratch; workers clone it */
	uint32_t n_ids;
	uint32_t *first;         /* id -> offset in @rules */
	uint32_t *rules;         /* rule indices, grouped by id */
};

struct det_hs_scratch {
	hs_scratch_t *s;
};

struct fp_ent {
	const uint8_t *pat;
	uint32_t len;
	bool nocase;
	uint32_t rule;
};

static int fp_cmp(const void *a, const void *b)
{
	const struct fp_ent *x = a, *y = b;
	int c;

	if (x->nocase != y->nocase)
		return x->nocase - y->nocase;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	c = memcmp(x->pat, y->pat, x->len);
	if (c)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

int det_hs_build(struct det_ruleset *rs, char *err, size_t errlen)
{
	struct fp_ent *ents = calloc(rs->n_rules ? rs->n_rules : 1, sizeof(*ents));
	const char **pats = NULL;
	unsigned *flags = NULL, *ids = NULL;
	size_t *lens = NULL;
	hs_compile_error_t *cerr = NULL;
	struct det_hs *h = NULL;
	uint32_t n = 0, n_ids = 0;
	int ret = -ENOMEM;

	if (!ents)
		goto out;
	for (uint32_t i = 0; i < rs->n_rules; i++) {
		const struct det_rule *r = rs->rules[i];
		const struct det_pm *pm;

		if (r->fp < 0)
			continue;
		pm = &r->pm[r->fp];
		ents[n].pat = pm->pat + det_fp_off(r);
		ents[n].len = det_fp_len(r);
		ents[n].nocase = pm->flags & DET_PM_NOCASE;
		ents[n].rule = i;
		/* The overlap the stream scan needs: a match of the whole content
		 * reaching new data holds the literal's first byte at most this far
		 * before its end (a chopped fast pattern may end well before it). */
		if (pm->len - det_fp_off(r) > rs->max_fp_len)
			rs->max_fp_len = pm->len - det_fp_off(r);
		n++;
	}
	if (!n) {
		ret = 0;
		goto out;
	}
	qsort(ents, n, sizeof(*ents), fp_cmp);
	h = calloc(1, sizeof(*h));
	pats = calloc(n, sizeof(*pats));
	flags = calloc(n, sizeof(*flags));
	ids = calloc(n, sizeof(*ids));
	lens = calloc(n, sizeof(*lens));
	if (!h || !pats || !flags || !ids || !lens)
		goto out;
	h->first = calloc(n + 1, sizeof(*h->first));
	h->rules = calloc(n, sizeof(*h->rules));
	if (!h->first || !h->rules)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		if (!i || fp_cmp(&(struct fp_ent){ ents[i - 1].pat, ents[i - 1].len,
						   ents[i - 1].nocase, 0 },
				 &(struct fp_ent){ ents[i].pat, ents[i].len, ents[i].nocase, 0 })) {
			pats[n_ids] = (const char *)ents[i].pat;
			lens[n_ids] = ents[i].len;
			flags[n_ids] = HS_FLAG_SINGLEMATCH |
				       (ents[i].nocase ? HS_FLAG_CASELESS : 0);
			ids[n_ids] = n_ids;
			h->first[n_ids] = i;
			n_ids++;
		}
		h->rules[i] = ents[i].rule;
	}
	h->first[n_ids] = n;
	h->n_ids = n_ids;
	if (hs_compile_lit_multi(pats, flags, ids, lens, n_ids, HS_MODE_BLOCK, NULL, &h->db,
				 &cerr) != HS_SUCCESS) {
		snprintf(err, errlen, "hyperscan compile: %s", cerr ? cerr->message : "failed");
		hs_free_compile_error(cerr);
		ret = -EINVAL;
		goto out;
	}
	if (hs_alloc_scratch(h->db, &h->proto) != HS_SUCCESS) {
		snprintf(err, errlen, "hyperscan scratch: out of memory");
		goto out;
	}
	rs->hs = h;
	h = NULL;
	ret = 0;
out:
	det_hs_free(h);
	free(ents);
	free(pats);
	free(flags);
	free(ids);
	free(lens);
	return ret;
}

void det_hs_free(struct det_hs *h)
{
	if (!h)
		return;
	hs_free_scratch(h->proto);
	hs_free_database(h->db);
	free(h->first);
	free(h->rules);
	free(h);
}

struct det_hs_scratch *det_hs_scratch_new(const struct det_hs *h)
{
	struct det_hs_scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (h && hs_clone_scratch(h->proto, &s->s) != HS_SUCCESS) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void det_hs_scratch_free(struct det_hs_scratch *s)
{
	if (!s)
		return;
	hs_free_scratch(s->s);
	free(s);
}

void det_hs_mem(const struct det_hs *h, size_t *db, size_t *scratch)
{
	*db = 0;
	*scratch = 0;
	if (!h)
		return;
	if (hs_database_size(h->db, db) != HS_SUCCESS)
		*db = 0;
	if (hs_scratch_size(h->proto, scratch) != HS_SUCCESS)
		*scratch = 0;
}

struct scan_ctx {
	const struct det_hs *h;
	det_hs_cb cb;
	void *arg;
};

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *arg)
{
	struct scan_ctx *c = arg;

	(void)from;
	(void)flags;
	for (uint32_t i = c->h->first[id]; i < c->h->first[id + 1]; i++)
		c->cb(c->arg, c->h->rules[i], to);
	return 0;
}

int det_hs_scan(const struct det_hs *h, struct det_hs_scratch *s, const uint8_t *data,
		uint32_t len, det_hs_cb cb, void *arg)
{
	struct scan_ctx c = { h, cb, arg };

	if (!h || !len)
		return 0;
	if (hs_scan(h->db, (const char *)data, len, 0, s->s, on_match, &c) != HS_SUCCESS)
		return -EIO;
	return 0;
}
