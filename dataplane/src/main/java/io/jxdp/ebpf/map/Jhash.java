package io.jxdp.ebpf.map;

/**
 * Bob Jenkins' lookup3 hash as the kernel has it ({@code include/linux/jhash.h}: {@code jhash},
 * {@code __jhash_mix}, {@code __jhash_final}), which {@code kernel/bpf/hashtab.c} uses to pick a
 * bucket. Same seed, same key, same bucket: with BPF_F_ZERO_SEED, iteration order matches the kernel's.
 */
final class Jhash {
    private Jhash() {}

    private static final int JHASH_INITVAL = 0xdeadbeef;

    /** jhash(key, length, initval) over native memory, reading little-endian words as the kernel does on x86. */
    static int jhash(long key, int length, int initval) {
        int a = JHASH_INITVAL + length + initval;
        int b = a;
        int c = a;
        long k = key;
        while (length > 12) {
            a += Native.getInt(k);
            b += Native.getInt(k + 4);
            c += Native.getInt(k + 8);
            // __jhash_mix(a, b, c)
            a -= c; a ^= Integer.rotateLeft(c, 4); c += b;
            b -= a; b ^= Integer.rotateLeft(a, 6); a += c;
            c -= b; c ^= Integer.rotateLeft(b, 8); b += a;
            a -= c; a ^= Integer.rotateLeft(c, 16); c += b;
            b -= a; b ^= Integer.rotateLeft(a, 19); a += c;
            c -= b; c ^= Integer.rotateLeft(b, 4); b += a;
            length -= 12;
            k += 12;
        }
        if (length == 0) {
            return c;
        }
        // The fall-through tail of jhash(): bytes added at their little-endian position.
        switch (length) {
            case 12: c += (Native.getByte(k + 11) & 0xff) << 24;
            case 11: c += (Native.getByte(k + 10) & 0xff) << 16;
            case 10: c += (Native.getByte(k + 9) & 0xff) << 8;
            case 9: c += Native.getByte(k + 8) & 0xff;
            case 8: b += (Native.getByte(k + 7) & 0xff) << 24;
            case 7: b += (Native.getByte(k + 6) & 0xff) << 16;
            case 6: b += (Native.getByte(k + 5) & 0xff) << 8;
            case 5: b += Native.getByte(k + 4) & 0xff;
            case 4: a += (Native.getByte(k + 3) & 0xff) << 24;
            case 3: a += (Native.getByte(k + 2) & 0xff) << 16;
            case 2: a += (Native.getByte(k + 1) & 0xff) << 8;
            case 1: a += Native.getByte(k) & 0xff;
                break;
            default: throw new AssertionError(length);
        }
        // __jhash_final(a, b, c)
        c ^= b; c -= Integer.rotateLeft(b, 14);
        a ^= c; a -= Integer.rotateLeft(c, 11);
        b ^= a; b -= Integer.rotateLeft(a, 25);
        c ^= b; c -= Integer.rotateLeft(b, 16);
        a ^= c; a -= Integer.rotateLeft(c, 4);
        b ^= a; b -= Integer.rotateLeft(a, 14);
        c ^= b; c -= Integer.rotateLeft(b, 24);
        return c;
    }
}
