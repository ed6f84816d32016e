// SPDX-License-Identifier: GPL-2.0-only
/*
 * detect_cli.c - `weir rules check PATH...`: load and compile rules the way
 * the sensor does, print every rule that cannot be loaded as
 * "file:line: reason", then a summary with the skipped rules by reason.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "detect/detect_int.h"

static void check_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTION...] PATH...\n"
		"Load and compile rule files (or directories of *.rules), report each rule\n"
		"that cannot be loaded as file:line: reason, then a summary.\n\n"
		"  -c, --classification=FILE  classification.config (default: beside the rules)\n"
		"  -V, --var=NAME=VALUE       set an address or port variable (repeatable)\n"
		"  -s, --strict               any bad rule fails the load\n"
		"  -q, --quiet                print only the summary\n"
		"  -h, --help                 this help\n\n"
		"Exit status: 0 all rules loaded, 1 some rule failed, 2 usage error.\n",
		prog);
}

static int reason_cmp(const void *a, const void *b)
{
	const struct det_skip_reason *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->reason, y->reason);
}

int detect_rules_check_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "classification", required_argument, NULL, 'c' },
		{ "var", required_argument, NULL, 'V' },
		{ "strict", no_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct detect_opts opts = { 0 };
	struct det_load_result res = { 0 };
	struct detect_var *vars = NULL;
	struct det_ruleset *rs;
	const char *prog = argv[0];
	bool quiet = false;
	int c, ret = 2;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:V:sqh", lopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opts.classification = optarg;
			break;
		case 'V': {
			char *eq = strchr(optarg, '=');
			struct detect_var *nv;

			if (!eq || eq == optarg) {
				fprintf(stderr, "%s: --var wants NAME=VALUE\n", prog);
				goto out;
			}
			nv = realloc(vars, (opts.n_vars + 1) * sizeof(*nv));
			if (!nv)
				goto out;
			vars = nv;
			*eq = 0;
			vars[opts.n_vars].name = optarg;
			vars[opts.n_vars].value = eq + 1;
			opts.n_vars++;
			break;
		}
		case 's':
			opts.strict = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			check_usage(stdout, prog);
			ret = 0;
			goto out;
		default:
			check_usage(stderr, prog);
			goto out;
		}
	}
	if (optind >= argc) {
		check_usage(stderr, prog);
		goto out;
	}
	opts.vars = vars;
	opts.rule_paths = (const char *const *)&argv[optind];
	rs = det_ruleset_build(&opts, quiet, &res);
	if (rs)
		printf("%u loaded, %u skipped, %u file(s), compiled in %.1f ms\n", res.loaded,
		       res.skipped, res.files, res.compile_ms);
	else
		printf("%u loaded, %u skipped: load failed (%s)\n", res.loaded, res.skipped,
		       strerror(errno));
	if (res.n_reasons)
		qsort(res.reasons, res.n_reasons, sizeof(*res.reasons), reason_cmp);
	for (uint32_t i = 0; i < res.n_reasons; i++)
		printf("  %6u  %s\n", res.reasons[i].count, res.reasons[i].reason);
	ret = rs && !res.skipped ? 0 : 1;
	det_ruleset_free(rs);
	det_load_result_free(&res);
out:
	free(vars);
	return ret;
}
