// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_iface.c - the netlink link watch of user/source/source_iface.c on
 * real veth pairs: links present at start come from the dump, new ones and
 * deleted ones from notifications within a second; a pod veth's peer
 * addresses are read from the pod's namespace. Needs root
 * (CAP_NET_ADMIN to create links); skipped otherwise.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "source/source_iface.h"

#define MAX_EV 64

static struct {
	struct source_iface_event ev[MAX_EV];
	int n;
	bool root;
} S;

static void on_event(void *ctx, const struct source_iface_event *ev)
{
	(void)ctx;
	if (S.n < MAX_EV)
		S.ev[S.n++] = *ev;
}

/* Index of the last event for @name with @gone, or -1. */
static int find(const char *name, bool gone)
{
	int i;

	for (i = S.n - 1; i >= 0; i--)
		if (!strcmp(S.ev[i].name, name) && S.ev[i].gone == gone)
			return i;
	return -1;
}

/* Process notifications until @name/@gone shows up or 1 s passes. */
static int wait_for(struct source_iface *si, const char *name, bool gone)
{
	struct pollfd p = { .fd = source_iface__fd(si), .events = POLLIN };
	int tries;

	for (tries = 0; tries < 20 && find(name, gone) < 0; tries++) {
		poll(&p, 1, 50);
		assert_true(source_iface__process(si) >= 0);
	}
	return find(name, gone);
}

static void sh(const char *cmd)
{
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	(void)state;
	S.n = 0;
	return system("ip link del vethweirA 2>/dev/null; ip link del vethweirB 2>/dev/null; "
		      "ip netns del weirpod 2>/dev/null; true");
}

static int teardown(void **state)
{
	(void)state;
	return system("ip link del vethweirA 2>/dev/null; ip link del vethweirB 2>/dev/null; "
		      "ip netns del weirpod 2>/dev/null; true");
}

/* A matching link that exists before the watch starts is reported by the dump. */
static void test_iface_dump_reports_existing(void **state)
{
	struct source_iface *si;
	int i;

	(void)state;
	if (!S.root)
		skip();
	sh("ip link add vethweirA type veth peer name wpeerA");
	si = source_iface__new(NULL, on_event, NULL);
	assert_non_null(si);
	assert_true(source_iface__dump(si) >= 1);
	i = find("vethweirA", false);
	assert_true(i >= 0);
	assert_int_equal(S.ev[i].kind, SOURCE_IFACE_POD);
	assert_int_equal(S.ev[i].ifindex, (int)if_nametoindex("vethweirA"));
	assert_int_equal(find("wpeerA", false), -1); /* does not match veth* */
	assert_int_equal(find("lo", false), -1);
	source_iface__free(si);
}

/* New links, state changes and deletions arrive as notifications. */
static void test_iface_watch_new_up_and_gone(void **state)
{
	struct source_iface *si;
	int i, ifindex;

	(void)state;
	if (!S.root)
		skip();
	si = source_iface__new(NULL, on_event, NULL);
	assert_non_null(si);
	assert_true(source_iface__dump(si) >= 0);

	sh("ip link add vethweirB type veth peer name wpeerB");
	ifindex = (int)if_nametoindex("vethweirB");
	i = wait_for(si, "vethweirB", false);
	assert_true(i >= 0);
	assert_int_equal(S.ev[i].ifindex, ifindex);
	assert_false(S.ev[i].up);

	sh("ip link set vethweirB up");
	S.n = 0;
	i = wait_for(si, "vethweirB", false);
	assert_true(i >= 0);
	assert_true(S.ev[i].up);

	sh("ip link del vethweirB");
	i = wait_for(si, "vethweirB", true);
	assert_true(i >= 0);
	assert_int_equal(S.ev[i].ifindex, ifindex);
	assert_int_equal(S.ev[i].kind, SOURCE_IFACE_POD);
	source_iface__free(si);
}

/* Custom globs: only what they match is reported as present. */
static void test_iface_watch_custom_globs(void **state)
{
	static const char *const pod[] = { "wpeer*" };
	struct source_iface_opts o = { .pod = pod, .n_pod = 1 };
	struct source_iface *si;

	(void)state;
	if (!S.root)
		skip();
	si = source_iface__new(&o, on_event, NULL);
	assert_non_null(si);
	sh("ip link add vethweirB type veth peer name wpeerB");
	assert_true(wait_for(si, "wpeerB", false) >= 0);
	assert_int_equal(find("vethweirB", false), -1);
	source_iface__free(si);
}

struct addrs {
	char s[4][64];
	int n;
};

static void on_addr(void *ctx, int family, const void *addr)
{
	struct addrs *a = ctx;

	if (a->n < 4)
		inet_ntop(family, addr, a->s[a->n++], sizeof(a->s[0]));
}

/* The pod end of a veth lives in its own namespace: its addresses are found there. */
static void test_iface_peer_addrs_in_pod_namespace(void **state)
{
	struct addrs a = { 0 };

	(void)state;
	if (!S.root)
		skip();
	sh("ip netns add weirpod && ip link add vethweirA type veth peer name eth0 netns weirpod && "
	   "ip -n weirpod addr add 10.98.0.2/24 dev eth0 && "
	   "ip -n weirpod addr add fd98::2/64 dev eth0 nodad");
	assert_int_equal(source_iface_peer_addrs((int)if_nametoindex("vethweirA"), on_addr, &a), 2);
	assert_string_equal(a.s[0], "10.98.0.2");
	assert_string_equal(a.s[1], "fd98::2");
	sh("ip netns del weirpod");
}

/* A veth pair inside one namespace: the peer is looked up there. */
static void test_iface_peer_addrs_same_namespace(void **state)
{
	struct addrs a = { 0 };

	(void)state;
	if (!S.root)
		skip();
	sh("ip link add vethweirA type veth peer name wpeerA && ip addr add 10.97.0.2/32 dev wpeerA");
	assert_int_equal(source_iface_peer_addrs((int)if_nametoindex("vethweirA"), on_addr, &a), 1);
	assert_string_equal(a.s[0], "10.97.0.2");
}

/* No peer (loopback), no addresses; a missing link is an error. */
static void test_iface_peer_addrs_no_peer(void **state)
{
	struct addrs a = { 0 };

	(void)state;
	if (!S.root)
		skip();
	assert_int_equal(source_iface_peer_addrs(1, on_addr, &a), 0);
	assert_int_equal(source_iface_peer_addrs(999999, on_addr, &a), -ENODEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_iface_dump_reports_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iface_watch_new_up_and_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iface_watch_custom_globs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iface_peer_addrs_in_pod_namespace, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_iface_peer_addrs_same_namespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iface_peer_addrs_no_peer, setup, teardown),
	};

	S.root = geteuid() == 0;
	if (!S.root)
		fprintf(stderr, "SKIP: creating links needs root (CAP_NET_ADMIN)\n");
	return cmocka_run_group_tests_name("iface", tests, NULL, NULL);
}
