package io.jxdp.ebpf.xdp;

import java.lang.foreign.ValueLayout;

/**
 * The kernel's internet-checksum primitives as bpf_csum_diff() uses them on x86-64:
 * {@code csum_partial()} (arch/x86/lib/csum-partial_64.c: 64-bit little-endian words added with
 * end-around carry, a tail of {@code len & 7} bytes zero-padded into one more word, folded to 32
 * bits by {@code csum_finalize_sum}), {@code csum_sub()} (include/net/checksum.h) and
 * {@code csum_from32to16()} (include/net/checksum.h), which bpf_csum_diff() applies to its result
 * since kernel 6.12 so that every architecture returns the same folded 16-bit value.
 */
final class Checksum {
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private Checksum() {
    }

    /** csum_partial(buf, len, sum): any length. */
    static int partial(long address, int length, int seed) {
        long acc = seed & 0xffff_ffffL;
        int i = 0;
        for (; i + 8 <= length; i += 8) {
            acc = addCarry(acc, XdpContext.MEM.get(U64, address + i));
        }
        if (i < length) {
            long trail = 0;
            for (int k = 0; i + k < length; k++) {
                trail |= (XdpContext.MEM.get(ValueLayout.JAVA_BYTE, address + i + k) & 0xffL) << (8 * k);
            }
            acc = addCarry(acc, trail);
        }
        return fold64(acc);
    }

    /** addq; adcq $0: 64-bit addition with the carry added back. */
    private static long addCarry(long a, long b) {
        long s = a + b;
        return Long.compareUnsigned(s, b) < 0 ? s + 1 : s;
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

    /** csum_from32to16(): sum += ror32(sum, 16); return sum >> 16 (u16). */
    static int from32to16(int sum) {
        int s = sum + Integer.rotateRight(sum, 16);
        return (s >>> 16) & 0xffff;
    }
}
