// SPDX-License-Identifier: GPL-2.0
/*
 * Behaviour driven by global data:
 *   .rodata (const volatile, fixed at load time): drop_port, the TCP/UDP destination port to drop,
 *           and new_src_mac, the source MAC written into reflected frames;
 *   .data   tx_budget, initialised to 3: the first tx_budget IPv4/IPv6 frames not dropped are
 *           reflected (source MAC rewritten, XDP_TX); later ones pass;
 *   .bss    dropped and passed counters, starting at zero.
 * Verdicts: XDP_DROP (port match or truncated), XDP_TX (budget left), XDP_PASS.
 */
#include "jxdp_parsing.h"

const volatile __u16 drop_port = 9; /* discard (RFC 863), host order */
const volatile __u8 new_src_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

__u32 tx_budget = 3;
__u64 dropped;
__u64 passed;

SEC("xdp")
int xdp_config(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct hdr_cursor nh = { .pos = data };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct ipv6hdr *ip6h;
	int vlans, exts, eth_type, proto, i;

	eth_type = parse_ethhdr(&nh, data_end, &eth, &vlans);
	if (eth_type < 0)
		goto drop;
	if (eth_type == bpf_htons(ETH_P_IP))
		proto = parse_iphdr(&nh, data_end, &iph);
	else if (eth_type == bpf_htons(ETH_P_IPV6))
		proto = parse_ip6hdr(&nh, data_end, &ip6h, &exts);
	else
		goto pass;
	if (proto < 0)
		goto drop;

	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		__be16 *p = nh.pos;

		if ((void *)(p + 2) > data_end)
			goto drop;
		if (p[1] == bpf_htons(drop_port))
			goto drop;
	}

	/* Not atomic: with several CPUs the budget may be overspent by a few frames, which a test
	 * program run on one CPU at a time never sees. */
	if (tx_budget > 0) {
		tx_budget--;
		__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
#pragma unroll
		for (i = 0; i < ETH_ALEN; i++)
			eth->h_source[i] = new_src_mac[i];
		return XDP_TX;
	}
pass:
	passed++;
	return XDP_PASS;
drop:
	dropped++;
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
