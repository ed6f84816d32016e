// SPDX-License-Identifier: GPL-2.0-only
/*
 * queue.c - SPSC byte ring and slot ring (see queue.h).
 *
 * Memory order: the producer writes a record, then publishes it with a
 * release store of head; the consumer loads head with acquire before reading.
 * The consumer frees space with a release store of tail; the producer loads
 * tail with acquire before reusing it. Sleeping uses a futex per direction so
 * an idle worker costs nothing and a waiting producer wakes as soon as there
 * is room.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/queue.h"

#define REC_HDR   8u
#define REC_WRAP  UINT32_MAX

uint32_t qwait_snapshot(struct qwait *w)
{
	return atomic_load(&w->seq);
}

void qwait_sleep(struct qwait *w, uint32_t snap, int timeout_ms)
{
	struct timespec ts = {
		.tv_sec = timeout_ms / 1000,
		.tv_nsec = (long)(timeout_ms % 1000) * 1000000L,
	};

	atomic_fetch_add(&w->waiters, 1);
	/* Returns at once (EAGAIN) if a wake-up bumped seq after @snap. */
	syscall(SYS_futex, &w->seq, FUTEX_WAIT_PRIVATE, snap, &ts, NULL, 0);
	atomic_fetch_sub(&w->waiters, 1);
}

void qwait_wake(struct qwait *w)
{
	atomic_fetch_add(&w->seq, 1);
	if (atomic_load(&w->waiters))
		syscall(SYS_futex, &w->seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static uint64_t round_pow2(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

int spsc_bytes__init(struct spsc_bytes *q, uint64_t cap)
{
	memset(q, 0, sizeof(*q));
	q->cap = round_pow2(cap < 4096 ? 4096 : cap);
	q->wake_used = q->cap / 16;
	q->wake_free = q->cap / 4;
	q->buf = aligned_alloc(64, q->cap);
	return q->buf ? 0 : -ENOMEM;
}

void spsc_bytes__destroy(struct spsc_bytes *q)
{
	free(q->buf);
	q->buf = NULL;
}

void *spsc_bytes_reserve(struct spsc_bytes *q, uint32_t len)
{
	uint64_t need = (REC_HDR + (uint64_t)len + 7) & ~7ull;
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	uint64_t pos = q->rsv & (q->cap - 1);
	uint64_t skip = pos + need > q->cap ? q->cap - pos : 0;

	if (need > q->cap / 2)
		return NULL;
	if (q->rsv + skip + need - tail > q->cap)
		return NULL;
	if (skip) {
		*(uint32_t *)(q->buf + pos) = REC_WRAP;
		q->rsv += skip;
		pos = 0;
	}
	*(uint32_t *)(q->buf + pos) = len;
	q->rsv_len = need;
	return q->buf + pos + REC_HDR;
}

void spsc_bytes_commit(struct spsc_bytes *q)
{
	q->rsv += q->rsv_len;
	q->rsv_len = 0;
	atomic_store_explicit(&q->head, q->rsv, memory_order_release);
	if (atomic_load(&q->not_empty.waiters) &&
	    q->rsv - atomic_load_explicit(&q->tail, memory_order_relaxed) >= q->wake_used)
		qwait_wake(&q->not_empty);
}

void spsc_bytes_kick(struct spsc_bytes *q)
{
	qwait_wake(&q->not_empty);
}

void *spsc_bytes_peek(struct spsc_bytes *q, uint32_t *len)
{
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
	uint64_t pos;
	uint32_t rlen;

	if (tail == head)
		return NULL;
	pos = tail & (q->cap - 1);
	rlen = *(uint32_t *)(q->buf + pos);
	if (rlen == REC_WRAP) {
		tail += q->cap - pos;
		pos = 0;
		rlen = *(uint32_t *)(q->buf);
	}
	*len = rlen;
	q->cnext = tail + ((REC_HDR + (uint64_t)rlen + 7) & ~7ull);
	return q->buf + pos + REC_HDR;
}

void spsc_bytes_release(struct spsc_bytes *q)
{
	atomic_store_explicit(&q->tail, q->cnext, memory_order_release);
	if (atomic_load(&q->not_full.waiters) &&
	    q->cap - (atomic_load_explicit(&q->head, memory_order_relaxed) - q->cnext) >= q->wake_free)
		qwait_wake(&q->not_full);
}

int spsc_slots__init(struct spsc_slots *q, uint32_t slots, uint32_t slot_size)
{
	memset(q, 0, sizeof(*q));
	slots = (uint32_t)round_pow2(slots < 2 ? 2 : slots);
	q->item_size = slot_size;
	q->slot_size = (slot_size + 7) & ~7u;
	q->mask = slots - 1;
	q->buf = calloc(slots, q->slot_size);
	return q->buf ? 0 : -ENOMEM;
}

void spsc_slots__destroy(struct spsc_slots *q)
{
	free(q->buf);
	q->buf = NULL;
}

bool spsc_slots_push(struct spsc_slots *q, const void *item)
{
	uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);

	if (head - tail > q->mask)
		return false;
	memcpy(q->buf + (head & q->mask) * q->slot_size, item, q->item_size);
	atomic_store_explicit(&q->head, head + 1, memory_order_release);
	qwait_wake(&q->not_empty);
	return true;
}

void *spsc_slots_front(struct spsc_slots *q)
{
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);

	if (tail == head)
		return NULL;
	return q->buf + (tail & q->mask) * q->slot_size;
}

void spsc_slots_pop(struct spsc_slots *q)
{
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);

	atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
	qwait_wake(&q->not_full);
}

uint64_t spsc_slots_count(struct spsc_slots *q)
{
	return atomic_load(&q->head) - atomic_load(&q->tail);
}
