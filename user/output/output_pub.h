/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * output_pub.h - the event transport: the envelope every event carries, the
 * msgpack encoding of an EVE object, the nanomsg publisher and `weir tail`.
 *
 * One event model, two encodings. output_eve_json() (output.h) builds the EVE
 * object; output_envelope_stamp() appends the transport keys
 *
 *	"schema": OUTPUT_SCHEMA_VERSION, "sensor_id": "<16 hex>", "seq": N
 *
 * at its end; the EVE writer prints that object as a line and the publisher
 * packs the very same object as one msgpack map (same keys, same order, same
 * nesting), so the two encodings cannot drift. `weir tail` unpacks a message
 * back into a jansson object and prints it with the writer's json_dumpb()
 * flags: its line is byte-identical to the sensor's EVE line for that event.
 *
 * seq is per publisher (per sensor process), strictly increasing from 1;
 * sensor_id is random per process start, so a consumer keys seq by sensor_id
 * and sees a restart as a new sensor_id (or seq going back), not as loss.
 *
 * Layers, pure to impure: the encoder/decoder (output_mp_*, no I/O: unit
 * tests and the fuzzer call them), the publisher (struct output_pub, owns
 * one NN_PUB socket), and the tail command (output_tail_main()).
 *
 * Threads: a struct output_mp, output_mp_dec or output_pub belongs to one
 * thread (the pipeline's output thread for the publisher).
 */
#ifndef WEIR_OUTPUT_PUB_H
#define WEIR_OUTPUT_PUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "core/stats.h"
#include "output/event.h"
#include "output/output.h"

/* Bumped when a key changes meaning or disappears (adding keys does not). */
#define OUTPUT_SCHEMA_VERSION 1
#define OUTPUT_PUB_DEFAULT_URL "ipc:///run/weir/events.ipc"
#define OUTPUT_PUB_URLS_MAX 16
#define OUTPUT_PUB_SNDBUF_DEFAULT (8u << 20)
/* "sensor_id": 16 lowercase hex digits + NUL */
#define OUTPUT_SENSOR_ID_LEN 17

/* --- envelope -------------------------------------------------------- */

/* Identity of one sensor process and its sequence counter. */
struct output_envelope {
	char sensor_id[OUTPUT_SENSOR_ID_LEN];
	uint64_t seq;            /* last seq stamped; the next event gets seq + 1 */
};

/*
 * output_envelope_init() - new identity: a random 64-bit sensor_id (getrandom,
 * falling back to time ^ pid), seq 0.
 */
void output_envelope_init(struct output_envelope *env);

/*
 * output_envelope_stamp() - append "schema", "sensor_id" and "seq" (++seq) to
 * the EVE object @obj. seq is consumed only on success.
 * Return: 0, or -ENOMEM.
 */
int output_envelope_stamp(struct output_envelope *env, json_t *obj);

/* --- msgpack encoding (pure) ----------------------------------------- */

struct output_mp;

/* output_mp__new() - an encoder with a reusable buffer. Return: NULL + errno on failure. */
struct output_mp *output_mp__new(void);

/*
 * output_mp_encode() - pack @obj (an EVE object, stamped or not) as one
 * msgpack map: objects -> maps (key order kept), arrays -> arrays, strings ->
 * str (the top-level "payload" base64 string -> bin), integers -> int/uint,
 * reals -> float64, true/false/null -> bool/nil. The bytes stay valid in
 * the encoder's buffer until the next call; nothing is allocated per event
 * once the buffer has grown to the largest event.
 * Return: 0 with *@data and *@len set, -EINVAL (not an object, more than 16 nested
 * containers, or a payload that is not base64), -ENOMEM.
 */
int output_mp_encode(struct output_mp *mp, const json_t *obj, const char **data, size_t *len);

void output_mp__free(struct output_mp *mp);

struct output_mp_dec;

/* output_mp_dec__new() - a decoder with a reusable msgpack zone. */
struct output_mp_dec *output_mp_dec__new(void);

/*
 * output_mp_decode() - one message (@len bytes) back into the EVE object.
 * The message must be exactly one msgpack map with string keys; bin becomes
 * base64 text; ext, non-string keys, strings that are not UTF-8, trailing
 * bytes, more than 16 nested containers and counts larger than the message could
 * hold are rejected before anything is allocated for them.
 * Return: a new reference (caller json_decref()s), or NULL with errno
 * EBADMSG (garbage) or ENOMEM.
 */
json_t *output_mp_decode(struct output_mp_dec *d, const void *data, size_t len);

/*
 * output_mp_decode_next() - the first map of a batch (several maps back to
 * back in one message, output_pub_opts.batch_bytes); *@used = its length.
 * Return: as output_mp_decode() (trailing bytes are the next maps).
 */
json_t *output_mp_decode_next(struct output_mp_dec *d, const void *data, size_t len,
			      size_t *used);

void output_mp_dec__free(struct output_mp_dec *d);

/*
 * output_eve_dump() - serialise @obj as the EVE writer does (compact, keys in
 * insertion order), followed by '\n', into *@buf (grown with realloc as
 * needed; *@cap its size). Return: line length including '\n', or 0 (ENOMEM).
 */
size_t output_eve_dump(const json_t *obj, char **buf, size_t *cap);

/* --- publisher (nanomsg NN_PUB) -------------------------------------- */

struct output_pub_opts {
	const char *const *urls; /* ipc:// or tcp:// endpoints to bind */
	size_t n_urls;           /* 0 = OUTPUT_PUB_DEFAULT_URL; max OUTPUT_PUB_URLS_MAX */
	const char *ipc_group;   /* group owning ipc socket files; NULL = ours */
	size_t sndbuf;           /* NN_SNDBUF bytes; 0 = 8 MiB */
	/*
	 * Wait up to this long in output_pub__new() for a first subscriber
	 * (0 = do not wait). PUB sends to whoever is connected at the time, and
	 * a subscriber that was started first still needs up to its reconnect
	 * interval (100 ms) to find a new socket: `weir replay --publish` into
	 * a waiting `weir tail` would otherwise lose its first events.
	 */
	unsigned wait_ms;
	/*
	 * 0 (default): one event per message, one msgpack map. Else batch:
	 * maps back to back in one message of up to this many bytes, sent when
	 * full or at output_pub_flush() (the EVE writer's output__flush(), on
	 * the pipeline's tick). Saves nanomsg's per-message syscalls; consumers
	 * must read every map of a message (weir tail does).
	 */
	size_t batch_bytes;
	/* For output_pub_send() only (the writer passes its own object): */
	const char *host;        /* node name for "host", may be NULL */
	uint16_t cid_seed;       /* Community ID seed */
	struct weir_stats *stats;/* counters (kept, not owned); NULL = the pub's own */
};

struct output_pub;

/*
 * output_pub__new() - one NN_PUB socket bound to every URL. For ipc://PATH
 * the directory of PATH is created (0750) when missing and the socket file
 * gets mode 0660 and group @o->ipc_group. A URL that is not ipc:// or
 * tcp://, cannot be bound, or a group that does not exist fails the whole
 * publisher with a one-line reason (pr_warn) naming the URL.
 * Return: the publisher, or NULL with errno (EINVAL bad URL or group,
 * EADDRINUSE, EACCES, ENOMEM, ...).
 */
struct output_pub *output_pub__new(const struct output_pub_opts *o);

/*
 * output_pub_send() - encode @ev (output_eve_json() + this publisher's own
 * envelope) and send it without blocking. Use it when no EVE writer carries
 * the publisher; a writer with output_opts.pub set publishes by itself, with
 * the seq it printed in the line.
 * Counts output.publish.{sent,send_failed,encode_errors}.
 * Return: 0, -EINVAL (malformed event), -ENOMEM, -EAGAIN or another -errno
 * of nn_send() (counted in send_failed; the event is dropped).
 */
int output_pub_send(struct output_pub *pub, const struct weir_event *ev);

/*
 * output_pub_send_json() - pack and send an already stamped EVE object.
 * Counters go to @st (NULL = the publisher's). Return: as output_pub_send().
 */
int output_pub_send_json(struct output_pub *pub, const json_t *obj, struct weir_stats *st);

/*
 * output_pub_flush() - send the pending batch (no-op without batching).
 * Return: 0 or the -errno of nn_send() (the batch's events counted in
 * send_failed).
 */
int output_pub_flush(struct output_pub *pub);

/* output_pub_stats() - the publisher's own counters (see output_pub_opts.stats). */
struct weir_stats *output_pub_stats(struct output_pub *pub);

/* output_pub_envelope() - the identity and seq output_pub_send() stamps. */
const struct output_envelope *output_pub_envelope(const struct output_pub *pub);

/* output_pub__free() - close the socket (NN_LINGER 1 s for queued messages) and
 * remove ipc socket files it created. NULL-safe. */
void output_pub__free(struct output_pub *pub);

/* --- weir tail ------------------------------------------------------- */

/*
 * The per-message logic of `weir tail`, apart from the socket so tests and
 * the fuzzer drive it: decode, check the envelope, track seq per sensor_id
 * (gaps and restarts reported on @err as they happen), print the EVE line
 * of the events whose type is in the filter on @out.
 */
#define OUTPUT_TAIL_ALERT 1u
#define OUTPUT_TAIL_FLOW  2u
#define OUTPUT_TAIL_STATS 4u

struct output_tail_counts {
	uint64_t received;       /* events (maps) and garbage messages */
	uint64_t printed;        /* lines written */
	uint64_t missed;         /* events lost, from seq gaps */
	uint64_t garbage;        /* messages that are not Weir events (skipped) */
	uint64_t restarts;       /* new sensor_id for a known host, or seq going back */
	uint64_t sensors;        /* sensor_ids seen */
	uint64_t untracked;      /* events past the sensor table's size (not sequenced) */
};

struct output_tail;

/* output_tail__new() - @types: OUTPUT_TAIL_* mask, 0 = all. Streams are kept, not owned. */
struct output_tail *output_tail__new(unsigned types, FILE *out, FILE *err);

/*
 * output_tail_message() - handle one received message of @len bytes (one
 * event, or a batch of maps back to back).
 * Return: the number of lines printed (0: all filtered or garbage, counted),
 * -ENOMEM or -EIO when a line could not be written.
 */
int output_tail_message(struct output_tail *t, const void *data, size_t len);

void output_tail_counts(const struct output_tail *t, struct output_tail_counts *c);

void output_tail__free(struct output_tail *t);

/*
 * output_tail_main() - `weir tail [--type alert,flow,stats] [--count N] URL...`
 * (argp; argv[0] is the program name for messages). Subscribes to every URL,
 * prints one EVE line per event on stdout, reports seq gaps per sensor on
 * stderr and a summary at exit (SIGINT/SIGTERM, or --count events printed).
 * Return: exit status (0, 1 on a runtime error, 2 on bad usage or URL).
 */
int output_tail_main(int argc, char **argv);

#endif /* WEIR_OUTPUT_PUB_H */
