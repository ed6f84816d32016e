// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - the `weir` command: dispatch to subcommands.
 *
 *   weir replay  [options] PCAP...   captures through the pipeline, EVE JSON out
 *   weir rules   check PATH...       load and compile rules, report errors
 *   weir version
 */
#include <argp.h>
#include <stdio.h>
#include <string.h>

#include "core/cli.h"
#include "core/log.h"
#include "detect/detect.h"
#include "output/output_pub.h"

#ifndef WEIR_VERSION
#define WEIR_VERSION "0.1.0"
#endif

const char *argp_program_version = "weir " WEIR_VERSION;
const char *argp_program_bug_address = "the Weir issue tracker";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: weir COMMAND [OPTION...]\n"
		"East-west intrusion detection for Kubernetes nodes.\n\n"
		"Commands:\n"
		"  run [OPTION...]              the live sensor: eBPF on pod veths and overlays\n"
		"  replay [OPTION...] PCAP...   run captures through the pipeline, write EVE JSON\n"
		"  rules check PATH...          load and compile rules, report file:line errors\n"
		"  tail [OPTION...] URL...      subscribe to sensors, print their events as EVE JSON\n"
		"  version                      print the version\n\n"
		"`weir COMMAND --help` describes each command.\n");
}

int main(int argc, char **argv)
{
	char name[64];

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("%s\n", argp_program_version);
		return 0;
	}
	/* Subcommands see "weir <cmd>" as their program name in messages. */
	snprintf(name, sizeof(name), "weir %s", argv[1]);
	argv[1] = name;
	if (!strcmp(argv[1] + 5, "replay"))
		return replay_main(argc - 1, argv + 1);
	if (!strcmp(argv[1] + 5, "run"))
		return run_main(argc - 1, argv + 1);
	if (!strcmp(argv[1] + 5, "tail"))
		return output_tail_main(argc - 1, argv + 1);
	if (!strcmp(argv[1] + 5, "rules")) {
		if (argc >= 3 && !strcmp(argv[2], "check")) {
			snprintf(name, sizeof(name), "weir rules check");
			argv[2] = name;
			return detect_rules_check_main(argc - 2, argv + 2);
		}
		fprintf(stderr, "weir rules: expected 'check PATH...'\n");
		return 2;
	}
	fprintf(stderr, "weir: unknown command '%s' (try weir --help)\n", argv[1] + 5);
	return 2;
}
