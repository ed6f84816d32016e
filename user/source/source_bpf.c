// SPDX-License-Identifier: GPL-2.0-only
/*
 * source_bpf.c - load the sensor skeleton, own its shard rings, attach it to
 * interfaces. See source_bpf.h for the API and threading rules.
 *
 * Rings are created here (not in the object) because their number is the
 * worker count, known only at start: the object has an ARRAY_OF_MAPS with a
 * ring buffer template, and each shard's ring is created with the configured
 * size and installed at its index. The kernel does not compare ring sizes
 * against the template.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <weir/abi.h>
#include <weir/limits.h>

#include "core/log.h"
#include "source/source_bpf.h"
#include "source/source_iface.h"
#include "sensor.skel.h"

#define SOURCE_BPF_RING_DEFAULT (4U << 20)

struct sb_shard {
	struct source_bpf *sb;
	int map_fd;		/* the shard's ring buffer */
	struct ring_buffer *rb; /* reader, created by shard_start() */
	source_bpf_rec_fn fn;
	void *ctx;
	uint64_t dropped;	/* malformed records (never expected) */
};

struct sb_attach {
	int ifindex;
	enum source_bpf_mode mode;
	int xdp_link_fd; /* -1 if none */
	bool tc_ingress;
	bool tc_egress;
};

struct source_bpf {
	struct sensor_bpf *skel;
	uint32_t n_shards;
	bool xdp_generic;
	struct sb_shard shards[WEIR_WORKERS_MAX];
	struct sb_attach *att;
	uint32_t n_att, cap_att;
};

static const char *const kstat_names[WEIR_KSTAT__MAX] = {
#define KSTAT_NAME(id, name) [WEIR_KSTAT_##id] = name,
	WEIR_KSTATS(KSTAT_NAME)
#undef KSTAT_NAME
};

const char *source_bpf_kstat_name(unsigned int id)
{
	return id < WEIR_KSTAT__MAX ? kstat_names[id] : NULL;
}

static const char *const mode_names[] = {
	[SOURCE_BPF_MODE_XDP] = "xdp",
	[SOURCE_BPF_MODE_TC] = "tc",
	[SOURCE_BPF_MODE_OVERLAY] = "overlay",
	[SOURCE_BPF_MODE_UPLINK] = "uplink",
};

const char *source_bpf_mode_name(enum source_bpf_mode mode)
{
	if ((unsigned int)mode >= sizeof(mode_names) / sizeof(mode_names[0]))
		return "?";
	return mode_names[mode];
}

int source_bpf_mode_parse(const char *s, enum source_bpf_mode *mode)
{
	unsigned int i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (!strcmp(s, mode_names[i])) {
			*mode = i;
			return 0;
		}
	}
	return -EINVAL;
}

int64_t source_bpf_mono_to_unix_ns(void)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return ((int64_t)real.tv_sec - mono.tv_sec) * 1000000000LL +
	       ((int64_t)real.tv_nsec - mono.tv_nsec);
}

/*
 * libbpf prints a failed program's whole verifier log in one message; the
 * reason is at its end, so long messages keep their tail.
 */
#define LIBBPF_MSG_TAIL 3072

static int sb_libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	char *msg = NULL;
	const char *shown;
	int len;

	if (lvl == LIBBPF_DEBUG && log_get_level() < LOG_LEVEL_DEBUG)
		return 0;
	len = vasprintf(&msg, fmt, ap);
	if (len < 0)
		return 0;
	shown = len > LIBBPF_MSG_TAIL ? msg + len - LIBBPF_MSG_TAIL : msg;
	/* netlink extack of a failed TC call ("Exclusivity flag on" when the
	 * clsact qdisc exists): the caller reports real failures itself */
	if (lvl == LIBBPF_WARN && !strstr(msg, "Kernel error message"))
		pr_warn("%s%s", shown == msg ? "" : "...", shown);
	else
		pr_debug("%s", shown);
	free(msg);
	return 0;
}

void source_bpf_log_libbpf(void)
{
	libbpf_set_print(sb_libbpf_print);
}

struct sensor_bpf *source_bpf__skel(struct source_bpf *sb)
{
	return sb->skel;
}

static int sb_rings_create(struct source_bpf *sb, uint32_t ring_bytes)
{
	int outer = bpf_map__fd(sb->skel->maps.rings);
	uint32_t i;
	int fd;

	for (i = 0; i < sb->n_shards; i++) {
		char name[16]; /* BPF_OBJ_NAME_LEN */

		snprintf(name, sizeof(name), "weir_ring%u", i % 100);
		fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, name, 0, 0, ring_bytes, NULL);
		if (fd < 0) {
			pr_warn("create ring %u (%u bytes): %s\n", i, ring_bytes, strerror(errno));
			return -errno;
		}
		sb->shards[i].map_fd = fd;
		if (bpf_map_update_elem(outer, &i, &fd, BPF_ANY)) {
			pr_warn("install ring %u: %s\n", i, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

struct source_bpf *source_bpf__new(const struct source_bpf_opts *opts)
{
	uint32_t ring_bytes = opts->ring_bytes ? opts->ring_bytes : SOURCE_BPF_RING_DEFAULT;
	long page = sysconf(_SC_PAGESIZE);
	struct source_bpf *sb;
	uint32_t i;
	int err;

	if (!opts->n_shards || opts->n_shards > WEIR_WORKERS_MAX ||
	    ring_bytes & (ring_bytes - 1) || ring_bytes < page) {
		errno = EINVAL;
		return NULL;
	}
	sb = calloc(1, sizeof(*sb));
	if (!sb)
		return NULL;
	sb->n_shards = opts->n_shards;
	sb->xdp_generic = opts->xdp_generic;
	for (i = 0; i < WEIR_WORKERS_MAX; i++) {
		sb->shards[i].sb = sb;
		sb->shards[i].map_fd = -1;
	}

	sb->skel = sensor_bpf__open();
	if (!sb->skel) {
		err = -errno;
		pr_warn("open BPF skeleton: %s\n", strerror(-err));
		goto fail;
	}
	err = sensor_bpf__load(sb->skel);
	if (err) {
		pr_warn("load BPF programs: %s%s\n", strerror(-err),
			err == -EPERM ? " (needs root or CAP_BPF + CAP_NET_ADMIN)" : "");
		goto fail;
	}
	err = sb_rings_create(sb, ring_bytes);
	if (err)
		goto fail;
	err = source_bpf__set_config(sb, &opts->cfg);
	if (err)
		goto fail;
	return sb;
fail:
	source_bpf__free(sb);
	errno = -err;
	return NULL;
}

int source_bpf__set_config(struct source_bpf *sb, const struct weir_kcfg *cfg)
{
	struct weir_kcfg c = *cfg;
	uint32_t zero = 0;

	c.n_shards = sb->n_shards;
	if (!c.snaplen || c.snaplen > WEIR_SNAPLEN_MAX)
		c.snaplen = WEIR_SNAPLEN_MAX;
	if (bpf_map_update_elem(bpf_map__fd(sb->skel->maps.cfg_map), &zero, &c, BPF_ANY))
		return -errno;
	return 0;
}

int source_bpf__get_config(struct source_bpf *sb, struct weir_kcfg *cfg)
{
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(sb->skel->maps.cfg_map), &zero, cfg))
		return -errno;
	return 0;
}

/* --- rings ------------------------------------------------------------- */

static int sb_ring_cb(void *ctx, void *data, size_t size)
{
	struct sb_shard *sh = ctx;
	const struct weir_rec *rec = data;

	/* The kernel writes cap_len <= the reserved room; check anyway, a bad
	 * record must not make a worker read past the ring. */
	if (size < sizeof(*rec) || rec->cap_len > size - sizeof(*rec)) {
		sh->dropped++;
		return 0;
	}
	return sh->fn(sh->ctx, rec, (const uint8_t *)(rec + 1));
}

int source_bpf__shard_start(struct source_bpf *sb, uint32_t shard, source_bpf_rec_fn fn,
			    void *ctx)
{
	struct sb_shard *sh;

	if (shard >= sb->n_shards || !fn)
		return -EINVAL;
	sh = &sb->shards[shard];
	if (sh->rb)
		return -EEXIST;
	sh->fn = fn;
	sh->ctx = ctx;
	sh->rb = ring_buffer__new(sh->map_fd, sb_ring_cb, sh, NULL);
	if (!sh->rb)
		return -errno;
	return 0;
}

static struct ring_buffer *sb_shard_rb(struct source_bpf *sb, uint32_t shard)
{
	return shard < sb->n_shards ? sb->shards[shard].rb : NULL;
}

int source_bpf__shard_poll(struct source_bpf *sb, uint32_t shard, int timeout_ms)
{
	struct ring_buffer *rb = sb_shard_rb(sb, shard);
	int n;

	if (!rb)
		return -EINVAL;
	n = ring_buffer__poll(rb, timeout_ms);
	/* poll only consumes when woken; the kernel batches wake-ups, so a
	 * timeout must also drain what is below the wake-up threshold */
	if (n == 0)
		n = ring_buffer__consume(rb);
	return n;
}

int source_bpf__shard_consume(struct source_bpf *sb, uint32_t shard)
{
	struct ring_buffer *rb = sb_shard_rb(sb, shard);

	return rb ? ring_buffer__consume(rb) : -EINVAL;
}

int source_bpf__shard_epoll_fd(struct source_bpf *sb, uint32_t shard)
{
	struct ring_buffer *rb = sb_shard_rb(sb, shard);

	return rb ? ring_buffer__epoll_fd(rb) : -EINVAL;
}

uint64_t source_bpf__shard_dropped(struct source_bpf *sb, uint32_t shard)
{
	return shard < sb->n_shards ? sb->shards[shard].dropped : 0;
}

/* --- attach ------------------------------------------------------------ */

static int tc_attach(int ifindex, enum bpf_tc_attach_point ap, int prog_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = ap);
	/* REPLACE: a filter left by a killed sensor has our handle and prio and
	 * is swapped for the new program in one step, with no gap. */
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SOURCE_BPF_TC_HANDLE,
			    .priority = SOURCE_BPF_TC_PRIO, .prog_fd = prog_fd,
			    .flags = BPF_TC_F_REPLACE);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &opts);
}

static int tc_detach(int ifindex, enum bpf_tc_attach_point ap)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = ap);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SOURCE_BPF_TC_HANDLE,
			    .priority = SOURCE_BPF_TC_PRIO);

	return bpf_tc_detach(&hook, &opts);
}

int source_bpf_tc_remove_stale(int ifindex)
{
	int n = 0, err;

	err = tc_detach(ifindex, BPF_TC_INGRESS);
	if (!err)
		n++;
	else if (err == -ENODEV)
		return err;
	if (!tc_detach(ifindex, BPF_TC_EGRESS))
		n++;
	return n;
}

int source_bpf_tc_remove_stale_all(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int n = 0, ret;

	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index; i++) {
		ret = source_bpf_tc_remove_stale((int)i->if_index);
		if (ret > 0) {
			pr_info("removed %d stale TC filter(s) from %s\n", ret, i->if_name);
			n += ret;
		}
	}
	if_freenameindex(ifs);
	return n;
}

static struct sb_attach *sb_find(struct source_bpf *sb, int ifindex)
{
	uint32_t i;

	for (i = 0; i < sb->n_att; i++)
		if (sb->att[i].ifindex == ifindex)
			return &sb->att[i];
	return NULL;
}

static void sb_undo(struct sb_attach *a)
{
	/* errors are ignored: a vanished interface took its programs along */
	if (a->xdp_link_fd >= 0)
		close(a->xdp_link_fd);
	a->xdp_link_fd = -1;
	if (a->tc_ingress)
		tc_detach(a->ifindex, BPF_TC_INGRESS);
	if (a->tc_egress)
		tc_detach(a->ifindex, BPF_TC_EGRESS);
	a->tc_ingress = a->tc_egress = false;
}

int source_bpf__attach(struct source_bpf *sb, int ifindex, enum source_bpf_mode mode)
{
	struct sensor_bpf *s = sb->skel;
	struct sb_attach a = { .ifindex = ifindex, .mode = mode, .xdp_link_fd = -1 };
	const struct bpf_program *xdp = NULL;
	int err = 0;

	if (sb_find(sb, ifindex))
		return 0;
	if (sb->n_att == sb->cap_att) {
		uint32_t ncap = sb->cap_att ? sb->cap_att * 2 : 16;
		struct sb_attach *na = realloc(sb->att, ncap * sizeof(*na));

		if (!na)
			return -ENOMEM;
		sb->att = na;
		sb->cap_att = ncap;
	}

	switch (mode) {
	case SOURCE_BPF_MODE_XDP:
		xdp = s->progs.sensor_xdp;
		break;
	case SOURCE_BPF_MODE_UPLINK:
		xdp = s->progs.sensor_xdp_uplink;
		break;
	case SOURCE_BPF_MODE_TC:
	case SOURCE_BPF_MODE_OVERLAY:
		break;
	default:
		return -EINVAL;
	}

	if (xdp) {
		/* A BPF link, not a netlink attachment: it goes away with the
		 * process, so a crashed sensor leaves no XDP program behind. */
		DECLARE_LIBBPF_OPTS(bpf_link_create_opts, lo,
				    .flags = sb->xdp_generic ? XDP_FLAGS_SKB_MODE : 0);

		a.xdp_link_fd = bpf_link_create(bpf_program__fd(xdp), ifindex, BPF_XDP, &lo);
		if (a.xdp_link_fd < 0) {
			err = -errno;
			goto fail;
		}
	}
	/* Hooks this mode does not use may still hold a filter of a sensor
	 * killed while running in another mode: it would record twice. */
	if (mode == SOURCE_BPF_MODE_TC || mode == SOURCE_BPF_MODE_OVERLAY) {
		const struct bpf_program *in = mode == SOURCE_BPF_MODE_OVERLAY ?
						       s->progs.sensor_tc_overlay_ingress :
						       s->progs.sensor_tc_ingress;

		err = tc_attach(ifindex, BPF_TC_INGRESS, bpf_program__fd(in));
		if (err)
			goto fail;
		a.tc_ingress = true;
	} else {
		tc_detach(ifindex, BPF_TC_INGRESS);
	}
	if (mode != SOURCE_BPF_MODE_UPLINK) {
		err = tc_attach(ifindex, BPF_TC_EGRESS, bpf_program__fd(s->progs.sensor_tc_egress));
		if (err)
			goto fail;
		a.tc_egress = true;
	} else {
		tc_detach(ifindex, BPF_TC_EGRESS);
	}
	sb->att[sb->n_att++] = a;
	return 0;
fail:
	sb_undo(&a);
	return err;
}

int source_bpf__attach_name(struct source_bpf *sb, const char *ifname,
			    enum source_bpf_mode mode)
{
	unsigned int ifindex = if_nametoindex(ifname);

	if (!ifindex)
		return -ENODEV;
	return source_bpf__attach(sb, (int)ifindex, mode);
}

int source_bpf__detach(struct source_bpf *sb, int ifindex)
{
	struct sb_attach *a = sb_find(sb, ifindex);

	if (!a)
		return -ENOENT;
	sb_undo(a);
	*a = sb->att[--sb->n_att];
	return 0;
}

uint32_t source_bpf__n_attached(const struct source_bpf *sb)
{
	return sb->n_att;
}

/* --- maps -------------------------------------------------------------- */

static int sb_ep_key(int family, const void *addr, struct weir_kaddr *k)
{
	memset(k, 0, sizeof(*k));
	if (family == AF_INET) {
		/* v4-mapped, as the programs build their keys */
		k->addr[10] = 0xff;
		k->addr[11] = 0xff;
		memcpy(&k->addr[12], addr, 4);
		return 0;
	}
	if (family == AF_INET6) {
		memcpy(k->addr, addr, 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

int source_bpf__local_ep_add(struct source_bpf *sb, int family, const void *addr,
			     uint32_t ifindex)
{
	struct weir_kaddr k;
	int err = sb_ep_key(family, addr, &k);

	if (err)
		return err;
	if (bpf_map_update_elem(bpf_map__fd(sb->skel->maps.local_ep_map), &k, &ifindex, BPF_ANY))
		return -errno;
	return 0;
}

int source_bpf__local_ep_del(struct source_bpf *sb, int family, const void *addr)
{
	struct weir_kaddr k;
	int err = sb_ep_key(family, addr, &k);

	if (err)
		return err;
	if (bpf_map_delete_elem(bpf_map__fd(sb->skel->maps.local_ep_map), &k))
		return -errno;
	return 0;
}

int source_bpf__local_ep_del_ifindex(struct source_bpf *sb, uint32_t ifindex)
{
	int fd = bpf_map__fd(sb->skel->maps.local_ep_map);
	struct weir_kaddr *keys, cur, next;
	uint32_t n = 0, i, val;
	bool first = true;
	int removed = 0;

	/* collect first: deleting while walking restarts the walk */
	keys = calloc(WEIR_LOCAL_EP_MAX, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, first ? NULL : &cur, &next)) {
		first = false;
		cur = next;
		if (n < WEIR_LOCAL_EP_MAX && !bpf_map_lookup_elem(fd, &cur, &val) && val == ifindex)
			keys[n++] = cur;
	}
	for (i = 0; i < n; i++)
		removed += !bpf_map_delete_elem(fd, &keys[i]);
	free(keys);
	return removed;
}

/* Addresses a pod has on one interface: a handful in practice. */
#define SB_SYNC_MAX 32

struct sb_sync {
	struct weir_kaddr k[SB_SYNC_MAX];
	int n;
};

static void sb_sync_addr(void *ctx, int family, const void *addr)
{
	struct sb_sync *sy = ctx;

	if (sy->n < SB_SYNC_MAX && !sb_ep_key(family, addr, &sy->k[sy->n]))
		sy->n++;
}

static bool sb_sync_has(const struct sb_sync *sy, const struct weir_kaddr *k)
{
	int i;

	for (i = 0; i < sy->n; i++)
		if (!memcmp(&sy->k[i], k, sizeof(*k)))
			return true;
	return false;
}

int source_bpf__local_ep_sync(struct source_bpf *sb, int ifindex)
{
	int fd = bpf_map__fd(sb->skel->maps.local_ep_map);
	struct weir_kaddr cur, next, stale[SB_SYNC_MAX];
	uint32_t val, idx = (uint32_t)ifindex;
	struct sb_sync sy = { .n = 0 };
	int i, n = 0, ret;
	bool first = true;

	ret = source_iface_peer_addrs(ifindex, sb_sync_addr, &sy);
	if (ret < 0)
		return ret;
	/* add first, then drop what the pod no longer has: no window in
	 * which a current address is missing */
	for (i = 0; i < sy.n; i++)
		if (bpf_map_update_elem(fd, &sy.k[i], &idx, BPF_ANY))
			return -errno;
	while (!bpf_map_get_next_key(fd, first ? NULL : &cur, &next)) {
		first = false;
		cur = next;
		if (n < SB_SYNC_MAX && !bpf_map_lookup_elem(fd, &cur, &val) && val == idx &&
		    !sb_sync_has(&sy, &cur))
			stale[n++] = cur;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	return sy.n;
}

int source_bpf__read_kstats(struct source_bpf *sb, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(sb->skel->maps.stats_pcpu);
	uint64_t *vals;
	uint32_t id;
	int c, err = 0;

	if (ncpu < 0)
		return ncpu;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (id = 0; id < WEIR_KSTAT__MAX; id++) {
		if (bpf_map_lookup_elem(fd, &id, vals)) {
			err = -errno;
			break;
		}
		out[id] = 0;
		for (c = 0; c < ncpu; c++)
			out[id] += vals[c];
	}
	free(vals);
	return err;
}

void source_bpf__free(struct source_bpf *sb)
{
	uint32_t i;

	if (!sb)
		return;
	for (i = 0; i < sb->n_att; i++)
		sb_undo(&sb->att[i]);
	free(sb->att);
	for (i = 0; i < WEIR_WORKERS_MAX; i++) {
		ring_buffer__free(sb->shards[i].rb);
		if (sb->shards[i].map_fd >= 0)
			close(sb->shards[i].map_fd);
	}
	sensor_bpf__destroy(sb->skel);
	free(sb);
}
