// SPDX-License-Identifier: GPL-2.0
// Fixtures for KernelXdpEngineTest. Build: make -C dataplane/src/test/resources/kernel
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// The verifier refuses this: a packet read with no bounds check against data_end.
SEC("xdp")
int xdp_unchecked(struct xdp_md *ctx)
{
	unsigned char *data = (unsigned char *)(long)ctx->data;
	return data[20] == 1 ? XDP_DROP : XDP_PASS;
}

// Accepted: a global counter in .bss and a value read from .rodata (a BPF_PSEUDO_MAP_VALUE load).
const volatile int verdict = XDP_PASS;
unsigned long long runs;

SEC("xdp")
int xdp_globals(struct xdp_md *ctx)
{
	__sync_fetch_and_add(&runs, 1);
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
