// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_perf_event_output's data path for PerfEventKernelTest: samples of several sizes (so that
 * every padding of the raw record occurs), with BPF_F_CURRENT_CPU and with an explicit index, with
 * and without ctx (frame) bytes appended (flags >> 32). The run is on CPU 0, with events open at
 * indexes 0 and 1 (index 1's on CPU 1). Each call's result goes to ARRAY "rc" slot i:
 *   [0] CURRENT_CPU, 8 bytes         [1] CURRENT_CPU, 13 bytes      [2] index 0, 4 bytes
 *   [3] CURRENT_CPU, 5 bytes + the whole frame                    [4] index 0, 1 byte + 3 frame bytes
 *   [5] CURRENT_CPU, 0 bytes + 2 frame bytes                      [6] index 1 (another CPU): -EOPNOTSUPP
 *   [7] index 2 (no event): -ENOENT
 * The sample bytes are buf[i] = frame length + 37 * i. Verdict: XDP_PASS.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __s64);
} rc SEC(".maps");

static __always_inline void put(__u32 slot, __s64 v)
{
	__s64 *p = bpf_map_lookup_elem(&rc, &slot);

	if (p)
		*p = v;
}

SEC("xdp")
int perf(struct xdp_md *ctx)
{
	__u64 len = ctx->data_end - ctx->data;
	__u8 buf[16];

#pragma unroll
	for (int i = 0; i < 16; i++)
		buf[i] = (__u8)(len + 37 * i);

	put(0, bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, buf, 8));
	put(1, bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, buf, 13));
	put(2, bpf_perf_event_output(ctx, &events, 0, buf, 4));
	put(3, bpf_perf_event_output(ctx, &events, (len << 32) | BPF_F_CURRENT_CPU, buf, 5));
	put(4, bpf_perf_event_output(ctx, &events, (3ULL << 32) | 0, buf, 1));
	put(5, bpf_perf_event_output(ctx, &events, (2ULL << 32) | BPF_F_CURRENT_CPU, buf, 0));
	put(6, bpf_perf_event_output(ctx, &events, 1, buf, 8));
	put(7, bpf_perf_event_output(ctx, &events, 2, buf, 8));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
