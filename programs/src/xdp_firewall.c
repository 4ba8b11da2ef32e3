// SPDX-License-Identifier: GPL-2.0
/*
 * A small stateful firewall. IPv4 sources are matched against the LPM_TRIE "deny4" (longest
 * prefix wins; the value is the rule id, counted in "rule_hits"): a match drops the frame unless
 * its rule id is 0 (an "allow" hole punched into a wider deny prefix). Allowed TCP/UDP flows are
 * tracked in the LRU_HASH "flows" (5-tuple -> packets, bytes; inserted with BPF_NOEXIST on the
 * first packet); per-CPU verdict counters in the PERCPU_ARRAY "verdicts": [0] passed, [1] denied,
 * [2] not IPv4, [3] malformed. The deny list is preloaded from maps/xdp_firewall.yaml.
 * Verdicts: XDP_DROP for denied or malformed frames, XDP_PASS otherwise.
 */
#include "jxdp_parsing.h"

struct lpm_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4);
	__type(value, __u32); /* rule id; 0 = allow */
} deny4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} rule_hits SEC(".maps");

struct flow {
	__u8 src[4];
	__u8 dst[4];
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, struct flow);
	__type(value, struct flow_stats);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

static __always_inline int count(__u32 which, int action)
{
	__u64 *c = bpf_map_lookup_elem(&verdicts, &which);

	if (c)
		*c += 1;
	return action;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct hdr_cursor nh = { .pos = data };
	struct ethhdr *eth;
	struct iphdr *iph;

	int vlans = 0;
	int proto = parse_ethhdr(&nh, data_end, &eth, &vlans);
	if (proto < 0)
		return count(3, XDP_DROP);
	if (proto != bpf_htons(ETH_P_IP))
		return count(2, XDP_PASS);
	int l4 = parse_iphdr(&nh, data_end, &iph);
	if (l4 < 0)
		return count(3, XDP_DROP);

	struct lpm_v4 key = { .prefixlen = 32 };
	__builtin_memcpy(key.addr, &iph->saddr, 4);
	__u32 *rule = bpf_map_lookup_elem(&deny4, &key);
	if (rule) {
		__u32 id = *rule & 7;
		__u64 *hits = bpf_map_lookup_elem(&rule_hits, &id);
		if (hits)
			*hits += 1;
		if (id != 0)
			return count(1, XDP_DROP);
	}

	if (l4 == IPPROTO_TCP || l4 == IPPROTO_UDP) {
		struct flow f = {};
		__builtin_memcpy(f.src, &iph->saddr, 4);
		__builtin_memcpy(f.dst, &iph->daddr, 4);
		f.proto = l4;
		__be16 *ports = nh.pos;
		if ((void *)(ports + 2) > data_end)
			return count(3, XDP_DROP);
		/* non-first fragments carry no ports */
		if (!(iph->frag_off & bpf_htons(0x1fff))) {
			f.sport = ports[0];
			f.dport = ports[1];
		}
		struct flow_stats *st = bpf_map_lookup_elem(&flows, &f);
		if (st) {
			st->packets += 1;
			st->bytes += data_end - data;
		} else {
			struct flow_stats init = { 1, data_end - data };
			bpf_map_update_elem(&flows, &f, &init, BPF_NOEXIST);
		}
	}
	return count(0, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
