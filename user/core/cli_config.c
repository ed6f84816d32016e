// SPDX-License-Identifier: GPL-2.0-only
/*
 * cli_config.c - `weir run -c FILE`: settings from a YAML file.
 *
 * The file is one YAML mapping whose keys are the command's long options
 * without the dashes ("cpu-budget: 0.5", "rules: [/etc/weir/rules, ...]",
 * "no-heur: true"). Each setting is handed to the command's own argp parser,
 * so a value is checked exactly as on the command line, and errors name the
 * file and line ("weir.yaml:12: --head-bytes: bad size 'x'"). Options given
 * on the command line are parsed after the file and win (lists add up).
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/cli.h"
#include "core/log.h"

/* The long option @name of @argp or its children, or NULL. */
static const struct argp_option *find_option(const struct argp *argp, const char *name)
{
	for (const struct argp_option *o = argp->options; o && (o->name || o->key || o->doc); o++)
		if (o->name && !strcmp(o->name, name))
			return o;
	for (const struct argp_child *c = argp->children; c && c->argp; c++) {
		const struct argp_option *o = find_option(c->argp, name);

		if (o)
			return o;
	}
	return NULL;
}

/*
 * Parsers keep pointers into argv (paths, globs), so the option strings
 * live until exit, like a real argv.
 */
static char **kept;
static size_t n_kept;

static void kept_free(void)
{
	for (size_t i = 0; i < n_kept; i++)
		free(kept[i]);
	free(kept);
}

static char *keep(const char *s)
{
	char **nk = realloc(kept, (n_kept + 1) * sizeof(*kept));
	char *d = strdup(s);

	if (!nk || !d) {
		free(d);
		if (nk)
			kept = nk;
		return NULL;
	}
	if (!kept)
		atexit(kept_free);
	kept = nk;
	kept[n_kept++] = d;
	return d;
}

/* Parse one "--name[=value]" through @argp; messages carry "file:line". */
static int apply_one(const struct argp *argp, void *input, const char *where, const char *name,
		     const char *value, unsigned line)
{
	const struct argp_option *o = find_option(argp, name);
	char prog[512], opt[1024];
	char *argv[3] = { prog, NULL, NULL };

	if (!o || !strcmp(name, "config") || !strcmp(name, "help")) {
		pr_err("%s:%u: unknown setting '%s'\n", where, line, name);
		return -EINVAL;
	}
	if (!o->arg) {
		if (!strcmp(value, "false") || !strcmp(value, "no"))
			return 0;
		if (strcmp(value, "true") && strcmp(value, "yes")) {
			pr_err("%s:%u: %s: expected true or false, got '%s'\n", where, line, name, value);
			return -EINVAL;
		}
		snprintf(opt, sizeof(opt), "--%s", name);
	} else {
		snprintf(opt, sizeof(opt), "--%s=%s", name, value);
	}
	/* argp names messages after argv[0] (its last path component). */
	snprintf(prog, sizeof(prog), "%s:%u", where, line);
	argv[1] = keep(opt);
	if (!argv[1])
		return -ENOMEM;
	return argp_parse(argp, 2, argv, ARGP_NO_HELP, NULL, input) ? -EINVAL : 0;
}

int cli_config_apply(const struct argp *argp, void *input, const char *path)
{
	yaml_parser_t yp;
	yaml_event_t ev;
	char key[128] = "";
	unsigned key_line = 0;
	int depth = 0, err = 0, in_seq = 0, done = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		pr_err("%s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (!yaml_parser_initialize(&yp)) {
		fclose(f);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&yp, f);
	while (!done && !err) {
		if (!yaml_parser_parse(&yp, &ev)) {
			pr_err("%s:%zu: %s\n", path, yp.problem_mark.line + 1,
			       yp.problem ? yp.problem : "YAML syntax error");
			err = -EINVAL;
			break;
		}
		unsigned line = (unsigned)ev.start_mark.line + 1;

		switch (ev.type) {
		case YAML_MAPPING_START_EVENT:
			if (++depth > 1) {
				pr_err("%s:%u: %s: expected a value or a list, not a mapping\n", path,
				       line, key);
				err = -EINVAL;
			}
			break;
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SEQUENCE_START_EVENT:
			if (depth != 1 || !key[0] || in_seq) {
				pr_err("%s:%u: a list is only allowed as the value of a setting\n", path,
				       line);
				err = -EINVAL;
			}
			in_seq = 1;
			break;
		case YAML_SEQUENCE_END_EVENT:
			in_seq = 0;
			key[0] = '\0';
			break;
		case YAML_SCALAR_EVENT: {
			const char *v = (const char *)ev.data.scalar.value;

			if (depth != 1) {
				pr_err("%s:%u: expected a mapping of settings\n", path, line);
				err = -EINVAL;
			} else if (!key[0]) {
				snprintf(key, sizeof(key), "%s", v);
				key_line = line;
			} else {
				err = apply_one(argp, input, path, key, v, in_seq ? line : key_line);
				if (!in_seq)
					key[0] = '\0';
			}
			break;
		}
		case YAML_ALIAS_EVENT:
			pr_err("%s:%u: aliases are not supported\n", path, line);
			err = -EINVAL;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&yp);
	fclose(f);
	return err;
}

const char *cli_config_path(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--config=", 9))
			return argv[i] + 9;
	}
	return NULL;
}
