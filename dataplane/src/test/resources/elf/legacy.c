// A legacy "maps" section (struct bpf_map_def) with an extra trailing field, no BTF map info.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def_ext {
    unsigned int type;
    unsigned int key_size;
    unsigned int value_size;
    unsigned int max_entries;
    unsigned int map_flags;
    unsigned int inner_map_idx;
    unsigned int numa_node;
};

struct bpf_map_def_ext counters SEC("maps") = {
    .type = BPF_MAP_TYPE_PERCPU_ARRAY,
    .key_size = 4,
    .value_size = 8,
    .max_entries = 16,
};

struct bpf_map_def_ext tx_ports SEC("maps") = {
    .type = BPF_MAP_TYPE_DEVMAP,
    .key_size = 4,
    .value_size = 4,
    .max_entries = 64,
    .map_flags = 0,
    .numa_node = 0,
};

char _license[] SEC("license") = "GPL";
__u32 _version SEC("version") = 0x050a00;

SEC("xdp/redirect")
int xdp_legacy(struct xdp_md *ctx)
{
    __u32 key = ctx->rx_queue_index;
    __u64 *c = bpf_map_lookup_elem(&counters, &key);
    if (c)
        *c += 1;
    return bpf_redirect_map(&tx_ports, key, XDP_PASS);
}
