/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * governor.h - the CPU budget governor: pure decision logic, no I/O.
 *
 * The control thread measures the cores the whole sensor used during each
 * tick and feeds that figure to governor__tick(); the governor answers with
 * the kernel run-time config (struct weir_kcfg) to apply and the userspace
 * shed level the workers must use. Measuring CPU, writing the config map and
 * shedding records live in user/core/run.c; this file only decides, so unit
 * tests drive it with simulated load.
 *
 * Levels form one ladder, cheapest loss first (DESIGN.md §5):
 *   0                 the configured kcfg
 *   sample_rate       bulk sampling 1 in 4N, 16N, ... then 0 (no bulk)
 *   head_bytes        halved step by step down to GOVERNOR_HEAD_MIN
 *   snaplen           halved step by step down to GOVERNOR_SNAPLEN_MIN
 *   userspace shed    1..GOVERNOR_SHED_MAX: workers drop records at the ring
 * TCP control packets and flow heads are never shed by the kernel levels:
 * head_bytes stays > 0, so the first payload packet of each direction is
 * always recorded, and control packets are recorded whatever the config.
 *
 * Hysteresis: shed when over budget for shed_ticks ticks in a row; restore
 * one step when under restore_ratio of the budget for restore_ticks ticks in
 * a row, unless that level was measured over budget in the last 30 s (120
 * ticks): a restore back into a known overload would be shed again at once.
 * A restore that is followed by a shed soon after doubles the wait before
 * the next restore (up to 32x), so a load that sits between two levels
 * settles on the cheaper one instead of oscillating.
 *
 * Threads: a struct governor belongs to one thread (the control thread).
 */
#ifndef WEIR_GOVERNOR_H
#define WEIR_GOVERNOR_H

#include <stdbool.h>
#include <stdint.h>

#include <weir/abi.h>

#define GOVERNOR_LEVELS_MAX  48
#define GOVERNOR_HEAD_MIN    256 /* bytes: keeps at least the first payload packet */
#define GOVERNOR_SNAPLEN_MIN 256 /* bytes of frame: L2-L4 headers + the request line */
#define GOVERNOR_SHED_MAX    4   /* userspace shed levels (see governor_shed_keep()) */

struct governor_opts {
	double budget_cores;    /* > 0: cores the sensor may use (0.5 = half a core) */
	struct weir_kcfg base;  /* level 0: the configured run-time config */
	uint32_t shed_ticks;    /* ticks over budget before shedding; 0 = 2 */
	uint32_t restore_ticks; /* ticks under restore_ratio before restoring; 0 = 8 */
	double restore_ratio;   /* fraction of the budget; 0 = 0.7 */
};

/* What to apply after a tick. */
struct governor_decision {
	struct weir_kcfg kcfg; /* kernel config of the current level */
	uint32_t level;        /* 0 .. governor__levels() - 1 */
	uint32_t shed_level;   /* userspace shed level, 0 = none */
	int change;            /* levels moved this tick: > 0 shed, < 0 restored, 0 none */
};

struct governor;

/*
 * governor__new() - build the ladder from @opts->base.
 * Return: a governor owned by the caller, or NULL with errno EINVAL (budget
 * <= 0, restore_ratio outside (0, 1)) or ENOMEM.
 */
struct governor *governor__new(const struct governor_opts *opts);

/* governor__free() - NULL-safe. */
void governor__free(struct governor *g);

/*
 * governor__tick() - one measurement: @cores_used is CPU time of the whole
 * sensor during the tick divided by the tick's wall time. Fills @d with the
 * level to apply (apply it only when d->change != 0).
 * Return: d->change.
 */
int governor__tick(struct governor *g, double cores_used, struct governor_decision *d);

/* governor__levels() - number of levels in the ladder (>= 1 + GOVERNOR_SHED_MAX). */
uint32_t governor__levels(const struct governor *g);

/*
 * governor__level() - the config and userspace shed level of @level.
 * Return: 0, or -ERANGE if @level >= governor__levels().
 */
int governor__level(const struct governor *g, uint32_t level, struct weir_kcfg *kcfg,
		    uint32_t *shed_level);

/* governor__current() - the level in force. */
uint32_t governor__current(const struct governor *g);

/*
 * governor_shed_keep() - worker side: should a record be kept at userspace
 * shed level @shed? @control: TCP SYN/FIN/RST (WEIR_REC_F_CONTROL); @dir_pkts:
 * the kernel's packet count of the record's direction including it (1 =
 * first packet); @seq: a per-worker running count used to keep 1 in N.
 * Levels: 1 keeps 1/2 of the records past a direction's first 4 packets,
 * 2 keeps 1/4, 3 keeps none of them, 4 keeps only control packets and the
 * first packet of each direction. Control records are always kept.
 */
bool governor_shed_keep(uint32_t shed, bool control, uint64_t dir_pkts, uint64_t seq);

#endif /* WEIR_GOVERNOR_H */
