// SPDX-License-Identifier: GPL-2.0-only
/*
 * output_nn.c - the event publisher: one nanomsg NN_PUB socket, msgpack out.
 *
 * DESIGN. Called from the pipeline's single output thread only, so no lock.
 * One NN_PUB socket is bound to every URL (nanomsg allows several endpoints
 * per socket): every subscriber of every URL sees one seq stream.
 *
 * Never block the pipeline: sends use NN_DONTWAIT. nanomsg's PUB copies the
 * message into each subscriber pipe that has room and silently skips the
 * pipes that are full, without telling the sender, so a stopped subscriber
 * costs the publisher nothing and loses messages. Hence a large NN_SNDBUF
 * (8 MiB: PLATFORM.md measured 46-82% loss at 300k msg/s with the 128 KiB
 * default, none with 8 MiB) and seq in every event, from which the
 * subscriber counts what it missed. What the sender can count, it does:
 * output.publish.{sent,bytes,send_failed,encode_errors,no_subscriber}.
 *
 * ipc:// endpoints are a Unix socket file: its directory is created 0750 if
 * missing (/run/weir by default) and the file made 0660 with the configured
 * group right after the bind, so SIEM forwarders in that group can connect
 * and nobody else can. (Between bind and chmod the file has the umask's
 * mode, but only the owner and the group can traverse a 0750 directory.)
 * nanomsg itself removes a stale file left by a crashed sensor at bind.
 *
 * Close: nanomsg 1.x ignores NN_LINGER and drops what is still queued when a
 * socket closes, so output_pub__free() waits a short while (bounded) when a
 * subscriber is connected, letting the last events (the final stats event
 * of a replay) reach it.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>

#include "core/log.h"
#include "output/output_pub.h"

#define PUB_LINGER_MS 200

struct output_pub {
	int sock;
	struct output_mp *mp;
	struct output_envelope env;
	struct output_eve_opts eve;
	char *host;
	struct weir_stats *stats;
	struct weir_stats own_stats;
	char *ipc_paths[OUTPUT_PUB_URLS_MAX];
	size_t n_ipc;
	/* batching (opts.batch_bytes): maps back to back, sent as one message */
	size_t batch_max;
	char *batch;
	size_t batch_len;
	uint64_t batch_n;
	struct weir_stats *batch_st; /* where the batch's events are counted */
};

/* mkdir -p of the directory holding @path; new directories get 0750. */
static int make_parent_dirs(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	size_t n = strlen(path);

	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, n + 1);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		bool end = *p == '\0';

		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) && errno != EEXIST)
			return -errno;
		if (end)
			break;
		*p = '/';
	}
	return 0;
}

static int lookup_group(const char *name, gid_t *gid)
{
	char buf[4096];
	struct group gr, *res = NULL;
	int err = getgrnam_r(name, &gr, buf, sizeof(buf), &res);

	if (err)
		return -err;
	if (!res)
		return -EINVAL;
	*gid = gr.gr_gid;
	return 0;
}

/* Bind @url; for ipc:// set up the directory, mode and group. Return: 0 or -errno. */
static int pub_bind(struct output_pub *pub, const char *url, bool has_group, gid_t gid)
{
	bool ipc = !strncmp(url, "ipc://", 6);
	const char *path = url + 6;
	int err;

	if (!(ipc && path[0]) && !(!strncmp(url, "tcp://", 6) && url[6])) {
		pr_warn("publish %s: not an ipc:// or tcp:// URL\n", url);
		return -EINVAL;
	}
	if (ipc && path[0] == '/') {
		err = make_parent_dirs(path);
		if (err) {
			pr_warn("publish %s: create directory: %s\n", url, strerror(-err));
			return err;
		}
	}
	if (nn_bind(pub->sock, url) < 0) {
		err = -errno;
		pr_warn("publish %s: %s\n", url, nn_strerror(-err));
		return err;
	}
	if (!ipc)
		return 0;
	if (chmod(path, 0660) || (has_group && chown(path, (uid_t)-1, gid))) {
		err = -errno;
		pr_warn("publish %s: set mode/group of the socket file: %s\n", url, strerror(-err));
		return err;
	}
	pub->ipc_paths[pub->n_ipc] = strdup(path);
	if (!pub->ipc_paths[pub->n_ipc])
		return -ENOMEM;
	pub->n_ipc++;
	return 0;
}

struct output_pub *output_pub__new(const struct output_pub_opts *o)
{
	static const char *const def_url[] = { OUTPUT_PUB_DEFAULT_URL };
	const char *const *urls = o->n_urls ? o->urls : def_url;
	size_t n_urls = o->n_urls ? o->n_urls : 1;
	int sndbuf = o->sndbuf ? (int)o->sndbuf : (int)OUTPUT_PUB_SNDBUF_DEFAULT;
	struct output_pub *pub;
	bool has_group = false;
	gid_t gid = 0;
	int err;

	if (n_urls > OUTPUT_PUB_URLS_MAX || (o->n_urls && !o->urls) ||
	    o->sndbuf > INT_MAX) {
		pr_warn("publish: at most %d URLs, NN_SNDBUF below 2 GiB\n", OUTPUT_PUB_URLS_MAX);
		errno = EINVAL;
		return NULL;
	}
	if (o->ipc_group && o->ipc_group[0]) {
		err = lookup_group(o->ipc_group, &gid);
		if (err) {
			pr_warn("publish: group %s: %s\n", o->ipc_group,
				err == -EINVAL ? "no such group" : strerror(-err));
			errno = EINVAL;
			return NULL;
		}
		has_group = true;
	}

	pub = calloc(1, sizeof(*pub));
	if (!pub)
		return NULL;
	pub->sock = -1;
	pub->stats = o->stats ? o->stats : &pub->own_stats;
	pub->eve.cid_seed = o->cid_seed;
	output_envelope_init(&pub->env);
	if (o->host && o->host[0]) {
		pub->host = strdup(o->host);
		if (!pub->host)
			goto fail;
		pub->eve.host = pub->host;
	}
	pub->mp = output_mp__new();
	if (!pub->mp)
		goto fail;
	if (o->batch_bytes) {
		pub->batch_max = o->batch_bytes;
		pub->batch = malloc(o->batch_bytes);
		if (!pub->batch)
			goto fail;
	}

	pub->sock = nn_socket(AF_SP, NN_PUB);
	if (pub->sock < 0) {
		pr_warn("publish: nn_socket: %s\n", nn_strerror(errno));
		goto fail;
	}
	if (nn_setsockopt(pub->sock, NN_SOL_SOCKET, NN_SNDBUF, &sndbuf, sizeof(sndbuf))) {
		pr_warn("publish: NN_SNDBUF %d: %s\n", sndbuf, nn_strerror(errno));
		goto fail;
	}
	for (size_t i = 0; i < n_urls; i++) {
		err = pub_bind(pub, urls[i], has_group, gid);
		if (err) {
			errno = -err;
			goto fail;
		}
	}
	for (unsigned waited = 0; waited < o->wait_ms; waited += 5) {
		struct timespec ts = { 0, 5 * 1000000L };

		if (nn_get_statistic(pub->sock, NN_STAT_CURRENT_CONNECTIONS))
			break;
		nanosleep(&ts, NULL);
	}
	return pub;

fail:
	err = errno;
	output_pub__free(pub);
	errno = err;
	return NULL;
}

/* Send @len bytes holding @n events; count per event. Return: 0 or -errno. */
static int pub_send(struct output_pub *pub, const void *data, size_t len, uint64_t n,
		    struct weir_stats *st)
{
	int err;

	if (nn_send(pub->sock, data, len, NN_DONTWAIT) < 0) {
		err = -errno;
		STAT_ADD(st, OUTPUT_PUBLISH_SEND_FAILED, n);
		return err;
	}
	STAT_ADD(st, OUTPUT_PUBLISH_SENT, n);
	STAT_ADD(st, OUTPUT_PUBLISH_BYTES, len);
	/* Nobody connected: the message went nowhere. */
	if (!nn_get_statistic(pub->sock, NN_STAT_CURRENT_CONNECTIONS))
		STAT_ADD(st, OUTPUT_PUBLISH_NO_SUBSCRIBER, n);
	return 0;
}

int output_pub_flush(struct output_pub *pub)
{
	int err;

	if (!pub->batch_n)
		return 0;
	err = pub_send(pub, pub->batch, pub->batch_len, pub->batch_n, pub->batch_st);
	pub->batch_len = 0;
	pub->batch_n = 0;
	return err;
}

int output_pub_send_json(struct output_pub *pub, const json_t *obj, struct weir_stats *st)
{
	const char *data;
	size_t len;
	int err;

	if (!st)
		st = pub->stats;
	err = output_mp_encode(pub->mp, obj, &data, &len);
	if (err) {
		STAT_INC(st, OUTPUT_PUBLISH_ENCODE_ERRORS);
		return err;
	}
	if (!pub->batch_max || len > pub->batch_max)
		return pub_send(pub, data, len, 1, st);
	if (pub->batch_len + len > pub->batch_max) {
		err = output_pub_flush(pub);
		if (err)
			return err;
	}
	memcpy(pub->batch + pub->batch_len, data, len);
	pub->batch_len += len;
	pub->batch_n++;
	pub->batch_st = st;
	return 0;
}

int output_pub_send(struct output_pub *pub, const struct weir_event *ev)
{
	json_t *j = output_eve_json(ev, &pub->eve);
	int err;

	if (!j) {
		STAT_INC(pub->stats, OUTPUT_PUBLISH_ENCODE_ERRORS);
		return errno == EINVAL ? -EINVAL : -ENOMEM;
	}
	err = output_envelope_stamp(&pub->env, j);
	if (err)
		STAT_INC(pub->stats, OUTPUT_PUBLISH_ENCODE_ERRORS);
	else
		err = output_pub_send_json(pub, j, NULL);
	json_decref(j);
	return err;
}

struct weir_stats *output_pub_stats(struct output_pub *pub)
{
	return pub->stats;
}

const struct output_envelope *output_pub_envelope(const struct output_pub *pub)
{
	return &pub->env;
}

void output_pub__free(struct output_pub *pub)
{
	if (!pub)
		return;
	if (pub->sock >= 0) {
		output_pub_flush(pub);
		if (nn_get_statistic(pub->sock, NN_STAT_CURRENT_CONNECTIONS)) {
			struct timespec ts = { 0, PUB_LINGER_MS * 1000000L };

			nanosleep(&ts, NULL);
		}
		nn_close(pub->sock);
	}
	/* Only files this publisher bound: nanomsg leaves them behind. */
	for (size_t i = 0; i < pub->n_ipc; i++) {
		unlink(pub->ipc_paths[i]);
		free(pub->ipc_paths[i]);
	}
	output_mp__free(pub->mp);
	free(pub->batch);
	free(pub->host);
	free(pub);
}
