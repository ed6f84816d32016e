/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * source_pcap.h - read pcap and pcapng files (libpcap) for `weir replay`.
 *
 * One file at a time; timestamps in nanoseconds; the link type is checked
 * against what the decode stage understands at open time so a bad file is
 * refused with one clear line before any packet is read.
 */
#ifndef WEIR_SOURCE_PCAP_H
#define WEIR_SOURCE_PCAP_H

#include <stddef.h>
#include <stdint.h>

struct source_pcap;

struct source_frame {
	const uint8_t *data;  /* valid until the next source_pcap__next() */
	uint32_t caplen, wirelen;
	uint64_t ts_ns;       /* ns since the Unix epoch */
};

/*
 * source_pcap__open() - open @path. On failure returns NULL and writes a
 * one-line reason (no path prefix) into @err (@errlen bytes).
 */
struct source_pcap *source_pcap__open(const char *path, char *err, size_t errlen);
void source_pcap__close(struct source_pcap *sp);

/* source_pcap__linktype() - the file's pcap link type (DLT/LINKTYPE value). */
uint16_t source_pcap__linktype(const struct source_pcap *sp);

/*
 * source_pcap__next() - read one frame into @fr.
 * Return: 1 frame read, 0 end of file, -EIO read error or truncated file
 * (the reason is in @err).
 */
int source_pcap__next(struct source_pcap *sp, struct source_frame *fr, char *err, size_t errlen);

/* source_pcap_linktype_supported() - can the decode stage decode @linktype? */
int source_pcap_linktype_supported(int linktype);

#endif /* WEIR_SOURCE_PCAP_H */
