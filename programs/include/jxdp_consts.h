/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Constants shared by the jxdp corpus programs: EtherTypes, IP protocol numbers, IPv6 extension
 * header numbers and the counter slots the programs write. Values are from the Linux UAPI headers
 * (<linux/if_ether.h>, <linux/in.h>, <linux/in6.h>); they are repeated here only where those
 * headers do not define them.
 */
#ifndef JXDP_CONSTS_H
#define JXDP_CONSTS_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>

/* Up to two VLAN tags (802.1ad outer S-tag, 802.1Q inner C-tag), as in the kernel's
 * skb_vlan_tag handling of QinQ; a third tag is treated as an unknown EtherType. */
#define JXDP_MAX_VLAN 2

/* IPv6 extension headers walked before giving up: the loop bound the verifier needs. */
#define JXDP_MAX_EXT_HDRS 6

/* Minimum IPv4 header: IHL is counted in 32-bit words (RFC 791), so IHL < 5 is invalid. */
#define JXDP_IPV4_MIN_IHL 5

/* Per-protocol counter slots of xdp_parser's "proto_count" ARRAY map. */
enum jxdp_proto_slot {
	SLOT_ETH_OTHER = 0, /* a valid Ethernet frame with an EtherType we do not parse */
	SLOT_VLAN,          /* at least one VLAN tag seen */
	SLOT_IPV4,
	SLOT_IPV6,
	SLOT_TCP,
	SLOT_UDP,
	SLOT_ICMP,
	SLOT_ICMPV6,
	SLOT_L4_OTHER,      /* IP with a transport protocol we do not parse */
	SLOT_IPV6_EXT,      /* one per IPv6 extension header walked */
	SLOT_TRUNCATED,     /* a header ran past data_end: XDP_DROP */
	SLOT_INVALID,       /* a header that can never be valid: XDP_ABORTED */
	SLOT_MAX,
};

#endif
