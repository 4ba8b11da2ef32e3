// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU statistics: a PERCPU_ARRAY of {packets, bytes, linear_bytes} indexed by the packet's
 * EtherType family (enum stats_class). "bytes" comes from bpf_xdp_get_buff_len (whole frame,
 * fragments included), "linear_bytes" from data_end - data; for a single-buffer frame they agree.
 *
 * Frames of an unknown EtherType are dropped (an "IP and ARP only" port); others pass.
 *
 * It also exercises the helpers whose results differ run to run, keeping them out of the verdict
 * and the packet: ktime_get_ns, ktime_get_boot_ns, jiffies64, get_prandom_u32 and
 * get_smp_processor_id are stored only into the "last_seen" map (nondeterministic in
 * corpus.yaml), and trace_printk's output goes to the trace pipe only.
 */
#include "jxdp_parsing.h"

enum stats_class {
	CLASS_IPV4 = 0,
	CLASS_IPV6,
	CLASS_ARP,
	CLASS_VLAN,  /* any 802.1Q / 802.1ad tagged frame */
	CLASS_OTHER, /* unknown EtherType: dropped */
	CLASS_RUNT,  /* shorter than an Ethernet header: dropped */
	CLASS_MAX,
};

struct datarec {
	__u64 packets;
	__u64 bytes;
	__u64 linear_bytes;
};

struct last_seen {
	__u64 ktime_ns;
	__u64 boot_ns;
	__u64 jiffies;
	__u32 random;
	__u32 cpu;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CLASS_MAX);
	__type(key, __u32);
	__type(value, struct datarec);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct last_seen);
} last_seen SEC(".maps");

SEC("xdp")
int xdp_stats(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct datarec *rec;
	struct last_seen *seen;
	__u32 cls, zero = 0;
	__u16 proto;

	if ((void *)(eth + 1) > data_end) {
		cls = CLASS_RUNT;
	} else {
		proto = eth->h_proto;
		if (proto == bpf_htons(ETH_P_IP))
			cls = CLASS_IPV4;
		else if (proto == bpf_htons(ETH_P_IPV6))
			cls = CLASS_IPV6;
		else if (proto == bpf_htons(ETH_P_ARP))
			cls = CLASS_ARP;
		else if (proto_is_vlan(proto))
			cls = CLASS_VLAN;
		else
			cls = CLASS_OTHER;
	}

	rec = bpf_map_lookup_elem(&stats, &cls);
	if (!rec)
		return XDP_ABORTED;
	/* Per-CPU value: no other CPU writes this copy, so plain adds are enough. */
	rec->packets++;
	rec->bytes += bpf_xdp_get_buff_len(ctx);
	rec->linear_bytes += data_end - data;

	seen = bpf_map_lookup_elem(&last_seen, &zero);
	if (seen) {
		seen->ktime_ns = bpf_ktime_get_ns();
		seen->boot_ns = bpf_ktime_get_boot_ns();
		seen->jiffies = bpf_jiffies64();
		seen->random = bpf_get_prandom_u32();
		seen->cpu = bpf_get_smp_processor_id();
	}
	bpf_printk("xdp_stats: class %u len %u", cls, (__u32)(data_end - data));

	return cls == CLASS_OTHER || cls == CLASS_RUNT ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
