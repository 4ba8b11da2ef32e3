// SPDX-License-Identifier: GPL-2.0
/*
 * Tail calls and redirects for TailCallRedirectTest. Byte 0 of the frame picks the PROG_ARRAY slot
 * xdp_entry tail-calls (slot 1: xdp_self, which tail-calls itself until MAX_TAIL_CALL_CNT stops
 * it; slot 2: xdp_redir; slot 0 and 3: empty, the call falls through). "hits" counts each program's
 * runs: [0] xdp_entry, [1] xdp_self, [2] xdp_redir, [3] xdp_entry after a failed tail call.
 * xdp_redir returns bpf_redirect_map(tx_ports, byte 1, byte 2) or, when byte 1 is 0xff,
 * bpf_redirect(byte 2 as ifindex, byte 3 as flags).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jmp_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

static __always_inline void hit(__u32 i)
{
	__u64 *c = bpf_map_lookup_elem(&hits, &i);

	if (c)
		*c += 1;
}

SEC("xdp")
int xdp_entry(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;

	if (p + 4 > (__u8 *)(long)ctx->data_end)
		return XDP_ABORTED;
	hit(0);
	bpf_tail_call(ctx, &jmp_table, p[0]);
	hit(3);
	return XDP_PASS;
}

SEC("xdp")
int xdp_self(struct xdp_md *ctx)
{
	hit(1);
	bpf_tail_call(ctx, &jmp_table, 1);
	return XDP_DROP;
}

SEC("xdp")
int xdp_redir(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;

	if (p + 4 > (__u8 *)(long)ctx->data_end)
		return XDP_ABORTED;
	hit(2);
	if (p[1] == 0xff)
		return bpf_redirect(p[2], p[3]);
	return bpf_redirect_map(&tx_ports, p[1], p[2]);
}

char LICENSE[] SEC("license") = "GPL";
