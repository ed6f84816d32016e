// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_eve.c - EVE JSON encoding and the writer: exact text of every event type.
 *
 * Community IDs in the expected lines were computed with an independent
 * Python (hashlib) implementation of the spec that reproduces the spec's
 * baseline values (see test_community_id.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "output/output.h"

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

/* The JSON text of @ev as the writer prints it (without the newline). */
static char *eve_text(const struct weir_event *ev, const struct output_eve_opts *o)
{
	json_t *j = output_eve_json(ev, o);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	assert_non_null(s);
	return s;
}

static void assert_eve(const struct weir_event *ev, const struct output_eve_opts *o,
		       const char *want)
{
	char *got = eve_text(ev, o);

	assert_string_equal(got, want);
	free(got);
}

static const char *const md_redis[] = {
	"attack_target Server",
	"created_at 2026_11_01",
	"attack_target Database",
	"  deployment   Internal  ",
	"novalue",
	NULL,
};

static const struct event_sig sig_redis = {
	.gid = 1,
	.sid = 2100001,
	.rev = 3,
	.severity = 2,
	.signature = "WEIR east-west Redis CONFIG SET from pod",
	.category = "Attempted Administrator Privilege Gain",
	.metadata = md_redis,
};

static const struct event_sig sig_plain = {
	.gid = 1,
	.sid = 1000,
	.rev = 1,
	.severity = 3,
	.signature = "ping",
	.category = "",
};

/* Alert on a client->server packet of 10.244.1.5:43512 -> 10.244.2.7:6379. */
static struct weir_event alert_tcp4(void)
{
	struct weir_event ev = {
		.type = EVENT_ALERT,
		.ts_ns = TS_2026,
		.pcap_cnt = 42,
		.flow_id = 123456789,
		.direction = "to_server",
		.t = {
			.src = v4("10.244.1.5"),
			.dst = v4("10.244.2.7"),
			.sport = 43512,
			.dport = 6379,
			.ip_ver = 4,
			.proto = IPPROTO_TCP,
		},
	};

	ev.alert.sig = &sig_redis;
	ev.alert.action = "allowed";
	ev.alert.has_flow = true;
	ev.alert.flow = (struct event_flow){
		.pkts_toserver = 4,
		.pkts_toclient = 3,
		.bytes_toserver = 400,
		.bytes_toclient = 300,
		.start_ns = TS_2026 - 2 * S,
		.end_ns = TS_2026,
		.state = "established",
	};
	return ev;
}

static void test_eve_alert_tcp4_full(void **state)
{
	struct weir_event ev = alert_tcp4();
	struct output_eve_opts o = { .host = "node-a" };

	(void)state;
	assert_eve(&ev, &o,
		   "{\"timestamp\":\"2026-11-29T15:19:09.123456+0000\",\"flow_id\":123456789,"
		   "\"pcap_cnt\":42,\"event_type\":\"alert\",\"src_ip\":\"10.244.1.5\","
		   "\"src_port\":43512,\"dest_ip\":\"10.244.2.7\",\"dest_port\":6379,"
		   "\"proto\":\"TCP\",\"community_id\":\"1:EkVk6fgOC+y3earyfz3BKcGhr7s=\","
		   "\"direction\":\"to_server\",\"host\":\"node-a\","
		   "\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":2100001,\"rev\":3,"
		   "\"signature\":\"WEIR east-west Redis CONFIG SET from pod\","
		   "\"category\":\"Attempted Administrator Privilege Gain\",\"severity\":2,"
		   "\"metadata\":{\"attack_target\":[\"Server\",\"Database\"],"
		   "\"created_at\":[\"2026_11_01\"],\"deployment\":[\"Internal\"]}},"
		   "\"flow\":{\"pkts_toserver\":4,\"pkts_toclient\":3,\"bytes_toserver\":400,"
		   "\"bytes_toclient\":300,\"start\":\"2026-11-29T15:19:07.123456+0000\","
		   "\"state\":\"established\"}}");
}

/* Server->client packet: src/dest follow the packet, the Community ID does not change. */
static void test_eve_alert_to_client_keeps_community_id(void **state)
{
	struct weir_event ev = alert_tcp4();
	struct output_eve_opts o = { 0 };

	(void)state;
	ev.t.src = v4("10.244.2.7");
	ev.t.dst = v4("10.244.1.5");
	ev.t.sport = 6379;
	ev.t.dport = 43512;
	ev.direction = "to_client";
	ev.alert.sig = &sig_plain;
	ev.alert.has_flow = false;
	assert_eve(&ev, &o,
		   "{\"timestamp\":\"2026-11-29T15:19:09.123456+0000\",\"flow_id\":123456789,"
		   "\"pcap_cnt\":42,\"event_type\":\"alert\",\"src_ip\":\"10.244.2.7\","
		   "\"src_port\":6379,\"dest_ip\":\"10.244.1.5\",\"dest_port\":43512,"
		   "\"proto\":\"TCP\",\"community_id\":\"1:EkVk6fgOC+y3earyfz3BKcGhr7s=\","
		   "\"direction\":\"to_client\","
		   "\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":1000,\"rev\":1,"
		   "\"signature\":\"ping\",\"category\":\"\",\"severity\":3}}");
}

static void test_eve_alert_community_id_seed(void **state)
{
	struct weir_event ev = alert_tcp4();
	struct output_eve_opts o = { .cid_seed = 7 };
	json_t *j;

	(void)state;
	j = output_eve_json(&ev, &o);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "community_id")),
			    "1:vrcN2tLim0T1XXiPJN+2id28jZQ=");
	json_decref(j);
}

/* IPv6 UDP in two VLAN tags, live (in_iface), no pcap_cnt, no flow_id. */
static const char *ifname_stub(void *arg, uint32_t ifindex, char *buf)
{
	(void)arg;
	snprintf(buf, IF_NAMESIZE, "veth%u", ifindex);
	return buf;
}

static void test_eve_alert_udp6_vlan_iface(void **state)
{
	struct weir_event ev = {
		.type = EVENT_ALERT,
		.ts_ns = TS_2026,
		.ifindex = 17,
		.direction = "to_server",
		.t = {
			.src = v6("fd00:10:244::5"),
			.dst = v6("fd00:10:244::7"),
			.sport = 53000,
			.dport = 53,
			.ip_ver = 6,
			.proto = IPPROTO_UDP,
			.vlan = { 100, 200 },
			.vlan_cnt = 2,
		},
	};
	struct output_eve_opts o = { .ifname = ifname_stub };

	(void)state;
	ev.alert.sig = &sig_plain;
	assert_eve(&ev, &o,
		   "{\"timestamp\":\"2026-11-29T15:19:09.123456+0000\",\"event_type\":\"alert\","
		   "\"in_iface\":\"veth17\",\"vlan\":[100,200],\"src_ip\":\"fd00:10:244::5\","
		   "\"src_port\":53000,\"dest_ip\":\"fd00:10:244::7\",\"dest_port\":53,"
		   "\"proto\":\"UDP\",\"community_id\":\"1:rYrkqG+DnI0lSY13a8aYkwhnQD0=\","
		   "\"direction\":\"to_server\","
		   "\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":1000,\"rev\":1,"
		   "\"signature\":\"ping\",\"category\":\"\",\"severity\":3}}");
}

static const char *ifname_unknown(void *arg, uint32_t ifindex, char *buf)
{
	(void)arg;
	(void)ifindex;
	(void)buf;
	return NULL;
}

static void test_eve_iface_unknown_prints_index(void **state)
{
	struct weir_event ev = alert_tcp4();
	struct output_eve_opts o = { .ifname = ifname_unknown };
	json_t *j;

	(void)state;
	ev.ifindex = 7;
	j = output_eve_json(&ev, &o);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "in_iface")), "if7");
	json_decref(j);
}

/* Without a lookup function: if_indextoname(); loopback is ifindex 1 in every netns. */
static void test_eve_iface_if_indextoname(void **state)
{
	struct weir_event ev = alert_tcp4();
	json_t *j;

	(void)state;
	ev.ifindex = 1;
	j = output_eve_json(&ev, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "in_iface")), "lo");
	json_decref(j);
}

/* One VLAN tag: an array of one. */
static void test_eve_vlan_single(void **state)
{
	struct weir_event ev = alert_tcp4();
	char *got;

	(void)state;
	ev.t.vlan[0] = 42;
	ev.t.vlan_cnt = 1;
	got = eve_text(&ev, NULL);
	assert_non_null(strstr(got, "\"event_type\":\"alert\",\"vlan\":[42],\"src_ip\""));
	free(got);
}

static void test_eve_alert_icmp4(void **state)
{
	struct weir_event ev = {
		.type = EVENT_ALERT,
		.ts_ns = TS_2026,
		.pcap_cnt = 1,
		.flow_id = 5,
		.direction = "to_server",
		.t = {
			.src = v4("10.244.1.5"),
			.dst = v4("10.244.2.7"),
			.ip_ver = 4,
			.proto = IPPROTO_ICMP,
			.icmp_type = 8,
			.icmp_code = 0,
		},
	};

	(void)state;
	ev.alert.sig = &sig_plain;
	assert_eve(&ev, NULL,
		   "{\"timestamp\":\"2026-11-29T15:19:09.123456+0000\",\"flow_id\":5,"
		   "\"pcap_cnt\":1,\"event_type\":\"alert\",\"src_ip\":\"10.244.1.5\","
		   "\"dest_ip\":\"10.244.2.7\",\"proto\":\"ICMP\",\"icmp_type\":8,\"icmp_code\":0,"
		   "\"community_id\":\"1:A/Lwj4WRv6U58JjDP4FenXztDfs=\",\"direction\":\"to_server\","
		   "\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":1000,\"rev\":1,"
		   "\"signature\":\"ping\",\"category\":\"\",\"severity\":3}}");
}

static void test_eve_alert_icmp6(void **state)
{
	struct weir_event ev = {
		.type = EVENT_ALERT,
		.ts_ns = TS_2026,
		.direction = "to_server",
		.t = {
			.src = v6("fd00::1"),
			.dst = v6("fd00::2"),
			.ip_ver = 6,
			.proto = IPPROTO_ICMPV6,
			.icmp_type = 128,
			.icmp_code = 0,
		},
	};

	(void)state;
	ev.alert.sig = &sig_plain;
	assert_eve(&ev, NULL,
		   "{\"timestamp\":\"2026-11-29T15:19:09.123456+0000\",\"event_type\":\"alert\","
		   "\"src_ip\":\"fd00::1\",\"dest_ip\":\"fd00::2\",\"proto\":\"IPv6-ICMP\","
		   "\"icmp_type\":128,\"icmp_code\":0,"
		   "\"community_id\":\"1:cHVm51rRL0MQihNiyq5ZLwFkyko=\",\"direction\":\"to_server\","
		   "\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":1000,\"rev\":1,"
		   "\"signature\":\"ping\",\"category\":\"\",\"severity\":3}}");
}

/* Heuristic alert: anomaly object after flow. */
static void test_eve_alert_anomaly(void **state)
{
	struct weir_event ev = alert_tcp4();
	char *got;

	(void)state;
	ev.alert.sig = &sig_plain;
	ev.alert.has_flow = false;
	ev.alert.has_anomaly = true;
	ev.alert.anomaly = (struct event_anomaly){
		.kind = "port_scan",
		.count = 15,
		.window_s = 300,
		.first_ns = TS_2026 - 10 * S,
		.last_ns = TS_2026,
		.n_targets = 2,
		.target_ports = { 22, 2379 },
		.target_addrs = { v4("10.244.2.7") },
	};
	got = eve_text(&ev, NULL);
	assert_non_null(strstr(got, "\"severity\":3},\"anomaly\":{\"kind\":\"port_scan\","
				    "\"count\":15,\"window_s\":300,"
				    "\"first\":\"2026-11-29T15:18:59.123456+0000\","
				    "\"last\":\"2026-11-29T15:19:09.123456+0000\","
				    "\"targets\":[{\"ip\":\"10.244.2.7\",\"port\":22},"
				    "{\"port\":2379}]}}"));
	free(got);
}

/* Rule strings that are not UTF-8 keep their field, bytes >= 0x80 as '?'. */
static void test_eve_alert_bad_utf8_sanitized(void **state)
{
	static const struct event_sig sig_bad = {
		.gid = 1,
		.sid = 9,
		.rev = 1,
		.severity = 1,
		.signature = "bad \xff\xfe msg",
		.category = "",
	};
	struct weir_event ev = alert_tcp4();
	json_t *j;

	(void)state;
	ev.alert.sig = &sig_bad;
	j = output_eve_json(&ev, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "alert"),
							      "signature")),
			    "bad ?? msg");
	json_decref(j);
}

static struct weir_event flow_tcp4(void)
{
	struct weir_event ev = {
		.type = EVENT_FLOW,
		.ts_ns = TS_2026 + 65 * S,
		.flow_id = 123456789,
		.t = {
			.src = v4("10.244.1.5"),
			.dst = v4("10.244.2.7"),
			.sport = 43512,
			.dport = 6379,
			.ip_ver = 4,
			.proto = IPPROTO_TCP,
		},
	};

	ev.flow = (struct event_flow){
		.pkts_toserver = 6,
		.pkts_toclient = 5,
		.bytes_toserver = 600,
		.bytes_toclient = 5000,
		/* 15:19:09.9 to 15:19:10.1: age counts second marks passed, as Suricata */
		.start_ns = TS_2026 + 776543211ULL,
		.end_ns = TS_2026 + 976543211ULL,
		.state = "closed",
		.reason = "timeout",
		.tcp_state = "closed",
		.tcp_flags = 0x1b,
		.tcp_flags_ts = 0x1b,
		.tcp_flags_tc = 0x1b,
		.alerted = true,
	};
	return ev;
}

static void test_eve_flow_tcp4(void **state)
{
	struct weir_event ev = flow_tcp4();
	struct output_eve_opts o = { .host = "node-a" };

	(void)state;
	assert_eve(&ev, &o,
		   "{\"timestamp\":\"2026-11-29T15:20:14.123456+0000\",\"flow_id\":123456789,"
		   "\"event_type\":\"flow\",\"src_ip\":\"10.244.1.5\",\"src_port\":43512,"
		   "\"dest_ip\":\"10.244.2.7\",\"dest_port\":6379,\"proto\":\"TCP\","
		   "\"community_id\":\"1:EkVk6fgOC+y3earyfz3BKcGhr7s=\",\"host\":\"node-a\","
		   "\"flow\":{\"pkts_toserver\":6,\"pkts_toclient\":5,\"bytes_toserver\":600,"
		   "\"bytes_toclient\":5000,\"start\":\"2026-11-29T15:19:09.900000+0000\","
		   "\"end\":\"2026-11-29T15:19:10.100000+0000\",\"age\":1,\"state\":\"closed\","
		   "\"reason\":\"timeout\",\"alerted\":true},"
		   "\"tcp\":{\"tcp_flags\":\"1b\",\"tcp_flags_ts\":\"1b\",\"tcp_flags_tc\":\"1b\","
		   "\"syn\":true,\"fin\":true,\"psh\":true,\"ack\":true,\"state\":\"closed\"}}");
}

/* Only the flags seen are printed; RST/URG/ECE/CWR and per-direction hex. */
static void test_eve_flow_tcp_flags_all_bits(void **state)
{
	struct weir_event ev = flow_tcp4();
	json_t *j, *tcp;
	char *got;

	(void)state;
	ev.flow.tcp_flags = 0xe6; /* SYN RST URG ECE CWR */
	ev.flow.tcp_flags_ts = 0x02;
	ev.flow.tcp_flags_tc = 0xe4;
	ev.flow.tcp_state = NULL;
	j = output_eve_json(&ev, NULL);
	assert_non_null(j);
	tcp = json_object_get(j, "tcp");
	got = json_dumps(tcp, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(got, "{\"tcp_flags\":\"e6\",\"tcp_flags_ts\":\"02\",\"tcp_flags_tc\":"
				 "\"e4\",\"syn\":true,\"rst\":true,\"urg\":true,\"ecn\":true,"
				 "\"cwr\":true}");
	free(got);
	json_decref(j);
}

static void test_eve_flow_udp6_no_tcp_object(void **state)
{
	struct weir_event ev = {
		.type = EVENT_FLOW,
		.ts_ns = TS_2026,
		.flow_id = 77,
		.t = {
			.src = v6("fd00:10:244::5"),
			.dst = v6("fd00:10:244::7"),
			.sport = 53000,
			.dport = 53,
			.ip_ver = 6,
			.proto = IPPROTO_UDP,
		},
	};

	(void)state;
	ev.flow = (struct event_flow){
		.pkts_toserver = 1,
		.pkts_toclient = 1,
		.bytes_toserver = 80,
		.bytes_toclient = 120,
		.start_ns = TS_2026 - 30 * S,
		.end_ns = TS_2026 - 30 * S,
		.state = "established",
		.reason = "shutdown",
	};
	assert_eve(&ev, NULL,
		   "{\"timestamp\":\"2026-11-29T15:19:09.123456+0000\",\"flow_id\":77,"
		   "\"event_type\":\"flow\",\"src_ip\":\"fd00:10:244::5\",\"src_port\":53000,"
		   "\"dest_ip\":\"fd00:10:244::7\",\"dest_port\":53,\"proto\":\"UDP\","
		   "\"community_id\":\"1:rYrkqG+DnI0lSY13a8aYkwhnQD0=\","
		   "\"flow\":{\"pkts_toserver\":1,\"pkts_toclient\":1,\"bytes_toserver\":80,"
		   "\"bytes_toclient\":120,\"start\":\"2026-11-29T15:18:39.123456+0000\","
		   "\"end\":\"2026-11-29T15:18:39.123456+0000\",\"age\":0,"
		   "\"state\":\"established\",\"reason\":\"shutdown\",\"alerted\":false}}");
}

/* GRE: named, no ports (even if the tuple holds some), address-only Community ID. */
static void test_eve_flow_gre_no_ports(void **state)
{
	struct weir_event ev = {
		.type = EVENT_FLOW,
		.ts_ns = TS_2026,
		.t = {
			.src = v4("10.0.0.1"),
			.dst = v4("10.0.0.2"),
			.sport = 1,
			.dport = 2,
			.ip_ver = 4,
			.proto = 47,
		},
	};

	(void)state;
	ev.flow = (struct event_flow){ .start_ns = TS_2026, .end_ns = TS_2026 };
	assert_eve(&ev, NULL,
		   "{\"timestamp\":\"2026-11-29T15:19:09.123456+0000\",\"event_type\":\"flow\","
		   "\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"10.0.0.2\",\"proto\":\"GRE\","
		   "\"community_id\":\"1:+KlEHDT0vJgzs/eNmzHq0aSpRYw=\","
		   "\"flow\":{\"pkts_toserver\":0,\"pkts_toclient\":0,\"bytes_toserver\":0,"
		   "\"bytes_toclient\":0,\"start\":\"2026-11-29T15:19:09.123456+0000\","
		   "\"end\":\"2026-11-29T15:19:09.123456+0000\",\"age\":0,\"alerted\":false}}");
}

static void test_eve_proto_unnamed_is_number(void **state)
{
	struct weir_event ev = {
		.type = EVENT_FLOW,
		.ts_ns = TS_2026,
		.t = { .src = v4("10.0.0.1"), .dst = v4("10.0.0.2"), .ip_ver = 4, .proto = 253 },
	};
	json_t *j;

	(void)state;
	j = output_eve_json(&ev, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "proto")), "253");
	assert_string_equal(json_string_value(json_object_get(j, "community_id")),
			    "1:9JGvaJKbyhma+x6M/Vp6P7CK7ro=");
	assert_null(json_object_get(j, "src_port"));
	json_decref(j);
}

/* No IP (ip_ver 0): no tuple keys at all. */
static void test_eve_no_ip_no_tuple(void **state)
{
	struct weir_event ev = { .type = EVENT_FLOW, .ts_ns = TS_2026 };

	(void)state;
	ev.flow = (struct event_flow){ .start_ns = TS_2026, .end_ns = TS_2026 };
	assert_eve(&ev, NULL,
		   "{\"timestamp\":\"2026-11-29T15:19:09.123456+0000\",\"event_type\":\"flow\","
		   "\"flow\":{\"pkts_toserver\":0,\"pkts_toclient\":0,\"bytes_toserver\":0,"
		   "\"bytes_toclient\":0,\"start\":\"2026-11-29T15:19:09.123456+0000\","
		   "\"end\":\"2026-11-29T15:19:09.123456+0000\",\"age\":0,\"alerted\":false}}");
}

/* jansson integers are int64: u64 counters saturate, flow_id keeps 51 bits. */
static void test_eve_u64_clamped_flow_id_masked(void **state)
{
	struct weir_event ev = flow_tcp4();
	json_t *j, *f;

	(void)state;
	ev.flow_id = 0xfff8000000000001ULL;
	ev.flow.bytes_toclient = UINT64_MAX;
	ev.flow.pkts_toclient = (uint64_t)INT64_MAX;
	j = output_eve_json(&ev, NULL);
	assert_non_null(j);
	f = json_object_get(j, "flow");
	assert_int_equal(json_integer_value(json_object_get(j, "flow_id")), 1);
	assert_true(json_integer_value(json_object_get(f, "bytes_toclient")) == INT64_MAX);
	assert_true(json_integer_value(json_object_get(f, "pkts_toclient")) == INT64_MAX);
	json_decref(j);
}

/* A flow_id whose low 51 bits are 0 is left out like flow_id 0. */
static void test_eve_flow_id_zero_omitted(void **state)
{
	struct weir_event ev = flow_tcp4();
	json_t *j;

	(void)state;
	ev.flow_id = 0;
	j = output_eve_json(&ev, NULL);
	assert_non_null(j);
	assert_null(json_object_get(j, "flow_id"));
	assert_null(json_object_get(j, "pcap_cnt"));
	json_decref(j);
}

static void assert_ts(uint64_t ns, const char *want)
{
	char buf[OUTPUT_TS_LEN];

	assert_string_equal(output_eve_timestamp(ns, buf), want);
}

static void test_eve_timestamp_epoch(void **state)
{
	(void)state;
	assert_ts(0, "1970-01-01T00:00:00.000000+0000");
}

/* Nanoseconds are truncated, never rounded into the next second. */
static void test_eve_timestamp_truncates_to_us(void **state)
{
	(void)state;
	assert_ts(TS_2026, "2026-11-29T15:19:09.123456+0000");
	assert_ts(946684799999999999ULL, "1999-12-31T23:59:59.999999+0000");
	assert_ts(946684800000000999ULL, "2000-01-01T00:00:00.000000+0000");
}

static void test_eve_timestamp_leap_years(void **state)
{
	(void)state;
	assert_ts(951825600ULL * S, "2000-02-29T12:00:00.000000+0000");
	assert_ts(4107542400ULL * S - 1, "2100-02-28T23:59:59.999999+0000");
	assert_ts(4107542400ULL * S, "2100-03-01T00:00:00.000000+0000");
}

static void test_eve_timestamp_after_2038(void **state)
{
	(void)state;
	assert_ts(2147483648ULL * S + 1000, "2038-01-19T03:14:08.000001+0000");
	assert_ts(UINT64_MAX, "2554-07-21T23:34:33.709551+0000");
}

static void test_eve_stats_nesting(void **state)
{
	static const char *const names[] = {
		"decoder.pkts",       "decoder.invalid.ipv4_trunc", "flow.created",
		"decoder.invalid.ipv6_trunc", "decoder.bytes", "top",
	};
	static const uint64_t v[] = { 10, 0, 3, 1, UINT64_MAX, 5 };
	json_t *st = output_eve_stats_object(v, names, 6, 3600);
	char *got;

	(void)state;
	assert_non_null(st);
	got = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(got, "{\"uptime\":3600,\"decoder\":{\"pkts\":10,\"invalid\":"
				 "{\"ipv4_trunc\":0,\"ipv6_trunc\":1},"
				 "\"bytes\":9223372036854775807},\"flow\":{\"created\":3},\"top\":5}");
	free(got);
	json_decref(st);
}

/* "a.b" a counter and "a.b.c" too: the second stays flat, nothing is lost. */
static void test_eve_stats_name_conflict_flat(void **state)
{
	static const char *const names[] = { "a.b", "a.b.c" };
	static const uint64_t v[] = { 1, 2 };
	json_t *st = output_eve_stats_object(v, names, 2, 0);
	char *got;

	(void)state;
	assert_non_null(st);
	got = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(got, "{\"uptime\":0,\"a\":{\"b\":1,\"b.c\":2}}");
	free(got);
	json_decref(st);
}

/* Whole stats event from core/stats.h: every counter present, zeros included. */
static size_t count_leaves(json_t *o)
{
	const char *k;
	json_t *v;
	size_t n = 0;

	json_object_foreach(o, k, v)
		n += json_is_object(v) ? count_leaves(v) : 1;
	return n;
}

static void test_eve_stats_event(void **state)
{
	static struct weir_stats st;
	struct weir_event ev = { .type = EVENT_STATS, .ts_ns = TS_2026 };
	struct output_eve_opts o = { .host = "node-a" };
	json_t *j, *s;
	char *head;

	(void)state;
	memset(&st, 0, sizeof(st));
	STAT_ADD(&st, DECODE_PKTS, 1234);
	STAT_INC(&st, OUTPUT_EVENTS_ALERT);
	ev.stats.stats = &st;
	ev.stats.uptime_s = 61;
	j = output_eve_json(&ev, &o);
	assert_non_null(j);
	s = json_object_get(j, "stats");
	assert_int_equal(json_integer_value(json_object_get(s, "uptime")), 61);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "decoder"), "pkts")),
			 1234);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_object_get(s, "output"), "events"), "alert")),
			 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "flow"), "created")),
			 0);
	/* uptime + one leaf per counter */
	assert_int_equal(count_leaves(s), WS__MAX + 1);
	json_object_del(j, "stats");
	head = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(head, "{\"timestamp\":\"2026-11-29T15:19:09.123456+0000\","
				  "\"event_type\":\"stats\",\"host\":\"node-a\"}");
	free(head);
	json_decref(j);
}

static void test_eve_invalid_events_einval(void **state)
{
	struct weir_event alert = { .type = EVENT_ALERT };
	struct weir_event stats = { .type = EVENT_STATS };
	struct weir_event bad = { .type = (enum event_type)99 };

	(void)state;
	errno = 0;
	assert_null(output_eve_json(&alert, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(output_eve_json(&stats, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(output_eve_json(&bad, NULL));
	assert_int_equal(errno, EINVAL);
}

static void test_eve_proto_names(void **state)
{
	(void)state;
	assert_string_equal(output_eve_proto_name(6), "TCP");
	assert_string_equal(output_eve_proto_name(17), "UDP");
	assert_string_equal(output_eve_proto_name(1), "ICMP");
	assert_string_equal(output_eve_proto_name(58), "IPv6-ICMP");
	assert_string_equal(output_eve_proto_name(47), "GRE");
	assert_string_equal(output_eve_proto_name(132), "SCTP");
	assert_null(output_eve_proto_name(253));
}

/*
 * event_tuple_from_pkt(): the decoded fields of a packet. The packet is
 * Ether()/Dot1Q(vlan=5)/IP(src="10.244.1.5",dst="10.244.2.7")/TCP(sport=43512,
 * dport=6379,flags="S") as decode fills struct weir_pkt (decode is tested in
 * test_decode.c).
 */
static void test_eve_tuple_from_pkt(void **state)
{
	struct weir_pkt p = {
		.flags = PKT_F_IPV4 | PKT_F_L4,
		.vlan = { 5 },
		.vlan_cnt = 1,
		.ip_ver = 4,
		.proto = IPPROTO_TCP,
		.src = v4("10.244.1.5"),
		.dst = v4("10.244.2.7"),
		.sport = 43512,
		.dport = 6379,
		.tcp_flags = 0x02,
	};
	struct event_tuple t;

	(void)state;
	memset(&t, 0xa5, sizeof(t));
	event_tuple_from_pkt(&t, &p);
	assert_int_equal(t.ip_ver, 4);
	assert_int_equal(t.proto, IPPROTO_TCP);
	assert_memory_equal(&t.src, &p.src, sizeof(t.src));
	assert_memory_equal(&t.dst, &p.dst, sizeof(t.dst));
	assert_int_equal(t.sport, 43512);
	assert_int_equal(t.dport, 6379);
	assert_int_equal(t.vlan_cnt, 1);
	assert_int_equal(t.vlan[0], 5);
	assert_int_equal(t.vlan[1], 0);
	assert_int_equal(t.icmp_type, 0);
}

/* IP(src="fd00::1",dst="fd00::2")/ICMPv6EchoRequest() as decoded. */
static void test_eve_tuple_from_pkt_icmp6(void **state)
{
	struct weir_pkt p = {
		.flags = PKT_F_IPV6 | PKT_F_L4,
		.ip_ver = 6,
		.proto = IPPROTO_ICMPV6,
		.src = v6("fd00::1"),
		.dst = v6("fd00::2"),
		.icmp_type = 128,
		.icmp_code = 0,
	};
	struct event_tuple t;

	(void)state;
	event_tuple_from_pkt(&t, &p);
	assert_int_equal(t.ip_ver, 6);
	assert_int_equal(t.proto, IPPROTO_ICMPV6);
	assert_int_equal(t.icmp_type, 128);
	assert_int_equal(t.icmp_code, 0);
	assert_int_equal(t.vlan_cnt, 0);
	assert_memory_equal(&t.dst, &p.dst, sizeof(t.dst));
}

/* ---- writer ---------------------------------------------------------- */

/*
 * The writer's line for an event: @line (output_eve_json()'s text) with the
 * envelope keys appended, as output_envelope_stamp() does. Frees @line.
 */
static char *stamped(char *line, const char *sensor_id, int seq)
{
	char *s;

	line[strlen(line) - 1] = '\0';
	assert_true(asprintf(&s, "%s,\"schema\":1,\"sensor_id\":\"%s\",\"seq\":%d}", line,
			     sensor_id, seq) > 0);
	free(line);
	return s;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_eve_writer_lines_and_counters(void **state)
{
	char path[] = "/tmp/weir-test-eve-XXXXXX";
	int fd = mkstemp(path);
	struct weir_event a = alert_tcp4(), f = flow_tcp4();
	struct weir_stats st = { 0 };
	struct output_opts opts = { .path = path, .host = "node-a", .stats = &st, .envelope = true };
	struct output *o;
	char *text, *want_a, *want_f, *want;
	struct output_eve_opts eo = { .host = "node-a" };
	char sid[17];

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	o = output__new(&opts);
	assert_non_null(o);
	assert_ptr_equal(output_stats(o), &st);
	assert_int_equal(output__write(o, &a), 0);
	assert_int_equal(output__write(o, &f), 0);
	assert_int_equal(output__flush(o), 0);
	strcpy(sid, output_sensor_id(o));
	output__free(o);

	assert_int_equal(strlen(sid), 16);
	want_a = stamped(eve_text(&a, &eo), sid, 1);
	want_f = stamped(eve_text(&f, &eo), sid, 2);
	assert_true(asprintf(&want, "%s\n%s\n", want_a, want_f) > 0);
	text = read_file(path);
	assert_string_equal(text, want);
	assert_int_equal(STAT_GET(&st, OUTPUT_EVENTS_ALERT), 1);
	assert_int_equal(STAT_GET(&st, OUTPUT_EVENTS_FLOW), 1);
	assert_int_equal(STAT_GET(&st, OUTPUT_WRITE_ERRORS), 0);
	free(text);
	free(want);
	free(want_a);
	free(want_f);
	unlink(path);
}

/* A second writer on the same file appends; nothing is truncated. */
static void test_eve_writer_appends(void **state)
{
	char path[] = "/tmp/weir-test-eve-XXXXXX";
	int fd = mkstemp(path);
	struct weir_event a = alert_tcp4();
	struct output_opts opts = { .path = path };
	struct output *o;
	char *text, *line, *want;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old\n", 4), 4);
	close(fd);
	o = output__new(&opts);
	assert_non_null(o);
	assert_int_equal(output__write(o, &a), 0);
	output__free(o);

	line = eve_text(&a, NULL);
	assert_true(asprintf(&want, "old\n%s\n", line) > 0);
	text = read_file(path);
	assert_string_equal(text, want);
	free(text);
	free(want);
	free(line);
	unlink(path);
}

/* A line longer than the writer's initial line buffer (4 KiB) is written whole. */
static void test_eve_writer_long_line(void **state)
{
	char path[] = "/tmp/weir-test-eve-XXXXXX";
	int fd = mkstemp(path);
	static char msg[10001];
	struct event_sig sig = sig_plain;
	struct weir_event a = alert_tcp4();
	struct output_opts opts = { .path = path, .envelope = true };
	struct output *o;
	char *text, *line, *want, *l1, *l2;
	char sid[17];

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	memset(msg, 'x', sizeof(msg) - 1);
	sig.signature = msg;
	a.alert.sig = &sig;
	o = output__new(&opts);
	assert_non_null(o);
	assert_int_equal(output__write(o, &a), 0);
	assert_int_equal(output__write(o, &a), 0);
	strcpy(sid, output_sensor_id(o));
	output__free(o);

	line = eve_text(&a, NULL);
	assert_true(strlen(line) > 10000);
	l1 = stamped(strdup(line), sid, 1);
	l2 = stamped(strdup(line), sid, 2);
	assert_true(asprintf(&want, "%s\n%s\n", l1, l2) > 0);
	free(l1);
	free(l2);
	text = read_file(path);
	assert_string_equal(text, want);
	free(text);
	free(want);
	free(line);
	unlink(path);
}

static void test_eve_writer_invalid_event_counted(void **state)
{
	struct weir_event bad = { .type = EVENT_ALERT };
	struct output_opts opts = { .path = "/dev/null" };
	struct output *o = output__new(&opts);

	(void)state;
	assert_non_null(o);
	assert_int_equal(output__write(o, &bad), -EINVAL);
	assert_int_equal(STAT_GET(output_stats(o), OUTPUT_WRITE_ERRORS), 1);
	assert_int_equal(STAT_GET(output_stats(o), OUTPUT_EVENTS_ALERT), 0);
	output__free(o);
}

/* /dev/full: the write fails at flush time with ENOSPC, counted. */
static void test_eve_writer_full_disk_counted(void **state)
{
	struct weir_event a = alert_tcp4();
	struct output_opts opts = { .path = "/dev/full" };
	struct output *o = output__new(&opts);

	(void)state;
	assert_non_null(o);
	assert_int_equal(output__write(o, &a), 0);
	assert_int_equal(output__flush(o), -ENOSPC);
	assert_int_equal(STAT_GET(output_stats(o), OUTPUT_WRITE_ERRORS), 1);
	output__free(o);
}

static void test_eve_writer_open_error(void **state)
{
	struct output_opts opts = { .path = "/nonexistent-dir/eve.json" };

	(void)state;
	errno = 0;
	assert_null(output__new(&opts));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(output__new(NULL));
	assert_int_equal(errno, EINVAL);
}

/* "-": a duplicate of fd 1 (here redirected to a file); freeing it leaves fd 1 open. */
static void test_eve_writer_stdout(void **state)
{
	char path[] = "/tmp/weir-test-eve-XXXXXX";
	int fd = mkstemp(path), saved;
	struct weir_stats st = { 0 };
	struct weir_event s = { .type = EVENT_STATS, .ts_ns = TS_2026 };
	struct output_opts opts = { .path = "-" };
	struct output *o;
	char *text;

	(void)state;
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	o = output__new(&opts);
	assert_non_null(o);
	s.stats.stats = &st;
	assert_int_equal(output__write(o, &s), 0);
	output__free(o);
	assert_true(fcntl(STDOUT_FILENO, F_GETFD) >= 0);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	close(fd);

	text = read_file(path);
	assert_int_equal(strncmp(text, "{\"timestamp\":\"2026-11-29T15:19:09.123456+0000\","
				       "\"event_type\":\"stats\",\"stats\":{\"uptime\":0,", 88), 0);
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(text);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eve_alert_tcp4_full),
		cmocka_unit_test(test_eve_alert_to_client_keeps_community_id),
		cmocka_unit_test(test_eve_alert_community_id_seed),
		cmocka_unit_test(test_eve_alert_udp6_vlan_iface),
		cmocka_unit_test(test_eve_iface_unknown_prints_index),
		cmocka_unit_test(test_eve_iface_if_indextoname),
		cmocka_unit_test(test_eve_vlan_single),
		cmocka_unit_test(test_eve_alert_icmp4),
		cmocka_unit_test(test_eve_alert_icmp6),
		cmocka_unit_test(test_eve_alert_anomaly),
		cmocka_unit_test(test_eve_alert_bad_utf8_sanitized),
		cmocka_unit_test(test_eve_flow_tcp4),
		cmocka_unit_test(test_eve_flow_tcp_flags_all_bits),
		cmocka_unit_test(test_eve_flow_udp6_no_tcp_object),
		cmocka_unit_test(test_eve_flow_gre_no_ports),
		cmocka_unit_test(test_eve_proto_unnamed_is_number),
		cmocka_unit_test(test_eve_no_ip_no_tuple),
		cmocka_unit_test(test_eve_u64_clamped_flow_id_masked),
		cmocka_unit_test(test_eve_flow_id_zero_omitted),
		cmocka_unit_test(test_eve_timestamp_epoch),
		cmocka_unit_test(test_eve_timestamp_truncates_to_us),
		cmocka_unit_test(test_eve_timestamp_leap_years),
		cmocka_unit_test(test_eve_timestamp_after_2038),
		cmocka_unit_test(test_eve_stats_nesting),
		cmocka_unit_test(test_eve_stats_name_conflict_flat),
		cmocka_unit_test(test_eve_stats_event),
		cmocka_unit_test(test_eve_invalid_events_einval),
		cmocka_unit_test(test_eve_proto_names),
		cmocka_unit_test(test_eve_tuple_from_pkt),
		cmocka_unit_test(test_eve_tuple_from_pkt_icmp6),
		cmocka_unit_test(test_eve_writer_lines_and_counters),
		cmocka_unit_test(test_eve_writer_appends),
		cmocka_unit_test(test_eve_writer_long_line),
		cmocka_unit_test(test_eve_writer_invalid_event_counted),
		cmocka_unit_test(test_eve_writer_full_disk_counted),
		cmocka_unit_test(test_eve_writer_open_error),
		cmocka_unit_test(test_eve_writer_stdout),
	};

	return cmocka_run_group_tests_name("eve", tests, NULL, NULL);
}
