// Helpers and map types of issue 4 in one program: map-in-map, LRU, per-CPU lookup, queue,
// ring buffer, tail call, redirect_map to a devmap.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u32);
} inner_a SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 2);
    __type(key, __u32);
    __array(values, struct inner);
} outer SEC(".maps") = {
    .values = { [0] = &inner_a },
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64);
} flows SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_QUEUE);
    __uint(max_entries, 16);
    __type(value, __u32);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} rb SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u32);
} jumps SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_DEVMAP);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u32);
} ports SEC(".maps");

SEC("xdp")
int xdp_issue4(struct xdp_md *ctx)
{
    __u32 zero = 0, k = ctx->rx_queue_index;
    __u64 one = 1;
    void *in = bpf_map_lookup_elem(&outer, &zero);
    if (in) {
        __u32 *v = bpf_map_lookup_elem(in, &zero);
        if (v)
            k ^= *v;
    }
    __u64 *f = bpf_map_lookup_elem(&flows, &k);
    if (f)
        __sync_fetch_and_add(f, 1);
    else
        bpf_map_update_elem(&flows, &k, &one, BPF_NOEXIST);
    __u64 *s = bpf_map_lookup_percpu_elem(&stats, &zero, 0);
    if (s)
        one += *s;
    bpf_map_push_elem(&events, &k, BPF_EXIST);
    __u64 *rec = bpf_ringbuf_reserve(&rb, sizeof(__u64), 0);
    if (rec) {
        *rec = one;
        bpf_ringbuf_submit(rec, 0);
    }
    bpf_tail_call(ctx, &jumps, k & 3);
    return bpf_redirect_map(&ports, k & 3, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
