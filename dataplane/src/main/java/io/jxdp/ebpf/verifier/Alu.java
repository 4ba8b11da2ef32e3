package io.jxdp.ebpf.verifier;

import io.jxdp.ebpf.isa.Op;

/**
 * Scalar transfer functions (kernel {@code adjust_scalar_min_max_vals()} and the
 * {@code scalar_min_max_*} / {@code scalar32_min_max_*} family): given the abstract values of two
 * scalars, the abstract value of the result. A 32-bit operation is computed on the zero- (or, for
 * signed operations, sign-) extended low halves and the result is cut to 32 bits and zero-extended,
 * which is sound and, for the operations clang emits, as precise as the kernel's separate 32-bit
 * arithmetic. Division, modulo and shifts by a non-constant amount give an unknown value, as in
 * the kernel.
 */
final class Alu {
    private Alu() {
    }

    /** dst = dst OP src for scalars; {@code op} is the ALU opcode, {@code width} 32 or 64. */
    static void scalar(Op op, Reg dst, Reg src, int width) {
        if (width == 32) {
            boolean signed = op == Op.ARSH32_IMM || op == Op.ARSH32_REG;
            Reg a = signed ? sextView(dst) : zextView(dst);
            Reg b = zextView(src);
            compute64(op, a, b, 32);
            narrowTo32(a, dst);
            return;
        }
        compute64(op, dst, src, 64);
    }

    /** The 32-bit subregister as a 64-bit zero-extended scalar. */
    static Reg zextView(Reg r) {
        Reg v = new Reg();
        v.markUnknown();
        v.var = r.var.subreg();
        v.umin = r.u32min & Reg.U32_MAX;
        v.umax = r.u32max & Reg.U32_MAX;
        v.smin = v.umin;
        v.smax = v.umax;
        v.sync();
        return v;
    }

    /** The 32-bit subregister as a 64-bit sign-extended scalar. */
    static Reg sextView(Reg r) {
        Reg v = new Reg();
        v.markUnknown();
        v.var = r.var.subreg().sext(32);
        v.smin = r.s32min;
        v.smax = r.s32max;
        v.sync();
        return v;
    }

    /** dst = low 32 bits of {@code wide}, zero-extended. */
    static void narrowTo32(Reg wide, Reg dst) {
        dst.var = wide.var.subreg();
        dst.setUnbounded();
        dst.var = wide.var.subreg();
        if ((wide.umin >>> 32) == (wide.umax >>> 32)) {
            dst.u32min = (int) wide.umin;
            dst.u32max = (int) wide.umax;
        }
        if ((wide.smin >> 32) == (wide.smax >> 32) && (int) wide.smin <= (int) wide.smax) {
            dst.s32min = (int) wide.smin;
            dst.s32max = (int) wide.smax;
        }
        dst.zext32();
    }

    private static void compute64(Op op, Reg d, Reg s, int width) {
        switch (op) {
            case ADD64_IMM, ADD64_REG, ADD32_IMM, ADD32_REG -> add(d, s);
            case SUB64_IMM, SUB64_REG, SUB32_IMM, SUB32_REG -> sub(d, s);
            case MUL64_IMM, MUL64_REG, MUL32_IMM, MUL32_REG -> mul(d, s);
            case AND64_IMM, AND64_REG, AND32_IMM, AND32_REG -> and(d, s);
            case OR64_IMM, OR64_REG, OR32_IMM, OR32_REG -> or(d, s);
            case XOR64_IMM, XOR64_REG, XOR32_IMM, XOR32_REG -> xor(d, s);
            case LSH64_IMM, LSH64_REG, LSH32_IMM, LSH32_REG -> shift(d, s, width, 0);
            case RSH64_IMM, RSH64_REG, RSH32_IMM, RSH32_REG -> shift(d, s, width, 1);
            case ARSH64_IMM, ARSH64_REG, ARSH32_IMM, ARSH32_REG -> shift(d, s, width, 2);
            case MOV64_IMM, MOV64_REG, MOV32_IMM, MOV32_REG -> d.copyFrom(s);
            default -> d.setUnbounded(); // div, mod: unknown, as the kernel
        }
        d.sync();
    }

    static void add(Reg d, Reg s) {
        long smin = d.smin + s.smin;
        long smax = d.smax + s.smax;
        boolean sOverflow = ((d.smin ^ smin) & (s.smin ^ smin)) < 0 || ((d.smax ^ smax) & (s.smax ^ smax)) < 0;
        long umin = d.umin + s.umin;
        long umax = d.umax + s.umax;
        boolean uOverflow = Long.compareUnsigned(umin, s.umin) < 0 || Long.compareUnsigned(umax, s.umax) < 0;
        d.var = d.var.add(s.var);
        setRanges(d, sOverflow, smin, smax, uOverflow, umin, umax);
    }

    static void sub(Reg d, Reg s) {
        long smin = d.smin - s.smax;
        long smax = d.smax - s.smin;
        boolean sOverflow = ((d.smin ^ s.smax) & (d.smin ^ smin)) < 0 || ((d.smax ^ s.smin) & (d.smax ^ smax)) < 0;
        boolean uOverflow = Long.compareUnsigned(d.umin, s.umax) < 0;
        long umin = d.umin - s.umax;
        long umax = d.umax - s.umin;
        d.var = d.var.sub(s.var);
        setRanges(d, sOverflow, smin, smax, uOverflow, umin, umax);
    }

    static void mul(Reg d, Reg s) {
        boolean uOverflow = Math.unsignedMultiplyHigh(d.umax, s.umax) != 0;
        long umin = d.umin * s.umin;
        long umax = d.umax * s.umax;
        long smin = Long.MIN_VALUE;
        long smax = Long.MAX_VALUE;
        boolean sOverflow = false;
        try {
            long p1 = Math.multiplyExact(d.smin, s.smin);
            long p2 = Math.multiplyExact(d.smin, s.smax);
            long p3 = Math.multiplyExact(d.smax, s.smin);
            long p4 = Math.multiplyExact(d.smax, s.smax);
            smin = Math.min(Math.min(p1, p2), Math.min(p3, p4));
            smax = Math.max(Math.max(p1, p2), Math.max(p3, p4));
        } catch (ArithmeticException e) {
            sOverflow = true;
        }
        d.var = d.var.mul(s.var);
        setRanges(d, sOverflow, smin, smax, uOverflow, umin, umax);
    }

    static void and(Reg d, Reg s) {
        boolean bothPos = d.smin >= 0 && s.smin >= 0;
        d.var = d.var.and(s.var);
        long umax = Reg.umin64(d.umax, s.umax);
        setRanges(d, !bothPos, d.var.value(), umax, false, d.var.value(), umax);
    }

    static void or(Reg d, Reg s) {
        boolean bothPos = d.smin >= 0 && s.smin >= 0;
        long umin = Reg.umax64(d.umin, s.umin);
        d.var = d.var.or(s.var);
        long umax = d.var.value() | d.var.mask();
        setRanges(d, !bothPos, umin, umax, false, umin, umax);
    }

    static void xor(Reg d, Reg s) {
        boolean bothPos = d.smin >= 0 && s.smin >= 0;
        d.var = d.var.xor(s.var);
        long umin = d.var.value();
        long umax = d.var.value() | d.var.mask();
        setRanges(d, !bothPos, umin, umax, false, umin, umax);
    }

    /** kind 0 lsh, 1 rsh, 2 arsh; the shift amount must be a constant below the width. */
    static void shift(Reg d, Reg s, int width, int kind) {
        if (!s.isConst() || Long.compareUnsigned(s.var.value(), width) >= 0) {
            d.setUnbounded();
            return;
        }
        int k = (int) s.var.value();
        switch (kind) {
            case 0 -> {
                boolean uOverflow = k > 0 && (d.umax >>> (64 - k)) != 0;
                long umin = d.umin << k;
                long umax = d.umax << k;
                d.var = d.var.lshift(k);
                setRanges(d, true, 0, 0, uOverflow, umin, umax);
            }
            case 1 -> {
                long umin = d.umin >>> k;
                long umax = d.umax >>> k;
                d.var = d.var.rshift(k);
                setRanges(d, true, 0, 0, false, umin, umax);
            }
            default -> {
                long smin = d.smin >> k;
                long smax = d.smax >> k;
                d.var = d.var.arshift(k, 64);
                setRanges(d, false, smin, smax, true, 0, 0);
            }
        }
    }

    private static void setRanges(Reg d, boolean sUnknown, long smin, long smax, boolean uUnknown, long umin, long umax) {
        Tnum var = d.var;
        d.setUnbounded();
        d.var = var;
        if (!sUnknown) {
            d.smin = smin;
            d.smax = smax;
        }
        if (!uUnknown) {
            d.umin = umin;
            d.umax = umax;
        }
    }

    /** dst = (sN) src sign-extended to 64 (or 32, then zero-extended) bits: MOVSX. */
    static void movsx(Reg d, Reg s, int bits, int width) {
        long lo = -(1L << (bits - 1));
        long hi = (1L << (bits - 1)) - 1;
        Reg v = s.copy();
        boolean fits = v.smin >= lo && v.smax <= hi;
        Tnum t = v.var.cast(bits / 8).sext(bits);
        d.markUnknown();
        d.var = t;
        if (fits) {
            d.smin = v.smin;
            d.smax = v.smax;
        } else {
            d.smin = lo;
            d.smax = hi;
        }
        d.sync();
        if (width == 32) {
            Reg w = d.copy();
            narrowTo32(w, d);
        }
    }

    /** A value loaded from memory of {@code size} bytes, zero- or sign-extended. */
    static void loaded(Reg d, int size, boolean signExtend) {
        d.markUnknown();
        if (size < 8) {
            if (signExtend) {
                d.var = Tnum.UNKNOWN.cast(size).sext(size * 8);
                d.smin = -(1L << (size * 8 - 1));
                d.smax = (1L << (size * 8 - 1)) - 1;
            } else {
                d.var = Tnum.UNKNOWN.cast(size);
                d.umax = (1L << (size * 8)) - 1;
            }
            d.sync();
        }
    }

    /** Truncates a scalar to its low {@code size} bytes (a narrow store then load, or le16/le32). */
    static void truncate(Reg d, int size) {
        if (size >= 8) {
            return;
        }
        long max = (1L << (size * 8)) - 1;
        if (d.isConst()) {
            d.setConst(d.var.value() & max);
            return;
        }
        if (Long.compareUnsigned(d.umax, max) <= 0) {
            return;
        }
        Tnum t = d.var.cast(size);
        d.setUnbounded();
        d.var = t;
        d.sync();
    }
}
