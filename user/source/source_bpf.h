/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * source_bpf.h - the loader of the live sensor: opens and loads the BPF
 * skeleton (kern/sensor.bpf.c), creates one ring buffer per worker shard,
 * attaches the programs to interfaces, and exposes the run-time config, the
 * local endpoint map and the kernel counters.
 *
 * Record layout and counter ids are in include/weir/abi.h; interface
 * discovery (netlink, globs) is in source_iface.h; what a worker does with a
 * record is the pipeline's business (user/core/pipeline.h).
 *
 * Threads: the control thread owns the struct source_bpf (new, attach,
 * detach, config, endpoints, counters, free). Each shard's ring is polled
 * and consumed by exactly one worker thread; shards are independent.
 */
#ifndef WEIR_SOURCE_BPF_H
#define WEIR_SOURCE_BPF_H

#include <stdbool.h>
#include <stdint.h>

#include <weir/abi.h>

/* How an interface is watched (DESIGN.md §4). */
enum source_bpf_mode {
	SOURCE_BPF_MODE_XDP,	 /* host-side veth: XDP ingress + TC egress */
	SOURCE_BPF_MODE_TC,	 /* host-side veth: TC ingress + TC egress */
	SOURCE_BPF_MODE_OVERLAY, /* flannel.1, cilium_vxlan...: TC both, inner frames */
	SOURCE_BPF_MODE_UPLINK,	 /* physical NIC: XDP, VXLAN/Geneve decapsulated */
};

/*
 * TC filters are attached through netlink and outlive a killed sensor, so
 * every Weir filter carries this handle and priority: a new start replaces
 * or removes exactly its own filters and no one else's.
 */
#define SOURCE_BPF_TC_HANDLE 0x5745 /* "WE" */
#define SOURCE_BPF_TC_PRIO   0x4952 /* "IR" */

struct source_bpf_opts {
	uint32_t n_shards;   /* ring shards (= workers), 1..WEIR_WORKERS_MAX */
	uint32_t ring_bytes; /* per shard, a power of two >= page size; 0 = 4 MiB */
	bool xdp_generic;    /* attach XDP in generic (skb) mode: keeps TSO on veths */
	struct weir_kcfg cfg;/* initial run-time config; n_shards is set from above */
};

struct source_bpf;
struct sensor_bpf;

/*
 * source_bpf_rec_fn - called once per record, on the thread that polls the
 * shard. @rec and @frame point into the ring and are valid only during the
 * call; @frame holds rec->cap_len bytes from L2. A negative return stops the
 * current poll/consume call and is returned by it.
 */
typedef int (*source_bpf_rec_fn)(void *ctx, const struct weir_rec *rec, const uint8_t *frame);

/*
 * source_bpf__new() - open the skeleton, load it (the verifier log goes to
 * the libbpf print hook on failure), create and install the shard rings and
 * write the initial config. Nothing is attached yet.
 * Return: a loader owned by the caller (free with source_bpf__free()), or
 * NULL with errno set (EPERM without CAP_BPF, EINVAL for bad opts).
 */
struct source_bpf *source_bpf__new(const struct source_bpf_opts *opts);

/* source_bpf__free() - detach from every interface, free rings and programs. NULL-safe. */
void source_bpf__free(struct source_bpf *sb);

/*
 * source_bpf__shard_start() - create the ring reader of @shard, calling
 * @fn(@ctx, ...) for each record. Call before the shard's worker polls.
 * Return: 0, -EINVAL (bad shard), -EEXIST (already started), -ENOMEM.
 */
int source_bpf__shard_start(struct source_bpf *sb, uint32_t shard, source_bpf_rec_fn fn,
			    void *ctx);

/*
 * source_bpf__shard_poll() - wait up to @timeout_ms for a wake-up, then
 * consume every record of @shard. Wake-ups are batched in the kernel
 * (wakeup_bytes), so a worker must poll with a short timeout: records below
 * the threshold are only read when the timeout expires. Worker thread.
 * Return: records handled (>= 0), -EINTR, or the callback's negative value.
 */
int source_bpf__shard_poll(struct source_bpf *sb, uint32_t shard, int timeout_ms);

/* source_bpf__shard_consume() - consume without waiting. Return: as shard_poll(). */
int source_bpf__shard_consume(struct source_bpf *sb, uint32_t shard);

/* source_bpf__shard_epoll_fd() - fd to wait on for @shard, or -EINVAL. */
int source_bpf__shard_epoll_fd(struct source_bpf *sb, uint32_t shard);

/* source_bpf__shard_dropped() - records the reader rejected as malformed. */
uint64_t source_bpf__shard_dropped(struct source_bpf *sb, uint32_t shard);

/*
 * source_bpf__attach() - attach to @ifindex in @mode. XDP goes through a
 * BPF link (auto-detached if the sensor dies); TC filters are created (or
 * replace a stale Weir filter) with SOURCE_BPF_TC_HANDLE/PRIO, and a stale
 * Weir filter on a hook the mode does not use is removed.
 * Attaching an interface already attached is a no-op.
 * Return: 0, -ENODEV (gone), -EBUSY (another XDP program), -errno.
 */
int source_bpf__attach(struct source_bpf *sb, int ifindex, enum source_bpf_mode mode);

/* source_bpf__attach_name() - same by interface name. Return: as attach, -ENODEV if unknown. */
int source_bpf__attach_name(struct source_bpf *sb, const char *ifname,
			    enum source_bpf_mode mode);

/*
 * source_bpf__detach() - remove what this loader attached to @ifindex. An
 * interface that vanished is not an error (its programs went with it).
 * Return: 0, or -ENOENT if it was not attached.
 */
int source_bpf__detach(struct source_bpf *sb, int ifindex);

/* source_bpf__n_attached() - interfaces currently attached. */
uint32_t source_bpf__n_attached(const struct source_bpf *sb);

/*
 * source_bpf_tc_remove_stale() - remove Weir TC filters (by handle/prio)
 * from both hooks of @ifindex, left by a sensor that was killed. Leaves the
 * clsact qdisc and every other filter alone. Return: filters removed, or -errno.
 */
int source_bpf_tc_remove_stale(int ifindex);

/*
 * source_bpf_tc_remove_stale_all() - source_bpf_tc_remove_stale() on every
 * interface of the network namespace; call once at start, before attaching.
 * Return: filters removed, or -errno if the interfaces cannot be listed.
 */
int source_bpf_tc_remove_stale_all(void);

/*
 * source_bpf__set_config() - replace the run-time config (the governor's
 * lever). n_shards is forced to the loader's shard count; snaplen 0 or
 * above WEIR_SNAPLEN_MAX becomes WEIR_SNAPLEN_MAX. Return: 0 or -errno.
 */
int source_bpf__set_config(struct source_bpf *sb, const struct weir_kcfg *cfg);

/* source_bpf__get_config() - the config as the kernel sees it. Return: 0 or -errno. */
int source_bpf__get_config(struct source_bpf *sb, struct weir_kcfg *cfg);

/*
 * source_bpf__local_ep_add() / _del() - local pod addresses for "record once
 * per node". @family AF_INET (@addr 4 bytes) or AF_INET6 (16), network order.
 * Return: 0, -EAFNOSUPPORT, -E2BIG (map full), -ENOENT (del of unknown).
 */
int source_bpf__local_ep_add(struct source_bpf *sb, int family, const void *addr,
			     uint32_t ifindex);
int source_bpf__local_ep_del(struct source_bpf *sb, int family, const void *addr);

/*
 * source_bpf__local_ep_del_ifindex() - forget every endpoint added with
 * @ifindex (its pod veth is gone). Return: entries removed, or -errno.
 */
int source_bpf__local_ep_del_ifindex(struct source_bpf *sb, uint32_t ifindex);

/*
 * source_bpf__local_ep_sync() - make the endpoints of pod veth @ifindex the
 * addresses configured on its peer, in the pod's namespace
 * (source_iface_peer_addrs()): new ones added, vanished ones removed. A pod
 * gets its address after its veth appears and changes it without any event
 * on the host side, so call it on every event of a pod veth and again
 * periodically (every few seconds) for each attached pod veth.
 * Return: addresses now known for @ifindex, or -errno.
 */
int source_bpf__local_ep_sync(struct source_bpf *sb, int ifindex);

/*
 * source_bpf__read_kstats() - kernel counters summed over CPUs into
 * @out[WEIR_KSTAT__MAX]. Return: 0 or -errno.
 */
int source_bpf__read_kstats(struct source_bpf *sb, uint64_t *out);

/* source_bpf_kstat_name() - "kernel.lost.ring_full" for id, or NULL. */
const char *source_bpf_kstat_name(unsigned int id);

/* source_bpf_mode_name() / _parse() - "xdp", "tc", "overlay", "uplink". Parse: 0 or -EINVAL. */
const char *source_bpf_mode_name(enum source_bpf_mode mode);
int source_bpf_mode_parse(const char *s, enum source_bpf_mode *mode);

/*
 * source_bpf_mono_to_unix_ns() - offset to add to a record's ts_ns
 * (CLOCK_MONOTONIC) to get ns since the Unix epoch. Take it once at start.
 */
int64_t source_bpf_mono_to_unix_ns(void);

/* source_bpf_log_libbpf() - route libbpf messages to pr_*(); DEBUG only at -v -v. */
void source_bpf_log_libbpf(void);

/* source_bpf__skel() - the skeleton, for tests and benches (program fds, maps). */
struct sensor_bpf *source_bpf__skel(struct source_bpf *sb);

#endif /* WEIR_SOURCE_BPF_H */
