// SPDX-License-Identifier: GPL-2.0
/*
 * Programs that change the packet's size and layout, one SEC("xdp") function each, sharing maps:
 *   xdp_encap  bpf_xdp_adjust_head(-20): IPv4 frames get an outer IPv4 (IPIP) header with a
 *              computed checksum, XDP_TX; other frames pass.
 *   xdp_decap  bpf_xdp_adjust_head(+20): IPIP frames whose outer header checksum is valid lose
 *              the outer header, XDP_PASS; a bad checksum is dropped; other frames pass.
 *   xdp_tail   bpf_xdp_adjust_tail: frames over 256 bytes are trimmed to 256, frames under 64 are
 *              grown (zero-filled) to 64, both XDP_TX; frames in between pass. Lengths before and
 *              after, from bpf_xdp_get_buff_len, go to the "tail_lens" map.
 *   xdp_meta   bpf_xdp_adjust_meta: writes metadata in front of the frame (8 bytes for IPv4,
 *              4 bytes otherwise) and reads it back through data_meta; an ARP frame asks for 6
 *              bytes, which the helper refuses (not a multiple of 4): XDP_DROP.
 *   xdp_bytes  bpf_xdp_load_bytes / bpf_xdp_store_bytes: swaps the IPv4 source and destination
 *              addresses, XDP_TX; a frame too short for the load is dropped; non-IPv4 passes.
 * ipv4_hdr_csum is a static __noinline function in .text called from xdp_encap and xdp_decap, so
 * the object has bpf-to-bpf calls.
 */
#include "jxdp_parsing.h"
#include "jxdp_csum.h"

#define OUTER_IP_LEN ((int)sizeof(struct iphdr))
#define META_MAGIC   0x4a584450 /* "JXDP" */

/* Outer tunnel endpoints 198.18.0.1 -> 198.18.0.2 (RFC 2544 benchmarking range). */
const volatile __be32 tunnel_src = bpf_htonl(0xc6120001);
const volatile __be32 tunnel_dst = bpf_htonl(0xc6120002);

struct meta {
	__u32 magic;
	__u32 len; /* frame length when the metadata was written */
};

enum tail_slot { TAIL_BEFORE = 0, TAIL_AFTER, TAIL_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TAIL_MAX);
	__type(key, __u32);
	__type(value, __u64);
} tail_lens SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct meta);
} meta_seen SEC(".maps");

/*
 * The RFC 791 header checksum of a 20-byte IPv4 header as it is in the packet (check field
 * included): 0 when the stored checksum is right. Returns 0xffffffff when the header is not
 * entirely in [hdr, data_end).
 */
static __noinline __u32 ipv4_hdr_csum(struct iphdr *iph, void *data_end)
{
	__u16 *w = (__u16 *)iph;
	__u64 csum = 0;
	int i;

	if ((void *)(iph + 1) > data_end)
		return 0xffffffff;
#pragma unroll
	for (i = 0; i < OUTER_IP_LEN / 2; i++)
		csum += w[i];
	return csum_fold_helper(csum);
}

SEC("xdp")
int xdp_encap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, *new_eth;
	struct iphdr *inner, *outer;
	struct ethhdr eth_copy;
	__u16 inner_len;
	__u32 csum;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	inner = (void *)(eth + 1);
	if ((void *)(inner + 1) > data_end)
		return XDP_DROP;
	inner_len = data_end - (void *)inner;
	__builtin_memcpy(&eth_copy, eth, sizeof(eth_copy));

	if (bpf_xdp_adjust_head(ctx, -OUTER_IP_LEN))
		return XDP_ABORTED;
	/* adjust_head invalidates every packet pointer: reload and re-check. */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	new_eth = data;
	outer = (void *)(new_eth + 1);
	if ((void *)(outer + 1) > data_end)
		return XDP_ABORTED;

	__builtin_memcpy(new_eth, &eth_copy, sizeof(*new_eth));
	outer->version = 4;
	outer->ihl = 5;
	outer->tos = 0;
	outer->tot_len = bpf_htons(inner_len + OUTER_IP_LEN);
	outer->id = 0;
	outer->frag_off = bpf_htons(0x4000); /* DF */
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = tunnel_src;
	outer->daddr = tunnel_dst;
	csum = ipv4_hdr_csum(outer, data_end);
	if (csum > 0xffff)
		return XDP_ABORTED;
	outer->check = csum;
	return XDP_TX;
}

SEC("xdp")
int xdp_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *outer;
	struct ethhdr eth_copy;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > data_end)
		return XDP_DROP;
	if (outer->ihl != 5 || outer->protocol != IPPROTO_IPIP)
		return XDP_PASS;
	if (ipv4_hdr_csum(outer, data_end) != 0)
		return XDP_DROP;

	__builtin_memcpy(&eth_copy, eth, sizeof(eth_copy));
	if (bpf_xdp_adjust_head(ctx, OUTER_IP_LEN))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(eth, &eth_copy, sizeof(*eth));
	return XDP_PASS;
}

SEC("xdp")
int xdp_tail(struct xdp_md *ctx)
{
	__u32 before = bpf_xdp_get_buff_len(ctx);
	__u32 slot = TAIL_BEFORE;
	int delta, verdict;
	__u64 *v;

	if (before > 256) {
		delta = 256 - (int)before;
		verdict = XDP_TX;
	} else if (before < 64) {
		delta = 64 - (int)before;
		verdict = XDP_TX;
	} else {
		delta = 0;
		verdict = XDP_PASS;
	}
	if (delta && bpf_xdp_adjust_tail(ctx, delta))
		return XDP_ABORTED;

	v = bpf_map_lookup_elem(&tail_lens, &slot);
	if (v)
		*v = before;
	slot = TAIL_AFTER;
	v = bpf_map_lookup_elem(&tail_lens, &slot);
	if (v)
		*v = bpf_xdp_get_buff_len(ctx);
	return verdict;
}

SEC("xdp")
int xdp_meta(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 len = data_end - data;
	struct meta *m, *seen;
	__u32 zero = 0;
	int metalen;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		metalen = sizeof(struct meta);
	else if (eth->h_proto == bpf_htons(ETH_P_ARP))
		metalen = 6; /* refused: metadata length must be a multiple of 4 */
	else
		metalen = sizeof(__u32);

	if (bpf_xdp_adjust_meta(ctx, -metalen))
		return XDP_DROP;

	/* adjust_meta invalidates packet pointers; data_meta is now data - metalen. */
	data = (void *)(long)ctx->data;
	m = (void *)(long)ctx->data_meta;
	if ((void *)m + sizeof(__u32) > data)
		return XDP_ABORTED;
	m->magic = META_MAGIC;
	if ((void *)(m + 1) <= data)
		m->len = len;

	/* Read back through a fresh context load, as a later program in the chain would. */
	m = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)m + sizeof(__u32) > data || m->magic != META_MAGIC)
		return XDP_ABORTED;
	seen = bpf_map_lookup_elem(&meta_seen, &zero);
	if (seen) {
		seen->magic = m->magic;
		seen->len = (void *)(m + 1) <= data ? m->len : 0;
	}
	return XDP_PASS;
}

SEC("xdp")
int xdp_bytes(struct xdp_md *ctx)
{
	__u8 eth_type[2];
	__be32 addrs[2];
	__be32 swapped[2];

	if (bpf_xdp_load_bytes(ctx, offsetof(struct ethhdr, h_proto), eth_type, sizeof(eth_type)))
		return XDP_DROP;
	if (eth_type[0] != 0x08 || eth_type[1] != 0x00)
		return XDP_PASS;
	if (bpf_xdp_load_bytes(ctx, ETH_HLEN + offsetof(struct iphdr, saddr), addrs, sizeof(addrs)))
		return XDP_DROP;
	swapped[0] = addrs[1];
	swapped[1] = addrs[0];
	/* Swapping two words leaves the one's-complement header checksum unchanged. */
	if (bpf_xdp_store_bytes(ctx, ETH_HLEN + offsetof(struct iphdr, saddr), swapped, sizeof(swapped)))
		return XDP_ABORTED;
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
