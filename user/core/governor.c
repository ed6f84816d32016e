// SPDX-License-Identifier: GPL-2.0-only
/*
 * governor.c - the CPU budget governor's ladder and hysteresis (see governor.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/governor.h"
#include "weir/limits.h"

/* A restore that is shed again within this many restore waits was premature. */
#define GOV_RESTORE_BACKOFF_WINDOW 2
#define GOV_RESTORE_BACKOFF_MAX	   32
/* Most levels one shed decision may move: big overloads settle in a few ticks. */
#define GOV_STEP_MAX 4
/* How long (ticks) a level seen over budget is not retried: 30 s at 250 ms. */
#define GOV_MEMORY_TICKS 120

struct gov_level {
	struct weir_kcfg kcfg;
	uint32_t shed;
	uint64_t over_tick; /* last tick this level was measured over budget, 0 = never */
};

struct governor {
	struct governor_opts o;
	struct gov_level lv[GOVERNOR_LEVELS_MAX];
	uint32_t n;
	uint32_t cur;
	uint32_t over, under;     /* consecutive ticks over budget / under restore_ratio */
	uint32_t backoff;         /* restore wait multiplier, 1..GOV_RESTORE_BACKOFF_MAX */
	uint64_t tick;
	uint64_t last_restore;    /* tick of the last restore, 0 = none */
	uint64_t last_change;
};

static void gov_push(struct governor *g, const struct weir_kcfg *k, uint32_t shed)
{
	if (g->n >= GOVERNOR_LEVELS_MAX)
		return;
	g->lv[g->n].kcfg = *k;
	g->lv[g->n].shed = shed;
	g->n++;
}

/* Cheapest loss first: bulk samples, then the tail of flow heads, then frame tails. */
static void gov_build(struct governor *g)
{
	struct weir_kcfg k = g->o.base;

	gov_push(g, &k, 0);
	if (k.sample_rate) {
		/* 1 in 4N, 16N, ... bounded so the step to "none" is not a cliff. */
		while ((uint64_t)k.sample_rate * 4 <= 4096 && k.sample_rate * 4 > k.sample_rate) {
			k.sample_rate *= 4;
			gov_push(g, &k, 0);
		}
		k.sample_rate = 0;
		gov_push(g, &k, 0);
	}
	while (k.head_bytes / 2 >= GOVERNOR_HEAD_MIN) {
		k.head_bytes /= 2;
		gov_push(g, &k, 0);
	}
	if (!k.snaplen || k.snaplen > WEIR_SNAPLEN_MAX)
		k.snaplen = WEIR_SNAPLEN_MAX;
	while (k.snaplen / 2 >= GOVERNOR_SNAPLEN_MIN) {
		k.snaplen /= 2;
		gov_push(g, &k, 0);
	}
	for (uint32_t s = 1; s <= GOVERNOR_SHED_MAX; s++)
		gov_push(g, &k, s);
}

struct governor *governor__new(const struct governor_opts *opts)
{
	struct governor *g;

	if (!opts || !(opts->budget_cores > 0) || opts->restore_ratio < 0 ||
	    opts->restore_ratio >= 1) {
		errno = EINVAL;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->o = *opts;
	if (!g->o.shed_ticks)
		g->o.shed_ticks = 2;
	if (!g->o.restore_ticks)
		g->o.restore_ticks = 8;
	if (g->o.restore_ratio == 0)
		g->o.restore_ratio = 0.7;
	g->backoff = 1;
	gov_build(g);
	return g;
}

void governor__free(struct governor *g)
{
	free(g);
}

uint32_t governor__levels(const struct governor *g)
{
	return g->n;
}

uint32_t governor__current(const struct governor *g)
{
	return g->cur;
}

int governor__level(const struct governor *g, uint32_t level, struct weir_kcfg *kcfg,
		    uint32_t *shed_level)
{
	if (level >= g->n)
		return -ERANGE;
	if (kcfg)
		*kcfg = g->lv[level].kcfg;
	if (shed_level)
		*shed_level = g->lv[level].shed;
	return 0;
}

/*
 * Levels to shed at once: one when slightly over, more when far over, so a
 * flood settles in a few ticks instead of one level per shed_ticks. Each level
 * roughly halves some cost, hence log2 of the overload.
 */
static uint32_t gov_steps(double used, double budget)
{
	double r = used / budget;
	uint32_t s;

	if (r <= 1.25)
		return 1;
	s = 1 + (uint32_t)(2 * log2(r));
	return s > GOV_STEP_MAX ? GOV_STEP_MAX : s;
}

int governor__tick(struct governor *g, double cores_used, struct governor_decision *d)
{
	double budget = g->o.budget_cores;
	int change = 0;

	g->tick++;
	if (cores_used > budget)
		g->lv[g->cur].over_tick = g->tick;
	if (cores_used > budget) {
		g->over++;
		g->under = 0;
	} else if (cores_used < budget * g->o.restore_ratio) {
		g->under++;
		g->over = 0;
	} else {
		/* In the band: hold. Neither counter survives a tick in the band. */
		g->over = 0;
		g->under = 0;
	}

	if (g->over >= g->o.shed_ticks && g->cur + 1 < g->n) {
		uint32_t to = g->cur + gov_steps(cores_used, budget);

		if (to >= g->n)
			to = g->n - 1;
		change = (int)(to - g->cur);
		g->cur = to;
		g->over = 0;
		/* Shed soon after a restore: that restore was premature, wait longer next time. */
		if (g->last_restore &&
		    g->tick - g->last_restore <=
			    (uint64_t)GOV_RESTORE_BACKOFF_WINDOW * g->o.restore_ticks * g->backoff &&
		    g->backoff < GOV_RESTORE_BACKOFF_MAX)
			g->backoff *= 2;
		g->last_change = g->tick;
	} else if (g->under >= g->o.restore_ticks * g->backoff && g->cur > 0 &&
		   !(g->lv[g->cur - 1].over_tick &&
		     g->tick - g->lv[g->cur - 1].over_tick < GOV_MEMORY_TICKS)) {
		g->cur--;
		change = -1;
		g->under = 0;
		g->last_restore = g->tick;
		g->last_change = g->tick;
	}
	/* A long quiet spell forgives old oscillation. */
	if (g->backoff > 1 && g->tick - g->last_change > 16ull * g->o.restore_ticks * g->backoff)
		g->backoff = 1;

	d->kcfg = g->lv[g->cur].kcfg;
	d->level = g->cur;
	d->shed_level = g->lv[g->cur].shed;
	d->change = change;
	return change;
}

bool governor_shed_keep(uint32_t shed, bool control, uint64_t dir_pkts, uint64_t seq)
{
	if (control || shed == 0)
		return true;
	if (shed >= 4)
		return dir_pkts <= 1;
	if (dir_pkts <= 4)
		return true;
	switch (shed) {
	case 1:
		return (seq & 1) == 0;
	case 2:
		return (seq & 3) == 0;
	default:
		return false;
	}
}
