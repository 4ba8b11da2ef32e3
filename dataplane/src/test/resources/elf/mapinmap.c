// Map-in-map: an ARRAY_OF_MAPS whose inner map is described by __array(values, ...), with one
// slot initialised statically (libbpf fills it from the .rel.maps relocation).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, __u32);
    __type(value, __u32);
    __uint(max_entries, 8);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 4);
    __type(key, __u32);
    __array(values, struct inner);
} outer SEC(".maps") = {
    .values = { [1] = &inner_b, [3] = &inner_a },
};

SEC("xdp")
int xdp_mim(struct xdp_md *ctx)
{
    __u32 k = 1, ik = 0;
    void *in = bpf_map_lookup_elem(&outer, &k);
    __u32 *v;
    if (!in)
        return XDP_ABORTED;
    v = bpf_map_lookup_elem(in, &ik);
    return v ? (int)(*v & 3) : XDP_PASS;
}
