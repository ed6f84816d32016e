// SPDX-License-Identifier: GPL-2.0-only
/*
 * regress_main.c - replay fuzz inputs without libFuzzer.
 *
 * Linked with one fuzz_<x>.c into .output/fuzz-regress/fuzz_<x>; calls
 * LLVMFuzzerTestOneInput() once for every file named on the command line and
 * every regular file in the directories named (not recursive, sorted so runs
 * are reproducible), then prints "fuzz-regress <target>: N inputs". A crash or
 * sanitizer report ends the run with a non-zero status; an unreadable input
 * is an error (exit 1).
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;
	int err = -1;

	if (!f) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	/* An exact-size heap copy, so the sanitizer sees reads past the end. */
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		goto out;
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	err = 0;
out:
	if (err)
		fprintf(stderr, "read %s: %s\n", path, strerror(errno));
	free(buf);
	fclose(f);
	return err;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	unsigned long inputs = 0;
	int errors = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct dirent **ents;
		struct stat sb;
		int n;

		if (stat(argv[i], &sb)) {
			fprintf(stderr, "stat %s: %s\n", argv[i], strerror(errno));
			errors++;
			continue;
		}
		if (!S_ISDIR(sb.st_mode)) {
			errors += run_file(argv[i]) ? 1 : 0;
			inputs++;
			continue;
		}
		n = scandir(argv[i], &ents, NULL, by_name);
		if (n < 0) {
			fprintf(stderr, "scandir %s: %s\n", argv[i], strerror(errno));
			errors++;
			continue;
		}
		for (int j = 0; j < n; j++) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/%s", argv[i], ents[j]->d_name);
			if (!stat(path, &sb) && S_ISREG(sb.st_mode)) {
				errors += run_file(path) ? 1 : 0;
				inputs++;
			}
			free(ents[j]);
		}
		free(ents);
	}
	printf("fuzz-regress %s: %lu inputs\n", basename(argv[0]), inputs);
	return errors ? 1 : 0;
}
