// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_tail.c - libFuzzer target for `weir tail`'s message decoding.
 *
 * Input: one nanomsg message as a subscriber receives it. output_mp_decode()
 * must reject garbage cleanly (NULL + EBADMSG, no crash, no allocation
 * sized by a count the message cannot hold). What it accepts must survive
 * the round trip tail and the publisher make together: the EVE line of the
 * decoded object, encoded again with output_mp_encode() and decoded again,
 * is the same line. The only accepted input the encoder may refuse is a
 * "payload" string that is not base64 (the sensor never produces one).
 * The same input then goes through tail's whole per-message path
 * (output_tail_message(): envelope checks, seq tracking across inputs, the
 * printed line), output to /dev/null.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/output_pub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct output_mp_dec *dec;
static struct output_mp *mp;
static struct output_tail *tail;
static char *line1, *line2;
static size_t cap1, cap2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *enc;
	size_t enc_len, n1, n2;
	json_t *j, *k;
	int err;

	if (!dec) {
		dec = output_mp_dec__new();
		mp = output_mp__new();
		FILE *null = fopen("/dev/null", "w");

		tail = null ? output_tail__new(0, null, null) : NULL;
		if (!dec || !mp || !tail)
			abort();
	}
	if (output_tail_message(tail, data, size) < 0)
		abort();
	j = output_mp_decode(dec, data, size);
	if (!j) {
		if (errno != EBADMSG && errno != ENOMEM)
			abort();
		return 0;
	}
	if (!json_is_object(j))
		abort();
	n1 = output_eve_dump(j, &line1, &cap1);
	err = output_mp_encode(mp, j, &enc, &enc_len);
	if (err == -EINVAL && json_object_get(j, "payload")) {
		json_decref(j);
		return 0;
	}
	if (err || !n1)
		abort();
	k = output_mp_decode(dec, enc, enc_len);
	if (!k)
		abort();
	n2 = output_eve_dump(k, &line2, &cap2);
	if (n1 != n2 || memcmp(line1, line2, n1))
		abort();
	json_decref(k);
	json_decref(j);
	return 0;
}
