/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * detect.h - the detect stage: Suricata-compatible rules on Hyperscan.
 *
 * A struct detect_engine holds the current compiled ruleset behind one atomic
 * pointer. The control thread builds a new ruleset (detect_engine__reload())
 * and swaps it in; workers pick it up at their next packet; the old one is
 * freed once every worker has passed a quiescent point and every event that
 * points into it was written. A failed build leaves the running ruleset.
 *
 * Each worker owns a struct detect_worker (Hyperscan scratch cloned from the
 * prototype, match buffers), so the hot path takes no locks.
 */
#ifndef WEIR_DETECT_H
#define WEIR_DETECT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stats.h"
#include "decode/decode.h"
#include "flow/flow.h"
#include "output/event.h"

/* Where events go: called by a worker for every alert it raises. */
typedef void (*detect_emit_fn)(void *arg, const struct weir_event *ev);

struct detect_var {
	const char *name;   /* "HOME_NET" (no '$') */
	const char *value;  /* "[10.0.0.0/8,192.168.0.0/16]" */
};

struct detect_opts {
	const char *const *rule_paths;   /* files or directories of *.rules; NULL-terminated */
	const char *classification;      /* classification.config path, NULL = look beside rules */
	const struct detect_var *vars;   /* overrides of address/port vars; may be NULL */
	uint32_t n_vars;
	bool strict;                     /* any bad rule fails the load */
};

/* Load report: one line per rule that could not be loaded. */
struct detect_load_report {
	uint32_t loaded, skipped, files;
	double compile_ms;
};

struct detect_engine;
struct detect_worker;

/*
 * detect_engine__new() - load and compile the rules of @opts.
 * Errors are printed as "file:line: reason" on stderr; @rep (may be NULL) gets
 * the summary. Return: the engine, or NULL with errno set (EINVAL: no rule
 * could be loaded, or --strict and a rule failed).
 */
struct detect_engine *detect_engine__new(const struct detect_opts *opts,
					 struct detect_load_report *rep);
void detect_engine__free(struct detect_engine *de);

/*
 * detect_engine__reload() - build a new ruleset from @opts and swap it in.
 * Return: 0, or -errno with the old ruleset still in place.
 */
int detect_engine__reload(struct detect_engine *de, const struct detect_opts *opts,
			  struct detect_load_report *rep);

/* detect_worker__new() - per-worker matching context; @emit receives alerts. */
struct detect_worker *detect_worker__new(struct detect_engine *de, struct weir_stats *stats,
					 detect_emit_fn emit, void *emit_arg);
void detect_worker__free(struct detect_worker *dw);

/*
 * detect_packet() - run the rules on @p (payload) and, for TCP, on the stream
 * data @fi made available (flow_stream_view()); emits alerts.
 * @fi->flow may be NULL (no flow could be created).
 */
void detect_packet(struct detect_worker *dw, struct flow_table *ft, const struct weir_pkt *p,
		   const struct flow_pkt_info *fi);

/* detect_flow_end() - a flow ends: inspect what remains of its streams, free its state. */
void detect_flow_end(struct detect_worker *dw, struct flow *f);

/*
 * detect_rules_check_main() - `weir rules check PATH...`: load and compile,
 * print every error as file:line: reason and a summary.
 * Return: exit status (0 all loaded, 1 some rule failed, 2 usage error).
 */
int detect_rules_check_main(int argc, char **argv);

#endif /* WEIR_DETECT_H */
