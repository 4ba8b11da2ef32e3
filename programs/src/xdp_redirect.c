// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_redirect_map through the DEVMAP "tx_ports", the DEVMAP_HASH "tx_hash" and the CPUMAP "cpus",
 * and bpf_redirect. The source port of a UDP or TCP frame gives the flags (flags_of): its low two
 * bits the fallback action for a missing key, bit 2 BPF_F_BROADCAST, bit 3 BPF_F_EXCLUDE_INGRESS,
 * bit 4 an unknown flag bit (XDP_ABORTED). IPv4 UDP frames to ports below 1024 go to the DEVMAP key
 * dport % 4 (preloaded from maps/xdp_redirect.yaml: keys 0 and 2 hold lo's ifindex 1), to ports
 * from 6000 to 6003 to the XSKMAP key dport % 4 (empty here: a set slot needs an AF_XDP socket's fd,
 * which dataplane's XskmapKernelTest supplies; XSKMAP allows no flag but the fallback), other ports
 * from 1024 on to the DEVMAP_HASH key dport (keys 4096 and 8192 hold lo). TCP frames go to the
 * CPUMAP key dport % 2 (key 0, cpu 0, is preloaded with a queue size; CPUMAP allows no flag but the
 * fallback, so broadcast gives XDP_ABORTED). ICMP frames use bpf_redirect(ifindex 1, flags = ICMP
 * id & 1). Every return value is counted in "rets".
 * Verdicts: XDP_REDIRECT, the fallbacks, XDP_ABORTED for bad flags, XDP_PASS for other frames.
 */
#include "jxdp_parsing.h"

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} tx_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} rets SEC(".maps");

static __always_inline int done(long ret)
{
	__u32 k = ret & 7;
	__u64 *c = bpf_map_lookup_elem(&rets, &k);

	if (c)
		*c += 1;
	return ret;
}

/* The flags of a redirect_map call, from the frame's source port (see the top of the file). */
static __always_inline __u64 flags_of(__u16 sport)
{
	__u64 f = sport & 3;

	if (sport & 4)
		f |= BPF_F_BROADCAST;
	if (sport & 8)
		f |= BPF_F_EXCLUDE_INGRESS;
	if (sport & 16)
		f |= 1ULL << 5;
	return f;
}

SEC("xdp")
int xdp_redirect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct hdr_cursor nh = { .pos = data };
	struct ethhdr *eth;
	struct iphdr *iph;
	int vlans = 0;

	if (parse_ethhdr(&nh, data_end, &eth, &vlans) != bpf_htons(ETH_P_IP))
		return done(XDP_PASS);
	int l4 = parse_iphdr(&nh, data_end, &iph);
	__be16 *ports = nh.pos;
	if ((void *)(ports + 4) > data_end)
		return done(XDP_PASS);
	__u16 sport = bpf_ntohs(ports[0]);
	__u16 dport = bpf_ntohs(ports[1]);
	if (l4 == IPPROTO_UDP && dport < 1024)
		return done(bpf_redirect_map(&tx_ports, dport & 3, flags_of(sport)));
	if (l4 == IPPROTO_UDP && dport >= 6000 && dport <= 6003)
		return done(bpf_redirect_map(&xsks, dport & 3, flags_of(sport)));
	if (l4 == IPPROTO_UDP)
		return done(bpf_redirect_map(&tx_hash, dport, flags_of(sport)));
	if (l4 == IPPROTO_TCP)
		return done(bpf_redirect_map(&cpus, dport & 1, flags_of(sport)));
	if (l4 == IPPROTO_ICMP)
		return done(bpf_redirect(1, bpf_ntohs(ports[2]) & 1));
	return done(XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
