// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_strncmp (182), bpf_check_mtu (163) and bpf_ktime_get_tai_ns (208). The 16 bytes at offset
 * 42 (an option-less IPv4 UDP frame's payload; zeros past the frame's end) are compared with
 * .rodata strings, the ingress device's MTU (the loopback in a test run) is checked from every
 * side, and the TAI clock is checked for plausibility. One row of "results" per call:
 *   [0] strncmp(buf, 4, "jxdp")            [1] strncmp(buf, 16, "jxdp")
 *   [2] strncmp(buf, 16, "jxdp-long-word") [3] strncmp(buf, 1, "")
 *   [4] check_mtu(ifindex 0, mtu_len 0, 0)         [5] the mtu_len it gave (the device MTU)
 *   [6] len_diff to exactly mtu + ETH_HLEN: 0      [7] one byte more: BPF_MTU_CHK_RET_FRAG_NEEDED
 *   [8] mtu_len 1500 given (L3 length)             [9] mtu_len MTU + 1 given
 *   [10] flags 1: -EINVAL  [11] the mtu_len after it (was 1234)
 *   [12] ifindex 0x7fffffff: -ENODEV  [13] the mtu_len after it (was 1234)
 *   [14] ifindex 1 (lo) with a len_diff below -len: 0
 *   [15] TAI is after 2020 (1.6e18 ns) and does not go back between two reads: 1
 * Verdict: XDP_PASS when the payload starts with "jxdp", else XDP_DROP.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} results SEC(".maps");

static const char word[] = "jxdp";
static const char long_word[] = "jxdp-long-word";
static const char empty[] = "";

static __always_inline void put(__u32 k, long v)
{
	__u64 *p = bpf_map_lookup_elem(&results, &k);

	if (p)
		*p = v;
}

SEC("xdp")
int xdp_checks(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	char buf[16] = {};
	__u32 m;

#pragma unroll
	for (int i = 0; i < 16; i++) {
		if ((void *)(data + 42 + i + 1) > data_end)
			break;
		buf[i] = data[42 + i];
	}
	long first = bpf_strncmp(buf, 4, word);
	put(0, first);
	put(1, bpf_strncmp(buf, 16, word));
	put(2, bpf_strncmp(buf, 16, long_word));
	put(3, bpf_strncmp(buf, 1, empty));

	int len = (void *)data_end - (void *)data;
	m = 0;
	put(4, bpf_check_mtu(ctx, 0, &m, 0, 0));
	__u32 mtu = m;
	put(5, mtu);
	m = 0;
	put(6, bpf_check_mtu(ctx, 0, &m, mtu + 14 - len, 0));
	m = 0;
	put(7, bpf_check_mtu(ctx, 0, &m, mtu + 15 - len, 0));
	m = 1500;
	put(8, bpf_check_mtu(ctx, 0, &m, 0, 0));
	m = mtu + 1;
	put(9, bpf_check_mtu(ctx, 0, &m, 0, 0));
	m = 1234;
	put(10, bpf_check_mtu(ctx, 0, &m, 0, 1));
	put(11, m);
	m = 1234;
	put(12, bpf_check_mtu(ctx, 0x7fffffff, &m, 0, 0));
	put(13, m);
	m = 0;
	put(14, bpf_check_mtu(ctx, 1, &m, -len - 100, 0));

	__u64 t0 = bpf_ktime_get_tai_ns();
	__u64 t1 = bpf_ktime_get_tai_ns();
	put(15, t0 > 1600000000000000000ULL && t1 >= t0);
	return first == 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
