// SPDX-License-Identifier: GPL-2.0-only
/*
 * output_writer.c - the EVE JSON writer: one compact JSON object per line.
 *
 * DESIGN. One writer, owned by the pipeline's output thread, so nothing here
 * takes a lock. Lines go through a large stdio buffer (256 KiB by default):
 * a write(2) per event would cost more than encoding it. The price is
 * latency, so the live sensor must call output__flush() on its tick (100 ms)
 * and replay at the end.
 *
 * Each object is serialised with json_dumpb() into a line buffer the writer
 * keeps (grown to the largest line seen, never shrunk) and handed to stdio
 * with one fwrite(): json_dumpf() does the same work but calls fwrite() per
 * token, which measured 10.6 us per alert line against 4.5 us for
 * json_dumpb() (jansson 2.14, 580-byte line).
 *
 * "-" writes to a duplicate of fd 1, so the writer owns (and closes) its own
 * FILE and its buffering does not depend on whether something else touched
 * stdout first. A file is opened for append: a restarted sensor continues
 * the file a forwarder is tailing.
 *
 * in_iface: resolving an ifindex is an ioctl on a socket. The writer keeps a
 * small direct-mapped cache of names, each entry trusted for a few seconds
 * only, because pods come and go and an ifindex is reused by the next veth.
 *
 * Errors are counted (output.write_errors) and returned; a failing event does
 * not stop later ones (a full disk may recover).
 *
 * Transport: each object gets the envelope (schema, sensor_id, seq; see
 * output_pub.h) before it is printed (opts.envelope, or a publisher), and with a publisher attached the very
 * same object is published as msgpack, so a subscriber's `weir tail` line is
 * byte-identical to this writer's line and carries the same seq. The object
 * is built once for both encodings.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "output/output.h"
#include "output/output_pub.h"

#define OUTPUT_BUF_DEFAULT (256u * 1024)
#define IFCACHE_SLOTS      64   /* power of 2 */
#define IFCACHE_TTL_S      5

struct ifcache_ent {
	uint32_t ifindex;       /* 0 = empty slot */
	bool known;             /* name valid; false: lookup failed ("ifN") */
	time_t at;              /* CLOCK_MONOTONIC_COARSE seconds of the lookup */
	char name[IF_NAMESIZE];
};

struct output {
	FILE *fp;               /* NULL: publish only */
	char *buf;              /* stdio buffer of fp */
	char *line;             /* one serialised event + '\n' */
	size_t line_cap;
	char *host;
	struct output_eve_opts eve;
	struct weir_stats *stats;
	struct weir_stats own_stats;
	struct output_pub *pub; /* not owned */
	struct output_envelope env;
	bool envelope;
	struct ifcache_ent ifcache[IFCACHE_SLOTS];
};

static const char *output_ifname(void *arg, uint32_t ifindex, char *buf)
{
	struct output *o = arg;
	struct ifcache_ent *e = &o->ifcache[ifindex & (IFCACHE_SLOTS - 1)];
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (e->ifindex != ifindex || now.tv_sec - e->at >= IFCACHE_TTL_S) {
		e->ifindex = ifindex;
		e->at = now.tv_sec;
		e->known = if_indextoname(ifindex, e->name) != NULL;
	}
	if (!e->known)
		return NULL;
	memcpy(buf, e->name, IF_NAMESIZE);
	return buf;
}

struct output *output__new(const struct output_opts *opts)
{
	size_t bufsz;
	struct output *o;
	int fd, err;

	if (!opts || ((!opts->path || !opts->path[0]) && !opts->pub)) {
		errno = EINVAL;
		return NULL;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->stats = opts->stats ? opts->stats : &o->own_stats;
	o->pub = opts->pub;
	o->envelope = opts->envelope || opts->pub;
	output_envelope_init(&o->env);
	o->eve.cid_seed = opts->cid_seed;
	o->eve.ifname = output_ifname;
	o->eve.ifname_arg = o;
	if (opts->host && opts->host[0]) {
		o->host = strdup(opts->host);
		if (!o->host)
			goto fail;
		o->eve.host = o->host;
	}

	if (!opts->path || !opts->path[0])
		return o;
	if (!strcmp(opts->path, "-")) {
		fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			pr_warn("EVE output: dup stdout: %s\n", strerror(errno));
			goto fail;
		}
		o->fp = fdopen(fd, "w");
		if (!o->fp) {
			err = errno;
			close(fd);
			errno = err;
		}
	} else {
		o->fp = fopen(opts->path, "ae");
	}
	if (!o->fp) {
		pr_warn("EVE output: open %s: %s\n", opts->path, strerror(errno));
		goto fail;
	}

	bufsz = opts->buf_size ? opts->buf_size : OUTPUT_BUF_DEFAULT;
	o->buf = malloc(bufsz);
	if (!o->buf || setvbuf(o->fp, o->buf, _IOFBF, bufsz)) {
		errno = ENOMEM;
		goto fail;
	}
	return o;

fail:
	err = errno;
	output__free(o);
	errno = err;
	return NULL;
}

/* Print @j as one line to the file. Return: 0 or -errno (counted). */
static int output_write_line(struct output *o, const json_t *j)
{
	size_t n = output_eve_dump(j, &o->line, &o->line_cap);
	int err;

	if (!n) {
		STAT_INC(o->stats, OUTPUT_WRITE_ERRORS);
		return -ENOMEM;
	}
	errno = 0;
	if (fwrite_unlocked(o->line, 1, n, o->fp) != n) {
		err = errno ? -errno : -EIO;
		STAT_INC(o->stats, OUTPUT_WRITE_ERRORS);
		clearerr(o->fp);
		return err;
	}
	return 0;
}

int output__write(struct output *o, const struct weir_event *ev)
{
	json_t *j;
	int err = 0;

	j = output_eve_json(ev, &o->eve);
	if (!j) {
		STAT_INC(o->stats, OUTPUT_WRITE_ERRORS);
		return errno == EINVAL ? -EINVAL : -ENOMEM;
	}
	if (o->envelope && output_envelope_stamp(&o->env, j)) {
		json_decref(j);
		STAT_INC(o->stats, OUTPUT_WRITE_ERRORS);
		return -ENOMEM;
	}
	if (o->fp)
		err = output_write_line(o, j);
	/* The publisher counts its own failures (output.publish.*). */
	if (o->pub) {
		int perr = output_pub_send_json(o->pub, j, o->stats);

		if (!o->fp)
			err = perr;
	}
	json_decref(j);
	if (err)
		return err;
	switch (ev->type) {
	case EVENT_ALERT:
		STAT_INC(o->stats, OUTPUT_EVENTS_ALERT);
		break;
	case EVENT_FLOW:
		STAT_INC(o->stats, OUTPUT_EVENTS_FLOW);
		break;
	case EVENT_STATS:
		STAT_INC(o->stats, OUTPUT_EVENTS_STATS);
		break;
	}
	return 0;
}

int output__flush(struct output *o)
{
	int err;

	/* A batching publisher sends what it holds on the same tick. */
	if (o->pub)
		output_pub_flush(o->pub);
	if (!o->fp || !fflush(o->fp))
		return 0;
	err = errno ? -errno : -EIO;
	STAT_INC(o->stats, OUTPUT_WRITE_ERRORS);
	clearerr(o->fp);
	return err;
}

struct weir_stats *output_stats(struct output *o)
{
	return o->stats;
}

const char *output_sensor_id(const struct output *o)
{
	return o->env.sensor_id;
}

void output__free(struct output *o)
{
	if (!o)
		return;
	/* A batch still held counts into o->stats, which goes away now. */
	if (o->pub)
		output_pub_flush(o->pub);
	if (o->fp) {
		if (fclose(o->fp))
			pr_warn("EVE output: close: %s\n", strerror(errno));
	}
	free(o->buf);
	free(o->line);
	free(o->host);
	free(o);
}
