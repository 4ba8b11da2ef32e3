// SPDX-License-Identifier: GPL-2.0
/*
 * Parses Ethernet, up to two VLAN tags, IPv4 (with options), IPv6 (with an extension header
 * chain), TCP, UDP, ICMP and ICMPv6, and counts what it saw in the "proto_count" ARRAY map
 * (slots in enum jxdp_proto_slot). Verdicts:
 *   XDP_DROP    a header runs past the end of the packet (truncated);
 *   XDP_ABORTED a header that can never be valid (IPv4 IHL < 5 or version != 4, IPv6 version != 6,
 *               TCP data offset < 5, UDP length < 8);
 *   XDP_PASS    everything else, including EtherTypes and protocols it does not parse.
 */
#include "jxdp_parsing.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&proto_count, &slot);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* Maps a parse result to a verdict, counting truncated and invalid headers. */
static __always_inline int bad(int rc)
{
	if (rc == JXDP_PARSE_TRUNC) {
		count(SLOT_TRUNCATED);
		return XDP_DROP;
	}
	count(SLOT_INVALID);
	return XDP_ABORTED;
}

SEC("xdp")
int xdp_parser(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct hdr_cursor nh = { .pos = data };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct ipv6hdr *ip6h;
	struct tcphdr *th;
	struct udphdr *uh;
	int vlans = 0, exts = 0;
	int eth_type, ip_type, rc;

	eth_type = parse_ethhdr(&nh, data_end, &eth, &vlans);
	if (eth_type < 0)
		return bad(eth_type);
	if (vlans)
		count(SLOT_VLAN);

	if (eth_type == bpf_htons(ETH_P_IP)) {
		ip_type = parse_iphdr(&nh, data_end, &iph);
		if (ip_type < 0)
			return bad(ip_type);
		count(SLOT_IPV4);
	} else if (eth_type == bpf_htons(ETH_P_IPV6)) {
		ip_type = parse_ip6hdr(&nh, data_end, &ip6h, &exts);
		if (ip_type < 0)
			return bad(ip_type);
		count(SLOT_IPV6);
		if (exts) {
			__u32 slot = SLOT_IPV6_EXT;
			__u64 *v = bpf_map_lookup_elem(&proto_count, &slot);

			if (v)
				__sync_fetch_and_add(v, exts);
		}
	} else {
		count(SLOT_ETH_OTHER);
		return XDP_PASS;
	}

	switch (ip_type) {
	case IPPROTO_TCP:
		rc = parse_tcphdr(&nh, data_end, &th);
		if (rc < 0)
			return bad(rc);
		count(SLOT_TCP);
		break;
	case IPPROTO_UDP:
		rc = parse_udphdr(&nh, data_end, &uh);
		if (rc < 0)
			return bad(rc);
		count(SLOT_UDP);
		break;
	case IPPROTO_ICMP:
		rc = parse_icmp_type(&nh, data_end);
		if (rc < 0)
			return bad(rc);
		count(SLOT_ICMP);
		break;
	case IPPROTO_ICMPV6:
		rc = parse_icmp_type(&nh, data_end);
		if (rc < 0)
			return bad(rc);
		count(SLOT_ICMPV6);
		break;
	default:
		count(SLOT_L4_OTHER);
		break;
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
