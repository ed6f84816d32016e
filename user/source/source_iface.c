// SPDX-License-Identifier: GPL-2.0-only
/*
 * source_iface.c - interface classification by glob and the rtnetlink link
 * watch (raw NETLINK_ROUTE: two messages types do not need a library).
 *
 * Two sockets: a non-blocking one subscribed to RTMGRP_LINK, opened first,
 * and a short-lived one per dump. Subscribing before dumping means no link
 * can slip between the two; a link seen by both is reported twice, which
 * the caller's idempotent attach absorbs.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "core/log.h"
#include "source/source_iface.h"

const char *const source_iface_default_pod[] = { "veth*", "cali*", "lxc*" };
const size_t source_iface_n_default_pod = 3;
const char *const source_iface_default_overlay[] = { "flannel.1", "cilium_vxlan",
						     "vxlan.calico" };
const size_t source_iface_n_default_overlay = 3;

#define NL_BUF_BYTES (32 * 1024)

struct source_iface {
	struct source_iface_opts opts;
	source_iface_fn fn;
	void *ctx;
	int fd;
	unsigned long overruns;
};

static bool globs_match(const char *const *globs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!fnmatch(globs[i], name, 0))
			return true;
	return false;
}

enum source_iface_kind source_iface_classify(const struct source_iface_opts *opts,
					     const char *name)
{
	static const struct source_iface_opts defaults; /* NULL lists: the defaults */
	const struct source_iface_opts *o = opts ? opts : &defaults;

	if (globs_match(o->overlay ? o->overlay : source_iface_default_overlay,
			o->overlay ? o->n_overlay : source_iface_n_default_overlay, name))
		return SOURCE_IFACE_OVERLAY;
	if (o->uplink && globs_match(o->uplink, o->n_uplink, name))
		return SOURCE_IFACE_UPLINK;
	if (globs_match(o->pod ? o->pod : source_iface_default_pod,
			o->pod ? o->n_pod : source_iface_n_default_pod, name))
		return SOURCE_IFACE_POD;
	return SOURCE_IFACE_NONE;
}

void source_iface_globs_free(char **globs)
{
	char **g;

	if (!globs)
		return;
	for (g = globs; *g; g++)
		free(*g);
	free(globs);
}

char **source_iface_globs_parse(const char *csv, size_t *n)
{
	size_t cap = 1, k = 0, len;
	const char *p, *e;
	char **out;

	for (p = csv; *p; p++)
		cap += *p == ',';
	out = calloc(cap + 1, sizeof(*out));
	if (!out)
		return NULL;
	for (p = csv; ; p = e + 1) {
		e = strchrnul(p, ',');
		len = (size_t)(e - p);
		if (len > IF_NAMESIZE * 4) {
			source_iface_globs_free(out);
			errno = EINVAL;
			return NULL;
		}
		if (len) {
			out[k] = strndup(p, len);
			if (!out[k]) {
				source_iface_globs_free(out);
				errno = ENOMEM;
				return NULL;
			}
			k++;
		}
		if (!*e)
			break;
	}
	*n = k;
	return out;
}

/* Report one RTM_NEWLINK / RTM_DELLINK. Return: 1 if reported, else 0. */
static int handle_link(struct source_iface *si, const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifm = NLMSG_DATA(nlh);
	struct source_iface_event ev = { 0 };
	const struct rtattr *rta;
	int len;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifm)))
		return 0;
	len = (int)IFLA_PAYLOAD(nlh);
	for (rta = IFLA_RTA(ifm); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFLA_IFNAME) {
			size_t n = RTA_PAYLOAD(rta);

			if (n > sizeof(ev.name))
				n = sizeof(ev.name);
			memcpy(ev.name, RTA_DATA(rta), n);
			ev.name[sizeof(ev.name) - 1] = '\0';
		}
	}
	if (!ev.name[0])
		return 0;
	ev.ifindex = ifm->ifi_index;
	ev.up = ifm->ifi_flags & IFF_UP;
	ev.gone = nlh->nlmsg_type == RTM_DELLINK;
	ev.kind = source_iface_classify(&si->opts, ev.name);
	if (ev.kind == SOURCE_IFACE_NONE && !ev.gone)
		return 0;
	si->fn(si->ctx, &ev);
	return 1;
}

/*
 * Handle one buffer of messages. Sets *done at NLMSG_DONE (dumps).
 * Return: events reported, or -errno from an NLMSG_ERROR.
 */
static int handle_buf(struct source_iface *si, const void *buf, size_t n, bool *done)
{
	const struct nlmsghdr *nlh;
	int events = 0;
	int len = (int)n;

	for (nlh = buf; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
		switch (nlh->nlmsg_type) {
		case NLMSG_DONE:
			*done = true;
			return events;
		case NLMSG_ERROR: {
			const struct nlmsgerr *err = NLMSG_DATA(nlh);

			*done = true;
			return err->error ? err->error : events;
		}
		case RTM_NEWLINK:
		case RTM_DELLINK:
			events += handle_link(si, nlh);
			break;
		default:
			break;
		}
	}
	return events;
}

struct source_iface *source_iface__new(const struct source_iface_opts *opts, source_iface_fn fn,
				       void *ctx)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int rcvbuf = 1 << 20;
	struct source_iface *si;

	if (!fn) {
		errno = EINVAL;
		return NULL;
	}
	si = calloc(1, sizeof(*si));
	if (!si)
		return NULL;
	if (opts)
		si->opts = *opts;
	si->fn = fn;
	si->ctx = ctx;
	si->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (si->fd < 0)
		goto fail;
	/* a burst of pod starts must not overrun the socket; overruns are
	 * still handled (re-dump), this just makes them rare */
	setsockopt(si->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(si->fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto fail;
	return si;
fail:
	pr_warn("netlink link watch: %s\n", strerror(errno));
	source_iface__free(si);
	return NULL;
}

void source_iface__free(struct source_iface *si)
{
	int saved = errno;

	if (!si)
		return;
	if (si->fd >= 0)
		close(si->fd);
	free(si);
	errno = saved;
}

int source_iface__fd(const struct source_iface *si)
{
	return si->fd;
}

unsigned long source_iface__overruns(const struct source_iface *si)
{
	return si->overruns;
}

int source_iface__dump(struct source_iface *si)
{
	struct {
		struct nlmsghdr nlh;
		struct ifinfomsg ifm;
	} req = {
		.nlh = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
			.nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.ifm = { .ifi_family = AF_UNSPEC },
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	bool done = false;
	int fd, ret, events = 0;
	char *buf;
	ssize_t n;

	buf = malloc(NL_BUF_BYTES);
	if (!buf)
		return -ENOMEM;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	if (sendto(fd, &req, req.nlh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		events = -errno;
		goto out;
	}
	while (!done) {
		n = recv(fd, buf, NL_BUF_BYTES, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			events = -errno;
			goto out;
		}
		if (n == 0)
			break;
		ret = handle_buf(si, buf, (size_t)n, &done);
		if (ret < 0) {
			events = ret;
			goto out;
		}
		events += ret;
	}
out:
	close(fd);
	free(buf);
	return events;
}

int source_iface__process(struct source_iface *si)
{
	int events = 0, ret;
	bool done = false;
	char *buf;
	ssize_t n;

	buf = malloc(NL_BUF_BYTES);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		n = recv(si->fd, buf, NL_BUF_BYTES, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			if (errno == ENOBUFS) {
				/* notifications were lost: the kernel's current
				 * view replaces what we missed */
				si->overruns++;
				pr_warn("netlink link watch overrun: re-reading all links\n");
				ret = source_iface__dump(si);
				if (ret < 0) {
					events = ret;
					break;
				}
				events += ret;
				continue;
			}
			events = -errno;
			break;
		}
		ret = handle_buf(si, buf, (size_t)n, &done);
		if (ret > 0)
			events += ret;
	}
	free(buf);
	return events;
}

/* --- peer addresses -------------------------------------------------------- */

typedef int (*nl_msg_fn)(const struct nlmsghdr *nlh, void *arg);

/*
 * Send @req on a fresh NETLINK_ROUTE socket and hand every reply message to
 * @fn until the dump ends or the request is answered. Strict checking makes
 * the kernel honour ifa_index and IFA_TARGET_NETNSID in address dumps.
 * Return: 0 or -errno.
 */
static int nl_talk(struct nlmsghdr *req, nl_msg_fn fn, void *arg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, one = 1, err = 0;
	const struct nlmsghdr *nlh;
	bool done = false;
	char *buf;
	ssize_t n;
	int len;

	buf = malloc(NL_BUF_BYTES);
	if (!buf)
		return -ENOMEM;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto out;
	}
	while (!done) {
		n = recv(fd, buf, NL_BUF_BYTES, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			goto out;
		}
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				err = ((const struct nlmsgerr *)NLMSG_DATA(nlh))->error;
				done = true;
				break;
			}
			err = fn(nlh, arg);
			if (err)
				goto out;
			/* a plain request gets one answer, a dump ends with DONE */
			if (!(req->nlmsg_flags & NLM_F_DUMP))
				done = true;
		}
	}
out:
	close(fd);
	free(buf);
	return err;
}

struct peer_link {
	int ifindex;	/* of the queried link */
	int peer;	/* IFLA_LINK, 0 if none */
	int nsid;	/* IFLA_LINK_NETNSID, -1: same namespace */
};

static int peer_link_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifinfomsg *ifm = NLMSG_DATA(nlh);
	struct peer_link *pl = arg;
	const struct rtattr *rta;
	int len;

	if (nlh->nlmsg_type != RTM_NEWLINK || ifm->ifi_index != pl->ifindex)
		return 0;
	len = (int)IFLA_PAYLOAD(nlh);
	for (rta = IFLA_RTA(ifm); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFLA_LINK && RTA_PAYLOAD(rta) >= 4)
			memcpy(&pl->peer, RTA_DATA(rta), 4);
		else if (rta->rta_type == IFLA_LINK_NETNSID && RTA_PAYLOAD(rta) >= 4)
			memcpy(&pl->nsid, RTA_DATA(rta), 4);
	}
	return 0;
}

struct peer_addrs {
	int peer;
	source_iface_addr_fn fn;
	void *ctx;
	int n;
};

static int peer_addr_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nlh);
	const void *addr = NULL, *local = NULL;
	struct peer_addrs *pa = arg;
	const struct rtattr *rta;
	size_t want;
	int len;

	if (nlh->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != pa->peer)
		return 0;
	want = ifa->ifa_family == AF_INET ? 4 : 16;
	len = (int)IFA_PAYLOAD(nlh);
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (RTA_PAYLOAD(rta) < want)
			continue;
		if (rta->rta_type == IFA_ADDRESS)
			addr = RTA_DATA(rta);
		else if (rta->rta_type == IFA_LOCAL)
			local = RTA_DATA(rta);
	}
	/* IPv4 point-to-point: IFA_LOCAL is ours, IFA_ADDRESS the far end */
	if (local)
		addr = local;
	if (addr && (ifa->ifa_family == AF_INET || ifa->ifa_family == AF_INET6)) {
		pa->fn(pa->ctx, ifa->ifa_family, addr);
		pa->n++;
	}
	return 0;
}

int source_iface_peer_addrs(int ifindex, source_iface_addr_fn fn, void *ctx)
{
	struct {
		struct nlmsghdr nlh;
		struct ifinfomsg ifm;
	} lreq = {
		.nlh = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
			.nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST,
		},
		.ifm = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex },
	};
	struct {
		struct nlmsghdr nlh;
		struct ifaddrmsg ifa;
		struct rtattr rta;
		int32_t nsid;
	} areq;
	struct peer_link pl = { .ifindex = ifindex, .nsid = -1 };
	struct peer_addrs pa = { .fn = fn, .ctx = ctx };
	static const int families[] = { AF_INET, AF_INET6 };
	unsigned int i;
	int err;

	err = nl_talk(&lreq.nlh, peer_link_msg, &pl);
	if (err)
		return err;
	if (!pl.peer)
		return 0;
	pa.peer = pl.peer;
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		memset(&areq, 0, sizeof(areq));
		areq.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
		areq.nlh.nlmsg_type = RTM_GETADDR;
		areq.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		areq.ifa.ifa_family = (uint8_t)families[i];
		areq.ifa.ifa_index = (uint32_t)pl.peer;
		if (pl.nsid >= 0) {
			areq.rta.rta_type = IFA_TARGET_NETNSID;
			areq.rta.rta_len = RTA_LENGTH(sizeof(int32_t));
			areq.nsid = pl.nsid;
			areq.nlh.nlmsg_len = NLMSG_ALIGN(areq.nlh.nlmsg_len) + RTA_LENGTH(sizeof(int32_t));
		}
		err = nl_talk(&areq.nlh, peer_addr_msg, &pa);
		/* the peer's namespace (or the peer) went away meanwhile */
		if (err == -ENODEV || err == -EINVAL)
			return pa.n;
		if (err)
			return err;
	}
	return pa.n;
}
