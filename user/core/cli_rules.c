// SPDX-License-Identifier: GPL-2.0-only
/*
 * cli_rules.c - the rule options shared by `weir replay` and `weir run`
 * (--rules, --no-detect, --strict, --var, --classification), as an argp
 * child, and loading the detect engine from them (bundled signatures when no
 * --rules is given).
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/log.h"
#include "detect/detect.h"
#include "heur/heur.h"

enum {
	OPT_NO_DETECT = 0x200,
	OPT_STRICT,
	OPT_VAR,
	OPT_CLASSIFICATION,
	OPT_HEUR,
	OPT_NO_HEUR,
	OPT_SERVICES,
};

static const struct argp_option rules_options[] = {
	{ "rules", 'r', "PATH", 0, "Rule file or directory of *.rules (repeatable; default: the bundled signatures/)", 0 },
	{ "no-detect", OPT_NO_DETECT, NULL, 0, "Do not load rules: decode, flows and flow events only", 0 },
	{ "strict", OPT_STRICT, NULL, 0, "A rule that fails to load is fatal (default: skip it with a warning)", 0 },
	{ "var", OPT_VAR, "NAME=VALUE", 0, "Set a rule variable, e.g. --var HOME_NET=[10.0.0.0/8] (repeatable)", 0 },
	{ "classification", OPT_CLASSIFICATION, "FILE", 0, "classification.config (default: beside the rules)", 0 },
	{ "heur", OPT_HEUR, NULL, 0, "Run the L4 heuristics (default: on with the bundled signatures and in `weir run`, off with --rules)", 0 },
	{ "no-heur", OPT_NO_HEUR, NULL, 0, "Do not run the L4 heuristics", 0 },
	{ "services", OPT_SERVICES, "FILE", 0, "Heuristics policy and thresholds (default: services.yaml of the bundled signatures, else built-in)", 0 },
	{ 0 },
};

static error_t rules_parse(int key, char *arg, struct argp_state *state)
{
	struct cli_rules *r = state->input;

	switch (key) {
	case 'r':
		if (r->n_paths == CLI_RULES_MAX_PATHS)
			argp_error(state, "--rules: at most %d paths", CLI_RULES_MAX_PATHS);
		r->paths[r->n_paths++] = arg;
		break;
	case OPT_NO_DETECT:
		r->no_detect = true;
		break;
	case OPT_STRICT:
		r->strict = true;
		break;
	case OPT_VAR: {
		char *eq = strchr(arg, '=');

		if (!eq || eq == arg || r->n_vars == CLI_RULES_MAX_VARS)
			argp_error(state, "--var: expected NAME=VALUE, got '%s'", arg);
		*eq = '\0';
		r->vars[r->n_vars].name = arg[0] == '$' ? arg + 1 : arg;
		r->vars[r->n_vars].value = eq + 1;
		r->n_vars++;
		break;
	}
	case OPT_CLASSIFICATION:
		r->classification = arg;
		break;
	case OPT_HEUR:
		r->heur_mode = 1;
		break;
	case OPT_NO_HEUR:
		r->heur_mode = 0;
		break;
	case OPT_SERVICES:
		r->services = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp cli_rules_argp = {
	.options = rules_options,
	.parser = rules_parse,
};

/* The bundled signatures: $WEIR_SIGNATURES, beside the binary, or installed. */
static const char *bundled_signatures(char *buf, size_t len)
{
	const char *env = getenv("WEIR_SIGNATURES");
	const char *const fixed[] = { "/usr/local/share/weir/signatures", "/usr/share/weir/signatures" };
	struct stat st;
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			/* .output/bin/weir in a source tree */
			if (snprintf(buf, len, "%.*s/../../signatures", PATH_MAX - 32, exe) < (int)len &&
			    stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
				return buf;
		}
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (stat(fixed[i], &st) == 0 && S_ISDIR(st.st_mode))
			return fixed[i];
	return NULL;
}

int cli_rules_heur(struct cli_rules *r, bool default_on, const struct heur_opts **out)
{
	char path[PATH_MAX + 32], err[512] = "";
	const char *file = r->services;
	int rc;

	*out = NULL;
	if (r->heur_mode == 0 || (r->heur_mode < 0 && !default_on))
		return 0;
	if (!file) {
		const char *sig = bundled_signatures(r->sigbuf, sizeof(r->sigbuf));

		if (sig && snprintf(path, sizeof(path), "%s/services.yaml", sig) < (int)sizeof(path) &&
		    access(path, R_OK) == 0)
			file = path;
	}
	rc = file ? heur_opts_load(&r->heur, file, err, sizeof(err)) : heur_opts_default(&r->heur);
	if (rc) {
		pr_err("%s\n", err[0] ? err : strerror(-rc));
		heur_opts_free(&r->heur);
		return rc;
	}
	r->heur_loaded = true;
	*out = &r->heur;
	return 0;
}

void cli_rules_free(struct cli_rules *r)
{
	if (r->heur_loaded)
		heur_opts_free(&r->heur);
	r->heur_loaded = false;
}

int cli_rules_opts(struct cli_rules *r, struct detect_opts *o)
{
	if (!r->n_paths) {
		const char *sig = bundled_signatures(r->sigbuf, sizeof(r->sigbuf));

		if (!sig) {
			pr_err("no --rules given and the bundled signatures/ were not found "
			       "(set WEIR_SIGNATURES or use --no-detect)\n");
			return -ENOENT;
		}
		r->paths[r->n_paths++] = sig;
	}
	r->paths[r->n_paths] = NULL;
	memset(o, 0, sizeof(*o));
	o->rule_paths = r->paths;
	o->classification = r->classification;
	o->vars = r->vars;
	o->n_vars = r->n_vars;
	o->strict = r->strict;
	return 0;
}

int cli_rules_load(struct cli_rules *r, struct detect_engine **out)
{
	struct detect_load_report rep = { 0 };
	struct detect_opts o;

	/* detect_engine__new() reports what it loaded (pr_info) and every error. */
	*out = NULL;
	if (r->no_detect)
		return 0;
	if (cli_rules_opts(r, &o))
		return -ENOENT;
	*out = detect_engine__new(&o, &rep);
	if (!*out) {
		pr_err("rules: %s\n", errno == EINVAL ? "no usable rule loaded" : strerror(errno));
		return -EINVAL;
	}
	return 0;
}
