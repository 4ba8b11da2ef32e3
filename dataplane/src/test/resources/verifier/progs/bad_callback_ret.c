// Rejected: a bpf_loop callback must return 0 or 1, this one returns the loop index.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static long index_back(__u32 i, void *data)
{
    return i;
}

SEC("xdp")
int xdp_bad_callback(struct xdp_md *ctx)
{
    bpf_loop(4, index_back, 0, 0);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
