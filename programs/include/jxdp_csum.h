/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internet checksum helpers (RFC 1071 and, for incremental updates, RFC 1624), as Katran's
 * csum_helpers.h does: fold a 32-bit (or 64-bit) one's-complement sum to 16 bits.
 */
#ifndef JXDP_CSUM_H
#define JXDP_CSUM_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Fold a 64-bit sum of 16-bit words (e.g. a bpf_csum_diff result) into 16 bits, then complement. */
static __always_inline __u16 csum_fold_helper(__u64 csum)
{
	int i;

#pragma unroll
	for (i = 0; i < 4; i++) {
		if (csum >> 16)
			csum = (csum & 0xffff) + (csum >> 16);
	}
	return ~csum;
}

/*
 * RFC 1624 eqn. 3 via bpf_csum_diff: the new checksum after the words in "from" were replaced by
 * the words in "to". old_check is the field as stored (already complemented).
 */
static __always_inline __u16 csum_replace(__u16 old_check, __be32 *from, __u32 from_size, __be32 *to,
					  __u32 to_size)
{
	__s64 d = bpf_csum_diff(from, from_size, to, to_size, ~((__u32)old_check) & 0xffff);

	return csum_fold_helper((__u64)d);
}

#endif
