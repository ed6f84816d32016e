/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * queue.h - bounded single-producer/single-consumer queues between threads.
 *
 * Two shapes, both lock-free on the fast path with a futex to sleep on:
 * - struct spsc_bytes: variable-length records in one byte ring (the reader
 *   copies each packet in once; the worker decodes it in place, then releases
 *   it). No allocation per packet.
 * - struct spsc_slots: fixed-size slots (events by value).
 *
 * A full queue is the caller's decision: wait (replay: nothing may be lost) or
 * count and drop (live: never block capture). Neither queue allocates after
 * __new(). One producer thread and one consumer thread per queue.
 */
#ifndef WEIR_QUEUE_H
#define WEIR_QUEUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A futex-backed "something changed" signal. */
struct qwait {
	_Atomic uint32_t seq;
	_Atomic uint32_t waiters;
};

/* qwait_snapshot() - read before testing the condition you will wait for. */
uint32_t qwait_snapshot(struct qwait *w);
/* qwait_sleep() - sleep until qwait_wake() after @snap, or @timeout_ms. */
void qwait_sleep(struct qwait *w, uint32_t snap, int timeout_ms);
void qwait_wake(struct qwait *w);

struct spsc_bytes {
	uint8_t *buf;
	uint64_t cap;                    /* power of 2 */
	_Atomic uint64_t head;           /* producer: bytes published */
	_Atomic uint64_t tail;           /* consumer: bytes released */
	uint64_t rsv;                    /* producer: reserved, not yet published */
	uint64_t rsv_len;                /* producer: length of the open reservation */
	uint64_t wake_used;              /* commit wakes a sleeping consumer from this fill on */
	uint64_t wake_free;              /* release wakes a sleeping producer from this room on */
	uint64_t cnext;                  /* consumer: tail after the peeked record */
	struct qwait not_empty, not_full;
};

/*
 * spsc_bytes__init() - @cap rounded up to a power of 2. Return: 0 or -ENOMEM.
 *
 * Wake-ups are batched: a commit wakes a sleeping consumer only once the ring
 * holds cap/16 bytes, and a release wakes a waiting producer only once cap/4
 * is free, so a fast producer and a fast consumer do not pay a futex call per
 * record. A consumer must therefore sleep with a short timeout, and a producer
 * that stops (end of input, a control record) calls spsc_bytes_kick().
 */
int spsc_bytes__init(struct spsc_bytes *q, uint64_t cap);
void spsc_bytes__destroy(struct spsc_bytes *q);

/*
 * spsc_bytes_reserve() - producer: room for a record of @len bytes (8-byte
 * aligned internally), or NULL when full. Contiguous. Commit with
 * spsc_bytes_commit(); only one reservation at a time.
 */
void *spsc_bytes_reserve(struct spsc_bytes *q, uint32_t len);
void spsc_bytes_commit(struct spsc_bytes *q);

/* spsc_bytes_kick() - producer: wake a sleeping consumer now, whatever the fill. */
void spsc_bytes_kick(struct spsc_bytes *q);

/*
 * spsc_bytes_peek() - consumer: next record, its length in @len, or NULL when
 * empty. Release it with spsc_bytes_release() before peeking again.
 */
void *spsc_bytes_peek(struct spsc_bytes *q, uint32_t *len);
void spsc_bytes_release(struct spsc_bytes *q);

struct spsc_slots {
	uint8_t *buf;
	uint32_t slot_size;              /* item size rounded up to 8 */
	uint32_t item_size;
	uint32_t mask;                   /* slots - 1 */
	_Atomic uint64_t head, tail;
	struct qwait not_empty, not_full;
};

int spsc_slots__init(struct spsc_slots *q, uint32_t slots, uint32_t slot_size);
void spsc_slots__destroy(struct spsc_slots *q);

/* spsc_slots_push() - producer: copy @item in. Return: true, or false when full. */
bool spsc_slots_push(struct spsc_slots *q, const void *item);
/* spsc_slots_front() / _pop() - consumer: look at the oldest slot, then drop it. */
void *spsc_slots_front(struct spsc_slots *q);
void spsc_slots_pop(struct spsc_slots *q);
/* spsc_slots_count() - items queued now (approximate from another thread). */
uint64_t spsc_slots_count(struct spsc_slots *q);

#endif /* WEIR_QUEUE_H */
