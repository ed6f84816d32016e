/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cli.h - command-line helpers shared by the subcommands: number and size
 * parsing with range checks, and the subcommand entry points main() calls.
 */
#ifndef WEIR_CLI_H
#define WEIR_CLI_H

#include <stdint.h>

/* cli_parse_u64() - decimal @s in [@min, @max]. Return: 0 or -EINVAL / -ERANGE. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* cli_parse_size() - like cli_parse_u64() with an optional K/M/G suffix (powers of 1024). */
int cli_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);

int replay_main(int argc, char **argv);

#endif /* WEIR_CLI_H */
