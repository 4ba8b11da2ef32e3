// SPDX-License-Identifier: GPL-2.0
/*
 * Map-in-map: the ARRAY_OF_MAPS "tenants" holds per-tenant counter arrays, initialised statically
 * (slot 0: tenant_a, slot 2: tenant_b; slots 1 and 3 empty). The last two bits of the frame's
 * first byte pick the tenant; the frame is counted in the tenant's array ([0] frames, [1] bytes,
 * [2] IPv4 frames, [3] other EtherTypes) by bpf_map_lookup_elem on the inner map the outer lookup
 * returned. Verdicts: XDP_DROP for a tenant slot without a map, XDP_PASS otherwise.
 *
 * Before that, IPv4 frames are counted by destination port in the inner HASH map that the
 * HASH_OF_MAPS "by_proto" holds for their IP protocol (statically: key 6 = tcp_ports, key 17 =
 * udp_ports; other protocols have none): lookup, then insert with BPF_NOEXIST when the port is new,
 * so inner maps are updated by the program too.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <linux/in.h>
#include <linux/ip.h>

struct tenant {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} tenant_a SEC(".maps"), tenant_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct tenant);
} tenants SEC(".maps") = {
	.values = { [0] = &tenant_a, [2] = &tenant_b },
};

struct port_counts {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);   /* destination port, host order */
	__type(value, __u64); /* frames */
} tcp_ports SEC(".maps"), udp_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 32);
	__type(key, __u32);   /* IP protocol */
	__array(values, struct port_counts);
} by_proto SEC(".maps") = {
	.values = { [IPPROTO_TCP] = &tcp_ports, [IPPROTO_UDP] = &udp_ports },
};

/* Counts an IPv4 frame (options-free header) by destination port in its protocol's inner map. */
static __always_inline void count_port(void *data, void *data_end)
{
	struct iphdr *iph = data + sizeof(struct ethhdr);
	__be16 *ports = (void *)(iph + 1);

	if ((void *)(ports + 2) > data_end || iph->ihl != 5)
		return;
	__u32 proto = iph->protocol;
	void *inner = bpf_map_lookup_elem(&by_proto, &proto);
	if (!inner)
		return;
	__u32 port = bpf_ntohs(ports[1]);
	__u64 *c = bpf_map_lookup_elem(inner, &port);
	if (c) {
		*c += 1;
	} else {
		__u64 one = 1;
		bpf_map_update_elem(inner, &port, &one, BPF_NOEXIST);
	}
}

static __always_inline void add(void *inner, __u32 i, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(inner, &i);

	if (c)
		*c += n;
}

SEC("xdp")
int xdp_mapinmap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		count_port(data, data_end);
	__u32 t = eth->h_dest[0] & 3;
	void *inner = bpf_map_lookup_elem(&tenants, &t);
	if (!inner)
		return XDP_DROP;
	add(inner, 0, 1);
	add(inner, 1, data_end - data);
	add(inner, eth->h_proto == bpf_htons(ETH_P_IP) ? 2 : 3, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
