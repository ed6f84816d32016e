// SPDX-License-Identifier: GPL-2.0-only
/*
 * output_msgpack.c - the event envelope and the msgpack encoding of EVE
 * objects, both ways.
 *
 * DESIGN. The msgpack map is not built from struct weir_event a second time:
 * the encoder walks the jansson object output_eve_json() made (the EVE
 * writer prints that same object), so a key added to EVE appears in msgpack
 * with no change here and the encodings cannot drift. jansson iterates object
 * keys in insertion order (since 2.8), which is EVE order.
 *
 * Encode: one msgpack_sbuffer per encoder, reset (not freed) per event, so
 * after the first events nothing is allocated on the hot path beyond what
 * jansson already allocates for the object.
 *
 * Decode (weir tail, fuzzed): messages come from the network, so they are
 * checked by a bounded structural scan *before* msgpack-c sees them.
 * msgpack-c allocates an array of N objects as soon as it reads a count N,
 * so a 5-byte message announcing 2^32 elements would ask the zone for 96 GiB;
 * the scan rejects any count larger than the bytes left could hold, nesting
 * deeper than OUTPUT_MP_MAX_DEPTH (below msgpack-c's own stack of 32), ext
 * types, the reserved byte 0xc1 and trailing bytes. What passes is unpacked
 * into one reusable zone and converted to jansson, keeping key order.
 *
 * "payload" (packet bytes, off by default; a top-level key) is base64 text in
 * EVE and bin in msgpack; any bin decodes back to base64 text, so the round trip is exact.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>
#include <openssl/evp.h>

#include "output/output_pub.h"

#define OUTPUT_MP_MAX_DEPTH 16
#define EVE_DUMP_FLAGS      (JSON_COMPACT | JSON_PRESERVE_ORDER)
#define ZONE_CHUNK          8192

/* --- envelope ------------------------------------------------------- */

void output_envelope_init(struct output_envelope *env)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t id = 0;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != (ssize_t)sizeof(id)) {
		struct timespec ts;

		/* Early boot without entropy: unique enough to tell restarts apart. */
		clock_gettime(CLOCK_REALTIME, &ts);
		id = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		id ^= (uint64_t)getpid() << 40;
	}
	for (int i = 15; i >= 0; i--, id >>= 4)
		env->sensor_id[i] = hex[id & 0xf];
	env->sensor_id[16] = '\0';
	env->seq = 0;
}

int output_envelope_stamp(struct output_envelope *env, json_t *obj)
{
	uint64_t seq = env->seq + 1;

	if (json_object_set_new_nocheck(obj, "schema", json_integer(OUTPUT_SCHEMA_VERSION)) ||
	    json_object_set_new_nocheck(obj, "sensor_id", json_string_nocheck(env->sensor_id)) ||
	    json_object_set_new_nocheck(obj, "seq", json_integer((json_int_t)seq)))
		return -ENOMEM;
	env->seq = seq;
	return 0;
}

/* --- EVE line ------------------------------------------------------- */

size_t output_eve_dump(const json_t *obj, char **buf, size_t *cap)
{
	size_t n;

	if (!*buf || *cap < 2) {
		size_t c = 4096;
		char *b = realloc(*buf, c);

		if (!b)
			return 0;
		*buf = b;
		*cap = c;
	}
	n = json_dumpb(obj, *buf, *cap - 1, EVE_DUMP_FLAGS);
	if (n && n > *cap - 1) {
		/* json_dumpb() told the size it needs: grow once and dump again */
		size_t c = *cap;
		char *b;

		while (c < n + 1)
			c *= 2;
		b = realloc(*buf, c);
		if (!b)
			return 0;
		*buf = b;
		*cap = c;
		n = json_dumpb(obj, *buf, *cap - 1, EVE_DUMP_FLAGS);
	}
	if (!n || n > *cap - 1)
		return 0;
	(*buf)[n++] = '\n';
	return n;
}

/* --- encoder -------------------------------------------------------- */

struct output_mp {
	msgpack_sbuffer sb;
	msgpack_packer pk;
	unsigned char *bin;     /* decoded payload bytes */
	size_t bin_cap;
};

struct output_mp *output_mp__new(void)
{
	struct output_mp *mp = calloc(1, sizeof(*mp));

	if (!mp)
		return NULL;
	msgpack_sbuffer_init(&mp->sb);
	msgpack_packer_init(&mp->pk, &mp->sb, msgpack_sbuffer_write);
	return mp;
}

void output_mp__free(struct output_mp *mp)
{
	if (!mp)
		return;
	msgpack_sbuffer_destroy(&mp->sb);
	free(mp->bin);
	free(mp);
}

/* Standard base64 with padding (what EVE prints) -> bin. */
static int pack_base64(struct output_mp *mp, const char *s, size_t len)
{
	size_t pad = 0, need = len / 4 * 3;
	int n;

	if (len % 4 || len > INT32_MAX)
		return -EINVAL;
	if (len && s[len - 1] == '=')
		pad++;
	if (len > 1 && s[len - 2] == '=')
		pad++;
	if (need + 1 > mp->bin_cap) {
		unsigned char *b = realloc(mp->bin, need + 1);

		if (!b)
			return -ENOMEM;
		mp->bin = b;
		mp->bin_cap = need + 1;
	}
	/* EVP_DecodeBlock() counts padding as zero bytes: take them off again. */
	n = len ? EVP_DecodeBlock(mp->bin, (const unsigned char *)s, (int)len) : 0;
	if (n < 0 || (size_t)n != need)
		return -EINVAL;
	if (msgpack_pack_bin(&mp->pk, need - pad) ||
	    msgpack_pack_bin_body(&mp->pk, mp->bin, need - pad))
		return -ENOMEM;
	return 0;
}

static int pack_json(struct output_mp *mp, const json_t *j, int depth, bool payload)
{
	msgpack_packer *pk = &mp->pk;
	int err = 0;

	/* the decoder takes at most OUTPUT_MP_MAX_DEPTH nested containers */
	if (depth >= OUTPUT_MP_MAX_DEPTH && (json_is_object(j) || json_is_array(j)))
		return -EINVAL;
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *key;
		size_t klen;
		json_t *v;

		if (msgpack_pack_map(pk, json_object_size(j)))
			return -ENOMEM;
		json_object_keylen_foreach((json_t *)j, key, klen, v) {
			if (msgpack_pack_str(pk, klen) || msgpack_pack_str_body(pk, key, klen))
				return -ENOMEM;
			/* EVE's "payload" is a top-level key */
			err = pack_json(mp, v, depth + 1,
					!depth && klen == 7 && !memcmp(key, "payload", 7));
			if (err)
				return err;
		}
		return 0;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *v;

		if (msgpack_pack_array(pk, json_array_size(j)))
			return -ENOMEM;
		json_array_foreach(j, i, v) {
			err = pack_json(mp, v, depth + 1, false);
			if (err)
				return err;
		}
		return 0;
	}
	case JSON_STRING:
		if (payload)
			return pack_base64(mp, json_string_value(j), json_string_length(j));
		if (msgpack_pack_str(pk, json_string_length(j)) ||
		    msgpack_pack_str_body(pk, json_string_value(j), json_string_length(j)))
			return -ENOMEM;
		return 0;
	case JSON_INTEGER: {
		json_int_t v = json_integer_value(j);

		err = v >= 0 ? msgpack_pack_uint64(pk, (uint64_t)v) : msgpack_pack_int64(pk, v);
		return err ? -ENOMEM : 0;
	}
	case JSON_REAL:
		return msgpack_pack_double(pk, json_real_value(j)) ? -ENOMEM : 0;
	case JSON_TRUE:
		return msgpack_pack_true(pk) ? -ENOMEM : 0;
	case JSON_FALSE:
		return msgpack_pack_false(pk) ? -ENOMEM : 0;
	case JSON_NULL:
		return msgpack_pack_nil(pk) ? -ENOMEM : 0;
	}
	return -EINVAL;
}

int output_mp_encode(struct output_mp *mp, const json_t *obj, const char **data, size_t *len)
{
	int err;

	if (!json_is_object(obj))
		return -EINVAL;
	msgpack_sbuffer_clear(&mp->sb);
	err = pack_json(mp, obj, 0, false);
	if (err)
		return err;
	*data = mp->sb.data;
	*len = mp->sb.size;
	return 0;
}

/* --- decoder -------------------------------------------------------- */

struct output_mp_dec {
	msgpack_zone zone;
	char *b64;              /* base64 text of a bin */
	size_t b64_cap;
};

struct output_mp_dec *output_mp_dec__new(void)
{
	struct output_mp_dec *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (!msgpack_zone_init(&d->zone, ZONE_CHUNK)) {
		free(d);
		errno = ENOMEM;
		return NULL;
	}
	return d;
}

void output_mp_dec__free(struct output_mp_dec *d)
{
	if (!d)
		return;
	msgpack_zone_destroy(&d->zone);
	free(d->b64);
	free(d);
}

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Structural scan of the first msgpack map in @p: every length fits in what
 * is left, every element count could be satisfied (each element takes at
 * least one byte), depth bounded, no ext. *@used = the map's length.
 * Return: 0 or -EBADMSG.
 */
static int mp_scan(const uint8_t *p, size_t len, size_t *used)
{
	uint64_t rem[OUTPUT_MP_MAX_DEPTH + 1];
	size_t off = 0;
	int d = 0;

	if (!len || !((p[0] & 0xf0) == 0x80 || p[0] == 0xde || p[0] == 0xdf))
		return -EBADMSG;
	rem[0] = 1;
	while (d >= 0) {
		uint64_t skip = 0, kids = 0;
		bool container = false;
		size_t hdr = 1;
		uint8_t c;

		if (!rem[d]) {
			d--;
			continue;
		}
		rem[d]--;
		if (off >= len)
			return -EBADMSG;
		c = p[off];
		if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
			/* fixint, nil, bool: the byte itself */
		} else if (c <= 0x8f) {
			kids = 2ull * (c & 0x0f);
			container = true;
		} else if (c <= 0x9f) {
			kids = c & 0x0f;
			container = true;
		} else if (c <= 0xbf) {
			skip = c & 0x1f;
		} else {
			/* width of the length/value field after the type byte */
			static const struct {
				uint8_t lenw;   /* bytes of length (str/bin/array/map) */
				uint8_t valw;   /* bytes of fixed value (numbers) */
				uint8_t kind;   /* 0 scalar, 1 str/bin, 2 array, 3 map, 9 bad */
			} t[0x20] = {
				[0x01] = { 0, 0, 9 },                                 /* 0xc1 */
				[0x04] = { 1, 0, 1 }, [0x05] = { 2, 0, 1 }, [0x06] = { 4, 0, 1 },
				[0x07] = { 0, 0, 9 }, [0x08] = { 0, 0, 9 }, [0x09] = { 0, 0, 9 },
				[0x0a] = { 0, 4, 0 }, [0x0b] = { 0, 8, 0 },
				[0x0c] = { 0, 1, 0 }, [0x0d] = { 0, 2, 0 }, [0x0e] = { 0, 4, 0 },
				[0x0f] = { 0, 8, 0 },
				[0x10] = { 0, 1, 0 }, [0x11] = { 0, 2, 0 }, [0x12] = { 0, 4, 0 },
				[0x13] = { 0, 8, 0 },
				[0x14] = { 0, 0, 9 }, [0x15] = { 0, 0, 9 }, [0x16] = { 0, 0, 9 },
				[0x17] = { 0, 0, 9 }, [0x18] = { 0, 0, 9 },
				[0x19] = { 1, 0, 1 }, [0x1a] = { 2, 0, 1 }, [0x1b] = { 4, 0, 1 },
				[0x1c] = { 2, 0, 2 }, [0x1d] = { 4, 0, 2 },
				[0x1e] = { 2, 0, 3 }, [0x1f] = { 4, 0, 3 },
			};
			uint8_t i = c - 0xc0;
			uint64_t n;

			if (t[i].kind == 9)
				return -EBADMSG;
			if (t[i].valw) {
				skip = t[i].valw;
			} else {
				if (len - off - 1 < t[i].lenw)
					return -EBADMSG;
				hdr += t[i].lenw;
				n = be(p + off + 1, t[i].lenw);
				container = t[i].kind != 1;
				if (t[i].kind == 1)
					skip = n;
				else if (t[i].kind == 2)
					kids = n;
				else
					kids = 2 * n;
			}
		}
		if (len - off < hdr || len - off - hdr < skip)
			return -EBADMSG;
		off += hdr + skip;
		/* this container sits at depth d + 1 (the top-level map at 1) */
		if (container && d + 1 > OUTPUT_MP_MAX_DEPTH)
			return -EBADMSG;
		if (kids) {
			if (kids > len - off)
				return -EBADMSG;
			rem[++d] = kids;
		}
	}
	*used = off;
	return 0;
}

static json_t *bin_to_base64(struct output_mp_dec *d, const char *p, uint32_t n)
{
	size_t need = ((size_t)n + 2) / 3 * 4 + 1;
	int len;

	if (need > d->b64_cap) {
		char *b = realloc(d->b64, need);

		if (!b)
			return NULL;
		d->b64 = b;
		d->b64_cap = need;
	}
	len = EVP_EncodeBlock((unsigned char *)d->b64, (const unsigned char *)p, (int)n);
	return json_stringn_nocheck(d->b64, (size_t)len);
}

/* msgpack object -> jansson; NULL on garbage (*@err = -EBADMSG) or ENOMEM. */
static json_t *to_json(struct output_mp_dec *d, const msgpack_object *o, int *err)
{
	json_t *j = NULL;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return json_null();
	case MSGPACK_OBJECT_BOOLEAN:
		return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX)
			break;
		j = json_integer((json_int_t)o->via.u64);
		goto check;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		j = json_integer(o->via.i64);
		goto check;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		/* jansson refuses NaN and infinities: not EVE */
		j = json_real(o->via.f64);
		if (!j && o->via.f64 == o->via.f64 && o->via.f64 - o->via.f64 == 0)
			*err = -ENOMEM;
		else if (!j)
			*err = -EBADMSG;
		return j;
	case MSGPACK_OBJECT_STR:
		/* NULL here is invalid UTF-8 (garbage) far more likely than ENOMEM */
		j = json_stringn(o->via.str.size ? o->via.str.ptr : "", o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		j = bin_to_base64(d, o->via.bin.ptr, o->via.bin.size);
		goto check;
	case MSGPACK_OBJECT_ARRAY:
		j = json_array();
		if (!j)
			goto check;
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			json_t *v = to_json(d, &o->via.array.ptr[i], err);

			if (!v || json_array_append_new(j, v)) {
				if (!*err)
					*err = -ENOMEM;
				json_decref(j);
				return NULL;
			}
		}
		return j;
	case MSGPACK_OBJECT_MAP:
		j = json_object();
		if (!j)
			goto check;
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object_kv *kv = &o->via.map.ptr[i];
			const char *k = kv->key.via.str.ptr;
			size_t kl = kv->key.via.str.size;
			json_t *v;

			/* string keys, no duplicates: anything else is not an EVE object */
			if (kv->key.type != MSGPACK_OBJECT_STR || !kl ||
			    json_object_getn(j, k, kl)) {
				*err = -EBADMSG;
				json_decref(j);
				return NULL;
			}
			v = to_json(d, &kv->val, err);
			if (!v) {
				if (!*err)
					*err = -ENOMEM;
				json_decref(j);
				return NULL;
			}
			/* json_object_setn_new() checks UTF-8 and frees @v on failure */
			if (json_object_setn_new(j, k, kl, v)) {
				*err = -EBADMSG;
				json_decref(j);
				return NULL;
			}
		}
		return j;
	default: /* ext */
		break;
	}
	if (!j)
		*err = -EBADMSG;
	return j;
check:
	if (!j)
		*err = -ENOMEM;
	return j;
}

json_t *output_mp_decode_next(struct output_mp_dec *d, const void *data, size_t len,
			      size_t *used)
{
	msgpack_object obj;
	size_t off = 0, n;
	json_t *j = NULL;
	int err = 0, rc;

	if (mp_scan(data, len, &n)) {
		errno = EBADMSG;
		return NULL;
	}
	*used = n;
	rc = msgpack_unpack(data, n, &off, &d->zone, &obj);
	if (rc != MSGPACK_UNPACK_SUCCESS || off != n || obj.type != MSGPACK_OBJECT_MAP)
		err = rc == MSGPACK_UNPACK_NOMEM_ERROR ? -ENOMEM : -EBADMSG;
	else
		j = to_json(d, &obj, &err);
	msgpack_zone_clear(&d->zone);
	if (!j) {
		errno = err ? -err : ENOMEM;
		return NULL;
	}
	return j;
}

json_t *output_mp_decode(struct output_mp_dec *d, const void *data, size_t len)
{
	size_t used;
	json_t *j = output_mp_decode_next(d, data, len, &used);

	if (j && used != len) {
		json_decref(j);
		errno = EBADMSG;
		return NULL;
	}
	return j;
}
