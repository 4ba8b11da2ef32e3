// SPDX-License-Identifier: GPL-2.0
/*
 * Rewrites IPv4 TCP/UDP packets aimed at port orig_port: the destination address becomes new_daddr
 * and the destination port new_port. The IPv4 header checksum and the TCP/UDP checksum (whose
 * pseudo-header covers the destination address, RFC 768 / RFC 9293 3.1) are fixed incrementally
 * with bpf_csum_diff (RFC 1624), never recomputed. A UDP checksum of 0 means "none" and stays 0;
 * a computed UDP checksum of 0 is sent as 0xffff (RFC 768).
 * Verdicts: XDP_TX for a rewritten packet, XDP_DROP for a truncated header, XDP_PASS otherwise.
 */
#include "jxdp_parsing.h"
#include "jxdp_csum.h"

const volatile __u16 orig_port = 53;              /* host order */
const volatile __u16 new_port = 5353;             /* host order */
const volatile __be32 new_daddr = bpf_htonl(0xc6120064); /* 198.18.0.100 */

SEC("xdp")
int xdp_csum(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct hdr_cursor nh = { .pos = data };
	struct ethhdr *eth;
	struct iphdr *iph;
	__be32 old_addr, new_addr, old_ports, new_ports;
	__be16 *ports;
	__sum16 *l4_check;
	int vlans, eth_type, proto;
	int udp = 0;

	eth_type = parse_ethhdr(&nh, data_end, &eth, &vlans);
	if (eth_type < 0)
		return XDP_DROP;
	if (eth_type != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	proto = parse_iphdr(&nh, data_end, &iph);
	if (proto < 0)
		return XDP_DROP;
	if (iph->frag_off & bpf_htons(0x1fff))
		return XDP_PASS;

	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = nh.pos;

		if ((void *)(uh + 1) > data_end)
			return XDP_DROP;
		l4_check = &uh->check;
		udp = 1;
	} else if (proto == IPPROTO_TCP) {
		struct tcphdr *th = nh.pos;

		if ((void *)(th + 1) > data_end)
			return XDP_DROP;
		l4_check = &th->check;
	} else {
		return XDP_PASS;
	}
	ports = nh.pos;
	if (ports[1] != bpf_htons(orig_port))
		return XDP_PASS;

	old_addr = iph->daddr;
	new_addr = new_daddr;
	__builtin_memcpy(&old_ports, ports, sizeof(old_ports));
	new_ports = old_ports;
	((__be16 *)&new_ports)[1] = bpf_htons(new_port);

	iph->check = csum_replace(iph->check, &old_addr, sizeof(old_addr), &new_addr, sizeof(new_addr));
	iph->daddr = new_addr;

	if (!udp || *l4_check) {
		__u16 c = csum_replace(*l4_check, &old_addr, sizeof(old_addr), &new_addr, sizeof(new_addr));

		c = csum_replace(c, &old_ports, sizeof(old_ports), &new_ports, sizeof(new_ports));
		if (udp && c == 0)
			c = 0xffff;
		*l4_check = c;
	}
	ports[1] = bpf_htons(new_port);
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
