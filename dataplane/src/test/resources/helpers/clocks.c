// The time, random and CPU helpers, each value stored in ARRAY `values` for ClockHelpersTest to
// check against CLOCK_MONOTONIC / CLOCK_BOOTTIME readings taken around the run and against the
// kernel's own jiffies_64.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 6);
	__type(key, __u32);
	__type(value, __u64);
} values SEC(".maps");

enum slot { MONO, BOOT, JIFFIES, CPU, RAND0, RAND1 };

static __always_inline void put(__u32 slot, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&values, &slot);

	if (p)
		*p = v;
}

SEC("xdp")
int clocks(struct xdp_md *ctx)
{
	put(MONO, bpf_ktime_get_ns());           /* 5 */
	put(BOOT, bpf_ktime_get_boot_ns());      /* 125, read after MONO: BOOT >= MONO */
	put(JIFFIES, bpf_jiffies64());           /* 118 */
	put(CPU, bpf_get_smp_processor_id());    /* 8 */
	put(RAND0, bpf_get_prandom_u32());       /* 7 */
	put(RAND1, bpf_get_prandom_u32());
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
