// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_snprintf with formats from .rodata (the verifier checks them at load: ARG_PTR_TO_CONST_STR,
 * check_bpf_snprintf_call()). Per packet (row = sequence number in "results", at most 8):
 *   ret[0], out[0]: "len=%llu b0=%02x neg=%lld hex=%#llX"-like numbers from the frame
 *   ret[1], out[1]: the same into 8 bytes: truncated, NUL-terminated, returns the full length + 1
 *   ret[2], out[2]: "%-6d|%5s|%c" with a stack string
 *   ret[3], out[3]: no arguments (data NULL, data_len 0), "%%" printed as "%"
 * (a data_len that is not a multiple of 8 is refused by the verifier already)
 * Verdict: XDP_PASS.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct row {
	__s64 ret[4];
	char out[4][48];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct row);
} results SEC(".maps");

__u32 seq;

static const char fmt_nums[] = "len=%llu b0=%02llx neg=%lld hex=%llX";
static const char fmt_mix[] = "%-6d|%5s|%c";
static const char fmt_plain[] = "100%% plain";

SEC("xdp")
int xdp_snprintf(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *p = data;

	if (p + 4 > (__u8 *)data_end)
		return XDP_ABORTED;
	__u32 row_idx = seq++;
	if (row_idx >= 8)
		return XDP_PASS;
	struct row *r = bpf_map_lookup_elem(&results, &row_idx);
	if (!r)
		return XDP_ABORTED;

	__u64 nums[4] = { data_end - data, p[0], -(__s64)p[1] - 1, ((__u64)p[2] << 32) | p[3] };
	r->ret[0] = bpf_snprintf(r->out[0], sizeof(r->out[0]), fmt_nums, nums, sizeof(nums));
	r->ret[1] = bpf_snprintf(r->out[1], 8, fmt_nums, nums, sizeof(nums));
	char word[8] = "jxdp";
	if (p[0] & 1)
		word[2] = 0; /* "jx" */
	__u64 mix[3] = { (__s64)(int)(p[1] - 128), (__u64)(long)word, 'A' + (p[2] & 15) };
	r->ret[2] = bpf_snprintf(r->out[2], sizeof(r->out[2]), fmt_mix, mix, sizeof(mix));
	r->ret[3] = bpf_snprintf(r->out[3], sizeof(r->out[3]), fmt_plain, NULL, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
