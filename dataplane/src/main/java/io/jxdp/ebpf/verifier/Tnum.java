package io.jxdp.ebpf.verifier;

/**
 * A tracked number (kernel {@code kernel/bpf/tnum.c}): each bit is known 0, known 1 or unknown.
 * {@code value} holds the known-one bits, {@code mask} the unknown bits; {@code value & mask == 0}.
 * The operations follow tnum.c bit for bit so that ranges match the kernel's.
 */
record Tnum(long value, long mask) {
    static final Tnum UNKNOWN = new Tnum(0, -1L);
    static final Tnum ZERO = new Tnum(0, 0);

    static Tnum constant(long v) {
        return new Tnum(v, 0);
    }

    /** tnum_range: the smallest tnum holding every value of [min, max] (unsigned). */
    static Tnum range(long min, long max) {
        long chi = min ^ max;
        int bits = 64 - Long.numberOfLeadingZeros(chi);
        if (bits > 63) {
            return UNKNOWN;
        }
        long delta = (1L << bits) - 1;
        return new Tnum(min & ~delta, delta);
    }

    boolean isConst() {
        return mask == 0;
    }

    Tnum lshift(int shift) {
        return new Tnum(value << shift, mask << shift);
    }

    Tnum rshift(int shift) {
        return new Tnum(value >>> shift, mask >>> shift);
    }

    /** tnum_arshift for a 64- or 32-bit operation. */
    Tnum arshift(int shift, int width) {
        if (width == 32) {
            return new Tnum(((int) value >> shift) & 0xffffffffL, ((int) mask >> shift) & 0xffffffffL);
        }
        return new Tnum(value >> shift, mask >> shift);
    }

    Tnum add(Tnum b) {
        long sm = mask + b.mask;
        long sv = value + b.value;
        long sigma = sm + sv;
        long chi = sigma ^ sv;
        long mu = chi | mask | b.mask;
        return new Tnum(sv & ~mu, mu);
    }

    Tnum sub(Tnum b) {
        long dv = value - b.value;
        long alpha = dv + mask;
        long beta = dv - b.mask;
        long chi = alpha ^ beta;
        long mu = chi | mask | b.mask;
        return new Tnum(dv & ~mu, mu);
    }

    Tnum and(Tnum b) {
        long alpha = value | mask;
        long beta = b.value | b.mask;
        long v = value & b.value;
        return new Tnum(v, alpha & beta & ~v);
    }

    Tnum or(Tnum b) {
        long v = value | b.value;
        long mu = mask | b.mask;
        return new Tnum(v, mu & ~v);
    }

    Tnum xor(Tnum b) {
        long v = value ^ b.value;
        long mu = mask | b.mask;
        return new Tnum(v & ~mu, mu);
    }

    /** tnum_mul (the kernel's shift-and-add form). */
    Tnum mul(Tnum b) {
        Tnum a = this;
        long accV = a.value * b.value;
        Tnum accM = ZERO;
        while (a.value != 0 || a.mask != 0) {
            if ((a.value & 1) != 0) {
                accM = accM.add(new Tnum(0, b.mask));
            } else if ((a.mask & 1) != 0) {
                accM = accM.add(new Tnum(0, b.value | b.mask));
            }
            a = a.rshift(1);
            b = b.lshift(1);
        }
        return new Tnum(accV, 0).add(accM);
    }

    /** tnum_intersect: both facts hold. */
    Tnum intersect(Tnum b) {
        long v = value | b.value;
        long mu = mask & b.mask;
        return new Tnum(v & ~mu, mu);
    }

    /** tnum_cast: keep the low {@code size} bytes. */
    Tnum cast(int size) {
        if (size >= 8) {
            return this;
        }
        long keep = (1L << (size * 8)) - 1;
        return new Tnum(value & keep, mask & keep);
    }

    /** tnum_in: every value of {@code b} is a value of this. */
    boolean contains(Tnum b) {
        if ((b.mask & ~mask) != 0) {
            return false;
        }
        return (b.value & ~mask) == value;
    }

    Tnum subreg() {
        return cast(4);
    }

    /** tnum_with_subreg: the high 32 bits of this, the low 32 of {@code sub}. */
    Tnum withSubreg(Tnum sub) {
        Tnum hi = new Tnum(value & 0xffffffff00000000L, mask & 0xffffffff00000000L);
        return hi.or(sub.subreg());
    }

    /** Sign-extends the low {@code bits} bits. */
    Tnum sext(int bits) {
        int sh = 64 - bits;
        return new Tnum((value << sh) >> sh, (mask << sh) >> sh);
    }

    @Override
    public String toString() {
        return isConst() ? Long.toString(value) : "(0x" + Long.toHexString(value) + "; 0x" + Long.toHexString(mask) + ")";
    }
}
