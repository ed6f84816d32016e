// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_source_iface.c - interface name classification and glob list
 * parsing (pure parts of user/source/source_iface.c; the netlink watch is
 * tested as root in tests/bpf/test_iface.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "source/source_iface.h"

static void test_source_iface_defaults(void **state)
{
	(void)state;
	assert_int_equal(source_iface_classify(NULL, "veth1a2b3c"), SOURCE_IFACE_POD);
	assert_int_equal(source_iface_classify(NULL, "cali12345"), SOURCE_IFACE_POD);
	assert_int_equal(source_iface_classify(NULL, "lxc_health"), SOURCE_IFACE_POD);
	assert_int_equal(source_iface_classify(NULL, "flannel.1"), SOURCE_IFACE_OVERLAY);
	assert_int_equal(source_iface_classify(NULL, "cilium_vxlan"), SOURCE_IFACE_OVERLAY);
	assert_int_equal(source_iface_classify(NULL, "vxlan.calico"), SOURCE_IFACE_OVERLAY);
	assert_int_equal(source_iface_classify(NULL, "eth0"), SOURCE_IFACE_NONE);
	assert_int_equal(source_iface_classify(NULL, "lo"), SOURCE_IFACE_NONE);
	assert_int_equal(source_iface_classify(NULL, "flannel.10"), SOURCE_IFACE_NONE);
}

static void test_source_iface_custom_globs(void **state)
{
	static const char *const pod[] = { "cni*", "tap[0-9]" };
	static const char *const uplink[] = { "eth0" };
	struct source_iface_opts o = {
		.pod = pod, .n_pod = 2, .overlay = pod, .n_overlay = 0, .uplink = uplink, .n_uplink = 1,
	};

	(void)state;
	assert_int_equal(source_iface_classify(&o, "cni0"), SOURCE_IFACE_POD);
	assert_int_equal(source_iface_classify(&o, "tap7"), SOURCE_IFACE_POD);
	assert_int_equal(source_iface_classify(&o, "tap77"), SOURCE_IFACE_NONE);
	assert_int_equal(source_iface_classify(&o, "veth0"), SOURCE_IFACE_NONE);
	assert_int_equal(source_iface_classify(&o, "flannel.1"), SOURCE_IFACE_NONE);
	assert_int_equal(source_iface_classify(&o, "eth0"), SOURCE_IFACE_UPLINK);
}

/* An overlay glob wins over a pod glob that also matches. */
static void test_source_iface_overlay_first(void **state)
{
	static const char *const all[] = { "*" };
	static const char *const ovl[] = { "vxlan.*" };
	struct source_iface_opts o = { .pod = all, .n_pod = 1, .overlay = ovl, .n_overlay = 1 };

	(void)state;
	assert_int_equal(source_iface_classify(&o, "vxlan.calico"), SOURCE_IFACE_OVERLAY);
	assert_int_equal(source_iface_classify(&o, "anything"), SOURCE_IFACE_POD);
}

static void test_source_iface_globs_parse(void **state)
{
	size_t n = 99;
	char **g = source_iface_globs_parse("veth*,,cali*,", &n);

	(void)state;
	assert_non_null(g);
	assert_int_equal(n, 2);
	assert_string_equal(g[0], "veth*");
	assert_string_equal(g[1], "cali*");
	assert_null(g[2]);
	source_iface_globs_free(g);
}

static void test_source_iface_globs_parse_empty(void **state)
{
	size_t n = 99;
	char **g = source_iface_globs_parse("", &n);

	(void)state;
	assert_non_null(g);
	assert_int_equal(n, 0);
	assert_null(g[0]);
	source_iface_globs_free(g);
}

static void test_source_iface_globs_parse_too_long(void **state)
{
	char longpat[200];
	size_t n;

	(void)state;
	memset(longpat, 'a', sizeof(longpat) - 1);
	longpat[sizeof(longpat) - 1] = '\0';
	assert_null(source_iface_globs_parse(longpat, &n));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_iface_defaults),
		cmocka_unit_test(test_source_iface_custom_globs),
		cmocka_unit_test(test_source_iface_overlay_first),
		cmocka_unit_test(test_source_iface_globs_parse),
		cmocka_unit_test(test_source_iface_globs_parse_empty),
		cmocka_unit_test(test_source_iface_globs_parse_too_long),
	};

	return cmocka_run_group_tests_name("source_iface", tests, NULL, NULL);
}
