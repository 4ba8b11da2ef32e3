// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_perf_event_output's error paths, which need no perf event: with no event open at any index
 * of the PERF_EVENT_ARRAY "events", per packet (row = sequence number in "results", at most 8):
 *   [0] flags BPF_F_CURRENT_CPU, 8 bytes: -ENOENT (no event at this CPU's index)
 *   [1] an unknown flag bit: -EINVAL        [2] index 4 (max_entries 4): -E2BIG
 *   [3] ctx length (flags >> 32) = frame length + 1: -EFAULT
 *   [4] ctx length = frame length, index 0: -ENOENT
 * Verdict: XDP_PASS.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct row {
	__s64 v[5];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct row);
} results SEC(".maps");

__u32 seq;

SEC("xdp")
int xdp_perf(struct xdp_md *ctx)
{
	__u64 len = ctx->data_end - ctx->data;
	__u32 row_idx = seq++;
	__u64 sample = 0x1122334455667788ULL ^ len;

	if (row_idx >= 8)
		return XDP_PASS;
	struct row *r = bpf_map_lookup_elem(&results, &row_idx);
	if (!r)
		return XDP_ABORTED;
	r->v[0] = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &sample, sizeof(sample));
	r->v[1] = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU | (1ULL << 60), &sample, 8);
	r->v[2] = bpf_perf_event_output(ctx, &events, 4, &sample, sizeof(sample));
	r->v[3] = bpf_perf_event_output(ctx, &events, ((len + 1) << 32) | BPF_F_CURRENT_CPU, &sample, 8);
	r->v[4] = bpf_perf_event_output(ctx, &events, (len << 32) | 0, &sample, 8);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
