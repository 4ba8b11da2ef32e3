// A static subprogram in .text called from programs in two sections, several programs in one
// section, and a bpf_loop callback (BPF_PSEUDO_FUNC ld_imm64).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __attribute__((noinline)) int mix(int a, int b)
{
    return (a * 31) ^ (b + 7);
}

static __attribute__((noinline)) int twice(int a)
{
    return mix(a, a) + 1;
}

static int loop_cb(__u32 index, void *data)
{
    __u64 *sum = data;
    *sum += index;
    return 0;
}

SEC("xdp")
int xdp_first(struct xdp_md *ctx)
{
    return mix(ctx->ingress_ifindex, 3) & 3;
}

SEC("xdp")
int xdp_second(struct xdp_md *ctx)
{
    return twice(ctx->rx_queue_index) & 3;
}

SEC("xdp.frags")
int xdp_loop(struct xdp_md *ctx)
{
    __u64 sum = 0;
    bpf_loop(10, loop_cb, &sum, 0);
    return sum == 45 ? XDP_PASS : XDP_DROP;
}

SEC("tc")
int tc_prog(struct __sk_buff *skb)
{
    return mix(skb->len, skb->protocol) & 1;
}

SEC("socket")
int sock_prog(struct __sk_buff *skb)
{
    return skb->len;
}
