// BTF-defined maps (hash + array) and global data in .data, .bss and .rodata.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct flow_key {
    __u32 saddr;
    __u32 daddr;
    __u16 sport;
    __u16 dport;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, struct flow_key);
    __type(value, __u64);
    __uint(max_entries, 1024);
    __uint(map_flags, BPF_F_NO_PREALLOC);
} flows SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, 16);
    __uint(max_entries, 4);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

const volatile __u32 drop_port = 53;
const volatile __u64 magic = 0x1122334455667788ULL;
__u64 packets = 7;
__u32 seen_a = 1;
__u64 zeroed;
__u32 zeroed_too;

SEC("xdp")
int xdp_globals(struct xdp_md *ctx)
{
    struct flow_key k = {};
    __u32 idx = 0;
    __u64 *v;

    k.saddr = ctx->ingress_ifindex;
    k.dport = (__u16)drop_port;
    v = bpf_map_lookup_elem(&flows, &k);
    if (v)
        __sync_fetch_and_add(v, 1);
    packets++;
    seen_a += 2;
    zeroed += magic;
    zeroed_too = 1;
    if (bpf_map_lookup_elem(&stats, &idx))
        return XDP_DROP;
    return XDP_PASS;
}
