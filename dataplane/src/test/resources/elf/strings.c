// String literals (.rodata.str1.1 via bpf_printk), a custom .data.* section, static globals.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

int custom_counter SEC(".data.custom") = 5;
static volatile __u32 hidden_static;
static const volatile __u32 limit = 9;

SEC("xdp")
int xdp_strings(struct xdp_md *ctx)
{
    custom_counter++;
    hidden_static = ctx->rx_queue_index;
    if (hidden_static > limit)
        bpf_printk("queue %u too high", hidden_static);
    else
        bpf_printk("queue %u ok", hidden_static);
    return XDP_PASS;
}
