// bpf_loop and bpf_for_each_map_elem with callbacks that read maps and update the caller's stack.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u64);
} slots SEC(".maps");

struct loop_ctx {
    __u64 sum;
    __u32 n;
};

static long add_slot(__u32 i, void *data)
{
    struct loop_ctx *c = data;
    __u32 k = i & 7;
    __u64 *v = bpf_map_lookup_elem(&slots, &k);
    if (v)
        c->sum += *v;
    c->n++;
    return c->n >= 8 ? 1 : 0;
}

static long sum_counts(void *map, __u32 *key, __u64 *val, void *data)
{
    struct loop_ctx *c = data;
    c->sum += *val + *key;
    *val = 0;
    return 0;
}

SEC("xdp")
int xdp_callbacks(struct xdp_md *ctx)
{
    struct loop_ctx c = {};
    bpf_loop(16, add_slot, &c, 0);
    bpf_for_each_map_elem(&counts, sum_counts, &c, 0);
    return c.sum & 1 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
