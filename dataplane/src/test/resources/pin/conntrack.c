// SPDX-License-Identifier: GPL-2.0
/*
 * A connection table and a deny list whose contents must survive a restart, for PinnedObjectTest:
 * both maps are marked LIBBPF_PIN_BY_NAME. IPv4 frames whose source is in the LPM trie "deny" are
 * dropped (the rule's hit counter incremented); others are counted per 5-tuple in the LRU hash
 * "conns". ARRAY "totals" ([0] passed, [1] dropped) is not marked: the test pins it with --pin.
 * Non-IPv4 frames pass uncounted. FLOWS_MAX sizes "conns" (conntrack_big.o: another max_entries).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef FLOWS_MAX
#define FLOWS_MAX 1024
#endif

struct conn_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct conn_stats {
	__u64 packets;
	__u64 bytes;
};

struct lpm_v4 {
	__u32 prefixlen;
	__be32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FLOWS_MAX);
	__type(key, struct conn_key);
	__type(value, struct conn_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} deny SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} totals SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *t = bpf_map_lookup_elem(&totals, &slot);

	if (t)
		__sync_fetch_and_add(t, 1);
}

SEC("xdp")
int xdp_conntrack(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = data + sizeof(*eth);
	struct conn_key key = {};
	struct lpm_v4 lpm;
	struct conn_stats *cs;
	__u64 *hits;

	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	lpm.prefixlen = 32;
	lpm.addr = iph->saddr;
	hits = bpf_map_lookup_elem(&deny, &lpm);
	if (hits) {
		__sync_fetch_and_add(hits, 1);
		count(1);
		return XDP_DROP;
	}
	key.saddr = iph->saddr;
	key.daddr = iph->daddr;
	key.proto = iph->protocol;
	if (iph->ihl == 5 && (iph->protocol == IPPROTO_TCP || iph->protocol == IPPROTO_UDP)) {
		__be16 *ports = (void *)(iph + 1);

		if ((void *)(ports + 2) > data_end)
			return XDP_DROP;
		key.sport = ports[0];
		key.dport = ports[1];
	}
	cs = bpf_map_lookup_elem(&conns, &key);
	if (cs) {
		__sync_fetch_and_add(&cs->packets, 1);
		__sync_fetch_and_add(&cs->bytes, data_end - data);
	} else {
		struct conn_stats init = { .packets = 1, .bytes = data_end - data };

		bpf_map_update_elem(&conns, &key, &init, BPF_NOEXIST);
	}
	count(0);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
