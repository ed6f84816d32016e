// SPDX-License-Identifier: GPL-2.0-only
/*
 * heur_detect.c - the heuristics, one ordered record at a time.
 *
 * Vocabulary (docs/heuristics.md has the full definitions):
 * - a failed attempt is a TCP connection from a client that sent a SYN which
 *   the server answered with RST, or that ended without a completed handshake,
 *   or a "probe session": handshake completed, then closed with at most 3
 *   client and 2 server packets (connect() scans). This is Zeek's scan policy
 *   (rejected and unanswered attempts) plus the fast scans that complete
 *   handshakes.
 * - a reset probe is a client RST answering the server's SYN/ACK before the
 *   handshake completed (what raw-socket SYN scanners such as nmap -sS and
 *   masscan send, and a normal TCP stack does not), or right after it with
 *   no data (a probe session the client reset). Reset probes to
 *   port_scan.halfopen_ports distinct ports of one host are a scan as well.
 * - windows are tumbling: a window opens at the first counted record of a key
 *   and the next record at or after open + window_s opens a new one.
 * - an incident alerts once: at most one alert per window per key, and none
 *   for suppress_s seconds after an alert of the same key (heur.suppressed).
 *
 * Threads: the heuristics thread (or the finisher), one record at a time.
 * Only one table entry is held at a time: looking up another may evict it.
 */
#include <string.h>

#include "heur/heur_priv.h"

#define NSEC_PER_SEC 1000000000ull

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* Probe sessions: connect() scans send SYN, ACK, RST (3) and get SYN/ACK (+ RST). */
#define PROBE_MAX_PKTS_TS 3
#define PROBE_MAX_PKTS_TC 2

static const char *const meta_scan[] = { "attack_family scan", "mitre_technique_id T1046", NULL };
static const char *const meta_sweep_icmp[] = { "attack_family scan", "mitre_technique_id T1018", NULL };
static const char *const meta_dos[] = { "attack_family dos", "mitre_technique_id T1499.001", NULL };
static const char *const meta_fanout[] = { "attack_family lateral-movement",
					   "mitre_technique_id T1046", NULL };
static const char *const meta_service[] = { "attack_family lateral-movement",
					    "mitre_technique_id T1021", NULL };
static const char *const meta_brute[] = { "attack_family credential-access",
					  "mitre_technique_id T1110", NULL };

/* Static: events may be written after the engine is gone. */
static const struct event_sig heur_sigs[HEUR__MAX] = {
	[HEUR_PORT_SCAN] = { HEUR_GID, HEUR_SID_BASE + 1, 1, 2,
			     "WEIR HEUR port scan: one source probing many ports of one host",
			     "Detection of a Network Scan", meta_scan },
	[HEUR_ADDR_SWEEP] = { HEUR_GID, HEUR_SID_BASE + 2, 1, 2,
			      "WEIR HEUR address sweep: one source probing one port on many hosts",
			      "Detection of a Network Scan", meta_scan },
	[HEUR_SYN_FLOOD] = { HEUR_GID, HEUR_SID_BASE + 3, 1, 2,
			     "WEIR HEUR SYN flood: many half-open connections to one service",
			     "Attempted Denial of Service", meta_dos },
	[HEUR_ICMP_SWEEP] = { HEUR_GID, HEUR_SID_BASE + 4, 1, 3,
			      "WEIR HEUR ICMP sweep: echo requests to many hosts",
			      "Detection of a Network Scan", meta_sweep_icmp },
	[HEUR_FANOUT] = { HEUR_GID, HEUR_SID_BASE + 5, 1, 2,
			  "WEIR HEUR fan-out: source contacting more distinct peers than its baseline",
			  "Potentially Bad Traffic", meta_fanout },
	[HEUR_SERVICE] = { HEUR_GID, HEUR_SID_BASE + 6, 1, 2,
			   "WEIR HEUR high-risk service accessed from a source not allowed",
			   "Potentially Bad Traffic", meta_service },
	[HEUR_BRUTE_FORCE] = { HEUR_GID, HEUR_SID_BASE + 7, 1, 1,
			       "WEIR HEUR brute force: many short sessions from one source to one service",
			       "Attempted User Privilege Gain", meta_brute },
};

static const char *const heur_kind_names[HEUR__MAX] = {
	[HEUR_PORT_SCAN] = "port_scan",
	[HEUR_ADDR_SWEEP] = "address_sweep",
	[HEUR_SYN_FLOOD] = "syn_flood",
	[HEUR_ICMP_SWEEP] = "icmp_sweep",
	[HEUR_FANOUT] = "fanout",
	[HEUR_SERVICE] = "service_access",
	[HEUR_BRUTE_FORCE] = "brute_force",
};

static const enum heur_stat alert_stat[HEUR__MAX] = {
	[HEUR_PORT_SCAN] = HST_HEUR_ALERTS_PORT_SCAN,
	[HEUR_ADDR_SWEEP] = HST_HEUR_ALERTS_ADDR_SWEEP,
	[HEUR_SYN_FLOOD] = HST_HEUR_ALERTS_SYN_FLOOD,
	[HEUR_ICMP_SWEEP] = HST_HEUR_ALERTS_ICMP_SWEEP,
	[HEUR_FANOUT] = HST_HEUR_ALERTS_FANOUT,
	[HEUR_SERVICE] = HST_HEUR_ALERTS_SERVICE,
	[HEUR_BRUTE_FORCE] = HST_HEUR_ALERTS_BRUTE_FORCE,
};

const char *heur_kind_name(enum heur_kind k)
{
	return (unsigned)k < HEUR__MAX ? heur_kind_names[k] : "unknown";
}

/* --- alerts --------------------------------------------------------------- */

static void raise_alert(struct heur_engine *he, enum heur_kind k, const struct heur_rec *r,
			struct heur_entry *e, uint32_t count, uint32_t window_s)
{
	struct weir_event ev;
	struct event_anomaly *an = &ev.alert.anomaly;

	e->alerted = true;
	if (r->ts_ns < e->suppress_until_ns) {
		he->st[HST_HEUR_SUPPRESSED]++;
		return;
	}
	e->suppress_until_ns = r->ts_ns + (uint64_t)he->o.suppress_s * NSEC_PER_SEC;
	he->st[alert_stat[k]]++;

	memset(&ev, 0, sizeof(ev));
	ev.type = EVENT_ALERT;
	ev.ts_ns = r->ts_ns;
	ev.pcap_cnt = r->pcap_cnt;
	ev.flow_id = r->flow_id;
	ev.t.src = r->cli;
	ev.t.dst = r->srv;
	ev.t.sport = r->cport;
	ev.t.dport = r->sport;
	ev.t.ip_ver = r->ip_ver;
	ev.t.proto = r->proto;
	ev.t.icmp_type = r->icmp_type;
	ev.t.icmp_code = r->icmp_code;
	ev.t.vlan[0] = r->vlan[0];
	ev.t.vlan[1] = r->vlan[1];
	ev.t.vlan_cnt = (uint8_t)(r->vlan[1] ? 2 : r->vlan[0] ? 1 : 0);
	ev.direction = "to_server";
	ev.alert.sig = &heur_sigs[k];
	ev.alert.action = "allowed";
	ev.alert.has_anomaly = true;
	an->kind = heur_kind_names[k];
	an->count = count;
	an->window_s = window_s;
	an->first_ns = e->first_ns;
	an->last_ns = r->ts_ns;
	an->n_targets = e->n_sample;
	for (int i = 0; i < e->n_sample && i < 8; i++) {
		an->target_addrs[i] = e->sample_addr[i];
		an->target_ports[i] = e->sample_port[i];
	}
	he->emit(he->emit_arg, &ev);
}

/* Open a new tumbling window at @ts when none is open or the current one passed. */
static void window_roll(struct heur_entry *e, uint64_t ts, uint32_t window_s)
{
	if (e->win_open && ts < e->win_start_ns + (uint64_t)window_s * NSEC_PER_SEC)
		return;
	e->win_open = true;
	e->win_start_ns = ts;
	e->first_ns = ts;
	e->last_ns = ts;
	e->count = e->count2 = 0;
	e->alerted = false;
	e->n_sample = 0;
	heur_set_clear(&e->set);
	heur_set_clear(&e->set2);
}

static bool sample_has(const struct heur_entry *e, const struct weir_addr *a, uint16_t port)
{
	for (int i = 0; i < e->n_sample; i++)
		if (e->sample_port[i] == port && !memcmp(&e->sample_addr[i], a, sizeof(*a)))
			return true;
	return false;
}

static void sample_add_unique(struct heur_entry *e, const struct weir_addr *a, uint16_t port)
{
	if (!sample_has(e, a, port))
		heur_sample_add(e, a, port);
}

static struct heur_key key_make(uint8_t type, const struct weir_addr *a,
				const struct weir_addr *b, uint16_t port, uint8_t proto)
{
	struct heur_key k;

	memset(&k, 0, sizeof(k));
	k.type = type;
	k.a = *a;
	if (b)
		k.b = *b;
	k.port = port;
	k.proto = proto;
	return k;
}

/* --- port scan and address sweep ------------------------------------------- */

/* When the attempt happened: a flow end is counted late, its SYN was at start_ns. */
static void note_attempt(struct heur_entry *e, const struct heur_rec *r)
{
	uint64_t at = r->kind == HEUR_REC_FLOW_END ? r->start_ns : r->ts_ns;

	if (at < e->first_ns)
		e->first_ns = at;
}

static void port_scan_count(struct heur_engine *he, const struct heur_rec *r, bool halfopen)
{
	const struct heur_opts *o = &he->o;
	struct heur_key k = key_make(HK_PORT_SCAN, &r->cli, &r->srv, 0, r->proto);
	struct heur_entry *e = heur_table_get(&he->tab, &k);
	uint32_t thr = o->port_scan.ports;
	int added;

	if (!e || !thr)
		return;
	window_roll(e, r->ts_ns, o->port_scan.window_s);
	added = heur_set_add(&he->tab, &e->set, (uint32_t)r->sport + 1, thr);
	if (added == 1)
		sample_add_unique(e, &r->srv, r->sport);
	note_attempt(e, r);
	if (halfopen && o->port_scan.halfopen_ports)
		heur_set_add(&he->tab, &e->set2, (uint32_t)r->sport + 1, o->port_scan.halfopen_ports);
	if (e->alerted)
		return;
	if (e->set.n >= thr ||
	    (o->port_scan.halfopen_ports && e->set2.n >= o->port_scan.halfopen_ports))
		raise_alert(he, HEUR_PORT_SCAN, r, e, e->set.n, o->port_scan.window_s);
}

static void addr_sweep_count(struct heur_engine *he, const struct heur_rec *r)
{
	const struct heur_opts *o = &he->o;
	struct heur_key k = key_make(HK_ADDR_SWEEP, &r->cli, NULL, r->sport, r->proto);
	struct heur_entry *e;
	uint32_t thr = o->addr_sweep.hosts;

	if (!thr)
		return;
	e = heur_table_get(&he->tab, &k);
	if (!e)
		return;
	window_roll(e, r->ts_ns, o->addr_sweep.window_s);
	if (heur_set_add(&he->tab, &e->set, heur_addr_hash(&r->srv), thr) == 1)
		sample_add_unique(e, &r->srv, r->sport);
	note_attempt(e, r);
	if (!e->alerted && e->set.n >= thr)
		raise_alert(he, HEUR_ADDR_SWEEP, r, e, e->set.n, o->addr_sweep.window_s);
}

static void failed_attempt(struct heur_engine *he, const struct heur_rec *r, bool halfopen)
{
	port_scan_count(he, r, halfopen);
	addr_sweep_count(he, r);
}

/* --- SYN flood ------------------------------------------------------------ */

static void syn_flood_syn(struct heur_engine *he, const struct heur_rec *r)
{
	const struct heur_opts *o = &he->o;
	struct heur_key k = key_make(HK_SYN_FLOOD, &r->srv, NULL, r->sport, r->proto);
	struct heur_entry *e;
	uint32_t thr = o->syn_flood.syns;

	if (!thr)
		return;
	e = heur_table_get(&he->tab, &k);
	if (!e)
		return;
	window_roll(e, r->ts_ns, o->syn_flood.window_s);
	e->count++;
	if (!e->n_sample)
		heur_sample_add(e, &r->srv, r->sport);
	/* Half-open: SYNs of the window minus handshakes completed in it. */
	if (!e->alerted && e->count >= e->count2 + thr)
		raise_alert(he, HEUR_SYN_FLOOD, r, e, e->count - e->count2,
			    o->syn_flood.window_s);
}

static void syn_flood_est(struct heur_engine *he, const struct heur_rec *r)
{
	struct heur_key k = key_make(HK_SYN_FLOOD, &r->srv, NULL, r->sport, r->proto);
	struct heur_entry *e;

	if (!he->o.syn_flood.syns)
		return;
	e = heur_table_find(&he->tab, &k);
	/* A handshake of a SYN from an earlier window does not offset this one's. */
	if (e && e->win_open && r->start_ns >= e->win_start_ns)
		e->count2++;
}

/* --- ICMP sweep and fan-out ------------------------------------------------ */

static void icmp_sweep(struct heur_engine *he, const struct heur_rec *r)
{
	const struct heur_opts *o = &he->o;
	struct heur_key k = key_make(HK_ICMP_SWEEP, &r->cli, NULL, 0, r->proto);
	struct heur_entry *e;
	uint32_t thr = o->icmp_sweep.hosts;

	if (!thr)
		return;
	e = heur_table_get(&he->tab, &k);
	if (!e)
		return;
	window_roll(e, r->ts_ns, o->icmp_sweep.window_s);
	if (heur_set_add(&he->tab, &e->set, heur_addr_hash(&r->srv), thr) == 1)
		sample_add_unique(e, &r->srv, 0);
	if (!e->alerted && e->set.n >= thr)
		raise_alert(he, HEUR_ICMP_SWEEP, r, e, e->set.n, o->icmp_sweep.window_s);
}

/* EWMA in hundredths: base = alpha * n + (1 - alpha) * base. */
static void fanout_close_window(struct heur_entry *e, uint32_t n, uint32_t alpha_pct)
{
	uint64_t n_x100 = (uint64_t)n * 100;

	if (!e->has_baseline) {
		e->baseline_x100 = (uint32_t)n_x100;
		e->has_baseline = true;
		return;
	}
	e->baseline_x100 = (uint32_t)((alpha_pct * n_x100 +
				       (100 - alpha_pct) * (uint64_t)e->baseline_x100) / 100);
}

static void fanout(struct heur_engine *he, const struct heur_rec *r)
{
	const struct heur_opts *o = &he->o;
	struct heur_key k = key_make(HK_FANOUT, &r->cli, NULL, 0, 0);
	uint64_t win = (uint64_t)o->fanout.window_s * NSEC_PER_SEC;
	struct heur_entry *e;
	uint64_t thr;

	if (!o->fanout.min_peers || !win)
		return;
	e = heur_table_get(&he->tab, &k);
	if (!e)
		return;
	if (!e->win_open) {
		e->win_open = true;
		e->win_start_ns = e->first_ns = r->ts_ns;
	} else if (r->ts_ns >= e->win_start_ns + win) {
		/* Windows are aligned to the first one; idle windows count as 0 peers. */
		uint64_t elapsed = (r->ts_ns - e->win_start_ns) / win;

		fanout_close_window(e, e->set.n, o->fanout.alpha_pct);
		for (uint64_t i = 1; i < elapsed && i < 32; i++)
			fanout_close_window(e, 0, o->fanout.alpha_pct);
		e->win_start_ns += elapsed * win;
		e->first_ns = r->ts_ns;
		e->alerted = false;
		e->n_sample = 0;
		heur_set_clear(&e->set);
	}
	if (heur_set_add(&he->tab, &e->set, heur_addr_hash(&r->srv), o->fanout.max_tracked) != 1)
		return;
	sample_add_unique(e, &r->srv, r->sport);
	thr = (uint64_t)e->baseline_x100 * o->fanout.factor_pct / 10000;
	if (thr < o->fanout.min_peers)
		thr = o->fanout.min_peers;
	/* The first window only learns: a new pod has no baseline to exceed yet. */
	if (e->has_baseline && !e->alerted && e->set.n > thr)
		raise_alert(he, HEUR_FANOUT, r, e, e->set.n, o->fanout.window_s);
}

/* --- high-risk services ---------------------------------------------------- */

static bool addr_in_cidr(const struct heur_cidr *c, const struct weir_addr *a)
{
	uint32_t bits = c->plen;

	for (int i = 0; i < 4 && bits; i++) {
		uint32_t m = bits >= 32 ? 0xffffffffu : ~(0xffffffffu >> bits);

		if ((__builtin_bswap32(a->a[i]) & m) != (__builtin_bswap32(c->addr.a[i]) & m))
			return false;
		bits = bits >= 32 ? bits - 32 : 0;
	}
	return true;
}

bool heur_cidr_match(const struct heur_cidr *c, uint32_t n, const struct weir_addr *a,
		     uint8_t ip_ver)
{
	for (uint32_t i = 0; i < n; i++)
		if (c[i].ip_ver == ip_ver && addr_in_cidr(&c[i], a))
			return true;
	return false;
}

int heur_service_match(const struct heur_opts *o, const struct heur_rec *r)
{
	for (uint32_t i = 0; i < o->n_services; i++) {
		const struct heur_service *s = &o->services[i];
		bool port = false;

		if (s->proto != r->proto)
			continue;
		for (int j = 0; j < s->n_ports; j++)
			port |= s->ports[j] == r->sport;
		if (!port)
			continue;
		if (s->n_dst && !heur_cidr_match(s->dst, s->n_dst, &r->srv, r->ip_ver))
			continue;
		return (int)i;
	}
	return -1;
}

static void service_access(struct heur_engine *he, const struct heur_rec *r)
{
	int idx = heur_service_match(&he->o, r);
	const struct heur_service *s;
	struct heur_key k;
	struct heur_entry *e;

	if (idx < 0)
		return;
	s = &he->o.services[idx];
	if (!s->alert_access || heur_cidr_match(s->allow, s->n_allow, &r->cli, r->ip_ver))
		return;
	k = key_make(HK_SERVICE, &r->cli, &r->srv, (uint16_t)idx, r->proto);
	e = heur_table_get(&he->tab, &k);
	if (!e)
		return;
	/* One alert per (source, server, service) per suppression period. */
	e->first_ns = r->ts_ns;
	e->count++;
	e->n_sample = 0;
	heur_sample_add(e, &r->srv, r->sport);
	raise_alert(he, HEUR_SERVICE, r, e, 1, 0);
}

static void brute_force(struct heur_engine *he, const struct heur_rec *r)
{
	const struct heur_opts *o = &he->o;
	int idx = heur_service_match(o, r);
	struct heur_key k;
	struct heur_entry *e;

	if (idx < 0 || !o->services[idx].brute_force || !o->brute_force.sessions)
		return;
	if (r->last_ns - r->start_ns > (uint64_t)o->brute_force.max_duration_s * NSEC_PER_SEC ||
	    r->bytes[FLOW_DIR_TOSERVER] > o->brute_force.max_bytes_toserver)
		return;
	k = key_make(HK_BRUTE_FORCE, &r->cli, NULL, r->sport, r->proto);
	e = heur_table_get(&he->tab, &k);
	if (!e)
		return;
	window_roll(e, r->ts_ns, o->brute_force.window_s);
	e->count++;
	sample_add_unique(e, &r->srv, r->sport);
	if (!e->alerted && e->count >= o->brute_force.sessions)
		raise_alert(he, HEUR_BRUTE_FORCE, r, e, e->count, o->brute_force.window_s);
}

/* --- dispatch ------------------------------------------------------------- */

static bool is_echo_request(const struct heur_rec *r)
{
	return (r->proto == 1 && r->icmp_type == 8) || (r->proto == 58 && r->icmp_type == 128);
}

static void on_flow_start(struct heur_engine *he, const struct heur_rec *r)
{
	bool syn = r->proto == 6 && (r->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN;

	if (syn)
		syn_flood_syn(he, r);
	if (is_echo_request(r))
		icmp_sweep(he, r);
	/* Who initiated is only known for a SYN, a UDP datagram or an echo request. */
	if (syn || r->proto == 17 || is_echo_request(r))
		fanout(he, r);
	if (r->proto == 17)
		service_access(he, r);
}

static void on_tcp_ctrl(struct heur_engine *he, const struct heur_rec *r)
{
	bool toserver = r->rflags & HEUR_RF_TOSERVER;
	bool cli_syn = r->tcp_seen[FLOW_DIR_TOSERVER] & TH_SYN;

	if (toserver && (r->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		syn_flood_syn(he, r);        /* SYN retransmission: still half-open */
		return;
	}
	if (!(r->tcp_flags & TH_RST) || (r->rflags & HEUR_RF_HANDSHAKE) || !cli_syn)
		return;
	if (!toserver) {
		failed_attempt(he, r, false);        /* rejected: the server answered RST */
	} else if ((r->tcp_seen[FLOW_DIR_TOCLIENT] & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
		failed_attempt(he, r, true);         /* half-open probe */
	}
}

static void on_flow_end(struct heur_engine *he, const struct heur_rec *r)
{
	if (r->proto != 6 || (r->rflags & HEUR_RF_MIDSTREAM) ||
	    !(r->tcp_seen[FLOW_DIR_TOSERVER] & TH_SYN))
		return;
	if (!(r->rflags & HEUR_RF_HANDSHAKE)) {
		failed_attempt(he, r, false);        /* rejected or never answered */
		return;
	}
	/* connect() probe; reset by the client without data it is a SYN-scan probe too */
	if (r->pkts[FLOW_DIR_TOSERVER] <= PROBE_MAX_PKTS_TS &&
	    r->pkts[FLOW_DIR_TOCLIENT] <= PROBE_MAX_PKTS_TC)
		failed_attempt(he, r, r->tcp_seen[FLOW_DIR_TOSERVER] & TH_RST);
	brute_force(he, r);
}

void heur_detect_record(struct heur_engine *he, const struct heur_rec *r)
{
	switch (r->kind) {
	case HEUR_REC_FLOW_START:
		on_flow_start(he, r);
		break;
	case HEUR_REC_TCP_CTRL:
		on_tcp_ctrl(he, r);
		break;
	case HEUR_REC_TCP_EST:
		syn_flood_est(he, r);
		service_access(he, r);
		break;
	case HEUR_REC_FLOW_END:
		on_flow_end(he, r);
		break;
	default:
		break;
	}
}
