// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_msgpack.c - the transport encoding: EVE object -> msgpack -> the same
 * EVE line, byte for byte, for every event type; the envelope; exact msgpack
 * bytes of small objects; garbage rejected cleanly (no crash, no huge
 * allocation); the publisher's URL checks, ipc file mode, and delivery of
 * the writer's very line to a subscriber; `weir tail`'s per-message logic
 * (gaps, late join, restarts, --type, garbage).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>

#include "output/output.h"
#include "output/output_pub.h"

/* 2026-11-29T15:19:09.123456789Z */
#define TS_2026 1795965549123456789ULL
#define S       1000000000ULL

static struct weir_addr v4(const char *s)
{
	struct weir_addr a = { 0 };

	assert_int_equal(inet_pton(AF_INET, s, &a.a[0]), 1);
	return a;
}

static struct weir_addr v6(const char *s)
{
	struct weir_addr a = { 0 };

	assert_int_equal(inet_pton(AF_INET6, s, a.a), 1);
	return a;
}

static const char *const md[] = { "attack_target Server", "attack_target Database",
				  "created_at 2026_11_01", NULL };

static const struct event_sig sig_md = {
	.gid = 1, .sid = 2100001, .rev = 3, .severity = 2,
	.signature = "WEIR east-west Redis CONFIG SET from pod \xc3\xa9",
	.category = "Attempted Administrator Privilege Gain",
	.metadata = md,
};

static struct weir_event alert_tcp4(void)
{
	struct weir_event ev = {
		.type = EVENT_ALERT, .ts_ns = TS_2026, .pcap_cnt = 42, .flow_id = 123456789,
		.direction = "to_server",
		.t = { .src = v4("10.244.1.5"), .dst = v4("10.244.2.7"), .sport = 43512,
		       .dport = 6379, .ip_ver = 4, .proto = IPPROTO_TCP },
	};

	ev.alert.sig = &sig_md;
	ev.alert.action = "allowed";
	ev.alert.has_flow = true;
	ev.alert.flow = (struct event_flow){
		.pkts_toserver = 4, .pkts_toclient = 3, .bytes_toserver = 400,
		.bytes_toclient = UINT64_MAX, /* saturates at INT64_MAX */
		.start_ns = TS_2026 - 2 * S, .end_ns = TS_2026, .state = "established",
	};
	return ev;
}

static const char *ifname_eth(void *arg, uint32_t ifindex, char *buf)
{
	(void)arg;
	(void)ifindex;
	strcpy(buf, "veth1234");
	return buf;
}

/*
 * The pipeline: output_eve_json() + envelope, then the writer's line and the
 * tail's line (msgpack encode -> decode -> dump) must be the same bytes.
 */
static void assert_roundtrip(const struct weir_event *ev, const struct output_eve_opts *o)
{
	struct output_envelope env;
	struct output_mp *mp = output_mp__new();
	struct output_mp_dec *dec = output_mp_dec__new();
	char *want = NULL, *got = NULL;
	size_t want_cap = 0, got_cap = 0, wn, gn, len;
	const char *data;
	json_t *j, *back;

	assert_non_null(mp);
	assert_non_null(dec);
	output_envelope_init(&env);
	env.seq = 41;
	j = output_eve_json(ev, o);
	assert_non_null(j);
	assert_int_equal(output_envelope_stamp(&env, j), 0);
	wn = output_eve_dump(j, &want, &want_cap);
	assert_true(wn > 0);
	assert_int_equal(output_mp_encode(mp, j, &data, &len), 0);
	/* msgpack is the smaller encoding of the two */
	assert_true(len < wn);
	back = output_mp_decode(dec, data, len);
	assert_non_null(back);
	gn = output_eve_dump(back, &got, &got_cap);
	assert_int_equal(gn, wn);
	assert_memory_equal(got, want, wn);
	assert_non_null(strstr(want, ",\"schema\":1,\"sensor_id\":\""));
	assert_non_null(strstr(want, "\",\"seq\":42}\n"));
	json_decref(back);
	json_decref(j);
	free(want);
	free(got);
	output_mp__free(mp);
	output_mp_dec__free(dec);
}

static void test_msgpack_alert_roundtrip(void **state)
{
	struct weir_event ev = alert_tcp4();
	struct output_eve_opts o = { .host = "node-a" };

	(void)state;
	assert_roundtrip(&ev, &o);
}

static void test_msgpack_alert_anomaly_roundtrip(void **state)
{
	struct weir_event ev = alert_tcp4();

	(void)state;
	ev.alert.has_flow = false;
	ev.alert.has_anomaly = true;
	ev.alert.anomaly = (struct event_anomaly){
		.kind = "port_scan", .count = 15, .window_s = 300,
		.first_ns = TS_2026 - 10 * S, .last_ns = TS_2026, .n_targets = 2,
		.target_ports = { 22, 2379 }, .target_addrs = { v4("10.244.2.7") },
	};
	assert_roundtrip(&ev, NULL);
}

/* ICMPv6 with two VLAN tags and an interface name: arrays and small ints. */
static void test_msgpack_alert_icmp6_vlan_iface_roundtrip(void **state)
{
	struct weir_event ev = alert_tcp4();
	struct output_eve_opts o = { .host = "node-b", .ifname = ifname_eth };

	(void)state;
	ev.ifindex = 7;
	ev.t = (struct event_tuple){ .src = v6("fd00:10:244::5"), .dst = v6("fd00:10:244::7"),
				     .ip_ver = 6, .proto = IPPROTO_ICMPV6, .icmp_type = 128,
				     .vlan = { 100, 4095 }, .vlan_cnt = 2 };
	assert_roundtrip(&ev, &o);
}

static void test_msgpack_flow_tcp_roundtrip(void **state)
{
	struct weir_event ev = {
		.type = EVENT_FLOW, .ts_ns = TS_2026 + 65 * S, .flow_id = 123456789,
		.t = { .src = v4("10.244.1.5"), .dst = v4("10.244.2.7"), .sport = 43512,
		       .dport = 6379, .ip_ver = 4, .proto = IPPROTO_TCP },
	};

	(void)state;
	ev.flow = (struct event_flow){
		.pkts_toserver = 6, .pkts_toclient = 5, .bytes_toserver = 600,
		.bytes_toclient = 5000, .start_ns = TS_2026, .end_ns = TS_2026 + 65 * S,
		.state = "closed", .reason = "timeout", .tcp_state = "closed",
		.tcp_flags = 0x1b, .tcp_flags_ts = 0x1b, .tcp_flags_tc = 0x1b, .alerted = true,
	};
	assert_roundtrip(&ev, NULL);
}

static void test_msgpack_flow_udp6_roundtrip(void **state)
{
	struct weir_event ev = {
		.type = EVENT_FLOW, .ts_ns = TS_2026, .flow_id = 77,
		.t = { .src = v6("fd00:10:244::5"), .dst = v6("fd00:10:244::7"), .sport = 53000,
		       .dport = 53, .ip_ver = 6, .proto = IPPROTO_UDP },
	};

	(void)state;
	ev.flow = (struct event_flow){ .pkts_toserver = 1, .pkts_toclient = 1,
				       .start_ns = TS_2026 - 30 * S, .end_ns = TS_2026,
				       .state = "established", .reason = "shutdown" };
	assert_roundtrip(&ev, NULL);
}

/* Every counter of core/stats.h, nested, zeros, one saturated. */
static void test_msgpack_stats_roundtrip(void **state)
{
	struct weir_stats st = { 0 };
	struct weir_event ev = { .type = EVENT_STATS, .ts_ns = TS_2026 };
	struct output_eve_opts o = { .host = "node-a" };

	(void)state;
	for (int i = 0; i < WS__MAX; i++)
		st.v[i] = (uint64_t)i * 1000003u;
	st.v[0] = UINT64_MAX;
	ev.stats.stats = &st;
	ev.stats.uptime_s = 3600;
	assert_roundtrip(&ev, &o);
}

/* The bytes themselves, checked against the msgpack spec by hand. */
static void test_msgpack_exact_bytes(void **state)
{
	/* {"a":1,"b":-1,"c":"x","d":[true,false,null],"e":300,"f":{}} */
	static const uint8_t want[] = {
		0x86, 0xa1, 'a', 0x01, 0xa1, 'b', 0xff, 0xa1, 'c', 0xa1, 'x',
		0xa1, 'd', 0x93, 0xc3, 0xc2, 0xc0, 0xa1, 'e', 0xcd, 0x01, 0x2c,
		0xa1, 'f', 0x80,
	};
	struct output_mp *mp = output_mp__new();
	json_t *j = json_pack("{s:i,s:i,s:s,s:[b,b,n],s:i,s:{}}", "a", 1, "b", -1, "c", "x",
			      "d", 1, 0, "e", 300, "f");
	const char *data;
	size_t len;

	(void)state;
	assert_non_null(j);
	assert_int_equal(output_mp_encode(mp, j, &data, &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(data, want, sizeof(want));
	json_decref(j);
	output_mp__free(mp);
}

/* "payload" is base64 text in EVE and bin in msgpack; it comes back as text. */
static void test_msgpack_payload_is_bin(void **state)
{
	static const uint8_t want[] = {
		0x81, 0xa7, 'p', 'a', 'y', 'l', 'o', 'a', 'd', 0xc4, 0x04, 0x00, 0x01, 0x02, 0xff,
	};
	struct output_mp *mp = output_mp__new();
	struct output_mp_dec *dec = output_mp_dec__new();
	json_t *j = json_pack("{s:s}", "payload", "AAEC/w=="), *back;
	const char *data;
	size_t len;
	char *s;

	(void)state;
	assert_int_equal(output_mp_encode(mp, j, &data, &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(data, want, sizeof(want));
	back = output_mp_decode(dec, data, len);
	assert_non_null(back);
	s = json_dumps(back, JSON_COMPACT);
	assert_string_equal(s, "{\"payload\":\"AAEC/w==\"}");
	free(s);
	json_decref(back);
	json_decref(j);
	/* not base64: refused, not sent as garbage */
	j = json_pack("{s:s}", "payload", "not base64!");
	assert_int_equal(output_mp_encode(mp, j, &data, &len), -EINVAL);
	json_decref(j);
	output_mp__free(mp);
	output_mp_dec__free(dec);
}

static void test_msgpack_envelope(void **state)
{
	struct output_envelope e1, e2;
	json_t *j = json_object();
	char *s, want[128];

	(void)state;
	output_envelope_init(&e1);
	output_envelope_init(&e2);
	assert_int_equal(strlen(e1.sensor_id), 16);
	assert_int_equal(strspn(e1.sensor_id, "0123456789abcdef"), 16);
	assert_string_not_equal(e1.sensor_id, e2.sensor_id);
	assert_int_equal(output_envelope_stamp(&e1, j), 0);
	assert_int_equal(output_envelope_stamp(&e1, j), 0);
	assert_int_equal(e1.seq, 2);
	s = json_dumps(j, JSON_COMPACT);
	snprintf(want, sizeof(want), "{\"schema\":1,\"sensor_id\":\"%s\",\"seq\":2}", e1.sensor_id);
	assert_string_equal(s, want);
	free(s);
	json_decref(j);
}

static void test_msgpack_encode_rejects_non_object_and_deep(void **state)
{
	struct output_mp *mp = output_mp__new();
	json_t *arr = json_array(), *deep = json_object(), *cur = deep;
	const char *data;
	size_t len;

	(void)state;
	assert_int_equal(output_mp_encode(mp, arr, &data, &len), -EINVAL);
	/* 17 nested objects: one more than the decoder takes */
	for (int i = 0; i < 16; i++) {
		json_t *n = json_object();

		json_object_set_new(cur, "x", n);
		cur = n;
	}
	assert_int_equal(output_mp_encode(mp, deep, &data, &len), -EINVAL);
	json_decref(arr);
	json_decref(deep);
	output_mp__free(mp);
}

static void assert_garbage(const void *data, size_t len)
{
	struct output_mp_dec *dec = output_mp_dec__new();

	errno = 0;
	assert_null(output_mp_decode(dec, data, len));
	assert_int_equal(errno, EBADMSG);
	output_mp_dec__free(dec);
}

static void test_msgpack_garbage_rejected(void **state)
{
	static const uint8_t top_array[] = { 0x91, 0x01 };
	static const uint8_t trailing[] = { 0x80, 0x00 };
	/* {"a": array32 of 4294967295 elements}: must not allocate 96 GiB */
	static const uint8_t huge_count[] = { 0x81, 0xa1, 'a', 0xdd, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t huge_map[] = { 0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'a' };
	static const uint8_t huge_str[] = { 0x81, 0xa1, 'a', 0xdb, 0x7f, 0xff, 0xff, 0xff, 'x' };
	static const uint8_t int_key[] = { 0x81, 0x01, 0x01 };
	static const uint8_t ext[] = { 0x81, 0xa1, 'a', 0xd4, 0x01, 0x00 };
	static const uint8_t reserved[] = { 0x81, 0xa1, 'a', 0xc1 };
	static const uint8_t bad_utf8[] = { 0x81, 0xa1, 'a', 0xa2, 0xc3, 0x28 };
	static const uint8_t bad_utf8_key[] = { 0x81, 0xa1, 0xff, 0x01 };
	static const uint8_t dup_key[] = { 0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02 };
	static const uint8_t big_uint[] = { 0x81, 0xa1, 'a', 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0 };
	/* {"a": NaN} */
	static const uint8_t nan[] = { 0x81, 0xa1, 'a', 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0 };
	static const uint8_t empty_key[] = { 0x81, 0xa0, 0x01 };
	uint8_t deep[64];
	size_t n = 0;

	(void)state;
	assert_garbage("", 0);
	assert_garbage(top_array, sizeof(top_array));
	assert_garbage(trailing, sizeof(trailing));
	assert_garbage(huge_count, sizeof(huge_count));
	assert_garbage(huge_map, sizeof(huge_map));
	assert_garbage(huge_str, sizeof(huge_str));
	assert_garbage(int_key, sizeof(int_key));
	assert_garbage(ext, sizeof(ext));
	assert_garbage(reserved, sizeof(reserved));
	assert_garbage(bad_utf8, sizeof(bad_utf8));
	assert_garbage(bad_utf8_key, sizeof(bad_utf8_key));
	assert_garbage(dup_key, sizeof(dup_key));
	assert_garbage(big_uint, sizeof(big_uint));
	assert_garbage(nan, sizeof(nan));
	assert_garbage(empty_key, sizeof(empty_key));
	/* 17 nested maps {"a":{"a":...{}}} */
	for (int i = 0; i < 16; i++) {
		deep[n++] = 0x81;
		deep[n++] = 0xa1;
		deep[n++] = 'a';
	}
	deep[n++] = 0x80;
	assert_garbage(deep, n);
}

/* 16 nested maps are fine: the limit is where the encoder's is. */
static void test_msgpack_depth_limit_accepts_16(void **state)
{
	struct output_mp_dec *dec = output_mp_dec__new();
	uint8_t deep[64];
	size_t n = 0;
	json_t *j;

	(void)state;
	for (int i = 0; i < 15; i++) {
		deep[n++] = 0x81;
		deep[n++] = 0xa1;
		deep[n++] = 'a';
	}
	deep[n++] = 0x80;
	j = output_mp_decode(dec, deep, n);
	assert_non_null(j);
	json_decref(j);
	output_mp_dec__free(dec);
}

/* Every proper prefix of a real alert message is garbage, never a crash. */
static void test_msgpack_truncated_rejected(void **state)
{
	struct weir_event ev = alert_tcp4();
	struct output_mp *mp = output_mp__new();
	struct output_mp_dec *dec = output_mp_dec__new();
	json_t *j = output_eve_json(&ev, NULL);
	const char *data;
	size_t len, bad = 0;

	(void)state;
	assert_int_equal(output_mp_encode(mp, j, &data, &len), 0);
	for (size_t i = 0; i < len; i++) {
		json_t *r = output_mp_decode(dec, data, i);

		bad += !r && errno == EBADMSG;
		json_decref(r);
	}
	assert_int_equal(bad, len);
	json_decref(j);
	output_mp__free(mp);
	output_mp_dec__free(dec);
}

/* ---- publisher --------------------------------------------------------- */

static void test_msgpack_pub_bad_url(void **state)
{
	static const char *const bad[] = { "http://x" };
	static const char *const empty[] = { "ipc://" };
	static const char *const bad_host[] = { "tcp://256.1.1.1:5555" };
	struct output_pub_opts o = { .urls = bad, .n_urls = 1 };

	(void)state;
	errno = 0;
	assert_null(output_pub__new(&o));
	assert_int_equal(errno, EINVAL);
	o.urls = empty;
	errno = 0;
	assert_null(output_pub__new(&o));
	assert_int_equal(errno, EINVAL);
	o.urls = bad_host;
	errno = 0;
	assert_null(output_pub__new(&o));
	assert_int_not_equal(errno, 0);
}

static void test_msgpack_pub_bad_group(void **state)
{
	char dir[] = "/tmp/weir-test-pub-XXXXXX", url[128];
	const char *urls[] = { url };
	struct output_pub_opts o = { .urls = urls, .n_urls = 1,
				     .ipc_group = "no-such-group-weir" };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(url, sizeof(url), "ipc://%s/ev.ipc", dir);
	errno = 0;
	assert_null(output_pub__new(&o));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * ipc: the directory is made 0750, the socket file 0660 with the group named
 * (ours, so the test needs no privilege), removed at free.
 */
static void test_msgpack_pub_ipc_modes(void **state)
{
	char dir[] = "/tmp/weir-test-pub-XXXXXX", sub[128], path[160], url[192];
	const char *urls[] = { url };
	struct group *gr = getgrgid(getgid());
	struct output_pub_opts o = { .urls = urls, .n_urls = 1 };
	struct output_pub *pub;
	struct stat sb;

	(void)state;
	assert_non_null(gr);
	o.ipc_group = gr->gr_name;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/run", dir);
	snprintf(path, sizeof(path), "%s/events.ipc", sub);
	snprintf(url, sizeof(url), "ipc://%s", path);
	pub = output_pub__new(&o);
	assert_non_null(pub);
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0750);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0660);
	assert_int_equal(sb.st_gid, getgid());
	output_pub__free(pub);
	assert_int_not_equal(stat(path, &sb), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * The writer with a publisher: what a subscriber receives decodes to the
 * very line the writer printed (same seq), and the counters say so.
 */
static void test_msgpack_writer_publishes_its_line(void **state)
{
	char dir[] = "/tmp/weir-test-pub-XXXXXX", url[128], file[128], line[4096];
	const char *urls[] = { url };
	struct weir_stats st = { 0 };
	struct output_pub_opts po = { .urls = urls, .n_urls = 1 };
	struct output_opts oo = { .host = "node-a", .stats = &st };
	struct weir_event ev = alert_tcp4();
	struct output_mp_dec *dec = output_mp_dec__new();
	struct output_pub *pub;
	struct output *out;
	int sub, timeo = 2000, n, waited = 0;
	char *got = NULL;
	size_t cap = 0, gn;
	void *msg = NULL;
	json_t *j;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(url, sizeof(url), "ipc://%s/ev.ipc", dir);
	snprintf(file, sizeof(file), "%s/eve.json", dir);
	oo.path = file;
	pub = output_pub__new(&po);
	assert_non_null(pub);
	oo.pub = pub;
	out = output__new(&oo);
	assert_non_null(out);
	sub = nn_socket(AF_SP, NN_SUB);
	assert_true(sub >= 0);
	assert_int_equal(nn_setsockopt(sub, NN_SUB, NN_SUB_SUBSCRIBE, "", 0), 0);
	assert_int_equal(nn_setsockopt(sub, NN_SOL_SOCKET, NN_RCVTIMEO, &timeo, sizeof(timeo)), 0);
	assert_true(nn_connect(sub, url) >= 0);
	/* nanomsg connects in the background: wait (bounded) for the pipe */
	while (!nn_get_statistic(sub, NN_STAT_CURRENT_CONNECTIONS) && waited++ < 200)
		usleep(10000);
	usleep(50000);

	assert_int_equal(output__write(out, &ev), 0);
	assert_int_equal(output__flush(out), 0);
	n = nn_recv(sub, &msg, NN_MSG, 0);
	assert_true(n > 0);
	j = output_mp_decode(dec, msg, (size_t)n);
	assert_non_null(j);
	gn = output_eve_dump(j, &got, &cap);
	f = fopen(file, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(gn, strlen(line));
	assert_memory_equal(got, line, gn);
	assert_non_null(strstr(line, ",\"seq\":1}"));
	assert_int_equal(STAT_GET(&st, OUTPUT_PUBLISH_SENT), 1);
	assert_int_equal(STAT_GET(&st, OUTPUT_PUBLISH_BYTES), n);
	assert_int_equal(STAT_GET(&st, OUTPUT_PUBLISH_SEND_FAILED), 0);
	assert_int_equal(STAT_GET(&st, OUTPUT_PUBLISH_NO_SUBSCRIBER), 0);
	assert_int_equal(STAT_GET(&st, OUTPUT_EVENTS_ALERT), 1);

	nn_freemsg(msg);
	json_decref(j);
	free(got);
	nn_close(sub);
	output__free(out);
	output_pub__free(pub);
	output_mp_dec__free(dec);
	unlink(file);
	assert_int_equal(rmdir(dir), 0);
}

/* Publish only (no EVE file), nobody listening: sent and counted as such. */
static void test_msgpack_pub_no_subscriber_counted(void **state)
{
	char dir[] = "/tmp/weir-test-pub-XXXXXX", url[128];
	const char *urls[] = { url };
	struct output_pub_opts po = { .urls = urls, .n_urls = 1 };
	struct weir_event ev = alert_tcp4();
	struct output_pub *pub;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(url, sizeof(url), "ipc://%s/ev.ipc", dir);
	pub = output_pub__new(&po);
	assert_non_null(pub);
	assert_int_equal(output_pub_send(pub, &ev), 0);
	assert_int_equal(output_pub_send(pub, &ev), 0);
	ev.alert.sig = NULL;
	assert_int_equal(output_pub_send(pub, &ev), -EINVAL);
	assert_int_equal(output_pub_envelope(pub)->seq, 2);
	assert_int_equal(STAT_GET(output_pub_stats(pub), OUTPUT_PUBLISH_SENT), 2);
	assert_int_equal(STAT_GET(output_pub_stats(pub), OUTPUT_PUBLISH_NO_SUBSCRIBER), 2);
	assert_int_equal(STAT_GET(output_pub_stats(pub), OUTPUT_PUBLISH_ENCODE_ERRORS), 1);
	output_pub__free(pub);
	assert_int_equal(rmdir(dir), 0);
}


/* ---- weir tail's message handling ------------------------------------- */

struct tail_fixture {
	struct output_tail *t;
	struct output_mp *mp;
	char *out, *err;
	size_t out_len, err_len;
	FILE *fout, *ferr;
};

static void tail_setup(struct tail_fixture *f, unsigned types)
{
	memset(f, 0, sizeof(*f));
	f->fout = open_memstream(&f->out, &f->out_len);
	f->ferr = open_memstream(&f->err, &f->err_len);
	assert_non_null(f->fout);
	assert_non_null(f->ferr);
	f->t = output_tail__new(types, f->fout, f->ferr);
	f->mp = output_mp__new();
	assert_non_null(f->t);
	assert_non_null(f->mp);
}

/* Send one event {timestamp, event_type, host?, schema, sensor_id, seq}; return what tail said. */
static int tail_send(struct tail_fixture *f, const char *type, const char *host, const char *id,
		     json_int_t seq)
{
	json_t *j = json_pack("{s:s,s:s}", "timestamp", "2026-11-29T15:19:09.123456+0000",
			      "event_type", type);
	const char *data;
	size_t len;
	int rc;

	if (host)
		json_object_set_new(j, "host", json_string(host));
	json_object_set_new(j, "schema", json_integer(1));
	json_object_set_new(j, "sensor_id", json_string(id));
	json_object_set_new(j, "seq", json_integer(seq));
	assert_int_equal(output_mp_encode(f->mp, j, &data, &len), 0);
	rc = output_tail_message(f->t, data, len);
	json_decref(j);
	return rc;
}

static void tail_done(struct tail_fixture *f, struct output_tail_counts *c)
{
	output_tail_counts(f->t, c);
	fflush(f->fout);
	fflush(f->ferr);
}

static void tail_teardown(struct tail_fixture *f)
{
	output_tail__free(f->t);
	output_mp__free(f->mp);
	fclose(f->fout);
	fclose(f->ferr);
	free(f->out);
	free(f->err);
}

#define ID_A "aaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbb"

static void test_msgpack_tail_gap_reported(void **state)
{
	struct tail_fixture f;
	struct output_tail_counts c;

	(void)state;
	tail_setup(&f, 0);
	assert_int_equal(tail_send(&f, "flow", "node-a", ID_A, 1), 1);
	assert_int_equal(tail_send(&f, "flow", "node-a", ID_A, 2), 1);
	assert_int_equal(tail_send(&f, "alert", "node-a", ID_A, 5), 1);
	tail_done(&f, &c);
	assert_int_equal(c.received, 3);
	assert_int_equal(c.printed, 3);
	assert_int_equal(c.missed, 2);
	assert_int_equal(c.restarts, 0);
	assert_int_equal(c.sensors, 1);
	assert_string_equal(f.err, "weir tail: sensor node-a/" ID_A ": 2 events missed (seq 3..4)\n");
	tail_teardown(&f);
}

/* The line printed is the EVE line of the object, keys in order. */
static void test_msgpack_tail_prints_eve_line(void **state)
{
	struct tail_fixture f;
	struct output_tail_counts c;

	(void)state;
	tail_setup(&f, 0);
	assert_int_equal(tail_send(&f, "stats", NULL, ID_A, 7), 1);
	tail_done(&f, &c);
	assert_string_equal(f.out, "{\"timestamp\":\"2026-11-29T15:19:09.123456+0000\","
				   "\"event_type\":\"stats\",\"schema\":1,\"sensor_id\":\"" ID_A
				   "\",\"seq\":7}\n");
	assert_string_equal(f.err, "");
	tail_teardown(&f);
}

/* Joining late: the first seq seen is not loss. */
static void test_msgpack_tail_late_join_not_loss(void **state)
{
	struct tail_fixture f;
	struct output_tail_counts c;

	(void)state;
	tail_setup(&f, 0);
	tail_send(&f, "flow", "node-a", ID_A, 100);
	tail_send(&f, "flow", "node-a", ID_A, 101);
	tail_done(&f, &c);
	assert_int_equal(c.missed, 0);
	assert_int_equal(c.printed, 2);
	tail_teardown(&f);
}

/* Same host, new sensor_id from seq 1: a restart, no loss. */
static void test_msgpack_tail_restart_same_host(void **state)
{
	struct tail_fixture f;
	struct output_tail_counts c;

	(void)state;
	tail_setup(&f, 0);
	tail_send(&f, "flow", "node-a", ID_A, 1);
	tail_send(&f, "flow", "node-a", ID_A, 2);
	tail_send(&f, "flow", "node-a", ID_B, 1);
	tail_send(&f, "flow", "node-a", ID_B, 2);
	tail_done(&f, &c);
	assert_int_equal(c.restarts, 1);
	assert_int_equal(c.missed, 0);
	assert_int_equal(c.sensors, 2);
	assert_string_equal(f.err, "weir tail: sensor node-a/" ID_A " restarted as " ID_B
				   " (seq 1)\n");
	tail_teardown(&f);
}

/* seq going back within one sensor_id is a restart too, not loss. */
static void test_msgpack_tail_seq_back_is_restart(void **state)
{
	struct tail_fixture f;
	struct output_tail_counts c;

	(void)state;
	tail_setup(&f, 0);
	tail_send(&f, "flow", NULL, ID_A, 5);
	tail_send(&f, "flow", NULL, ID_A, 1);
	tail_send(&f, "flow", NULL, ID_A, 2);
	tail_done(&f, &c);
	assert_int_equal(c.restarts, 1);
	assert_int_equal(c.missed, 0);
	tail_teardown(&f);
}

/* Two sensors interleaved: each has its own seq. */
static void test_msgpack_tail_sensors_independent(void **state)
{
	struct tail_fixture f;
	struct output_tail_counts c;

	(void)state;
	tail_setup(&f, 0);
	tail_send(&f, "flow", "node-a", ID_A, 1);
	tail_send(&f, "flow", "node-b", ID_B, 1);
	tail_send(&f, "flow", "node-a", ID_A, 2);
	tail_send(&f, "flow", "node-b", ID_B, 3);
	tail_done(&f, &c);
	assert_int_equal(c.sensors, 2);
	assert_int_equal(c.restarts, 0);
	assert_int_equal(c.missed, 1);
	assert_string_equal(f.err, "weir tail: sensor node-b/" ID_B ": 1 events missed (seq 2..2)\n");
	tail_teardown(&f);
}

/* --type: filtered events are not printed but their seq still counts. */
static void test_msgpack_tail_type_filter(void **state)
{
	struct tail_fixture f;
	struct output_tail_counts c;

	(void)state;
	tail_setup(&f, OUTPUT_TAIL_ALERT);
	assert_int_equal(tail_send(&f, "flow", NULL, ID_A, 1), 0);
	assert_int_equal(tail_send(&f, "alert", NULL, ID_A, 2), 1);
	tail_done(&f, &c);
	assert_int_equal(c.received, 2);
	assert_int_equal(c.printed, 1);
	assert_int_equal(c.missed, 0);
	assert_non_null(strstr(f.out, "\"event_type\":\"alert\""));
	assert_null(strstr(f.out, "\"flow\""));
	tail_teardown(&f);
}

/* Not msgpack, no envelope, a bad sensor_id, an unknown type: counted, warned once. */
static void test_msgpack_tail_garbage_counted(void **state)
{
	static const uint8_t junk[] = { 0xc1, 0x00 };
	struct tail_fixture f;
	struct output_tail_counts c;
	const char *data;
	size_t len;
	json_t *j = json_pack("{s:s}", "event_type", "alert");

	(void)state;
	tail_setup(&f, 0);
	assert_int_equal(output_tail_message(f.t, junk, sizeof(junk)), 0);
	assert_int_equal(output_mp_encode(f.mp, j, &data, &len), 0);
	assert_int_equal(output_tail_message(f.t, data, len), 0);
	assert_int_equal(tail_send(&f, "alert", NULL, "short", 1), 0);
	assert_int_equal(tail_send(&f, "dns", NULL, ID_A, 1), 0);
	assert_int_equal(tail_send(&f, "alert", NULL, ID_A, 0), 0);
	tail_done(&f, &c);
	assert_int_equal(c.received, 5);
	assert_int_equal(c.garbage, 5);
	assert_int_equal(c.printed, 0);
	assert_int_equal(c.sensors, 0);
	assert_string_equal(f.out, "");
	assert_string_equal(f.err, "weir tail: skipped a message that is not a Weir event "
				   "(bad msgpack or envelope; 1 so far)\n");
	json_decref(j);
	tail_teardown(&f);
}


/* Two maps and junk in one message: both events printed, the junk counted. */
static void test_msgpack_tail_batch_message(void **state)
{
	struct tail_fixture f;
	struct output_tail_counts c;
	json_t *j = json_pack("{s:s,s:s,s:i,s:s,s:i}", "timestamp",
			      "2026-11-29T15:19:09.123456+0000", "event_type", "flow", "schema", 1,
			      "sensor_id", ID_A, "seq", 1);
	uint8_t buf[512];
	const char *data;
	size_t len, n = 0;

	(void)state;
	tail_setup(&f, 0);
	assert_int_equal(output_mp_encode(f.mp, j, &data, &len), 0);
	memcpy(buf, data, len);
	n += len;
	json_object_set_new(j, "seq", json_integer(2));
	assert_int_equal(output_mp_encode(f.mp, j, &data, &len), 0);
	memcpy(buf + n, data, len);
	n += len;
	buf[n++] = 0xc1;
	assert_int_equal(output_tail_message(f.t, buf, n), 2);
	tail_done(&f, &c);
	assert_int_equal(c.received, 3);
	assert_int_equal(c.printed, 2);
	assert_int_equal(c.garbage, 1);
	assert_int_equal(c.missed, 0);
	assert_non_null(strstr(f.out, "\"seq\":1}\n{"));
	json_decref(j);
	tail_teardown(&f);
}

/*
 * Batching publisher: events written by the writer wait in the batch until
 * output__flush(), then travel as one message that tail splits again.
 */
static void test_msgpack_pub_batch_one_message(void **state)
{
	char dir[] = "/tmp/weir-test-pub-XXXXXX", url[128];
	const char *urls[] = { url };
	struct weir_stats st = { 0 };
	struct output_pub_opts po = { .urls = urls, .n_urls = 1, .batch_bytes = 65536 };
	struct output_opts oo = { .stats = &st };
	struct weir_event ev = alert_tcp4();
	struct tail_fixture f;
	struct output_tail_counts c;
	struct output_pub *pub;
	struct output *out;
	int sub, timeo = 2000, n, waited = 0;
	void *msg = NULL;

	(void)state;
	tail_setup(&f, 0);
	assert_non_null(mkdtemp(dir));
	snprintf(url, sizeof(url), "ipc://%s/ev.ipc", dir);
	pub = output_pub__new(&po);
	assert_non_null(pub);
	oo.pub = pub;
	out = output__new(&oo);
	assert_non_null(out);
	sub = nn_socket(AF_SP, NN_SUB);
	assert_int_equal(nn_setsockopt(sub, NN_SUB, NN_SUB_SUBSCRIBE, "", 0), 0);
	assert_int_equal(nn_setsockopt(sub, NN_SOL_SOCKET, NN_RCVTIMEO, &timeo, sizeof(timeo)), 0);
	assert_true(nn_connect(sub, url) >= 0);
	while (!nn_get_statistic(sub, NN_STAT_CURRENT_CONNECTIONS) && waited++ < 200)
		usleep(10000);
	usleep(50000);

	assert_int_equal(output__write(out, &ev), 0);
	assert_int_equal(output__write(out, &ev), 0);
	assert_int_equal(output__write(out, &ev), 0);
	assert_int_equal(STAT_GET(&st, OUTPUT_PUBLISH_SENT), 0);
	assert_int_equal(nn_recv(sub, &msg, NN_MSG, NN_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(output__flush(out), 0);
	assert_int_equal(STAT_GET(&st, OUTPUT_PUBLISH_SENT), 3);
	n = nn_recv(sub, &msg, NN_MSG, 0);
	assert_true(n > 0);
	assert_int_equal(STAT_GET(&st, OUTPUT_PUBLISH_BYTES), n);
	assert_int_equal(output_tail_message(f.t, msg, (size_t)n), 3);
	tail_done(&f, &c);
	assert_int_equal(c.printed, 3);
	assert_int_equal(c.missed, 0);
	assert_int_equal(c.garbage, 0);
	assert_non_null(strstr(f.out, ",\"seq\":3}\n"));

	nn_freemsg(msg);
	nn_close(sub);
	output__free(out);
	output_pub__free(pub);
	tail_teardown(&f);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msgpack_alert_roundtrip),
		cmocka_unit_test(test_msgpack_alert_anomaly_roundtrip),
		cmocka_unit_test(test_msgpack_alert_icmp6_vlan_iface_roundtrip),
		cmocka_unit_test(test_msgpack_flow_tcp_roundtrip),
		cmocka_unit_test(test_msgpack_flow_udp6_roundtrip),
		cmocka_unit_test(test_msgpack_stats_roundtrip),
		cmocka_unit_test(test_msgpack_exact_bytes),
		cmocka_unit_test(test_msgpack_payload_is_bin),
		cmocka_unit_test(test_msgpack_envelope),
		cmocka_unit_test(test_msgpack_encode_rejects_non_object_and_deep),
		cmocka_unit_test(test_msgpack_garbage_rejected),
		cmocka_unit_test(test_msgpack_depth_limit_accepts_16),
		cmocka_unit_test(test_msgpack_truncated_rejected),
		cmocka_unit_test(test_msgpack_pub_bad_url),
		cmocka_unit_test(test_msgpack_pub_bad_group),
		cmocka_unit_test(test_msgpack_pub_ipc_modes),
		cmocka_unit_test(test_msgpack_writer_publishes_its_line),
		cmocka_unit_test(test_msgpack_pub_no_subscriber_counted),
		cmocka_unit_test(test_msgpack_tail_gap_reported),
		cmocka_unit_test(test_msgpack_tail_prints_eve_line),
		cmocka_unit_test(test_msgpack_tail_late_join_not_loss),
		cmocka_unit_test(test_msgpack_tail_restart_same_host),
		cmocka_unit_test(test_msgpack_tail_seq_back_is_restart),
		cmocka_unit_test(test_msgpack_tail_sensors_independent),
		cmocka_unit_test(test_msgpack_tail_type_filter),
		cmocka_unit_test(test_msgpack_tail_garbage_counted),
		cmocka_unit_test(test_msgpack_tail_batch_message),
		cmocka_unit_test(test_msgpack_pub_batch_one_message),
	};

	return cmocka_run_group_tests_name("msgpack", tests, NULL, NULL);
}
