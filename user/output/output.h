/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * output.h - the output stage: Community ID, EVE JSON encoding, the EVE writer.
 *
 * Three layers, pure to impure:
 *   output_community_id()  Community ID v1 of a tuple (pure);
 *   output_eve_json()      one struct weir_event as a jansson object with the
 *                          EVE keys in EVE order (pure apart from the optional
 *                          interface-name lookup); the msgpack encoder walks
 *                          this object so both encodings carry the same map;
 *   struct output          the writer: one compact JSON object per line to a
 *                          file (appended) or stdout, buffered.
 * The event model itself is in output/event.h; the nanomsg transport and the
 * msgpack encoder live in their own files of this directory.
 *
 * Threads: output_community_id() and output_eve_json() are thread-safe. A
 * struct output belongs to one thread (the pipeline's output thread).
 */
#ifndef WEIR_OUTPUT_H
#define WEIR_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/stats.h"
#include "output/event.h"

/* "1:" + base64 of a 20-byte SHA-1 (28 chars) + NUL */
#define OUTPUT_COMMUNITY_ID_LEN 31

/*
 * output_community_id() - Community ID v1 (corelight community-id-spec) of @t
 * with @seed, as "1:<base64 sha1>" in @buf of @len bytes.
 * Ports are hashed for TCP, UDP and SCTP; ICMP/ICMPv6 hash type and
 * counter-type (or code, for one-way messages) in their place; any other
 * protocol hashes addresses, protocol and padding only.
 * Return: 0, -EINVAL when @t has no IP tuple (ip_ver not 4 or 6), -ENOSPC when
 * @len < OUTPUT_COMMUNITY_ID_LEN, -EIO if libcrypto fails.
 */
int output_community_id(const struct event_tuple *t, uint16_t seed, char *buf, size_t len);

/*
 * Interface name lookup for "in_iface": write the name of @ifindex to @buf
 * (IF_NAMESIZE bytes) and return @buf, or return NULL when unknown (EVE then
 * prints "if<N>").
 */
typedef const char *(*output_ifname_fn)(void *arg, uint32_t ifindex, char *buf);

struct output_eve_opts {
	const char *host;        /* node name for "host"; NULL or "" = omitted */
	uint16_t cid_seed;       /* Community ID seed (0 = the spec's default) */
	output_ifname_fn ifname; /* NULL = if_indextoname() on each event */
	void *ifname_arg;
};

/*
 * output_eve_json() - @ev as an EVE JSON object (keys in EVE order; see
 * docs/eve.schema.json). @o may be NULL (no host, seed 0).
 * Unsigned counters above INT64_MAX are clamped to INT64_MAX (JSON consumers
 * and jansson use signed 64-bit integers); flow_id is printed masked to 51
 * bits as Suricata does, so JavaScript consumers keep it exact.
 * Return: a new reference the caller must json_decref(), or NULL with errno
 * ENOMEM, or EINVAL when @ev is malformed (unknown type, alert without sig,
 * stats event without counters).
 */
json_t *output_eve_json(const struct weir_event *ev, const struct output_eve_opts *o);

/*
 * output_eve_stats_object() - the "stats" object: {"uptime": @uptime_s, ...}
 * with counter @names[i] = @v[i] nested at its dots ("a.b.c" -> a{b{c}}), in
 * the order given. Counters of value 0 are included. Used by
 * output_eve_json() with the names of core/stats.h; exposed for tests.
 * Return: a new reference, or NULL when out of memory.
 */
json_t *output_eve_stats_object(const uint64_t *v, const char *const *names, size_t n,
				uint64_t uptime_s);

/*
 * output_eve_timestamp() - format @ts_ns (ns since the Unix epoch) as EVE's
 * "2026-11-29T15:19:09.123456+0000" (UTC) into @buf (at least
 * OUTPUT_TS_LEN bytes). Nanoseconds are truncated to microseconds, as a
 * packet's microsecond timestamp is, so a time never moves into the next
 * second. Return: @buf.
 */
#define OUTPUT_TS_LEN 32
char *output_eve_timestamp(uint64_t ts_ns, char *buf);

/* output_eve_proto_name() - EVE "proto" of IP protocol @proto: "TCP", "IPv6-ICMP",
 * "GRE", ... (Suricata's IANA names), or NULL when EVE prints the number. */
const char *output_eve_proto_name(uint8_t proto);

struct output_pub;

struct output_opts {
	const char *path;        /* "-" = stdout, else a file opened for append */
	const char *host;        /* node name for "host", may be NULL */
	uint16_t cid_seed;       /* Community ID seed */
	struct weir_stats *stats;/* counters to update (kept, not owned); NULL = the
				  * writer's own, see output_stats() */
	size_t buf_size;         /* stdio buffer; 0 = 256 KiB */
	/*
	 * Publisher (output/output_pub.h; kept, not owned: free it after the
	 * writer): every event written is also published, as the same object
	 * with the same seq. With @pub set, @path may be NULL (publish only).
	 */
	struct output_pub *pub;
	/*
	 * Append "schema", "sensor_id", "seq" (output_pub.h) to every line.
	 * Forced on when @pub is set, so the line and the published message
	 * are the same object.
	 */
	bool envelope;
};

struct output;

/*
 * output__new() - open the EVE writer described by @opts (copied; strings are
 * copied too). A new random sensor_id is chosen; seq starts at 1. Return: the writer, or NULL with errno set (EINVAL, ENOMEM,
 * or the error of opening @opts->path).
 */
struct output *output__new(const struct output_opts *opts);

/*
 * output__write() - append @ev as one JSON line: output_eve_json(), plus (with
 * opts.envelope or opts.pub) the keys "schema", "sensor_id", "seq"
 * (output_pub.h), seq counted by the writer from 1 for every event it
 * encodes; with a publisher, the same object is published. Output is buffered: call
 * output__flush() on a timer (the live sensor) and at the end.
 * Counts output.events.<type> on success, output.write_errors on failure.
 * Return: 0, -ENOMEM (event not encoded), -EINVAL (malformed event), or the
 * -errno of the failed write (-EIO when stdio does not say).
 */
int output__write(struct output *o, const struct weir_event *ev);

/* output__flush() - write buffered lines out. Return: 0 or -errno (counted). */
int output__flush(struct output *o);

/* output_stats() - the counters the writer updates. */
struct weir_stats *output_stats(struct output *o);

/* output_sensor_id() - the "sensor_id" this writer stamps (16 hex digits). */
const char *output_sensor_id(const struct output *o);

/* output__free() - flush and close (for "-", a duplicate of fd 1). NULL-safe. */
void output__free(struct output *o);

#endif /* WEIR_OUTPUT_H */
