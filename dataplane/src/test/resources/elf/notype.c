// A BTF-defined map without a `type` attribute: the loader must refuse it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
    __type(key, __u32);
    __type(value, __u64);
    __uint(max_entries, 2);
} untyped SEC(".maps");

SEC("xdp")
int xdp_notype(struct xdp_md *ctx)
{
    __u32 k = 0;
    return bpf_map_lookup_elem(&untyped, &k) ? XDP_PASS : XDP_DROP;
}
