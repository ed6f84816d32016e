/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cli.h - command-line helpers shared by the subcommands: number and size
 * parsing with range checks, and the subcommand entry points main() calls.
 */
#ifndef WEIR_CLI_H
#define WEIR_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "detect/detect.h"
#include "heur/heur.h"

/* cli_parse_u64() - decimal @s in [@min, @max]. Return: 0 or -EINVAL / -ERANGE. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* cli_parse_size() - like cli_parse_u64() with an optional K/M/G suffix (powers of 1024). */
int cli_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);

struct output;
struct output_pub;

int replay_main(int argc, char **argv);

/*
 * cli_config_path() - the FILE of -c FILE / --config FILE in @argv, or NULL.
 * cli_config_apply() - apply the YAML mapping in @path (keys: long options of
 * @argp) to @input through @argp's parser; errors printed as "file:line: ...".
 * Return: 0, or -errno / -EINVAL.
 */
struct argp;
const char *cli_config_path(int argc, char **argv);
int cli_config_apply(const struct argp *argp, void *input, const char *path);
int run_main(int argc, char **argv);

#define CLI_RULES_MAX_PATHS 64
#define CLI_RULES_MAX_VARS  64

/* Rule options shared by replay and run; parsed by the argp child cli_rules_argp. */
struct cli_rules {
	const char *paths[CLI_RULES_MAX_PATHS + 1];
	uint32_t n_paths;
	const char *classification;
	struct detect_var vars[CLI_RULES_MAX_VARS];
	uint32_t n_vars;
	bool no_detect;
	bool strict;
	int heur_mode;               /* -1 default, 0 --no-heur, 1 --heur; init to -1 */
	const char *services;        /* --services FILE */
	struct heur_opts heur;       /* loaded by cli_rules_heur() */
	bool heur_loaded;
	char sigbuf[PATH_MAX];
};

extern const struct argp cli_rules_argp;

#define CLI_OUTPUT_MAX_URLS 16

/* Where events go (--eve, --publish ...), shared by replay and run. */
struct cli_output {
	const char *eve;             /* NULL: "-" unless publishing */
	const char *host;
	const char *urls[CLI_OUTPUT_MAX_URLS];
	uint32_t n_urls;
	const char *group;
	uint64_t sndbuf;
	uint32_t wait_ms;
	uint64_t batch;              /* --publish-batch bytes, 0 = one event per message */
	uint32_t stats_interval;     /* seconds; set the command's default before parsing */
	struct output *out;          /* opened by cli_output_open() */
	struct output_pub *pub;
};

extern const struct argp cli_output_argp;

/* cli_output_open() - open the EVE writer and publisher of @o. Errors printed. Return: 0 or -errno. */
int cli_output_open(struct cli_output *o);
void cli_output_close(struct cli_output *o);

/* Memory and queue limits shared by replay and run; argp child, input struct pipeline_opts. */
extern const struct argp cli_tuning_argp;

/* cli_rules_opts() - detect options from @r (the bundled signatures when no --rules). */
int cli_rules_opts(struct cli_rules *r, struct detect_opts *o);

/*
 * cli_rules_load() - load the engine per @r into *@out (NULL with --no-detect).
 * Errors are printed. Return: 0, -ENOENT (no rules found), -EINVAL (load failed).
 */
int cli_rules_load(struct cli_rules *r, struct detect_engine **out);

/*
 * cli_rules_heur() - heuristics options per @r: *@out NULL when off (--no-heur,
 * or by default when @default_on is false), else loaded from --services, the
 * bundled services.yaml, or the built-in defaults. Errors are printed
 * ("file:line: reason"). Return: 0 or -errno. cli_rules_free() releases.
 */
int cli_rules_heur(struct cli_rules *r, bool default_on, const struct heur_opts **out);
void cli_rules_free(struct cli_rules *r);

#endif /* WEIR_CLI_H */
