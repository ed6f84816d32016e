// SPDX-License-Identifier: GPL-2.0-only
/*
 * flow_stream.c - TCP stream reassembly, one direction at a time, and the
 * inspection window handed to the detect stage.
 *
 * Sequence space: stream offset 0 is the byte after the SYN (isn + 1); a
 * mid-stream direction starts at its first data segment. next_seq is the next
 * in-order byte, `reassembled` its stream offset; both advance together, so
 * offset(seq) = reassembled + (int32_t)(seq - next_seq) stays right across the
 * 2^32 wrap.
 *
 * Policy (first data wins, like Suricata's default):
 *  - in-order bytes go to the window; queued out-of-order pieces that overlap
 *    them win over the new bytes;
 *  - bytes before next_seq were delivered: a segment with nothing new is a
 *    retransmission (fi->retransmit, "stream.retransmits"); one that also
 *    carries new bytes counts in "stream.overlaps"; re-sent bytes that differ
 *    from the first ones (as far as they are still held) count in
 *    "stream.overlap_diff";
 *  - out-of-order segments are queued as non-overlapping pieces, bounded by
 *    stream_ooo_max per direction and the memcap; when the queue is full, or
 *    the sender is done (FIN, RST, flow end), the first hole is skipped
 *    ("stream.gaps") and reassembly continues at the next queued piece; so is
 *    a hole the receiver has already acknowledged (lost in capture, sampled
 *    out, cut by the snaplen), when the next segment arrives;
 *  - segments starting past the stream depth are ignored; reaching the depth
 *    stops the direction ("stream.depth_reached", once).
 *
 * Window: buf holds stream bytes [buf_off, buf_off + buf_len), always ending at
 * `reassembled`; bytes from insp_off on were not inspected yet. After
 * flow_stream_inspected() only stream_window bytes stay, as look-behind for
 * patterns split across segments. If nobody inspects, appends first drop the
 * oldest inspected bytes (past window_max), then uninspected ones (past
 * window_hard, "stream.window_overflow"). A hole restarts the window empty:
 * bytes on both sides of a gap are never presented as contiguous.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow_priv.h"

/* Cap on queued pieces per direction: bounds the insertion walk against floods
 * of tiny out-of-order segments. */
#define FLOW_OOO_CNT_MAX 2048

/* What one segment did, counted once per segment. */
struct seg_acct {
	bool fresh;   /* some byte was new (delivered or queued) */
	bool old;     /* some byte was seen before */
	bool diff;    /* a re-sent byte differed from the first one */
};

static inline uint32_t seg_end(const struct flow_seg *s)
{
	return s->seq + s->len;
}

void flow_stream_start(struct flow *f, enum flow_dir dir, uint32_t isn)
{
	struct flow_stream *st = &f->stream[dir];

	st->isn = isn;
	st->next_seq = isn + 1;
	st->isn_set = true;
}

static void stream_seg_free(struct flow_table *ft, struct flow_stream *st, struct flow_seg *s)
{
	st->ooo_bytes -= s->len;
	st->ooo_cnt--;
	flow_mem_release(ft, sizeof(*s) + s->len);
	free(s);
}

static void stream_ooo_purge(struct flow_table *ft, struct flow_stream *st)
{
	while (st->ooo) {
		struct flow_seg *s = st->ooo;

		st->ooo = s->next;
		stream_seg_free(ft, st, s);
	}
	st->ooo_tail = NULL;
}

static void stream_set_depth_reached(struct flow_table *ft, struct flow_stream *st)
{
	if (st->depth_reached)
		return;
	st->depth_reached = true;
	STAT_INC(ft->st, STREAM_DEPTH_REACHED);
	/* nothing queued can be reassembled any more */
	stream_ooo_purge(ft, st);
}

/* Drop the oldest @n window bytes; losing uninspected ones is counted. */
static void stream_window_drop(struct flow_table *ft, struct flow_stream *st, uint32_t n)
{
	if (st->buf_off + n > st->insp_off) {
		STAT_INC(ft->st, STREAM_WINDOW_OVERFLOW);
		st->insp_off = st->buf_off + n;
	}
	memmove(st->buf, st->buf + n, st->buf_len - n);
	st->buf_off += n;
	st->buf_len -= n;
}

/* The window must stay contiguous: after a hole it restarts empty at @off. */
static void stream_window_restart(struct flow_table *ft, struct flow_stream *st, uint64_t off)
{
	if (st->insp_off < st->buf_off + st->buf_len)
		STAT_INC(ft->st, STREAM_WINDOW_OVERFLOW);
	st->buf_off = off;
	st->buf_len = 0;
	st->insp_off = off;
}

/* Room for @add more bytes at the end of the window. Return: 0 or -ENOMEM. */
static int stream_make_room(struct flow_table *ft, const struct flow *f, struct flow_stream *st,
			    uint32_t add)
{
	uint64_t need = (uint64_t)st->buf_len + add;
	uint64_t cap;
	uint8_t *nb;

	if (need > ft->window_max) {
		uint64_t insp = st->insp_off - st->buf_off;
		/* look-behind goes first, only as much as needed */
		uint64_t drop = need - ft->window_max < insp ? need - ft->window_max : insp;

		/* unread bytes only past the hard bound (counted by the drop) */
		if (need - drop > ft->window_hard)
			drop = need - ft->window_hard;
		if (drop > st->buf_len)
			drop = st->buf_len;
		if (drop)
			stream_window_drop(ft, st, (uint32_t)drop);
		need = (uint64_t)st->buf_len + add;
	}
	if (need <= st->buf_cap)
		return 0;

	cap = st->buf_cap ? st->buf_cap : 1024;
	while (cap < need)
		cap *= 2;
	if (cap > ft->window_hard)
		cap = ft->window_hard > need ? ft->window_hard : need;
	if (flow_mem_reserve(ft, f, cap - st->buf_cap))
		return -ENOMEM;
	nb = realloc(st->buf, cap);
	if (!nb) {
		flow_mem_release(ft, cap - st->buf_cap);
		return -ENOMEM;
	}
	st->buf = nb;
	st->buf_cap = (uint32_t)cap;
	return 0;
}

/* Deliver @len in-order bytes (at next_seq), bounded by the stream depth. */
static void stream_append(struct flow_table *ft, struct flow *f, enum flow_dir dir,
			  const uint8_t *data, uint32_t len, struct flow_pkt_info *fi)
{
	struct flow_stream *st = &f->stream[dir];
	uint64_t room = ft->o.stream_depth > st->reassembled ?
				ft->o.stream_depth - st->reassembled : 0;
	uint32_t take = len < room ? len : (uint32_t)room;

	while (take) {
		/* one window's worth at a time, so make_room can always fit it */
		uint32_t n = take < ft->window_max ? take : ft->window_max;

		if (stream_make_room(ft, f, st, n) == 0) {
			memcpy(st->buf + st->buf_len, data, n);
			st->buf_len += n;
			fi->stream_new = true;
		} else {
			/* bytes lost to the memcap: the window restarts after them */
			STAT_INC(ft->st, STREAM_MEMCAP_DROP);
			stream_window_restart(ft, st, st->reassembled + n);
		}
		st->reassembled += n;
		st->next_seq += n;
		data += n;
		take -= n;
		len -= n;
	}
	if (len)
		stream_set_depth_reached(ft, st);
}

/* Deliver queued pieces that next_seq has reached. */
static void stream_drain(struct flow_table *ft, struct flow *f, enum flow_dir dir,
			 struct flow_pkt_info *fi)
{
	struct flow_stream *st = &f->stream[dir];
	struct flow_seg *s;

	while ((s = st->ooo) && SEQ_LEQ(s->seq, st->next_seq) && !st->depth_reached) {
		uint32_t skip = st->next_seq - s->seq;

		st->ooo = s->next;
		if (!st->ooo)
			st->ooo_tail = NULL;
		if (skip < s->len)
			stream_append(ft, f, dir, s->data + skip, s->len - skip, fi);
		stream_seg_free(ft, st, s);
	}
}

/* Give up on the hole before @seq: reassembly continues there. */
static void stream_skip_to(struct flow_table *ft, struct flow_stream *st, uint32_t seq)
{
	uint32_t hole = seq - st->next_seq;

	STAT_INC(ft->st, STREAM_GAPS);
	st->next_seq = seq;
	st->reassembled += hole;
	stream_window_restart(ft, st, st->reassembled);
	if (st->reassembled >= ft->o.stream_depth)
		stream_set_depth_reached(ft, st);
}

/* Compare re-sent bytes at stream offset @off with what the window still holds. */
static void stream_cmp_window(const struct flow_stream *st, int64_t off, const uint8_t *data,
			      uint32_t len, struct seg_acct *a)
{
	int64_t end = off + len, woff = (int64_t)st->buf_off, wend = woff + st->buf_len;

	a->old = true;
	if (off < woff) {
		if (end <= woff)
			return;
		data += woff - off;
		off = woff;
	}
	if (end > wend)
		end = wend;
	if (off < end && memcmp(st->buf + (off - woff), data, (size_t)(end - off)))
		a->diff = true;
}

static struct flow_seg *stream_piece_new(struct flow_table *ft, struct flow *f,
					 struct flow_stream *st, uint32_t seq,
					 const uint8_t *data, uint32_t len)
{
	struct flow_seg *s;

	if (flow_mem_reserve(ft, f, sizeof(*s) + len))
		goto nomem;
	s = malloc(sizeof(*s) + len);
	if (!s) {
		flow_mem_release(ft, sizeof(*s) + len);
		goto nomem;
	}
	s->next = NULL;
	s->seq = seq;
	s->len = len;
	memcpy(s->data, data, len);
	st->ooo_bytes += len;
	st->ooo_cnt++;
	STAT_INC(ft->st, STREAM_OOO_SEGMENTS);
	return s;
nomem:
	/* lost piece: it becomes a hole skipped later */
	STAT_INC(ft->st, STREAM_MEMCAP_DROP);
	return NULL;
}

/* Link @s before *@pp. */
static void stream_piece_link(struct flow_stream *st, struct flow_seg **pp, struct flow_seg *s)
{
	s->next = *pp;
	*pp = s;
	if (!s->next)
		st->ooo_tail = s;
}

/* Queue [seq, seq + len) ahead of next_seq; queued bytes win over new ones. */
static void stream_ooo_insert(struct flow_table *ft, struct flow *f, struct flow_stream *st,
			      uint32_t seq, const uint8_t *data, uint32_t len, struct seg_acct *a)
{
	struct flow_seg **pp = &st->ooo;
	uint32_t end = seq + len;

	/* in-order arrival after an earlier hole: straight to the tail */
	if (st->ooo_tail && SEQ_GEQ(seq, seg_end(st->ooo_tail)))
		pp = &st->ooo_tail->next;

	while (SEQ_LT(seq, end)) {
		struct flow_seg *q = *pp, *s;
		uint32_t n;

		if (q && SEQ_GEQ(seq, seg_end(q))) {
			pp = &q->next;
			continue;
		}
		if (!q || SEQ_LT(seq, q->seq)) {
			/* new bytes up to the next queued piece (or all of them) */
			n = (!q || SEQ_LEQ(end, q->seq)) ? end - seq : q->seq - seq;
			s = stream_piece_new(ft, f, st, seq, data, n);
			if (s) {
				stream_piece_link(st, pp, s);
				pp = &s->next;
			}
			a->fresh = true;
		} else {
			/* inside queued piece q: the first data stays */
			n = (SEQ_LT(end, seg_end(q)) ? end : seg_end(q)) - seq;
			a->old = true;
			if (memcmp(q->data + (seq - q->seq), data, n))
				a->diff = true;
			pp = &q->next;
		}
		seq += n;
		data += n;
	}
}

/* Bound on how far an ACK may run ahead of next_seq and still be believed. */
#define FLOW_ACK_AHEAD_MAX (1U << 30)

void flow_stream_acked(struct flow *f, enum flow_dir dir, uint32_t ack)
{
	struct flow_stream *st = &f->stream[dir];

	if (!st->peer_ack_set || SEQ_GT(ack, st->peer_ack)) {
		st->peer_ack = ack;
		st->peer_ack_set = true;
	}
}

/*
 * Holes before @seq that the receiver already acknowledged will never be
 * filled (capture loss, sampling, snaplen): skip them now rather than queue
 * behind them. Only while the window is fully inspected, so skipping never
 * throws away bytes the detect stage has not seen; a hole left over is
 * skipped on this direction's next segment.
 */
static void stream_skip_acked(struct flow_table *ft, struct flow *f, enum flow_dir dir,
			      uint32_t seq, struct flow_pkt_info *fi)
{
	struct flow_stream *st = &f->stream[dir];

	if (!st->peer_ack_set || st->peer_ack - st->next_seq > FLOW_ACK_AHEAD_MAX)
		return;
	while (!st->depth_reached && SEQ_LT(st->next_seq, st->peer_ack) &&
	       SEQ_LT(st->next_seq, seq) && st->insp_off == st->buf_off + st->buf_len) {
		uint32_t to = SEQ_LT(st->peer_ack, seq) ? st->peer_ack : seq;

		if (st->ooo && SEQ_LT(st->ooo->seq, to))
			to = st->ooo->seq;
		stream_skip_to(ft, st, to);
		stream_drain(ft, f, dir, fi);
	}
}

void flow_stream_segment(struct flow_table *ft, struct flow *f, enum flow_dir dir, uint32_t seq,
			 const uint8_t *data, uint32_t len, struct flow_pkt_info *fi)
{
	struct flow_stream *st = &f->stream[dir];
	struct seg_acct a = { 0 };

	if (!len)
		return;
	if (!st->isn_set)
		flow_stream_start(f, dir, seq - 1); /* mid-stream: this byte is offset 0 */
	if (SEQ_GT(seq, st->next_seq))
		stream_skip_acked(ft, f, dir, seq, fi);

	while (len && !st->depth_reached) {
		uint32_t n, ahead;

		if (SEQ_LT(seq, st->next_seq)) {
			/* bytes already delivered (or skipped): never again */
			uint32_t behind = st->next_seq - seq;

			n = behind < len ? behind : len;
			stream_cmp_window(st, (int64_t)st->reassembled - behind, data, n, &a);
		} else if ((ahead = seq - st->next_seq) == 0) {
			/* in order, up to the first queued piece, which then wins */
			n = len;
			if (st->ooo && SEQ_LT(st->ooo->seq, seq + len))
				n = st->ooo->seq - seq;
			stream_append(ft, f, dir, data, n, fi);
			a.fresh = true;
			seq += n;
			data += n;
			len -= n;
			stream_drain(ft, f, dir, fi);
			continue;
		} else if (st->reassembled + ahead >= ft->o.stream_depth) {
			break; /* starts past the depth: never reassembled */
		} else if (st->ooo_bytes + len <= ft->o.stream_ooo_max &&
			   st->ooo_cnt < FLOW_OOO_CNT_MAX) {
			stream_ooo_insert(ft, f, st, seq, data, len, &a);
			break;
		} else {
			/* queue full: skip the first hole and retry this segment */
			uint32_t to = (st->ooo && SEQ_LT(st->ooo->seq, seq)) ? st->ooo->seq : seq;

			stream_skip_to(ft, st, to);
			stream_drain(ft, f, dir, fi);
			continue;
		}
		seq += n;
		data += n;
		len -= n;
	}

	if (a.old && !a.fresh) {
		fi->retransmit = true;
		STAT_INC(ft->st, STREAM_RETRANSMITS);
	} else if (a.old) {
		STAT_INC(ft->st, STREAM_OVERLAPS);
	}
	if (a.diff)
		STAT_INC(ft->st, STREAM_OVERLAP_DIFF);
}

bool flow_stream_close(struct flow_table *ft, struct flow *f, enum flow_dir dir)
{
	struct flow_stream *st = &f->stream[dir];
	struct flow_pkt_info fi = { 0 };

	while (st->ooo && !st->depth_reached) {
		if (SEQ_GT(st->ooo->seq, st->next_seq))
			stream_skip_to(ft, st, st->ooo->seq);
		stream_drain(ft, f, dir, &fi);
	}
	return fi.stream_new;
}

void flow_stream_free(struct flow_table *ft, struct flow *f, enum flow_dir dir)
{
	struct flow_stream *st = &f->stream[dir];

	stream_ooo_purge(ft, st);
	if (st->buf) {
		free(st->buf);
		flow_mem_release(ft, st->buf_cap);
	}
	st->buf = NULL;
	st->buf_len = st->buf_cap = 0;
}

void flow_stream_view(const struct flow *f, enum flow_dir dir, struct flow_stream_view *v)
{
	const struct flow_stream *st = &f->stream[dir];

	uint64_t insp = st->insp_off - st->buf_off;
	/* Inspected bytes are trimmed lazily: show stream_window of them at most. */
	uint64_t skip = insp > st->view_keep ? insp - st->view_keep : 0;

	v->data = st->buf + skip;
	v->len = (uint32_t)(st->buf_len - skip);
	v->offset = st->buf_off + skip;
	v->new_off = (uint32_t)(insp - skip);
}

void flow_stream_inspected(struct flow_table *ft, struct flow *f, enum flow_dir dir)
{
	struct flow_stream *st = &f->stream[dir];
	uint32_t keep = ft->o.stream_window;

	st->insp_off = st->buf_off + st->buf_len;
	st->view_keep = keep;
	/*
	 * Keep `keep` bytes of look-behind, but compact only once three times
	 * that has piled up: one memmove per 2 * keep bytes of data instead of
	 * one per segment (flow_stream_view() hides the surplus).
	 */
	if (st->buf_len > 3 * keep)
		stream_window_drop(ft, st, st->buf_len - keep);

	/* give back a buffer that a burst (drained queue) blew up */
	if (st->buf_cap > 2 * ft->window_max && st->buf_len <= ft->window_max) {
		uint8_t *nb = realloc(st->buf, ft->window_max);

		if (nb) {
			flow_mem_release(ft, st->buf_cap - ft->window_max);
			st->buf = nb;
			st->buf_cap = ft->window_max;
		}
	}
}
