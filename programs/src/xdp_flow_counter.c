// SPDX-License-Identifier: GPL-2.0
/*
 * Counts packets and bytes per IPv4/IPv6 5-tuple in the HASH map "flows" (lookup; on a miss insert
 * with BPF_NOEXIST) and per IP protocol in the PERCPU_HASH map "proto_stats". Packets whose source
 * address is in "blocklist" (IPv4) or "blocklist6" (IPv6) are dropped and the entry's hit counter is
 * incremented; the tests preload those maps from maps/xdp_flow_counter.yaml.
 *
 * A TCP segment with FIN or RST ends its flow: the entry is deleted (bpf_map_delete_elem; a miss
 * is fine) instead of counted.
 *
 * Verdicts: XDP_DROP for a blocked source or a truncated/invalid header, XDP_PASS otherwise
 * (non-IP frames pass uncounted).
 */
#include "jxdp_parsing.h"

/*
 * The 5-tuple. Every byte is named, padding included, and the key is zeroed before it is filled:
 * hash maps compare keys as raw bytes, so stray padding would split one flow into many.
 * IPv4 addresses occupy the first 4 bytes of src/dst; the other 12 stay zero.
 */
struct flow_key {
	__u8 src[16];
	__u8 dst[16];
	__be16 sport; /* 0 for protocols without ports and for non-first IPv4 fragments */
	__be16 dport;
	__u8 proto;
	__u8 family;  /* 4 or 6 */
	__u8 pad[2];
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, __u32); /* IP protocol number */
	__type(value, struct flow_stats);
} proto_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __be32);  /* IPv4 source address, network order */
	__type(value, __u32); /* hits */
} blocklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct in6_addr); /* IPv6 source address */
	__type(value, __u32);         /* hits */
} blocklist6 SEC(".maps");

static __always_inline void count_flow(struct flow_key *key, __u64 len, int end)
{
	struct flow_stats *fs = bpf_map_lookup_elem(&flows, key);
	struct flow_stats init = { .packets = 1, .bytes = len };
	__u32 proto = key->proto;

	if (end) {
		/* -ENOENT when the flow was never seen: nothing to do either way. */
		bpf_map_delete_elem(&flows, key);
	} else if (fs) {
		__sync_fetch_and_add(&fs->packets, 1);
		__sync_fetch_and_add(&fs->bytes, len);
	} else {
		/* A full map or a racing insert from another CPU loses this packet's count only. */
		bpf_map_update_elem(&flows, key, &init, BPF_NOEXIST);
	}

	fs = bpf_map_lookup_elem(&proto_stats, &proto);
	if (fs) {
		fs->packets++;
		fs->bytes += len;
	} else {
		bpf_map_update_elem(&proto_stats, &proto, &init, BPF_NOEXIST);
	}
}

SEC("xdp")
int xdp_flow_counter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct hdr_cursor nh = { .pos = data };
	struct flow_key key;
	struct ethhdr *eth;
	struct iphdr *iph;
	struct ipv6hdr *ip6h;
	__u32 *hits;
	int vlans, exts, eth_type, proto;
	int ports = 1, end = 0;

	__builtin_memset(&key, 0, sizeof(key));

	eth_type = parse_ethhdr(&nh, data_end, &eth, &vlans);
	if (eth_type < 0)
		return XDP_DROP;

	if (eth_type == bpf_htons(ETH_P_IP)) {
		proto = parse_iphdr(&nh, data_end, &iph);
		if (proto < 0)
			return XDP_DROP;
		hits = bpf_map_lookup_elem(&blocklist, &iph->saddr);
		if (hits) {
			__sync_fetch_and_add(hits, 1);
			return XDP_DROP;
		}
		__builtin_memcpy(key.src, &iph->saddr, 4);
		__builtin_memcpy(key.dst, &iph->daddr, 4);
		key.family = 4;
		/* Only the first fragment carries the transport header (RFC 791). */
		if (iph->frag_off & bpf_htons(0x1fff))
			ports = 0;
	} else if (eth_type == bpf_htons(ETH_P_IPV6)) {
		proto = parse_ip6hdr(&nh, data_end, &ip6h, &exts);
		if (proto < 0)
			return XDP_DROP;
		hits = bpf_map_lookup_elem(&blocklist6, &ip6h->saddr);
		if (hits) {
			__sync_fetch_and_add(hits, 1);
			return XDP_DROP;
		}
		__builtin_memcpy(key.src, &ip6h->saddr, 16);
		__builtin_memcpy(key.dst, &ip6h->daddr, 16);
		key.family = 6;
	} else {
		return XDP_PASS;
	}

	key.proto = proto;
	if (ports && (proto == IPPROTO_TCP || proto == IPPROTO_UDP)) {
		/* Source and destination port are the first four bytes of both headers. */
		__be16 *p = nh.pos;

		if ((void *)(p + 2) > data_end)
			return XDP_DROP;
		key.sport = p[0];
		key.dport = p[1];
		if (proto == IPPROTO_TCP) {
			struct tcphdr *th = nh.pos;

			if ((void *)(th + 1) > data_end)
				return XDP_DROP;
			end = th->fin || th->rst;
		}
	}

	count_flow(&key, data_end - data, end);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
