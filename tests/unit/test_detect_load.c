// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_detect_load.c - loading real rulesets and rule files: the ET Open and
 * Snort 3 community subsets load without a single error, every rule of the
 * full emerging-exploit.rules that is skipped names what is unsupported,
 * line continuations keep the first line's number, duplicates and --strict,
 * and `weir rules check` output and exit status.
 *
 * Run from the repository root (tests/run does): the rulesets are read from
 * tests/data/rules/.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "detect/detect_int.h"

static struct det_ruleset *load(const char *path, bool strict, struct det_load_result *res)
{
	const char *paths[2] = { path, NULL };
	struct detect_opts o = { .rule_paths = paths, .strict = strict };

	return det_ruleset_build(&o, true, res);
}

static void test_detect_load_et_open_subset(void **state)
{
	struct det_load_result res;
	struct det_ruleset *rs = load("tests/data/rules/et-open-all.subset.rules", true, &res);

	(void)state;
	assert_non_null(rs);
	assert_int_equal(res.loaded, 2373);
	assert_int_equal(res.skipped, 0);
	assert_non_null(rs->hs);
	det_ruleset_free(rs);
	det_load_result_free(&res);
}

static void test_detect_load_snort3_subset(void **state)
{
	struct det_load_result res;
	struct det_ruleset *rs = load("tests/data/rules/snort3-community.subset.rules", true, &res);

	(void)state;
	assert_non_null(rs);
	assert_int_equal(res.loaded, 826);
	assert_int_equal(res.skipped, 0);
	det_ruleset_free(rs);
	det_load_result_free(&res);
}

static void test_detect_load_emerging_exploit_reasons(void **state)
{
	struct det_load_result res;
	struct det_ruleset *rs = load("tests/data/rules/emerging-exploit.rules", false, &res);
	uint32_t counted = 0;

	(void)state;
	assert_non_null(rs);
	/* 1556 active rules in the file (STATS.txt) */
	assert_int_equal(res.loaded + res.skipped, 1556);
	assert_true(res.loaded >= 219);
	for (uint32_t i = 0; i < res.n_reasons; i++) {
		const char *r = res.reasons[i].reason;

		/* "unsupported keyword 'http.uri'", "unsupported protocol 'smtp'" */
		assert_true(!strncmp(r, "unsupported keyword '", 21) ||
			    !strncmp(r, "unsupported protocol '", 22));
		assert_int_equal(r[strlen(r) - 1], '\'');
		counted += res.reasons[i].count;
	}
	assert_int_equal(counted, res.skipped);
	det_ruleset_free(rs);
	det_load_result_free(&res);
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/test_detect_load_XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static const char rules_text[] =
	"# a comment\n"
	"\n"
	"alert tcp any any -> any any (msg:\"one\"; \\\n"
	"    content:\"a\"; sid:1;)\n"
	"alert tcp any any -> any any (msg:\"two\"; \\\n"
	"    foo; sid:2;)\n"
	"alert tcp any any -> any any (msg:\"dup\"; sid:1;)\n";

static void test_detect_load_skips_and_counts(void **state)
{
	char *path = write_tmp(rules_text);
	struct det_load_result res;
	struct det_ruleset *rs = load(path, false, &res);

	(void)state;
	assert_non_null(rs);
	assert_int_equal(res.loaded, 1);
	assert_int_equal(res.skipped, 2);
	assert_string_equal(rs->rules[0]->sig.signature, "one");
	assert_int_equal(rs->rules[0]->line, 3);
	det_ruleset_free(rs);
	det_load_result_free(&res);
	unlink(path);
	free(path);
}

static void test_detect_load_strict_fails(void **state)
{
	char *path = write_tmp(rules_text);
	struct det_load_result res;
	struct det_ruleset *rs = load(path, true, &res);

	(void)state;
	assert_null(rs);
	assert_int_equal(errno, EINVAL);
	det_load_result_free(&res);
	unlink(path);
	free(path);
}

static void test_detect_load_missing_file(void **state)
{
	struct det_load_result res;
	struct det_ruleset *rs = load("/nonexistent/x.rules", false, &res);

	(void)state;
	assert_null(rs);
	assert_int_equal(errno, ENOENT);
	det_load_result_free(&res);
}

static void test_detect_load_bad_variable_fails(void **state)
{
	const char *paths[2] = { "tests/data/rules/snort3-community.subset.rules", NULL };
	const struct detect_var vars[] = { { "HOME_NET", "[10.0.0.0/8" } };
	struct detect_opts o = { .rule_paths = paths, .vars = vars, .n_vars = 1 };
	struct det_load_result res;
	struct det_ruleset *rs = det_ruleset_build(&o, true, &res);

	(void)state;
	assert_null(rs);
	assert_int_equal(errno, EINVAL);
	det_load_result_free(&res);
}

/* Run `weir rules check @path` with stdout and stderr in one temp file. */
static int run_check(const char *path, char *out, size_t outlen)
{
	char *argv[] = { "weir rules check", (char *)path, NULL };
	char tmp[] = "/tmp/test_detect_out_XXXXXX";
	int fd = mkstemp(tmp), so = dup(1), se = dup(2), rc;
	ssize_t n;

	assert_true(fd >= 0);
	fflush(stdout);
	fflush(stderr);
	dup2(fd, 1);
	dup2(fd, 2);
	rc = detect_rules_check_main(2, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, outlen - 1);
	assert_true(n > 0);
	out[n] = 0;
	close(fd);
	unlink(tmp);
	return rc;
}

static void test_detect_load_rules_check_cli(void **state)
{
	char *path = write_tmp(rules_text), out[4096], want[512];

	(void)state;
	assert_int_equal(run_check(path, out, sizeof(out)), 1);
	snprintf(want, sizeof(want), "%s:5: unsupported keyword 'foo'", path);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want), "%s:7: duplicate sid 1 (first at %s:3)", path, path);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "1 loaded, 2 skipped, 1 file(s)"));
	assert_non_null(strstr(out, "       1  unsupported keyword 'foo'\n"));
	unlink(path);
	free(path);
}

static void test_detect_load_rules_check_clean_exit(void **state)
{
	char *path = write_tmp("alert ip any any -> any any (sid:1;)\n"), out[4096];

	(void)state;
	assert_int_equal(run_check(path, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "1 loaded, 0 skipped"));
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect_load_et_open_subset),
		cmocka_unit_test(test_detect_load_snort3_subset),
		cmocka_unit_test(test_detect_load_emerging_exploit_reasons),
		cmocka_unit_test(test_detect_load_skips_and_counts),
		cmocka_unit_test(test_detect_load_strict_fails),
		cmocka_unit_test(test_detect_load_missing_file),
		cmocka_unit_test(test_detect_load_bad_variable_fails),
		cmocka_unit_test(test_detect_load_rules_check_cli),
		cmocka_unit_test(test_detect_load_rules_check_clean_exit),
	};

	return cmocka_run_group_tests_name("detect_load", tests, NULL, NULL);
}
