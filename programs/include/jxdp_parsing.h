/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bounds-checked header parsing over an XDP buffer, in the style of xdp-tools' parsing_helpers.h
 * and Katran's pckt_parsing.h: a cursor walks from data towards data_end and every access is
 * preceded by the check "header end <= data_end" that the kernel verifier requires.
 *
 * Every parse_* function returns the next protocol (EtherType or IP protocol number) on success,
 * JXDP_PARSE_TRUNC when the header runs past data_end and JXDP_PARSE_INVALID when the header can
 * never be valid (e.g. IPv4 IHL < 5).
 */
#ifndef JXDP_PARSING_H
#define JXDP_PARSING_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "jxdp_consts.h"

#define JXDP_PARSE_TRUNC   (-1)
#define JXDP_PARSE_INVALID (-2)

struct hdr_cursor {
	void *pos;
};

/* 802.1Q / 802.1ad tag (<linux/if_vlan.h> is kernel-internal, so the layout is repeated here). */
struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

/* The common prefix of hop-by-hop, routing and destination options headers (RFC 8200 4.3-4.6). */
struct ipv6_opt_hdr_prefix {
	__u8 nexthdr;
	__u8 hdrlen; /* length in 8-octet units, not counting the first 8 octets */
};

/* IPv6 fragment header (RFC 8200 4.5); always 8 octets. */
struct ipv6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

static __always_inline int proto_is_vlan(__u16 h_proto)
{
	return h_proto == bpf_htons(ETH_P_8021Q) || h_proto == bpf_htons(ETH_P_8021AD);
}

/*
 * Ethernet plus up to JXDP_MAX_VLAN tags. Returns the inner EtherType (network order) or
 * JXDP_PARSE_TRUNC; *vlans receives the number of tags walked.
 */
static __always_inline int parse_ethhdr(struct hdr_cursor *nh, void *data_end, struct ethhdr **ethhdr,
					int *vlans)
{
	struct ethhdr *eth = nh->pos;
	struct vlan_hdr *vlh;
	__u16 h_proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return JXDP_PARSE_TRUNC;
	nh->pos = eth + 1;
	*ethhdr = eth;
	h_proto = eth->h_proto;
	*vlans = 0;

#pragma unroll
	for (i = 0; i < JXDP_MAX_VLAN; i++) {
		if (!proto_is_vlan(h_proto))
			break;
		vlh = nh->pos;
		if ((void *)(vlh + 1) > data_end)
			return JXDP_PARSE_TRUNC;
		h_proto = vlh->h_vlan_encapsulated_proto;
		nh->pos = vlh + 1;
		*vlans = i + 1;
	}
	return h_proto;
}

/* IPv4 with options: the header length comes from IHL (RFC 791 3.1). */
static __always_inline int parse_iphdr(struct hdr_cursor *nh, void *data_end, struct iphdr **iphdr)
{
	struct iphdr *iph = nh->pos;
	int hdrsize;

	if ((void *)(iph + 1) > data_end)
		return JXDP_PARSE_TRUNC;
	if (iph->version != 4 || iph->ihl < JXDP_IPV4_MIN_IHL)
		return JXDP_PARSE_INVALID;
	hdrsize = iph->ihl * 4;
	if (nh->pos + hdrsize > data_end)
		return JXDP_PARSE_TRUNC;
	nh->pos += hdrsize;
	*iphdr = iph;
	return iph->protocol;
}

static __always_inline int ipv6_is_ext(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_FRAGMENT || nexthdr == IPPROTO_DSTOPTS;
}

/*
 * IPv6 and its extension header chain (RFC 8200 4.1), at most JXDP_MAX_EXT_HDRS deep. Returns the
 * upper-layer protocol; *exts receives the number of extension headers walked. A chain longer than
 * the bound returns the last next-header value, which callers count as "L4 other".
 */
static __always_inline int parse_ip6hdr(struct hdr_cursor *nh, void *data_end, struct ipv6hdr **ip6hdr,
					int *exts)
{
	struct ipv6hdr *ip6h = nh->pos;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6h + 1) > data_end)
		return JXDP_PARSE_TRUNC;
	if (ip6h->version != 6)
		return JXDP_PARSE_INVALID;
	nh->pos = ip6h + 1;
	*ip6hdr = ip6h;
	nexthdr = ip6h->nexthdr;
	*exts = 0;

	/* A real loop, not unrolled: the verifier proves it bounded (kernel >= 5.3). */
#pragma nounroll
	for (i = 0; i < JXDP_MAX_EXT_HDRS; i++) {
		if (!ipv6_is_ext(nexthdr))
			break;
		if (nexthdr == IPPROTO_FRAGMENT) {
			struct ipv6_frag *fh = nh->pos;

			if ((void *)(fh + 1) > data_end)
				return JXDP_PARSE_TRUNC;
			nexthdr = fh->nexthdr;
			nh->pos = fh + 1;
		} else {
			struct ipv6_opt_hdr_prefix *oh = nh->pos;
			int len;

			if ((void *)(oh + 1) > data_end)
				return JXDP_PARSE_TRUNC;
			len = (oh->hdrlen + 1) * 8;
			if (nh->pos + len > data_end)
				return JXDP_PARSE_TRUNC;
			nexthdr = oh->nexthdr;
			nh->pos += len;
		}
		*exts = i + 1;
	}
	return nexthdr;
}

/* TCP with options: the header length comes from the data offset (RFC 9293 3.1). */
static __always_inline int parse_tcphdr(struct hdr_cursor *nh, void *data_end, struct tcphdr **tcphdr)
{
	struct tcphdr *th = nh->pos;
	int len;

	if ((void *)(th + 1) > data_end)
		return JXDP_PARSE_TRUNC;
	len = th->doff * 4;
	if (len < (int)sizeof(*th))
		return JXDP_PARSE_INVALID;
	if (nh->pos + len > data_end)
		return JXDP_PARSE_TRUNC;
	nh->pos += len;
	*tcphdr = th;
	return 0;
}

static __always_inline int parse_udphdr(struct hdr_cursor *nh, void *data_end, struct udphdr **udphdr)
{
	struct udphdr *uh = nh->pos;

	if ((void *)(uh + 1) > data_end)
		return JXDP_PARSE_TRUNC;
	/* RFC 768: the length covers the 8-byte header, so less than 8 is never valid. */
	if (bpf_ntohs(uh->len) < sizeof(*uh))
		return JXDP_PARSE_INVALID;
	nh->pos = uh + 1;
	*udphdr = uh;
	return 0;
}

/* ICMP and ICMPv6 share their first four octets: type, code, checksum. */
static __always_inline int parse_icmp_type(struct hdr_cursor *nh, void *data_end)
{
	struct icmphdr *ih = nh->pos;

	if ((void *)ih + 4 > data_end)
		return JXDP_PARSE_TRUNC;
	nh->pos = (void *)ih + 4;
	return ih->type;
}

#endif
