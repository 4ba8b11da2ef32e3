// SPDX-License-Identifier: GPL-2.0
/*
 * Tail calls made from a bpf-to-bpf subprogram. The x86-64 JIT unwinds the subprogram's frame and
 * jumps into the target; when the target exits, its r0 is the subprogram's return value and its
 * caller goes on. The tail-call count (MAX_TAIL_CALL_CNT, 33) is one per run, shared by the whole
 * call chain.
 *
 * PROG_ARRAY "jmp" (the test sets its slots, TailCallSubprogramParityTest): 1 = xdp_ts_leaf,
 * 2 = xdp_ts_recurse, 3 = xdp_ts_hop; slot 0 stays empty and indexes from 4 are out of range.
 *   xdp_tailsub     byte 0 is the slot its subprogram tail_sub tail-calls; when byte 1 is not 0 it
 *                   calls tail_sub again with the same slot. It adds each result to hits[H_RET],
 *                   writes the last one + 0x30 into byte 7 and returns XDP_TX when it is XDP_DROP,
 *                   XDP_PASS otherwise.
 *   tail_sub        static __noinline: bpf_tail_call(ctx, &jmp, slot); when that falls through
 *                   (empty slot, index out of range, 33 tail calls made) it returns fall_verdict
 *                   (.data, XDP_PASS: a value neither clang nor the verifier can fold).
 *   xdp_ts_leaf     returns XDP_DROP.
 *   xdp_ts_recurse  calls tail_sub(ctx, 2): slot 2 is itself, so it recurses through the
 *                   subprogram until the 33 tail calls are used up, then every level returns.
 *   xdp_ts_hop      tail-calls slot 1 from its main function: the leaf takes its place, and the
 *                   leaf's XDP_DROP goes to tail_sub's caller.
 * "hits" counts the steps (enum hit). A run without the kernel's semantics (a tail call from a
 * subprogram ending the whole run) shows in the verdict, in byte 7 and in hits[H_BACK].
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum hit {
	H_MAIN = 0,     /* xdp_tailsub runs */
	H_BACK,         /* tail_sub returned to xdp_tailsub */
	H_FALL,         /* a tail call in tail_sub fell through */
	H_LEAF,         /* xdp_ts_leaf runs */
	H_RECURSE,      /* xdp_ts_recurse runs */
	H_RECURSE_BACK, /* tail_sub returned to xdp_ts_recurse */
	H_HOP,          /* xdp_ts_hop runs */
	H_RET,          /* sum of tail_sub's results in xdp_tailsub */
	H_MAX
};

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jmp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, H_MAX);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

int fall_verdict = XDP_PASS;

static __always_inline void hit(__u32 i, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&hits, &i);

	if (c)
		*c += n;
}

static __noinline int tail_sub(struct xdp_md *ctx, __u32 slot)
{
	bpf_tail_call(ctx, &jmp, slot);
	hit(H_FALL, 1);
	return *(volatile int *)&fall_verdict & 3;
}

SEC("xdp")
int xdp_tailsub(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;
	__u32 slot, twice;
	int r;

	if (p + 8 > (__u8 *)(long)ctx->data_end)
		return XDP_ABORTED;
	slot = p[0];
	twice = p[1];
	hit(H_MAIN, 1);
	r = tail_sub(ctx, slot);
	hit(H_BACK, 1);
	hit(H_RET, r);
	if (twice) {
		r = tail_sub(ctx, slot);
		hit(H_BACK, 1);
		hit(H_RET, r);
	}
	/* a tail call invalidates packet pointers: load them again */
	p = (void *)(long)ctx->data;
	if (p + 8 > (__u8 *)(long)ctx->data_end)
		return XDP_ABORTED;
	p[7] = 0x30 + r;
	return r == XDP_DROP ? XDP_TX : XDP_PASS;
}

SEC("xdp")
int xdp_ts_leaf(struct xdp_md *ctx)
{
	hit(H_LEAF, 1);
	return XDP_DROP;
}

SEC("xdp")
int xdp_ts_recurse(struct xdp_md *ctx)
{
	int r;

	hit(H_RECURSE, 1);
	r = tail_sub(ctx, 2);
	hit(H_RECURSE_BACK, 1);
	return r;
}

SEC("xdp")
int xdp_ts_hop(struct xdp_md *ctx)
{
	hit(H_HOP, 1);
	bpf_tail_call(ctx, &jmp, 1);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "GPL";
