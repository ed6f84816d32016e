// SPDX-License-Identifier: GPL-2.0-only
/*
 * output_community_id.c - Community ID v1 flow hashing.
 *
 * Spec: github.com/corelight/community-id-spec (README, baseline/). The hash
 * input is, all in network byte order:
 *
 *	seed(2) saddr(4|16) daddr(4|16) proto(1) pad(1)=0 [sport(2) dport(2)]
 *
 * with the endpoints swapped so the smaller (address, port) comes first, and
 * the result is "1:" + base64(sha1(input)). Ports are present for TCP, UDP,
 * SCTP, ICMP and ICMPv6 only. ICMP has no ports: the spec (after Zeek) uses
 * the message type as the source port and, for request/reply pairs, the
 * counterpart type as the destination port, so an echo request and its reply
 * give the same ID; other ("one-way") types use the code as destination port
 * and are never swapped.
 *
 * Cost: this runs for every event. The SHA-1 implementation is fetched once
 * per process and each thread keeps one digest context, because OpenSSL 3's
 * EVP_Digest() with EVP_sha1() allocates a context and does an implicit
 * fetch (a locked lookup) on every call.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "output/output.h"

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

/* ICMP counterpart types (request <-> reply), from the spec's Zeek mapping. */
static int icmp4_counterpart(uint8_t type)
{
	switch (type) {
	case 8: return 0;   /* echo request -> echo reply */
	case 0: return 8;
	case 13: return 14; /* timestamp */
	case 14: return 13;
	case 15: return 16; /* information */
	case 16: return 15;
	case 10: return 9;  /* router solicitation -> advertisement */
	case 9: return 10;
	case 17: return 18; /* address mask */
	case 18: return 17;
	default: return -1;
	}
}

static int icmp6_counterpart(uint8_t type)
{
	switch (type) {
	case 128: return 129; /* echo request -> reply */
	case 129: return 128;
	case 130: return 131; /* MLD listener query -> report */
	case 131: return 130;
	case 133: return 134; /* router solicitation -> advertisement */
	case 134: return 133;
	case 135: return 136; /* neighbor solicitation -> advertisement */
	case 136: return 135;
	case 139: return 140; /* node information query -> reply (WRU) */
	case 140: return 139;
	case 144: return 145; /* home agent address discovery request -> reply */
	case 145: return 144;
	default: return -1;
	}
}

static pthread_once_t cid_once = PTHREAD_ONCE_INIT;
static EVP_MD *cid_sha1;
static pthread_key_t cid_ctx_key;
static bool cid_key_ok;

static void cid_ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void cid_init(void)
{
	cid_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	cid_key_ok = pthread_key_create(&cid_ctx_key, cid_ctx_free) == 0;
}

/* The calling thread's digest context, made on first use; NULL on failure. */
static EVP_MD_CTX *cid_ctx(void)
{
	EVP_MD_CTX *ctx;

	if (!cid_key_ok)
		return NULL;
	ctx = pthread_getspecific(cid_ctx_key);
	if (ctx)
		return ctx;
	ctx = EVP_MD_CTX_new();
	if (ctx && pthread_setspecific(cid_ctx_key, ctx)) {
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

int output_community_id(const struct event_tuple *t, uint16_t seed, char *buf, size_t len)
{
	/* seed 2 + addrs 32 + proto/pad 2 + ports 4 */
	uint8_t in[40], md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	const uint8_t *sa = (const uint8_t *)t->src.a, *da = (const uint8_t *)t->dst.a;
	size_t alen, n = 0;
	uint16_t sp = t->sport, dp = t->dport;
	bool ports = false, one_way = false;
	EVP_MD_CTX *ctx;
	int cmp, c;

	if (t->ip_ver == 4)
		alen = 4;
	else if (t->ip_ver == 6)
		alen = 16;
	else
		return -EINVAL;
	if (len < OUTPUT_COMMUNITY_ID_LEN)
		return -ENOSPC;

	switch (t->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		ports = true;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		ports = true;
		c = t->proto == IPPROTO_ICMP ? icmp4_counterpart(t->icmp_type)
					     : icmp6_counterpart(t->icmp_type);
		sp = t->icmp_type;
		if (c < 0) {
			dp = t->icmp_code;
			one_way = true;
		} else {
			dp = (uint16_t)c;
		}
		break;
	default:
		break;
	}

	/* Smaller (address, port) first; one-way ICMP keeps its direction. */
	cmp = memcmp(sa, da, alen);
	if (!one_way && (cmp > 0 || (cmp == 0 && ports && sp > dp))) {
		const uint8_t *ta = sa;
		uint16_t tp = sp;

		sa = da;
		da = ta;
		sp = dp;
		dp = tp;
	}

	in[n++] = seed >> 8;
	in[n++] = seed & 0xff;
	memcpy(in + n, sa, alen);
	n += alen;
	memcpy(in + n, da, alen);
	n += alen;
	in[n++] = t->proto;
	in[n++] = 0;
	if (ports) {
		in[n++] = sp >> 8;
		in[n++] = sp & 0xff;
		in[n++] = dp >> 8;
		in[n++] = dp & 0xff;
	}

	pthread_once(&cid_once, cid_init);
	ctx = cid_ctx();
	if (!cid_sha1 || !ctx)
		return -EIO;
	if (!EVP_DigestInit_ex2(ctx, cid_sha1, NULL) || !EVP_DigestUpdate(ctx, in, n) ||
	    !EVP_DigestFinal_ex(ctx, md, &md_len) || md_len != 20)
		return -EIO;

	buf[0] = '1';
	buf[1] = ':';
	/* 20 bytes -> 28 base64 characters and a NUL */
	EVP_EncodeBlock((unsigned char *)buf + 2, md, (int)md_len);
	return 0;
}
