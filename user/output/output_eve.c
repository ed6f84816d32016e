// SPDX-License-Identifier: GPL-2.0-only
/*
 * output_eve.c - struct weir_event -> EVE JSON object (jansson).
 *
 * Keys and their order follow Suricata's EVE so SIEM parsers written for
 * Suricata read Weir's lines unchanged (docs/eve.schema.json is the contract):
 *
 *	timestamp flow_id pcap_cnt event_type in_iface vlan
 *	src_ip src_port dest_ip dest_port proto icmp_type icmp_code
 *	community_id direction host
 *	alert{...} | stats{...}   flow{...} tcp{...} anomaly{...}
 *
 * Optional keys are left out, never printed as null: flow_id and pcap_cnt
 * when 0, ports for protocols without ports, in_iface in replay. Counters
 * are unsigned 64-bit in Weir but signed in JSON consumers (and jansson's
 * json_int_t), so they saturate at INT64_MAX instead of wrapping negative.
 *
 * Pure: no I/O except the interface name lookup, which the writer caches.
 * Keys are constant ASCII, so they are set with the _nocheck variants;
 * strings that come from rules (msg, classtype, metadata) are checked, and
 * one that is not UTF-8 is printed with its non-ASCII bytes as '?' rather
 * than losing the field.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/output.h"

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

/* Suricata reduces flow ids to 51 bits: JavaScript numbers stay exact. */
#define EVE_FLOW_ID_MASK 0x7ffffffffffffULL

#define NS_PER_S  1000000000ULL
#define NS_PER_US 1000ULL

/* TCP flag bits as in struct weir_pkt.tcp_flags */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* The protocols EVE names; others print as their number (as Suricata does). */
static const char *const proto_names[256] = {
	[0] = "HOPOPT",
	[1] = "ICMP",
	[2] = "IGMP",
	[4] = "IP-in-IP",
	[6] = "TCP",
	[17] = "UDP",
	[33] = "DCCP",
	[41] = "IPv6",
	[43] = "IPv6-Route",
	[44] = "IPv6-Frag",
	[46] = "RSVP",
	[47] = "GRE",
	[50] = "ESP",
	[51] = "AH",
	[58] = "IPv6-ICMP",
	[59] = "IPv6-NoNxt",
	[60] = "IPv6-Opts",
	[88] = "EIGRP",
	[89] = "OSPF",
	[97] = "ETHERIP",
	[103] = "PIM",
	[108] = "IPComp",
	[112] = "VRRP",
	[113] = "PGM",
	[115] = "L2TP",
	[124] = "IS-IS",
	[132] = "SCTP",
	[135] = "Mobility",
	[136] = "UDPLite",
	[137] = "MPLS-in-IP",
};

const char *output_eve_proto_name(uint8_t proto)
{
	return proto_names[proto];
}

static bool proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

static bool proto_is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static json_t *j_u64(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Rare path: @s is not valid UTF-8; keep the field, replace what is not ASCII. */
static json_t *j_str_sanitized(const char *s)
{
	size_t n = strlen(s);
	char *c = malloc(n + 1);
	json_t *j;

	if (!c)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		c[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
	j = json_string(c);
	free(c);
	return j;
}

static json_t *j_str(const char *s)
{
	json_t *j;

	s = s ? s : "";
	j = json_string(s);
	return j ? j : j_str_sanitized(s);
}

/* Set @key (constant ASCII) to @v, stealing @v; remember failure in @err. */
static void put(json_t *obj, const char *key, json_t *v, int *err)
{
	if (json_object_set_new_nocheck(obj, key, v))
		*err = -ENOMEM;
}

static void put_ts(json_t *obj, const char *key, uint64_t ts_ns, int *err)
{
	char buf[OUTPUT_TS_LEN];

	put(obj, key, json_string_nocheck(output_eve_timestamp(ts_ns, buf)), err);
}

static void put_addr(json_t *obj, const char *key, const struct weir_addr *a, uint8_t ip_ver,
		     int *err)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(ip_ver == 6 ? AF_INET6 : AF_INET, a->a, buf, sizeof(buf)))
		buf[0] = '\0';
	put(obj, key, json_string_nocheck(buf), err);
}

static char *put_digits(char *p, uint32_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/*
 * Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil
 * inverse): exact for every date a uint64 of nanoseconds can hold (to 2554),
 * with no gmtime_r() call (which takes glibc's timezone lock).
 */
char *output_eve_timestamp(uint64_t ts_ns, char *buf)
{
	uint64_t secs = ts_ns / NS_PER_S;
	uint32_t us = (uint32_t)(ts_ns % NS_PER_S / NS_PER_US);
	uint32_t sod = (uint32_t)(secs % 86400);
	uint64_t z = secs / 86400 + 719468;     /* days since 0000-03-01 */
	uint64_t era = z / 146097;
	uint32_t doe = (uint32_t)(z - era * 146097);
	uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint32_t mp = (5 * doy + 2) / 153;
	uint32_t d = doy - (153 * mp + 2) / 5 + 1;
	uint32_t m = mp < 10 ? mp + 3 : mp - 9;
	uint32_t y = (uint32_t)(yoe + era * 400) + (m <= 2);
	char *p = buf;

	p = put_digits(p, y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, sod / 3600, 2);
	*p++ = ':';
	p = put_digits(p, sod / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, sod % 60, 2);
	*p++ = '.';
	p = put_digits(p, us, 6);
	memcpy(p, "+0000", 6);
	return buf;
}

static void put_iface(json_t *obj, uint32_t ifindex, const struct output_eve_opts *o, int *err)
{
	char buf[IF_NAMESIZE > 16 ? IF_NAMESIZE : 16];
	const char *name;

	if (o && o->ifname)
		name = o->ifname(o->ifname_arg, ifindex, buf);
	else
		name = if_indextoname(ifindex, buf);
	if (!name) {
		snprintf(buf, sizeof(buf), "if%u", ifindex);
		name = buf;
	}
	put(obj, "in_iface", j_str(name), err);
}

static void put_header(json_t *obj, const struct weir_event *ev, const char *type,
		       const struct output_eve_opts *o, int *err)
{
	const struct event_tuple *t = &ev->t;
	uint64_t flow_id = ev->flow_id & EVE_FLOW_ID_MASK;
	char cid[OUTPUT_COMMUNITY_ID_LEN];
	bool tuple = ev->type != EVENT_STATS && (t->ip_ver == 4 || t->ip_ver == 6);

	put_ts(obj, "timestamp", ev->ts_ns, err);
	if (flow_id)
		put(obj, "flow_id", j_u64(flow_id), err);
	if (ev->pcap_cnt)
		put(obj, "pcap_cnt", j_u64(ev->pcap_cnt), err);
	put(obj, "event_type", json_string_nocheck(type), err);
	if (ev->ifindex && ev->type != EVENT_STATS)
		put_iface(obj, ev->ifindex, o, err);
	if (t->vlan_cnt && ev->type != EVENT_STATS) {
		json_t *vl = json_array();

		for (uint8_t i = 0; i < t->vlan_cnt && i < 2; i++)
			if (json_array_append_new(vl, json_integer(t->vlan[i])))
				*err = -ENOMEM;
		put(obj, "vlan", vl, err);
	}
	if (tuple) {
		const char *pname = output_eve_proto_name(t->proto);
		char pnum[4];

		put_addr(obj, "src_ip", &t->src, t->ip_ver, err);
		if (proto_has_ports(t->proto))
			put(obj, "src_port", json_integer(t->sport), err);
		put_addr(obj, "dest_ip", &t->dst, t->ip_ver, err);
		if (proto_has_ports(t->proto))
			put(obj, "dest_port", json_integer(t->dport), err);
		if (!pname) {
			snprintf(pnum, sizeof(pnum), "%u", t->proto);
			pname = pnum;
		}
		put(obj, "proto", json_string_nocheck(pname), err);
		if (proto_is_icmp(t->proto)) {
			put(obj, "icmp_type", json_integer(t->icmp_type), err);
			put(obj, "icmp_code", json_integer(t->icmp_code), err);
		}
		if (!output_community_id(t, o ? o->cid_seed : 0, cid, sizeof(cid)))
			put(obj, "community_id", json_string_nocheck(cid), err);
	}
	if (ev->direction && ev->type != EVENT_STATS)
		put(obj, "direction", json_string_nocheck(ev->direction), err);
	if (o && o->host && o->host[0])
		put(obj, "host", j_str(o->host), err);
}

/*
 * Suricata prints rule metadata grouped by key: "key v1, key v2, k2 v3" ->
 * {"key":["v1","v2"],"k2":["v3"]}, keys in first-seen order. An entry
 * without a value has nothing to print and is skipped.
 */
static json_t *metadata_object(const char *const *md, int *err)
{
	json_t *obj = json_object();

	if (!obj) {
		*err = -ENOMEM;
		return NULL;
	}
	for (; *md; md++) {
		const char *s = *md, *k, *v, *e;
		char key[128];
		size_t klen, vlen;
		json_t *arr;

		while (*s == ' ' || *s == '\t')
			s++;
		k = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		klen = (size_t)(s - k);
		while (*s == ' ' || *s == '\t')
			s++;
		v = s;
		e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		vlen = (size_t)(e - v);
		if (!klen || !vlen)
			continue;
		if (klen >= sizeof(key))
			klen = sizeof(key) - 1;
		memcpy(key, k, klen);
		key[klen] = '\0';

		arr = json_object_get(obj, key);
		if (!arr) {
			arr = json_array();
			if (json_object_set_new(obj, key, arr)) {
				/* not UTF-8: json_object_set_new() freed @arr */
				continue;
			}
		}
		{
			json_t *val = json_stringn(v, vlen);

			if (!val) {
				char *c = strndup(v, vlen);

				val = c ? j_str_sanitized(c) : NULL;
				free(c);
			}
			if (json_array_append_new(arr, val))
				*err = -ENOMEM;
		}
	}
	return obj;
}

static json_t *alert_object(const struct weir_event *ev, int *err)
{
	const struct event_sig *sig = ev->alert.sig;
	json_t *a = json_object();

	if (!a) {
		*err = -ENOMEM;
		return NULL;
	}
	put(a, "action", j_str(ev->alert.action ? ev->alert.action : "allowed"), err);
	put(a, "gid", json_integer(sig->gid), err);
	put(a, "signature_id", json_integer(sig->sid), err);
	put(a, "rev", json_integer(sig->rev), err);
	put(a, "signature", j_str(sig->signature), err);
	put(a, "category", j_str(sig->category), err);
	put(a, "severity", json_integer(sig->severity), err);
	if (sig->metadata && sig->metadata[0])
		put(a, "metadata", metadata_object(sig->metadata, err), err);
	return a;
}

static json_t *flow_object(const struct event_flow *f, bool flow_event, int *err)
{
	json_t *o = json_object();

	if (!o) {
		*err = -ENOMEM;
		return NULL;
	}
	put(o, "pkts_toserver", j_u64(f->pkts_toserver), err);
	put(o, "pkts_toclient", j_u64(f->pkts_toclient), err);
	put(o, "bytes_toserver", j_u64(f->bytes_toserver), err);
	put(o, "bytes_toclient", j_u64(f->bytes_toclient), err);
	put_ts(o, "start", f->start_ns, err);
	if (flow_event) {
		uint64_t s = f->start_ns / NS_PER_S, e = f->end_ns / NS_PER_S;

		put_ts(o, "end", f->end_ns, err);
		/* whole seconds between the two timestamps' seconds, as Suricata */
		put(o, "age", j_u64(e > s ? e - s : 0), err);
	}
	if (f->state)
		put(o, "state", json_string_nocheck(f->state), err);
	if (flow_event) {
		if (f->reason)
			put(o, "reason", json_string_nocheck(f->reason), err);
		put(o, "alerted", json_boolean(f->alerted), err);
	}
	return o;
}

static json_t *tcp_object(const struct event_flow *f, int *err)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} flags[] = {
		{ TCP_SYN, "syn" }, { TCP_FIN, "fin" }, { TCP_RST, "rst" }, { TCP_PSH, "psh" },
		{ TCP_ACK, "ack" }, { TCP_URG, "urg" }, { TCP_ECE, "ecn" }, { TCP_CWR, "cwr" },
	};
	json_t *o = json_object();
	char hex[3];

	if (!o) {
		*err = -ENOMEM;
		return NULL;
	}
	snprintf(hex, sizeof(hex), "%02x", f->tcp_flags);
	put(o, "tcp_flags", json_string_nocheck(hex), err);
	snprintf(hex, sizeof(hex), "%02x", f->tcp_flags_ts);
	put(o, "tcp_flags_ts", json_string_nocheck(hex), err);
	snprintf(hex, sizeof(hex), "%02x", f->tcp_flags_tc);
	put(o, "tcp_flags_tc", json_string_nocheck(hex), err);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (f->tcp_flags & flags[i].bit)
			put(o, flags[i].name, json_true(), err);
	if (f->tcp_state)
		put(o, "state", json_string_nocheck(f->tcp_state), err);
	return o;
}

static bool addr_is_zero(const struct weir_addr *a)
{
	return !(a->a[0] | a->a[1] | a->a[2] | a->a[3]);
}

/*
 * Heuristics evidence. Each target prints the parts it has: a port scan of
 * one host names ports, a sweep names addresses (in the tuple's family).
 */
static json_t *anomaly_object(const struct weir_event *ev, int *err)
{
	const struct event_anomaly *an = &ev->alert.anomaly;
	json_t *o = json_object(), *targets;
	uint8_t n = an->n_targets > 8 ? 8 : an->n_targets;

	if (!o) {
		*err = -ENOMEM;
		return NULL;
	}
	put(o, "kind", j_str(an->kind), err);
	put(o, "count", json_integer(an->count), err);
	put(o, "window_s", json_integer(an->window_s), err);
	put_ts(o, "first", an->first_ns, err);
	put_ts(o, "last", an->last_ns, err);
	targets = json_array();
	for (uint8_t i = 0; i < n && targets; i++) {
		json_t *t = json_object();

		if (!addr_is_zero(&an->target_addrs[i]))
			put_addr(t, "ip", &an->target_addrs[i], ev->t.ip_ver, err);
		if (an->target_ports[i])
			put(t, "port", json_integer(an->target_ports[i]), err);
		if (json_array_append_new(targets, t))
			*err = -ENOMEM;
	}
	put(o, "targets", targets, err);
	return o;
}

/* Walk/create the objects for the dotted prefix of @name; set its last part. */
static void stats_put(json_t *root, const char *name, uint64_t v, int *err)
{
	char path[128];
	char *seg = path, *dot;
	json_t *parent = root;

	snprintf(path, sizeof(path), "%s", name);
	while ((dot = strchr(seg, '.'))) {
		json_t *child;

		*dot = '\0';
		child = json_object_get(parent, seg);
		if (!child) {
			child = json_object();
			put(parent, seg, child, err);
			if (*err)
				return;
		} else if (!json_is_object(child)) {
			/* "a.b" is a counter and "a.b.c" too: keep the rest flat */
			*dot = '.';
			break;
		}
		parent = child;
		seg = dot + 1;
	}
	put(parent, seg, j_u64(v), err);
}

json_t *output_eve_stats_object(const uint64_t *v, const char *const *names, size_t n,
				uint64_t uptime_s)
{
	json_t *st = json_object();
	int err = 0;

	if (!st)
		return NULL;
	put(st, "uptime", j_u64(uptime_s), &err);
	for (size_t i = 0; i < n && !err; i++)
		stats_put(st, names[i], v[i], &err);
	if (err) {
		json_decref(st);
		return NULL;
	}
	return st;
}

static json_t *stats_object(const struct weir_event *ev)
{
	const char *names[WS__MAX];

	for (int i = 0; i < WS__MAX; i++)
		names[i] = stats_name((enum weir_stat_id)i);
	return output_eve_stats_object(ev->stats.stats->v, names, WS__MAX, ev->stats.uptime_s);
}

json_t *output_eve_json(const struct weir_event *ev, const struct output_eve_opts *o)
{
	json_t *obj;
	int err = 0;

	switch (ev->type) {
	case EVENT_ALERT:
		if (!ev->alert.sig)
			goto inval;
		break;
	case EVENT_STATS:
		if (!ev->stats.stats)
			goto inval;
		break;
	case EVENT_FLOW:
		break;
	default:
		goto inval;
	}

	obj = json_object();
	if (!obj)
		goto nomem;

	switch (ev->type) {
	case EVENT_ALERT:
		put_header(obj, ev, "alert", o, &err);
		put(obj, "alert", alert_object(ev, &err), &err);
		if (ev->alert.has_flow)
			put(obj, "flow", flow_object(&ev->alert.flow, false, &err), &err);
		if (ev->alert.has_anomaly)
			put(obj, "anomaly", anomaly_object(ev, &err), &err);
		break;
	case EVENT_FLOW:
		put_header(obj, ev, "flow", o, &err);
		put(obj, "flow", flow_object(&ev->flow, true, &err), &err);
		if (ev->t.proto == IPPROTO_TCP)
			put(obj, "tcp", tcp_object(&ev->flow, &err), &err);
		break;
	case EVENT_STATS:
		put_header(obj, ev, "stats", o, &err);
		put(obj, "stats", stats_object(ev), &err);
		break;
	}
	if (err) {
		json_decref(obj);
		goto nomem;
	}
	return obj;

inval:
	errno = EINVAL;
	return NULL;
nomem:
	errno = ENOMEM;
	return NULL;
}
