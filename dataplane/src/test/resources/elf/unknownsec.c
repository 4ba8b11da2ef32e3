// Sections libbpf skips as "unrecognized data section": libxdp's XDP_RUN_CONFIG (.xdp_run_config,
// a BTF-described struct of __uint fields) and xdp-filter's `features` word. The loader must load
// the program and maps as if they were absent, and name them in BpfObject.skippedSections().
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} _xdp_pass_counter SEC(".xdp_run_config");

SEC("xdp")
int xdp_pass_counter(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);

	if (v)
		*v += 1;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
__u32 _features SEC("features") = 0x1f;
