/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sample.bpf.h - the sampling policy of DESIGN.md §4: which packets become
 * ring records. In order of what matters most to detection:
 *   1. every TCP control packet (SYN, FIN, RST);
 *   2. every packet while its direction has captured < head_bytes of
 *      payload (the flow head: requests, handshakes, commands); a packet
 *      with little or no payload is charged WEIR_HEAD_MIN_CHARGE bytes;
 *   3. 1 in sample_rate of the rest, per direction (0 = none).
 * The CPU governor sheds load by lowering sample_rate, then head_bytes, so
 * control packets are the last thing to go.
 */
#ifndef WEIR_SAMPLE_BPF_H
#define WEIR_SAMPLE_BPF_H

#include "flow.bpf.h"

/*
 * sample_decide() - record reason for one packet of direction @d.
 * Return: WEIR_REC_F_CONTROL / _HEAD / _SAMPLED, or 0 (sampled out).
 */
static __always_inline __u16 sample_decide(const struct weir_kcfg *cfg, struct weir_kflow_dir *d,
					   __u8 tcp_flags)
{
	__u32 rate, n;

	if (tcp_flags & (TCP_F_SYN | TCP_F_FIN | TCP_F_RST))
		return WEIR_REC_F_CONTROL;
	if (READ_ONCE(d->head_cap) < cfg->head_bytes)
		return WEIR_REC_F_HEAD;
	stat_inc(WEIR_KSTAT_HEAD_EXCEEDED);
	rate = cfg->sample_rate;
	if (!rate)
		return 0;
	/* Not atomic (fetch-add needs BPF atomics v3): two CPUs racing on one
	 * direction may both sample or both skip, which only blurs the ratio. */
	n = READ_ONCE(d->bulk_seen);
	__sync_fetch_and_add(&d->bulk_seen, 1);
	return n % rate == 0 ? WEIR_REC_F_SAMPLED : 0;
}

/*
 * sample_captured() - charge a head record to its direction's head: the
 * payload it captured (so the head ends after head_bytes actually reached
 * userspace, and a GSO super-packet larger than snaplen does not end it at
 * once), but at least WEIR_HEAD_MIN_CHARGE, so a direction that only sends
 * ACKs ends its head after head_bytes / 64 packets instead of never.
 */
static __always_inline void sample_captured(struct weir_kflow_dir *d, __u32 cap_payload)
{
	__sync_fetch_and_add(&d->head_cap, cap_payload > WEIR_HEAD_MIN_CHARGE ?
						   cap_payload : WEIR_HEAD_MIN_CHARGE);
}

#endif /* WEIR_SAMPLE_BPF_H */
