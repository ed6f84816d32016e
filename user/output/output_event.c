// SPDX-License-Identifier: GPL-2.0-only
/* output_event.c - helpers that build parts of struct weir_event. */
#include <string.h>

#include "output/event.h"

void event_tuple_from_pkt(struct event_tuple *t, const struct weir_pkt *p)
{
	memset(t, 0, sizeof(*t));
	t->src = p->src;
	t->dst = p->dst;
	t->sport = p->sport;
	t->dport = p->dport;
	t->ip_ver = p->ip_ver;
	t->proto = p->proto;
	t->icmp_type = p->icmp_type;
	t->icmp_code = p->icmp_code;
	t->vlan_cnt = p->vlan_cnt > 2 ? 2 : p->vlan_cnt;
	t->vlan[0] = p->vlan[0];
	t->vlan[1] = p->vlan[1];
}
