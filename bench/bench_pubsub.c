// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_pubsub.c - events/s from the publisher to one subscriber, and the
 * loss at each rate, with the sensor's own code on both sides.
 *
 * Publisher (this process): output_pub_send() of an alert event, i.e.
 * output_eve_json() + envelope + msgpack + nn_send(NN_DONTWAIT), paced to
 * --rate events/s (0 = as fast as it goes). Subscriber (a forked child):
 * what `weir tail` does per message, nn_recv() + output_mp_decode() +
 * output_eve_dump() into memory (not written), counting seq. Both ends use
 * the default buffers (8 MiB) unless told otherwise.
 *
 *   bench_pubsub [--url URL] [--events N] [--buf BYTES] [--transport] [--rate R]...
 *                                 one run per rate (default 100k..400k and unpaced)
 *   bench_pubsub --publish-only --url URL --rate R --seconds S
 *                                 a steady publisher for tests (no child)
 *
 * --batch BYTES packs events back to back into messages of up to BYTES
 * (output_pub_opts.batch_bytes), flushed at the end of each 64-event pacing
 * slice, as the pipeline flushes on its tick; the subscriber reads every
 * map of a message.
 *
 * --transport measures the transport alone: the publisher re-encodes one
 * prebuilt EVE object with a new seq (msgpack + nn_send, no EVE building),
 * the subscriber only unpacks the msgpack (msgpack-c) to read seq, as a SIEM
 * forwarder that wants msgpack would.
 *
 * Prints one line per rate: offered and achieved rate, delivered, lost,
 * CPU per million events of each process (user+sys, all threads), the
 * message size. Lines starting with '|' form a markdown table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>
#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>

#include "output/output.h"
#include "output/output_pub.h"

struct sub_result {
	uint64_t received, last_seq, bytes;
	double cpu_s;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int transport_only;
static size_t batch_bytes;

static const struct event_sig sig = {
	.gid = 1, .sid = 2100001, .rev = 3, .severity = 2,
	.signature = "WEIR east-west Redis CONFIG SET from pod",
	.category = "Attempted Administrator Privilege Gain",
};

static struct weir_event bench_alert(uint64_t i)
{
	struct weir_event ev = {
		.type = EVENT_ALERT, .ts_ns = 1795965549123456789ull + i * 1000,
		.flow_id = 123456789 + i, .direction = "to_server",
		.t = { .sport = (uint16_t)(40000 + i % 20000), .dport = 6379, .ip_ver = 4,
		       .proto = IPPROTO_TCP },
	};

	inet_pton(AF_INET, "10.244.1.5", &ev.t.src.a[0]);
	inet_pton(AF_INET, "10.244.2.7", &ev.t.dst.a[0]);
	ev.alert.sig = &sig;
	ev.alert.action = "allowed";
	return ev;
}

/* Child: receive until the last seq arrives or 1 s passes without a message. */
static void subscriber(const char *url, int rcvbuf, uint64_t n, int fd)
{
	struct output_mp_dec *dec = output_mp_dec__new();
	struct sub_result r = { 0 };
	int s = nn_socket(AF_SP, NN_SUB), timeo = 1000;
	char *line = NULL;
	size_t cap = 0;
	msgpack_zone zone;

	msgpack_zone_init(&zone, 8192);
	nn_setsockopt(s, NN_SUB, NN_SUB_SUBSCRIBE, "", 0);
	nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVTIMEO, &timeo, sizeof(timeo));
	if (nn_connect(s, url) < 0) {
		fprintf(stderr, "bench_pubsub: connect %s: %s\n", url, nn_strerror(errno));
		_exit(1);
	}
	while (r.last_seq < n) {
		void *msg = NULL;
		int len = nn_recv(s, &msg, NN_MSG, 0);
		json_t *j;

		if (len < 0)
			break;
		r.bytes += (uint64_t)len;
		if (transport_only) {
			msgpack_object o;
			size_t off = 0;

			msgpack_zone_clear(&zone);
			while (off < (size_t)len &&
			       msgpack_unpack(msg, (size_t)len, &off, &zone, &o) >= 0 &&
			       o.type == MSGPACK_OBJECT_MAP) {
				const msgpack_object_kv *kv = &o.via.map.ptr[o.via.map.size - 1];

				/* seq is the last key of the envelope */
				r.last_seq = kv->val.via.u64;
				r.received++;
			}
			nn_freemsg(msg);
			continue;
		}
		for (size_t off = 0, used = 1; off < (size_t)len && used; off += used) {
			j = output_mp_decode_next(dec, (char *)msg + off, (size_t)len - off, &used);
			if (!j)
				break;
			output_eve_dump(j, &line, &cap);
			r.last_seq = (uint64_t)json_integer_value(json_object_get(j, "seq"));
			r.received++;
			json_decref(j);
		}
		nn_freemsg(msg);
	}
	r.cpu_s = cpu_s();
	if (write(fd, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	free(line);
	msgpack_zone_destroy(&zone);
	output_mp_dec__free(dec);
	nn_close(s);
	_exit(0);
}

/* Send @n events at @rate/s (0 = unpaced). Return: achieved rate. */
static double publish(struct output_pub *pub, uint64_t n, double rate, double *cpu)
{
	double t0 = now_s(), c0 = cpu_s(), el;
	struct output_envelope env;
	struct weir_event ev0 = bench_alert(0);
	json_t *obj = output_eve_json(&ev0, NULL);

	output_envelope_init(&env);
	output_envelope_stamp(&env, obj);

	for (uint64_t i = 0; i < n; i++) {
		struct weir_event ev = bench_alert(i);

		if ((i & 63) == 0)
			output_pub_flush(pub);
		if (rate > 0 && (i & 63) == 0) {
			double ahead = t0 + (double)i / rate - now_s();

			if (ahead > 0) {
				struct timespec ts = { 0, (long)(ahead * 1e9) };

				nanosleep(&ts, NULL);
			}
		}
		if (transport_only) {
			json_integer_set(json_object_get(obj, "seq"), (json_int_t)(i + 1));
			output_pub_send_json(pub, obj, NULL);
		} else {
			output_pub_send(pub, &ev);
		}
	}
	output_pub_flush(pub);
	json_decref(obj);
	el = now_s() - t0;
	*cpu = cpu_s() - c0;
	return (double)n / el;
}

static int run_rate(const char *url, uint64_t n, double rate, int bufsz)
{
	const char *urls[] = { url };
	struct output_pub_opts po = { .urls = urls, .n_urls = 1, .sndbuf = (size_t)bufsz,
				      .wait_ms = 5000, .batch_bytes = batch_bytes };
	struct sub_result r;
	struct output_pub *pub;
	double achieved, pcpu;
	int pfd[2], status;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		subscriber(url, bufsz, n, pfd[1]);
	}
	close(pfd[1]);
	pub = output_pub__new(&po);
	if (!pub) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	/* the connection is up; give the SP handshake a moment */
	usleep(100000);
	achieved = publish(pub, n, rate, &pcpu);
	if (read(pfd[0], &r, sizeof(r)) != sizeof(r))
		memset(&r, 0, sizeof(r));
	waitpid(pid, &status, 0);
	close(pfd[0]);
	printf("| %9.0f | %9.0f | %8llu | %8llu | %6.2f%% | %7.2f | %7.2f | %4llu |\n",
	       rate, achieved, (unsigned long long)r.received,
	       (unsigned long long)(n - r.received), 100.0 * (double)(n - r.received) / (double)n,
	       pcpu * 1e6 / (double)n, r.cpu_s * 1e6 / (double)n,
	       (unsigned long long)(r.received ? r.bytes / r.received : 0));
	fflush(stdout);
	output_pub__free(pub);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig_)
{
	(void)sig_;
	stop = 1;
}

/* A steady publisher for tests: @rate events/s for @seconds. */
static int publish_only(const char *url, double rate, double seconds)
{
	const char *urls[] = { url };
	struct output_pub_opts po = { .urls = urls, .n_urls = 1, .wait_ms = 5000 };
	struct output_pub *pub = output_pub__new(&po);
	double t0, cpu;
	uint64_t i = 0;

	if (!pub)
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = now_s();
	while (!stop && now_s() - t0 < seconds) {
		uint64_t batch = (uint64_t)(rate / 100);

		publish(pub, batch ? batch : 1, rate, &cpu);
		i += batch ? batch : 1;
	}
	fprintf(stderr, "bench_pubsub: published %llu events\n", (unsigned long long)i);
	output_pub__free(pub);
	return 0;
}

int main(int argc, char **argv)
{
	const char *url = "ipc:///tmp/weir-bench-pubsub.ipc";
	double rates[32], seconds = 3;
	int n_rates = 0, bufsz = (int)OUTPUT_PUB_SNDBUF_DEFAULT;
	uint64_t n = 1000000;
	int pub_only = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--url") && i + 1 < argc)
			url = argv[++i];
		else if (!strcmp(argv[i], "--events") && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc && n_rates < 32)
			rates[n_rates++] = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--buf") && i + 1 < argc)
			bufsz = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
			batch_bytes = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--transport"))
			transport_only = 1;
		else if (!strcmp(argv[i], "--publish-only"))
			pub_only = 1;
		else {
			fprintf(stderr,
				"usage: bench_pubsub [--url URL] [--events N] [--buf BYTES] "
				"[--transport] [--batch BYTES] [--rate R]...\n"
				"       bench_pubsub --publish-only [--url URL] --rate R "
				"[--seconds S]\n");
			return 2;
		}
	}
	if (pub_only)
		return publish_only(url, n_rates ? rates[0] : 100000, seconds);
	if (!n_rates) {
		static const double def[] = { 100000, 200000, 300000, 400000, 0 };

		for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++)
			rates[n_rates++] = def[i];
	}
	printf("bench_pubsub: %llu alert events per rate, %s, buffers %d bytes, batch %zu "
	       "bytes, %s (rate 0 = unpaced)\n\n",
	       (unsigned long long)n, url, bufsz, batch_bytes,
	       transport_only ? "transport only (msgpack + nn_send -> nn_recv + unpack)"
			      : "sensor path (EVE object + msgpack + send -> decode + EVE line)");
	printf("| offered/s | achieved/s | delivered | lost | loss | pub CPU s/M | sub CPU s/M | msg B |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
	for (int i = 0; i < n_rates; i++)
		if (run_rate(url, n, rates[i], bufsz))
			return 1;
	return 0;
}
