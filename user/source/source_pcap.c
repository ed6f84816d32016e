// SPDX-License-Identifier: GPL-2.0-only
/* source_pcap.c - pcap/pcapng reader on libpcap (see source_pcap.h). */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "source/source_pcap.h"

/* stdio buffer for the capture file: libpcap reads record by record with fread. */
#define SOURCE_PCAP_IOBUF (1u << 20)

struct source_pcap {
	pcap_t *pc;
	char *iobuf;
	uint16_t linktype;
};

int source_pcap_linktype_supported(int linktype)
{
	switch (linktype) {
	case DECODE_LINK_NULL:
	case DECODE_LINK_ETHERNET:
	case DECODE_LINK_PPP:
	case DECODE_LINK_RAW:
	case DECODE_LINK_LOOP:
	case DECODE_LINK_LINUX_SLL:
	case DECODE_LINK_IPV4:
	case DECODE_LINK_IPV6:
	case DECODE_LINK_LINUX_SLL2:
		return 1;
	default:
		return 0;
	}
}

/* libpcap maps some LINKTYPE_ values to platform DLT_ values; undo that. */
static int pcap_linktype(pcap_t *pc)
{
	int dlt = pcap_datalink(pc);

	if (dlt == DLT_RAW)
		return DECODE_LINK_RAW;
#ifdef DLT_LOOP
	if (dlt == DLT_LOOP)
		return DECODE_LINK_LOOP;
#endif
	return dlt;
}

struct source_pcap *source_pcap__open(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct source_pcap *sp;
	FILE *fp;
	int lt;

	sp = calloc(1, sizeof(*sp));
	if (!sp) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return NULL;
	}
	fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s", strerror(errno));
		free(sp);
		return NULL;
	}
	/* A large buffer: one read(2) per MiB instead of per 4 KiB. */
	sp->iobuf = malloc(SOURCE_PCAP_IOBUF);
	if (sp->iobuf)
		setvbuf(fp, sp->iobuf, _IOFBF, SOURCE_PCAP_IOBUF);
	sp->pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!sp->pc) {
		/* libpcap's message already names the problem ("unknown file format", ...). */
		snprintf(err, errlen, "%s", ebuf[0] ? ebuf : "cannot open capture");
		fclose(fp);
		free(sp->iobuf);
		free(sp);
		errno = EINVAL;
		return NULL;
	}
	lt = pcap_linktype(sp->pc);
	if (!source_pcap_linktype_supported(lt)) {
		const char *name = pcap_datalink_val_to_name(pcap_datalink(sp->pc));

		snprintf(err, errlen, "unsupported link type %d (%s)", lt, name ? name : "unknown");
		pcap_close(sp->pc);
		free(sp->iobuf);
		free(sp);
		errno = ENOTSUP;
		return NULL;
	}
	sp->linktype = (uint16_t)lt;
	return sp;
}

void source_pcap__close(struct source_pcap *sp)
{
	if (!sp)
		return;
	pcap_close(sp->pc); /* closes the FILE, before its buffer goes */
	free(sp->iobuf);
	free(sp);
}

uint16_t source_pcap__linktype(const struct source_pcap *sp)
{
	return sp->linktype;
}

int source_pcap__next(struct source_pcap *sp, struct source_frame *fr, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	rc = pcap_next_ex(sp->pc, &h, &data);
	if (rc == 1) {
		fr->data = data;
		fr->caplen = h->caplen;
		fr->wirelen = h->len < h->caplen ? h->caplen : h->len;
		/* Opened with nanosecond precision: tv_usec holds nanoseconds. */
		fr->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		return 1;
	}
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	snprintf(err, errlen, "%s", pcap_geterr(sp->pc));
	return -EIO;
}
