package io.jxdp.ebpf.xdp;

import java.lang.foreign.ValueLayout;

/**
 * The kernel's internet-checksum primitives as bpf_csum_diff() uses them on x86-64:
 * {@code csum_partial()} (arch/x86/lib/csum-partial_64.c: 32-bit words in host order summed with
 * carries, folded to 32 bits by {@code csum_finalize_sum}) and {@code csum_sub()}
 * (include/net/checksum.h: one's-complement add of the complement).
 */
final class Checksum {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;

    private Checksum() {
    }

    /** csum_partial(buf, len, sum) for len a multiple of 4. */
    static int partial(long address, int length, int seed) {
        long acc = seed & 0xffff_ffffL;
        for (int i = 0; i < length; i += 4) {
            acc += XdpContext.MEM.get(U32, address + i) & 0xffff_ffffL;
        }
        return fold64(acc);
    }

    /** csum_finalize_sum(): (x + ror64(x, 32)) >> 32, the end-around-carry fold of 64 to 32 bits. */
    static int fold64(long x) {
        return (int) ((x + Long.rotateRight(x, 32)) >>> 32);
    }

    /** csum_add(): 32-bit one's-complement addition. */
    static int add(int a, int b) {
        int r = a + b;
        return r + (Integer.compareUnsigned(r, b) < 0 ? 1 : 0);
    }

    /** csum_sub(): a + ~b. */
    static int sub(int a, int b) {
        return add(a, ~b);
    }

    /** What bpf_csum_diff() returns for the 32-bit sum: the unsigned 32-bit value. */
    static long result(int sum) {
        return sum & 0xffff_ffffL;
    }
}
