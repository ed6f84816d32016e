// SPDX-License-Identifier: GPL-2.0-only
/*
 * heur_rec.c - worker side: turn a packet or an ending flow into a heur_rec.
 *
 * Only packets that change what the heuristics know make a record: the first
 * packet of a flow, TCP SYN/RST/FIN, and the packet that completes the
 * handshake. These are exactly the packets the kernel always samples (control
 * packets and flow heads), so the heuristics work the same when the CPU
 * governor sheds payload. Records are oriented client -> server.
 */
#include <string.h>

#include "heur/heur_priv.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04

/* f->ext.heur is a flag word, not a pointer (nothing to free). */
#define HEUR_FLOW_EST_SENT ((uintptr_t)1)

static void rec_tuple(struct heur_rec *r, const struct flow *f)
{
	r->flow_id = f->flow_id;
	r->start_ns = f->start_ns;
	r->cli = *flow_client_addr(f);
	r->srv = *flow_server_addr(f);
	r->ip_ver = f->key.ip_ver;
	r->proto = f->key.proto;
	if (r->proto == 6 || r->proto == 17 || r->proto == 132) {
		r->cport = flow_client_port(f);
		r->sport = flow_server_port(f);
	}
	r->vlan[0] = f->key.vlan[0];
	r->vlan[1] = f->key.vlan[1];
	r->icmp_type = f->icmp_type;
	r->icmp_code = f->icmp_code;
	r->tcp_seen[FLOW_DIR_TOSERVER] = f->tcp_flags[FLOW_DIR_TOSERVER];
	r->tcp_seen[FLOW_DIR_TOCLIENT] = f->tcp_flags[FLOW_DIR_TOCLIENT];
	if (f->fflags & FLOW_F_HANDSHAKE)
		r->rflags |= HEUR_RF_HANDSHAKE;
	if (f->fflags & FLOW_F_RST)
		r->rflags |= HEUR_RF_RST;
	if (f->fflags & (FLOW_F_FIN_TS | FLOW_F_FIN_TC))
		r->rflags |= HEUR_RF_FIN;
	if (f->fflags & FLOW_F_MIDSTREAM)
		r->rflags |= HEUR_RF_MIDSTREAM;
}

bool heur_rec_from_pkt(struct heur_rec *r, const struct weir_pkt *p,
		       const struct flow_pkt_info *fi)
{
	struct flow *f = fi->flow;
	uint8_t kind;

	if (!f)
		return false;
	if (f->pkts[0] + f->pkts[1] == 1) {
		kind = HEUR_REC_FLOW_START;
	} else if (f->key.proto != 6) {
		return false;
	} else if ((f->fflags & FLOW_F_HANDSHAKE) &&
		   !((uintptr_t)f->ext.heur & HEUR_FLOW_EST_SENT)) {
		kind = HEUR_REC_TCP_EST;
	} else if (p->tcp_flags & (TH_FIN | TH_SYN | TH_RST)) {
		kind = HEUR_REC_TCP_CTRL;
	} else {
		return false;
	}
	if (f->fflags & FLOW_F_HANDSHAKE)
		f->ext.heur = (void *)((uintptr_t)f->ext.heur | HEUR_FLOW_EST_SENT);

	memset(r, 0, sizeof(*r));
	rec_tuple(r, f);
	r->kind = kind;
	r->ts_ns = p->ts_ns;
	r->pcap_cnt = p->pcap_cnt;
	r->tcp_flags = f->key.proto == 6 ? p->tcp_flags : 0;
	if (fi->dir == FLOW_DIR_TOSERVER)
		r->rflags |= HEUR_RF_TOSERVER;
	if (kind == HEUR_REC_FLOW_START) {
		/* The flow's fields may be filled after this call: take the packet's. */
		r->icmp_type = p->icmp_type;
		r->icmp_code = p->icmp_code;
	}
	return true;
}

void heur_rec_from_flow_end(struct heur_rec *r, const struct flow *f,
			    enum flow_end_reason why, uint64_t now_ns)
{
	memset(r, 0, sizeof(*r));
	rec_tuple(r, f);
	r->kind = HEUR_REC_FLOW_END;
	r->ts_ns = now_ns > f->last_ns ? now_ns : f->last_ns;
	r->last_ns = f->last_ns;
	r->end_reason = (uint8_t)why;
	for (int d = 0; d < 2; d++) {
		r->pkts[d] = f->pkts[d] > UINT32_MAX ? UINT32_MAX : (uint32_t)f->pkts[d];
		r->bytes[d] = f->bytes[d];
	}
	r->tcp_flags = f->tcp_flags[0] | f->tcp_flags[1];
}
