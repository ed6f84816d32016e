/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * detect_int.h - the detect stage's internal model: parsed rules, the compiled
 * ruleset and the helpers shared by detect_parse.c (pure text -> struct
 * det_rule), detect_build.c (files, variables, classification, ruleset,
 * engine), detect_hs.c (Hyperscan prefilter) and detect_match.c (verify and
 * alert). Nothing here is part of the pipeline's contract (that is detect.h).
 *
 * A ruleset is immutable once built: workers read it without locks; per-worker
 * and per-flow mutable state (thresholds, flowbits) lives outside it.
 */
#ifndef WEIR_DETECT_INT_H
#define WEIR_DETECT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/detect.h"

typedef unsigned __int128 det_u128;

/* A sorted list of disjoint, non-adjacent closed ranges. */
struct det_range {
	det_u128 lo, hi;
};

struct det_rset {
	struct det_range *r;
	uint32_t n;
};

/* An address group: IPv4 (host-order values) and IPv6 ranges. */
struct det_addrs {
	struct det_rset v4, v6;
	bool any;            /* the whole of both families: matching skipped */
};

/* A port group over 0..65535. */
struct det_ports {
	struct det_rset p;
	bool any;
};

/* Unsigned comparison of dsize, ttl, itype, icode, ip_proto (Suricata's uint mode). */
enum det_cmp {
	DET_CMP_NONE,
	DET_CMP_EQ,
	DET_CMP_NE,
	DET_CMP_LT,
	DET_CMP_LE,
	DET_CMP_GT,
	DET_CMP_GE,
	DET_CMP_RANGE,       /* lo < x < hi, exclusive like Suricata */
};

struct det_num {
	uint8_t cmp;         /* enum det_cmp */
	uint32_t a, b;
};

/* One element of the payload chain: a content or a pcre, in rule order. */
enum det_pm_type {
	DET_PM_CONTENT,
	DET_PM_PCRE,
};

#define DET_PM_NOCASE     0x0001
#define DET_PM_NEGATED    0x0002
#define DET_PM_OFFSET     0x0004
#define DET_PM_DEPTH      0x0008
#define DET_PM_DISTANCE   0x0010
#define DET_PM_WITHIN     0x0020
#define DET_PM_RELATIVE   0x0040 /* distance/within, or pcre /R */
#define DET_PM_FP         0x0080 /* fast_pattern given */
#define DET_PM_FP_ONLY    0x0100 /* fast_pattern:only (Suricata ignores it; kept for the record) */
#define DET_PM_FP_CHOP    0x0200 /* fast_pattern:offset,length */

struct det_pm {
	uint8_t type;          /* enum det_pm_type */
	uint16_t flags;        /* DET_PM_* */
	uint8_t *pat;          /* content bytes (owned) */
	uint32_t len;
	int32_t offset, depth; /* absolute window; depth counts from offset */
	int32_t distance, within;
	uint16_t fp_off, fp_len; /* fast_pattern chop */
	void *re;              /* pcre2_code *, owned */
};

/* flow: keyword */
#define DET_FLOW_TOSERVER     0x01
#define DET_FLOW_TOCLIENT     0x02
#define DET_FLOW_ESTABLISHED  0x04
#define DET_FLOW_NOT_EST      0x08
#define DET_FLOW_STATELESS    0x10
#define DET_FLOW_ONLY_STREAM  0x20
#define DET_FLOW_NO_STREAM    0x40

/* Protocol coverage of the header. */
#define DET_PROTO_TCP   0x01
#define DET_PROTO_UDP   0x02
#define DET_PROTO_ICMP  0x04 /* ICMPv4 */
#define DET_PROTO_ICMP6 0x08
#define DET_PROTO_OTHER 0x10 /* any other IP protocol */
#define DET_PROTO_ALL   0x1f

enum det_flags_mod {
	DET_FLAGS_EXACT,
	DET_FLAGS_PLUS,    /* + : all of these, others allowed */
	DET_FLAGS_ANY,     /* * : any of these */
	DET_FLAGS_NOT,     /* ! : none of these */
};

enum det_thr_type {
	DET_THR_NONE,
	DET_THR_LIMIT,
	DET_THR_THRESHOLD,
	DET_THR_BOTH,
	DET_THR_BACKOFF,
	DET_THR_DETECTION,  /* detection_filter */
};

enum det_track {
	DET_TRACK_SRC,
	DET_TRACK_DST,
	DET_TRACK_RULE,
	DET_TRACK_FLOW,
	DET_TRACK_BOTH,
};

enum det_unique {
	DET_UNIQUE_NONE,
	DET_UNIQUE_SRC_PORT,
	DET_UNIQUE_DST_PORT,
};

struct det_thr {
	uint8_t type;        /* enum det_thr_type */
	uint8_t track;       /* enum det_track */
	uint8_t unique;      /* enum det_unique (detection_filter) */
	uint32_t count, seconds, multiplier;
};

enum det_fb_cmd {
	DET_FB_SET,
	DET_FB_UNSET,
	DET_FB_TOGGLE,
	DET_FB_ISSET,
	DET_FB_ISNOTSET,
};

struct det_flowbit {
	uint8_t cmd;         /* enum det_fb_cmd */
	char *name;          /* owned by the parsed rule; id filled by the build */
	uint32_t id;
};

/* A parsed rule. */
struct det_rule {
	struct event_sig sig;       /* strings below are owned by the rule */
	char *msg;
	char *category;
	char **meta;                /* NULL-terminated */
	char *classtype;
	int priority;               /* 0 = from classtype, or 3 */
	bool has_priority;

	uint8_t protos;             /* DET_PROTO_* */
	bool bidir;
	struct det_addrs src, dst;
	struct det_ports sp, dp;

	uint8_t flow;               /* DET_FLOW_* */
	bool has_flags;
	uint8_t flags_mod;          /* enum det_flags_mod */
	uint8_t flags_set, flags_ignore;
	struct det_num dsize, ttl, itype, icode, ip_proto;

	struct det_pm *pm;
	uint32_t n_pm;
	int fp;                     /* index in pm of the fast pattern, -1 = none */

	struct det_flowbit *fb;
	uint32_t n_fb;
	bool noalert;

	struct det_thr thr;         /* threshold: */
	struct det_thr df;          /* detection_filter: */

	const char *file;           /* owned by the ruleset's file table */
	uint32_t line;
	uint32_t idx;               /* position in the ruleset (evaluation order) */
};

/* Parser variables and classification (the context a rule is parsed in). */
struct det_var {
	char *name, *value;
};

struct det_class {
	char *name, *desc;
	int prio;
};

struct det_parse_ctx {
	struct det_var *vars;
	uint32_t n_vars;
	struct det_class *cls;
	uint32_t n_cls;
};

/* detect_parse.c */

/* det_ctx_init() - Suricata's default address/port variables, no classification. */
int det_ctx_init(struct det_parse_ctx *c);
void det_ctx_free(struct det_parse_ctx *c);
/* det_ctx_set_var() - define or override a variable (name without '$'). */
int det_ctx_set_var(struct det_parse_ctx *c, const char *name, const char *value);
/* det_ctx_check_var() - does variable @name parse as an address or a port group? */
int det_ctx_check_var(const struct det_parse_ctx *c, const char *name, char *err,
		      size_t errlen);
/* det_ctx_load_classification() - parse classification.config text; errors to @err. */
int det_ctx_add_classification(struct det_parse_ctx *c, const char *text, char *err,
			       size_t errlen);

/*
 * det_rule_parse() - parse one rule (no trailing newline, no comment).
 * Return: the rule (owned by the caller, det_rule_free()), or NULL with
 * @err set to the reason ("unsupported keyword 'x'").
 */
struct det_rule *det_rule_parse(const struct det_parse_ctx *c, const char *text, char *err,
				size_t errlen);
void det_rule_free(struct det_rule *r);

/* det_addrs_match() / det_ports_match() - membership tests used by the matcher. */
/* det_addr_value() - @ip as a number: IPv4 in the low 32 bits, IPv6 as 128 bits. */
det_u128 det_addr_value(const struct weir_addr *ip, uint8_t ver);
bool det_addrs_match(const struct det_addrs *a, const struct weir_addr *ip, uint8_t ver);
bool det_ports_match(const struct det_ports *p, uint16_t port);
bool det_num_match(const struct det_num *n, uint32_t v);

/* detect_build.c */

struct det_hs;

/*
 * An address index of header-only rules: the address space cut into
 * elementary intervals, interval i = [start[i], start[i + 1]) (the last one
 * runs to the end of the space) holding rules[off[i] .. off[i + 1]).
 */
struct det_aidx {
	det_u128 *start;
	uint32_t *off;
	uint32_t *rules;
	uint32_t n;
};

/* Index side of a header-only rule. */
enum det_aside {
	DET_AIDX_SRC,
	DET_AIDX_DST,
};

struct det_ruleset {
	struct det_rule **rules;    /* evaluation order */
	uint32_t n_rules;
	/* Rules without a fast pattern. Those with a small source or destination
	 * address group (IP reputation lists) are found through @aidx by the
	 * packet's address; the rest are checked on every packet of their
	 * protocol class (@hdr_only). */
	uint32_t *hdr_only[5];
	uint32_t n_hdr_only[5];
	struct det_aidx aidx[2][2]; /* [enum det_aside][0 = IPv4, 1 = IPv6] */
	uint32_t n_flowbits;        /* distinct flowbit names */
	char **flowbit_names;
	char **files;               /* file names the rules point to */
	uint32_t n_files;
	struct det_hs *hs;          /* NULL when no rule has a fast pattern */
	uint32_t max_fp_len;        /* longest span from a compiled fast pattern's first
				     * byte to the end of its content, bytes */
	uint32_t max_thr_rules;
	struct det_ruleset *retired_next; /* engine's list of replaced rulesets */
};

/* Index into det_ruleset.hdr_only for a packet's protocol. */
enum det_pclass {
	DET_PC_TCP,
	DET_PC_UDP,
	DET_PC_ICMP,
	DET_PC_ICMP6,
	DET_PC_OTHER,
};

/* Why a rule was skipped (rules check summary). */
struct det_skip_reason {
	char *reason;
	uint32_t count;
};

struct det_load_result {
	struct det_skip_reason *reasons;
	uint32_t n_reasons;
	uint32_t loaded, skipped, files;
	double compile_ms;
};

/*
 * det_ruleset_build() - read the rule files of @opts, parse, compile.
 * Each bad rule is printed ("file:line: reason") to stderr unless @quiet and
 * counted in @res (may be NULL; free with det_load_result_free()).
 * Return: the ruleset, or NULL with errno set.
 */
struct det_ruleset *det_ruleset_build(const struct detect_opts *opts, bool quiet,
				      struct det_load_result *res);
void det_ruleset_free(struct det_ruleset *rs);
void det_load_result_free(struct det_load_result *res);

/* det_engine_current() - the ruleset workers should use now (acquire load). */
struct det_ruleset *det_engine_current(struct detect_engine *de);

/* detect_hs.c */

/* det_hs_build() - one block-mode database of the fast patterns of @rs. */
int det_hs_build(struct det_ruleset *rs, char *err, size_t errlen);
void det_hs_free(struct det_hs *h);

/* @end: offset in the scanned buffer just past the fast pattern's match. */
typedef void (*det_hs_cb)(void *arg, uint32_t rule_idx, uint64_t end);
struct det_hs_scratch;
struct det_hs_scratch *det_hs_scratch_new(const struct det_hs *h);
void det_hs_scratch_free(struct det_hs_scratch *s);
/* det_hs_mem() - bytes of @h's compiled database and of one worker's scratch. */
void det_hs_mem(const struct det_hs *h, size_t *db, size_t *scratch);
/* det_hs_scan() - call @cb for every rule whose fast pattern occurs in @data
 * (once per pattern: the first occurrence). */
int det_hs_scan(const struct det_hs *h, struct det_hs_scratch *s, const uint8_t *data,
		uint32_t len, det_hs_cb cb, void *arg);

/* detect_match.c */

/*
 * The prefilter compiles at most the last DET_FP_MAX bytes of a fast pattern.
 * A candidate is only a nomination (the verifier checks the whole content),
 * and the stream scan must reach back far enough to see a literal whose
 * content ends in new data: a 156-byte ET content would otherwise make every
 * stream scan re-read 155 bytes of old data. 16 rather than 32: with ET Open,
 * Hyperscan compiled the 16-byte literals in 0.8x the time of the 32-byte
 * ones, and scans ran at the same speed.
 */
#define DET_FP_MAX 16

/* det_fp_len() - bytes of @r's fast pattern as compiled (0: none). */
static inline uint32_t det_fp_len(const struct det_rule *r)
{
	uint32_t n;

	if (r->fp < 0)
		return 0;
	n = r->pm[r->fp].flags & DET_PM_FP_CHOP ? r->pm[r->fp].fp_len : r->pm[r->fp].len;
	return n < DET_FP_MAX ? n : DET_FP_MAX;
}

/* det_fp_off() - where in its content @r's compiled fast pattern starts. */
static inline uint32_t det_fp_off(const struct det_rule *r)
{
	const struct det_pm *pm = &r->pm[r->fp];

	if (pm->flags & DET_PM_FP_CHOP)
		return pm->fp_off + pm->fp_len - det_fp_len(r);
	return pm->len - det_fp_len(r);
}

/* det_pm_match() - does the payload chain of @r match @buf? The match must end
 * at or after @min_end (stream: only report matches reaching new data).
 * @md is a pcre2_match_data * of the worker. Exposed for unit tests. */
bool det_pm_match(const struct det_rule *r, const uint8_t *buf, uint32_t len, uint32_t min_end,
		  void *md);
/* det_pm_match_lim() - the same with PCRE2 match limits @mctx (pcre2_match_context *). */
bool det_pm_match_lim(const struct det_rule *r, const uint8_t *buf, uint32_t len,
		      uint32_t min_end, void *md, void *mctx);
/* det_pcre_limits_new() - a match context with Suricata's default PCRE limits; NULL on ENOMEM. */
void *det_pcre_limits_new(void);
void det_pcre_limits_free(void *mctx);

#endif /* WEIR_DETECT_INT_H */
