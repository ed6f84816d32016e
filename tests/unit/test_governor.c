// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_governor.c - the CPU budget governor driven by simulated load: the
 * ladder's order, hysteresis, settling under a flood, step-by-step restore,
 * no oscillation between two levels, and the workers' shed rule.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/governor.h"

/* The shipped defaults of `weir run`. */
static const struct weir_kcfg base = {
	.enabled = 1,
	.head_bytes = 4096,
	.sample_rate = 32,
	.snaplen = 1536,
	.n_shards = 2,
	.wakeup_bytes = 65536,
};

static struct governor *gov_new(double budget)
{
	struct governor_opts o = { .budget_cores = budget, .base = base };

	return governor__new(&o);
}

/*
 * Simulated sensor: its CPU at level l is @load (cores at level 0) times
 * 0.7^l, i.e. every level sheds about 30% of the work.
 */
static double sim_cost(double load, uint32_t level)
{
	double c = load;

	for (uint32_t i = 0; i < level; i++)
		c *= 0.7;
	return c;
}

/* Run @ticks ticks of @load; return how many ticks changed the level. */
static uint32_t sim_run(struct governor *g, double load, uint32_t ticks, uint32_t *over_ticks,
			double budget)
{
	struct governor_decision d = { 0 };
	uint32_t changes = 0, over = 0;

	for (uint32_t t = 0; t < ticks; t++) {
		double used = sim_cost(load, governor__current(g));

		over += used > budget;
		changes += governor__tick(g, used, &d) != 0;
	}
	if (over_ticks)
		*over_ticks = over;
	return changes;
}

static void test_governor_ladder_order(void **state)
{
	struct governor *g = gov_new(0.5);
	struct weir_kcfg k;
	uint32_t shed;

	(void)state;
	/* 1 + sample 128/512/2048/0 + head 2048..256 + snaplen 768/384 + 4 shed levels. */
	assert_int_equal(governor__levels(g), 15);
	assert_int_equal(governor__level(g, 0, &k, &shed), 0);
	assert_memory_equal(&k, &base, sizeof(k));
	assert_int_equal(shed, 0);
	assert_int_equal(governor__level(g, 1, &k, &shed), 0);
	assert_int_equal(k.sample_rate, 128);
	assert_int_equal(k.head_bytes, 4096);
	assert_int_equal(governor__level(g, 4, &k, &shed), 0);
	assert_int_equal(k.sample_rate, 0);
	assert_int_equal(k.head_bytes, 4096);
	assert_int_equal(governor__level(g, 8, &k, &shed), 0);
	assert_int_equal(k.head_bytes, GOVERNOR_HEAD_MIN);
	assert_int_equal(k.snaplen, 1536);
	assert_int_equal(governor__level(g, 10, &k, &shed), 0);
	assert_int_equal(k.snaplen, 384);
	assert_int_equal(shed, 0);
	assert_int_equal(governor__level(g, 11, &k, &shed), 0);
	assert_int_equal(shed, 1);
	assert_int_equal(k.snaplen, 384);
	assert_int_equal(governor__level(g, 14, &k, &shed), 0);
	assert_int_equal(shed, GOVERNOR_SHED_MAX);
	assert_int_equal(k.head_bytes, GOVERNOR_HEAD_MIN);
	assert_int_equal(k.enabled, 1);
	assert_int_equal(k.wakeup_bytes, 65536);
	assert_int_equal(governor__level(g, 15, &k, &shed), -ERANGE);
	governor__free(g);
}

static void test_governor_bad_opts(void **state)
{
	struct governor_opts o = { .budget_cores = 0, .base = base };

	(void)state;
	errno = 0;
	assert_null(governor__new(&o));
	assert_int_equal(errno, EINVAL);
	o.budget_cores = 0.5;
	o.restore_ratio = 1.5;
	errno = 0;
	assert_null(governor__new(&o));
	assert_int_equal(errno, EINVAL);
}

static void test_governor_under_budget_holds(void **state)
{
	struct governor *g = gov_new(0.5);

	(void)state;
	assert_int_equal(sim_run(g, 0.3, 100, NULL, 0.5), 0);
	assert_int_equal(governor__current(g), 0);
	governor__free(g);
}

static void test_governor_one_tick_over_is_noise(void **state)
{
	struct governor *g = gov_new(0.5);
	struct governor_decision d;

	(void)state;
	assert_int_equal(governor__tick(g, 0.9, &d), 0);
	assert_int_equal(governor__tick(g, 0.4, &d), 0);
	assert_int_equal(governor__tick(g, 0.9, &d), 0);
	assert_int_equal(d.level, 0);
	assert_int_equal(governor__tick(g, 0.55, &d), 1);
	assert_int_equal(d.level, 1);
	assert_int_equal(d.kcfg.sample_rate, 128);
	governor__free(g);
}

static void test_governor_far_over_sheds_several(void **state)
{
	struct governor *g = gov_new(0.5);
	struct governor_decision d;

	(void)state;
	governor__tick(g, 2.0, &d);
	/* 4x the budget: 1 + 2*log2(4) = 5, capped at 4 levels in one decision. */
	assert_int_equal(governor__tick(g, 2.0, &d), 4);
	assert_int_equal(d.level, 4);
	assert_int_equal(d.kcfg.sample_rate, 0);
	assert_int_equal(d.shed_level, 0);
	governor__free(g);
}

static void test_governor_flood_settles_under_budget(void **state)
{
	struct governor *g = gov_new(0.5);
	uint32_t over;

	(void)state;
	/* 3 cores of load at level 0: level 6 (0.35 cores) is the first under 0.5. */
	sim_run(g, 3.0, 20, NULL, 0.5);
	assert_int_equal(governor__current(g), 6);
	/* Then it stays there: 0.35 is not under 0.7 * 0.5 = 0.35, so no restore. */
	assert_int_equal(sim_run(g, 3.0, 400, &over, 0.5), 0);
	assert_int_equal(over, 0);
	governor__free(g);
}

static void test_governor_last_level_sheds_in_userspace(void **state)
{
	struct governor *g = gov_new(0.25);
	struct governor_decision d;

	(void)state;
	for (int i = 0; i < 40; i++)
		governor__tick(g, 100.0, &d);
	assert_int_equal(d.level, governor__levels(g) - 1);
	assert_int_equal(d.shed_level, GOVERNOR_SHED_MAX);
	/* At the top nothing more to shed: no change reported. */
	assert_int_equal(governor__tick(g, 100.0, &d), 0);
	governor__free(g);
}

static void test_governor_restores_step_by_step(void **state)
{
	struct governor *g = gov_new(0.5);
	struct governor_decision d;
	struct weir_kcfg k;

	(void)state;
	sim_run(g, 3.0, 20, NULL, 0.5);
	assert_int_equal(governor__current(g), 6);
	/* Load gone: a level not known to be too dear comes back after 8 quiet ticks. */
	for (int i = 0; i < 7; i++)
		assert_int_equal(governor__tick(g, 0.01, &d), 0);
	assert_int_equal(governor__tick(g, 0.01, &d), -1);
	assert_int_equal(d.level, 5);
	/* Level 4 was measured over budget at tick 4: not retried before tick 124. */
	assert_int_equal(sim_run(g, 0.01, 95, NULL, 0.5), 0);
	assert_int_equal(governor__current(g), 5);
	/* Then one level per 8 quiet ticks, down to the configured level. */
	assert_int_equal(sim_run(g, 0.01, 1 + 8 * 4, NULL, 0.5), 5);
	assert_int_equal(governor__current(g), 0);
	assert_int_equal(governor__level(g, governor__current(g), &k, NULL), 0);
	assert_int_equal(k.sample_rate, base.sample_rate);
	assert_int_equal(k.head_bytes, base.head_bytes);
	governor__free(g);
}

static void test_governor_between_levels_no_oscillation(void **state)
{
	/*
	 * The worst case for oscillation: level 0 is over budget (0.55 > 0.5)
	 * and level 1 (0.385) is under the restore line (0.9 * 0.5 = 0.45), so
	 * the governor is always tempted back up.
	 */
	struct governor_opts o = {
		.budget_cores = 0.5,
		.base = base,
		.restore_ratio = 0.9,
	};
	struct governor *g = governor__new(&o);
	uint32_t changes, over;

	(void)state;
	changes = sim_run(g, 0.55, 2000, &over, 0.5);
	/*
	 * Without backoff it would flip every 10 ticks (400 changes). With it
	 * the restore wait doubles on each premature restore, up to 32 x 8
	 * ticks: a few early flips, then one probe every ~260 ticks.
	 */
	assert_in_range(changes, 2, 30);
	assert_in_range(over, 1, 2000 / 50);
	governor__free(g);
}

static void test_governor_shed_keep_rules(void **state)
{
	(void)state;
	/* Level 0 keeps everything. */
	assert_true(governor_shed_keep(0, false, 100, 1));
	/* Control packets are never shed. */
	assert_true(governor_shed_keep(4, true, 1000, 1));
	/* Level 1: half of the records past a direction's first 4 packets. */
	assert_true(governor_shed_keep(1, false, 3, 1));
	assert_true(governor_shed_keep(1, false, 10, 2));
	assert_false(governor_shed_keep(1, false, 10, 3));
	/* Level 2: a quarter. */
	assert_true(governor_shed_keep(2, false, 10, 4));
	assert_false(governor_shed_keep(2, false, 10, 6));
	/* Level 3: nothing past the first 4 packets. */
	assert_true(governor_shed_keep(3, false, 4, 1));
	assert_false(governor_shed_keep(3, false, 5, 0));
	/* Level 4: only the first packet of each direction. */
	assert_true(governor_shed_keep(4, false, 1, 3));
	assert_false(governor_shed_keep(4, false, 2, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_governor_ladder_order),
		cmocka_unit_test(test_governor_bad_opts),
		cmocka_unit_test(test_governor_under_budget_holds),
		cmocka_unit_test(test_governor_one_tick_over_is_noise),
		cmocka_unit_test(test_governor_far_over_sheds_several),
		cmocka_unit_test(test_governor_flood_settles_under_budget),
		cmocka_unit_test(test_governor_last_level_sheds_in_userspace),
		cmocka_unit_test(test_governor_restores_step_by_step),
		cmocka_unit_test(test_governor_between_levels_no_oscillation),
		cmocka_unit_test(test_governor_shed_keep_rules),
	};

	return cmocka_run_group_tests_name("governor", tests, NULL, NULL);
}
