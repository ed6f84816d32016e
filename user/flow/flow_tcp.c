// SPDX-License-Identifier: GPL-2.0-only
/*
 * flow_tcp.c - TCP session tracking: handshake, FIN/RST, and feeding payload
 * to the reassembler (flow_stream.c).
 *
 * Semantics follow Suricata with midstream pick-up disabled:
 *  - established only after SYN, SYN/ACK acking the SYN (ack == isn + 1, or
 *    past TCP Fast Open data the SYN carried), then an ACK from the client
 *    acking the SYN/ACK (ack == server isn + 1);
 *  - a flow whose first packet is not a SYN is "mid-stream" and never becomes
 *    established (rules with flow:established never match it); a SYN/ACK seen
 *    first still tells client from server;
 *  - RST, or FIN from both sides, closes the flow (timeout_closed applies).
 * Sequence numbers are only compared with the wrap-safe SEQ_* macros.
 */
#include <netinet/in.h>

#include "flow/flow_priv.h"

static void tcp_handshake(struct flow_table *ft, struct flow *f, const struct weir_pkt *p,
			  enum flow_dir dir, bool created)
{
	struct flow_stream *cli = &f->stream[FLOW_DIR_TOSERVER];
	uint8_t fl = p->tcp_flags & (TH_SYN | TH_ACK | TH_RST);

	if (created && (fl & (TH_SYN | TH_ACK)) != TH_SYN) {
		f->fflags |= FLOW_F_MIDSTREAM;
		STAT_INC(ft->st, TCP_MIDSTREAM);
	}

	if (fl == TH_SYN) {
		STAT_INC(ft->st, TCP_SYN);
		/*
		 * The client's SYN anchors its stream; a SYN resent with another
		 * ISN before any data re-anchors it (the first one was dropped).
		 */
		if (dir == FLOW_DIR_TOSERVER && !(f->fflags & FLOW_F_MIDSTREAM) &&
		    (f->tcp_state == TCP_NONE ||
		     (f->tcp_state == TCP_SYN_SENT && !cli->reassembled && !cli->ooo))) {
			flow_stream_start(f, FLOW_DIR_TOSERVER, p->tcp_seq);
			f->tcp_state = TCP_SYN_SENT;
		}
		return;
	}
	if (fl == (TH_SYN | TH_ACK)) {
		STAT_INC(ft->st, TCP_SYNACK);
		if (dir != FLOW_DIR_TOCLIENT)
			return;
		if (created) {
			/* SYN missed: the server side still has a known ISN */
			flow_stream_start(f, FLOW_DIR_TOCLIENT, p->tcp_seq);
			f->tcp_state = TCP_SYN_RECV;
			return;
		}
		/* TFO: the server may ack the SYN's data too (ack up to next_seq). */
		if (f->tcp_state == TCP_SYN_SENT && SEQ_GEQ(p->tcp_ack, cli->isn + 1) &&
		    SEQ_LEQ(p->tcp_ack, cli->next_seq)) {
			flow_stream_start(f, FLOW_DIR_TOCLIENT, p->tcp_seq);
			f->tcp_state = TCP_SYN_RECV;
		}
		return;
	}
	if (fl == TH_ACK && dir == FLOW_DIR_TOSERVER && f->tcp_state == TCP_SYN_RECV &&
	    !(f->fflags & FLOW_F_MIDSTREAM) &&
	    p->tcp_ack == f->stream[FLOW_DIR_TOCLIENT].isn + 1) {
		f->tcp_state = TCP_ESTABLISHED;
		f->state = FLOW_STATE_ESTABLISHED;
		f->fflags |= FLOW_F_HANDSHAKE;
		STAT_INC(ft->st, TCP_SESSIONS);
	}
}

static void tcp_close(struct flow_table *ft, struct flow *f, const struct weir_pkt *p,
		      enum flow_dir dir, struct flow_pkt_info *fi)
{
	uint8_t both = FLOW_F_FIN_TS | FLOW_F_FIN_TC;

	if (p->tcp_flags & TH_RST) {
		STAT_INC(ft->st, TCP_RST);
		f->fflags |= FLOW_F_RST;
		f->tcp_state = TCP_CLOSED;
		f->state = FLOW_STATE_CLOSED;
		/* neither side sends more: holes will not fill */
		if (flow_stream_close(ft, f, dir))
			fi->stream_new = true;
		flow_stream_close(ft, f, (enum flow_dir)!dir);
		return;
	}
	if (p->tcp_flags & TH_FIN) {
		f->fflags |= dir == FLOW_DIR_TOSERVER ? FLOW_F_FIN_TS : FLOW_F_FIN_TC;
		/* the sender is done: deliver what it queued, skipping holes */
		if (flow_stream_close(ft, f, dir))
			fi->stream_new = true;
		if ((f->fflags & both) == both) {
			if (f->tcp_state != TCP_CLOSED)
				f->tcp_state = TCP_CLOSING;
			f->state = FLOW_STATE_CLOSED;
		} else if (f->tcp_state != TCP_CLOSED) {
			f->tcp_state = TCP_FIN_WAIT;
		}
		return;
	}
	/* the ACK of the last FIN */
	if (f->tcp_state == TCP_CLOSING && (p->tcp_flags & TH_ACK))
		f->tcp_state = TCP_CLOSED;
}

void flow_tcp_packet(struct flow_table *ft, struct flow *f, const struct weir_pkt *p,
		     enum flow_dir dir, bool created, struct flow_pkt_info *fi)
{
	f->tcp_flags[dir] |= p->tcp_flags;
	tcp_handshake(ft, f, p, dir, created);
	/* what this side acknowledges tells which holes in the other side are final */
	if ((p->tcp_flags & (TH_ACK | TH_RST)) == TH_ACK)
		flow_stream_acked(f, (enum flow_dir)!dir, p->tcp_ack);

	/*
	 * Payload before FIN/RST handling: a FIN segment's own data comes before
	 * the FIN in sequence space. RST payload is not stream data (Suricata
	 * inspects it per packet only).
	 */
	if (p->payload_len && p->payload && !(p->tcp_flags & TH_RST)) {
		/* data on a SYN (TCP Fast Open) starts after the SYN's sequence number */
		uint32_t seq = p->tcp_seq + ((p->tcp_flags & TH_SYN) ? 1 : 0);

		flow_stream_segment(ft, f, dir, seq, p->payload, p->payload_len, fi);
	}
	tcp_close(ft, f, p, dir, fi);
}
