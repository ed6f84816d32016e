/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * source_iface.h - which interfaces the live sensor watches: glob
 * classification of interface names (pod veths, overlay devices, uplinks)
 * and a netlink watch of links appearing and disappearing, with an initial
 * dump so interfaces that existed before the start are seen too.
 *
 * Attaching is not done here: the callback hands each event to the caller,
 * which calls source_bpf__attach()/__detach() (both idempotent, so the
 * duplicate events netlink produces are harmless).
 *
 * Threads: one struct source_iface belongs to the control thread.
 */
#ifndef WEIR_SOURCE_IFACE_H
#define WEIR_SOURCE_IFACE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

enum source_iface_kind {
	SOURCE_IFACE_NONE,    /* not watched */
	SOURCE_IFACE_POD,     /* host-side end of a pod veth */
	SOURCE_IFACE_OVERLAY, /* VXLAN overlay device: inner frames */
	SOURCE_IFACE_UPLINK,  /* physical NIC for uplink (decapsulating) mode */
};

/*
 * Glob lists (fnmatch(3) patterns). NULL lists take the defaults below; an
 * empty list (n = 0, non-NULL pointer) watches nothing of that kind.
 * Overlay globs are tried first, then uplink, then pod.
 */
struct source_iface_opts {
	const char *const *pod;
	size_t n_pod;
	const char *const *overlay;
	size_t n_overlay;
	const char *const *uplink;
	size_t n_uplink;
};

/* Defaults: veth*, cali*, lxc* / flannel.1, cilium_vxlan, vxlan.calico / none. */
extern const char *const source_iface_default_pod[];
extern const size_t source_iface_n_default_pod;
extern const char *const source_iface_default_overlay[];
extern const size_t source_iface_n_default_overlay;

/* source_iface_classify() - the kind of interface @name under @opts (pure). */
enum source_iface_kind source_iface_classify(const struct source_iface_opts *opts,
					     const char *name);

/*
 * source_iface_globs_parse() - split a comma-separated list ("veth*,cali*")
 * into a NULL-terminated array. Empty items are skipped.
 * Return: the array, owned by the caller (free with source_iface_globs_free()),
 * or NULL with errno (ENOMEM, EINVAL when a pattern is longer than IFNAMSIZ * 4).
 */
char **source_iface_globs_parse(const char *csv, size_t *n);
void source_iface_globs_free(char **globs);

struct source_iface_event {
	int ifindex;
	char name[IF_NAMESIZE];
	enum source_iface_kind kind;
	bool up;   /* IFF_UP */
	bool gone; /* RTM_DELLINK: the interface no longer exists */
};

/*
 * source_iface_fn - one event: a matching link exists (new, changed or found
 * by the dump) or any link is gone (kind as classified by its last name; may
 * be NONE). The same link can be reported more than once.
 */
typedef void (*source_iface_fn)(void *ctx, const struct source_iface_event *ev);

struct source_iface;

/*
 * source_iface__new() - subscribe to link notifications. Call
 * source_iface__dump() next, then source_iface__process() whenever
 * source_iface__fd() is readable. @opts' arrays must outlive the watcher.
 * Return: the watcher (free with source_iface__free()), or NULL with errno.
 */
struct source_iface *source_iface__new(const struct source_iface_opts *opts, source_iface_fn fn,
				       void *ctx);
void source_iface__free(struct source_iface *si);

/* source_iface__dump() - report every existing matching link. Return: links reported, or -errno. */
int source_iface__dump(struct source_iface *si);

/* source_iface__fd() - non-blocking netlink socket to poll for POLLIN. */
int source_iface__fd(const struct source_iface *si);

/*
 * source_iface__process() - handle every pending notification, without
 * blocking. A socket overrun (ENOBUFS: notifications were lost) is repaired
 * by a fresh dump. Return: events reported (>= 0), or -errno.
 */
int source_iface__process(struct source_iface *si);

/* source_iface__overruns() - how many times notifications were lost and re-dumped. */
unsigned long source_iface__overruns(const struct source_iface *si);

/*
 * source_iface_addr_fn - one address, network order: 4 bytes for AF_INET,
 * 16 for AF_INET6.
 */
typedef void (*source_iface_addr_fn)(void *ctx, int family, const void *addr);

/*
 * source_iface_peer_addrs() - the addresses configured on the other end of
 * the veth @ifindex, usually inside a pod's network namespace (found through
 * IFLA_LINK_NETNSID and an address dump with IFA_TARGET_NETNSID). These are
 * the pod's own addresses, so they can fill the "record once per node"
 * endpoint map without trusting the traffic (a pod could spoof sources).
 * A pod gets its address after its veth appears: call again on later events
 * for the same link, or periodically.
 * Return: addresses reported (0 for a link without a peer), or -errno.
 */
int source_iface_peer_addrs(int ifindex, source_iface_addr_fn fn, void *ctx);

#endif /* WEIR_SOURCE_IFACE_H */
