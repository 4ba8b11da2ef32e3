// SPDX-License-Identifier: GPL-2.0
/* A map type jxdp does not implement (SOCKHASH), for LinkerTest's load-error check. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} socks SEC(".maps");

SEC("xdp")
int xdp_socks(struct xdp_md *ctx)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&socks, &k) ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
