// SPDX-License-Identifier: GPL-2.0-only
/*
 * output_tail.c - `weir tail`: subscribe to sensors, print EVE JSON lines.
 *
 * DESIGN. One thread, one NN_SUB socket connected to every URL (nanomsg
 * reconnects by itself when a sensor restarts or starts later than tail).
 * Each message is decoded (output_mp_decode(): garbage is counted and
 * skipped, with a warning on the first and then every GARBAGE_WARN_EVERY-th)
 * and printed with output_eve_dump(), the EVE writer's own serialiser, so
 * the line is byte-identical to the sensor's EVE line for that event.
 *
 * Loss accounting. Every event carries sensor_id and seq (output_pub.h).
 * Per sensor_id tail remembers the last seq: a jump forward is loss
 * (reported on stderr with the missing range); the first event of a sensor
 * is not (tail may have joined late). A new sensor_id for a host already
 * seen, or seq going back within one sensor_id, is a restart: counted, not
 * reported as loss. nanomsg's PUB drops silently for a subscriber that
 * falls behind, so these gaps are the only record of that loss; hence a
 * large NN_RCVBUF (8 MiB) to absorb bursts.
 *
 * Output is buffered and flushed at least every FLUSH_MS, when no message
 * is waiting, and at exit; SIGINT/SIGTERM end the loop within RCV_TIMEO_MS.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>

#include "output/output_pub.h"

#define TAIL_RCVBUF_DEFAULT (8 << 20)
#define RCV_TIMEO_MS        100
#define FLUSH_MS            100
#define GARBAGE_WARN_EVERY  1000
#define TAIL_SENSORS_MAX    4096
#define STDOUT_BUF          (256 << 10)

enum {
	TYPE_ALERT = OUTPUT_TAIL_ALERT,
	TYPE_FLOW = OUTPUT_TAIL_FLOW,
	TYPE_STATS = OUTPUT_TAIL_STATS,
};

struct tail_args {
	unsigned types;          /* TYPE_* mask; 0 = all */
	uint64_t count;          /* stop after this many printed; 0 = never */
	int rcvbuf;
	const char *urls[OUTPUT_PUB_URLS_MAX];
	size_t n_urls;
};

struct tail_sensor {
	char id[OUTPUT_SENSOR_ID_LEN];
	char host[64];           /* "" when the events carry no host */
	uint64_t last_seq;
	bool retired;            /* replaced by a newer instance on the same host */
};

struct output_tail {
	struct output_mp_dec *dec;
	unsigned types;
	FILE *out, *err;
	struct tail_sensor *sensors;
	size_t n_sensors;
	uint64_t received, printed, missed, garbage, restarts, untracked;
	char *line;
	size_t line_cap;
};

static volatile sig_atomic_t tail_stop;

static void tail_on_signal(int sig)
{
	(void)sig;
	tail_stop = 1;
}

enum { OPT_RCVBUF = 0x100 };

static const struct argp_option tail_options[] = {
	{ "type", 't', "LIST", 0, "Print only these event types (comma-separated: alert,flow,stats)", 0 },
	{ "count", 'n', "N", 0, "Exit after printing N events", 0 },
	{ "rcvbuf", OPT_RCVBUF, "BYTES", 0, "NN_RCVBUF of the subscriber socket (default 8 MiB)", 0 },
	{ 0 },
};

static int parse_types(const char *s, unsigned *mask)
{
	char buf[128], *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "alert"))
			*mask |= TYPE_ALERT;
		else if (!strcmp(tok, "flow"))
			*mask |= TYPE_FLOW;
		else if (!strcmp(tok, "stats"))
			*mask |= TYPE_STATS;
		else
			return -EINVAL;
	}
	return *mask ? 0 : -EINVAL;
}

static error_t tail_parse(int key, char *arg, struct argp_state *state)
{
	struct tail_args *a = state->input;
	unsigned long long v;
	char *end;

	switch (key) {
	case 't':
		if (parse_types(arg, &a->types))
			argp_error(state, "--type %s: expected a list of alert, flow, stats", arg);
		break;
	case 'n':
	case OPT_RCVBUF:
		errno = 0;
		v = strtoull(arg, &end, 10);
		if (errno || end == arg || *end || !v || arg[0] == '-' ||
		    (key == OPT_RCVBUF && v > INT_MAX))
			argp_error(state, "%s %s: expected a positive number",
				   key == 'n' ? "--count" : "--rcvbuf", arg);
		if (key == 'n')
			a->count = v;
		else
			a->rcvbuf = (int)v;
		break;
	case ARGP_KEY_ARG:
		if (a->n_urls == OUTPUT_PUB_URLS_MAX)
			argp_error(state, "at most %d URLs", OUTPUT_PUB_URLS_MAX);
		a->urls[a->n_urls++] = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp tail_argp = {
	.options = tail_options,
	.parser = tail_parse,
	.args_doc = "[URL...]",
	.doc = "Subscribe to Weir sensors and print their events as EVE JSON lines.\v"
	       "URLs are the sensors' --publish endpoints (ipc://PATH or tcp://HOST:PORT; "
	       "default " OUTPUT_PUB_DEFAULT_URL "). Each line is byte-identical to the "
	       "sensor's own EVE line for that event. Gaps in a sensor's seq are reported "
	       "on stderr as they happen, and a summary (received, printed, missed, "
	       "garbage, restarts) at exit: SIGINT, SIGTERM or --count reached. Exit "
	       "status: 0, 1 on a runtime error, 2 on bad usage or URL.",
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *sensor_name(const struct tail_sensor *s, char *buf, size_t len)
{
	if (s->host[0])
		snprintf(buf, len, "%s/%s", s->host, s->id);
	else
		snprintf(buf, len, "%s", s->id);
	return buf;
}

/*
 * Account for (@id, @host, @seq): gaps, restarts. Return: 0, or -ENOSPC when
 * too many sensors are tracked (the event is printed but not sequenced).
 */
static int tail_track(struct output_tail *t, const char *id, const char *host, uint64_t seq)
{
	struct tail_sensor *s = NULL;
	char name[96];

	for (size_t i = 0; i < t->n_sensors; i++) {
		if (!strcmp(t->sensors[i].id, id)) {
			s = &t->sensors[i];
			break;
		}
	}
	if (!s) {
		if (t->n_sensors == TAIL_SENSORS_MAX)
			return -ENOSPC;
		/* Same host, new id: that host's sensor restarted. */
		for (size_t i = 0; host[0] && i < t->n_sensors; i++) {
			struct tail_sensor *o = &t->sensors[i];

			if (!o->retired && !strcmp(o->host, host)) {
				o->retired = true;
				t->restarts++;
				fprintf(t->err, "weir tail: sensor %s restarted as %s (seq %llu)\n",
					sensor_name(o, name, sizeof(name)), id,
					(unsigned long long)seq);
			}
		}
		s = &t->sensors[t->n_sensors++];
		snprintf(s->id, sizeof(s->id), "%s", id);
		snprintf(s->host, sizeof(s->host), "%s", host);
		s->last_seq = seq;
		s->retired = false;
		return 0;
	}
	if (seq > s->last_seq + 1) {
		uint64_t n = seq - s->last_seq - 1;

		t->missed += n;
		fprintf(t->err, "weir tail: sensor %s: %llu events missed (seq %llu..%llu)\n",
			sensor_name(s, name, sizeof(name)), (unsigned long long)n,
			(unsigned long long)(s->last_seq + 1), (unsigned long long)(seq - 1));
	} else if (seq <= s->last_seq) {
		t->restarts++;
		fprintf(t->err, "weir tail: sensor %s: seq went back from %llu to %llu (restart)\n",
			sensor_name(s, name, sizeof(name)), (unsigned long long)s->last_seq,
			(unsigned long long)seq);
	}
	s->last_seq = seq;
	return 0;
}

static unsigned type_of(const json_t *j)
{
	const char *s = json_string_value(json_object_get(j, "event_type"));

	if (!s)
		return 0;
	if (!strcmp(s, "alert"))
		return TYPE_ALERT;
	if (!strcmp(s, "flow"))
		return TYPE_FLOW;
	if (!strcmp(s, "stats"))
		return TYPE_STATS;
	return 0;
}

struct output_tail *output_tail__new(unsigned types, FILE *out, FILE *err)
{
	struct output_tail *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->types = types;
	t->out = out;
	t->err = err;
	t->dec = output_mp_dec__new();
	t->sensors = calloc(TAIL_SENSORS_MAX, sizeof(*t->sensors));
	if (!t->dec || !t->sensors) {
		output_tail__free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void output_tail__free(struct output_tail *t)
{
	if (!t)
		return;
	output_mp_dec__free(t->dec);
	free(t->sensors);
	free(t->line);
	free(t);
}

void output_tail_counts(const struct output_tail *t, struct output_tail_counts *c)
{
	c->received = t->received;
	c->printed = t->printed;
	c->missed = t->missed;
	c->garbage = t->garbage;
	c->restarts = t->restarts;
	c->sensors = t->n_sensors;
	c->untracked = t->untracked;
}

/*
 * The first map of @buf: *@used its length, 0 when it is not msgpack (the
 * rest of the message cannot be split then). Return: 1 printed, 0 skipped,
 * -errno.
 */
static int tail_one(struct output_tail *t, const void *buf, size_t len, size_t *used)
{
	const json_t *jid, *jseq, *jhost;
	unsigned type;
	json_t *j;
	size_t n;
	int ret = 0;

	t->received++;
	*used = 0;
	j = output_mp_decode_next(t->dec, buf, len, used);
	if (!j)
		*used = 0;
	if (j) {
		jid = json_object_get(j, "sensor_id");
		jseq = json_object_get(j, "seq");
		jhost = json_object_get(j, "host");
		type = type_of(j);
		/* Not an event of ours: no type, or no usable envelope. */
		if (!type || !json_is_string(jid) ||
		    json_string_length(jid) != OUTPUT_SENSOR_ID_LEN - 1 ||
		    !json_is_integer(jseq) || json_integer_value(jseq) < 1) {
			json_decref(j);
			j = NULL;
			errno = EBADMSG;
		}
	}
	if (!j) {
		t->garbage++;
		if (t->garbage % GARBAGE_WARN_EVERY == 1)
			fprintf(t->err, "weir tail: skipped a message that is not a Weir event (%s; %llu so far)\n",
				errno == ENOMEM ? "out of memory" : "bad msgpack or envelope",
				(unsigned long long)t->garbage);
		return 0;
	}
	if (tail_track(t, json_string_value(jid),
		       json_is_string(jhost) ? json_string_value(jhost) : "",
		       (uint64_t)json_integer_value(jseq)))
		t->untracked++;
	if (!t->types || (t->types & type)) {
		n = output_eve_dump(j, &t->line, &t->line_cap);
		if (!n)
			ret = -ENOMEM;
		else if (fwrite(t->line, 1, n, t->out) != n)
			ret = -EIO;
		else
			ret = 1;
	}
	t->printed += ret > 0;
	json_decref(j);
	return ret;
}

int output_tail_message(struct output_tail *t, const void *buf, size_t len)
{
	size_t off = 0, used;
	int printed = 0, rc;

	/* One map, or a batch of maps back to back (output_pub_opts.batch_bytes). */
	do {
		rc = tail_one(t, (const uint8_t *)buf + off, len - off, &used);
		if (rc < 0)
			return rc;
		printed += rc;
		off += used;
	} while (used && off < len);
	return printed;
}

int output_tail_main(int argc, char **argv)
{
	struct tail_args a = { .rcvbuf = TAIL_RCVBUF_DEFAULT };
	struct output_tail *t = NULL;
	struct output_tail_counts c;
	struct sigaction sa = { .sa_handler = tail_on_signal };
	int sock = -1, timeo = RCV_TIMEO_MS, maxsz = -1, status = 0, err;
	static char outbuf[STDOUT_BUF];
	uint64_t last_flush;

	if (argp_parse(&tail_argp, argc, argv, 0, NULL, &a))
		return 2;
	if (!a.n_urls)
		a.urls[a.n_urls++] = OUTPUT_PUB_DEFAULT_URL;

	sock = nn_socket(AF_SP, NN_SUB);
	if (sock < 0) {
		fprintf(stderr, "weir tail: nn_socket: %s\n", nn_strerror(errno));
		return 1;
	}
	if (nn_setsockopt(sock, NN_SUB, NN_SUB_SUBSCRIBE, "", 0) ||
	    nn_setsockopt(sock, NN_SOL_SOCKET, NN_RCVBUF, &a.rcvbuf, sizeof(a.rcvbuf)) ||
	    nn_setsockopt(sock, NN_SOL_SOCKET, NN_RCVTIMEO, &timeo, sizeof(timeo)) ||
	    nn_setsockopt(sock, NN_SOL_SOCKET, NN_RCVMAXSIZE, &maxsz, sizeof(maxsz))) {
		fprintf(stderr, "weir tail: socket options: %s\n", nn_strerror(errno));
		status = 1;
		goto out;
	}
	for (size_t i = 0; i < a.n_urls; i++) {
		if (strncmp(a.urls[i], "ipc://", 6) && strncmp(a.urls[i], "tcp://", 6)) {
			fprintf(stderr, "weir tail: %s: not an ipc:// or tcp:// URL\n", a.urls[i]);
			status = 2;
			goto out;
		}
		if (nn_connect(sock, a.urls[i]) < 0) {
			fprintf(stderr, "weir tail: %s: %s\n", a.urls[i], nn_strerror(errno));
			status = 2;
			goto out;
		}
	}
	t = output_tail__new(a.types, stdout, stderr);
	if (!t || setvbuf(stdout, outbuf, _IOFBF, STDOUT_BUF)) {
		fprintf(stderr, "weir tail: out of memory\n");
		status = 1;
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	last_flush = mono_ms();
	while (!tail_stop && !(a.count && t->printed >= a.count)) {
		void *msg = NULL;
		int n = nn_recv(sock, &msg, NN_MSG, 0);
		uint64_t now;

		if (n < 0) {
			err = errno;
			if (err != EAGAIN && err != ETIMEDOUT && err != EINTR) {
				fprintf(stderr, "weir tail: receive: %s\n", nn_strerror(err));
				status = 1;
				break;
			}
			fflush(stdout);
			last_flush = mono_ms();
			continue;
		}
		err = output_tail_message(t, msg, (size_t)n);
		nn_freemsg(msg);
		if (err < 0) {
			fprintf(stderr, "weir tail: write: %s\n", strerror(-err));
			status = 1;
			break;
		}
		now = mono_ms();
		if (now - last_flush >= FLUSH_MS) {
			fflush(stdout);
			last_flush = now;
		}
	}
	if (fflush(stdout) && !status) {
		fprintf(stderr, "weir tail: write: %s\n", strerror(errno));
		status = 1;
	}
	output_tail_counts(t, &c);
	fprintf(stderr,
		"weir tail: received %llu, printed %llu, missed %llu, garbage %llu, restarts %llu, "
		"sensors %llu%s\n",
		(unsigned long long)c.received, (unsigned long long)c.printed,
		(unsigned long long)c.missed, (unsigned long long)c.garbage,
		(unsigned long long)c.restarts, (unsigned long long)c.sensors,
		c.untracked ? " (too many sensors: some events not sequenced)" : "");
out:
	if (sock >= 0)
		nn_close(sock);
	output_tail__free(t);
	return status;
}
