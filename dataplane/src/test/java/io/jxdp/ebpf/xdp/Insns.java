package io.jxdp.ebpf.xdp;

import java.util.ArrayList;
import java.util.List;

/** Builds raw instruction slots for small hand-written test programs (kernel filter.h style names). */
final class Insns {
    private final List<Long> slots = new ArrayList<>();

    static long encode(int code, int dst, int src, int off, int imm) {
        return (code & 0xff) | (long) (dst & 0xf) << 8 | (long) (src & 0xf) << 12 | (long) (off & 0xffff) << 16
                | (imm & 0xffff_ffffL) << 32;
    }

    Insns raw(int code, int dst, int src, int off, int imm) {
        slots.add(encode(code, dst, src, off, imm));
        return this;
    }

    /** dst = src (64-bit). */
    Insns mov(int dst, int src) {
        return raw(0xbf, dst, src, 0, 0);
    }

    /** dst = imm (64-bit, sign-extended). */
    Insns movImm(int dst, int imm) {
        return raw(0xb7, dst, 0, 0, imm);
    }

    /** wDst = imm (32-bit, zero-extended). */
    Insns mov32Imm(int dst, int imm) {
        return raw(0xb4, dst, 0, 0, imm);
    }

    /** dst += imm. */
    Insns addImm(int dst, int imm) {
        return raw(0x07, dst, 0, 0, imm);
    }

    /** dst = *(u32 *)(src + off). */
    Insns ldxw(int dst, int src, int off) {
        return raw(0x61, dst, src, off, 0);
    }

    /** dst = *(u64 *)(src + off). */
    Insns ldxdw(int dst, int src, int off) {
        return raw(0x79, dst, src, off, 0);
    }

    /** *(u64 *)(dst + off) = src. */
    Insns stxdw(int dst, int off, int src) {
        return raw(0x7b, dst, src, off, 0);
    }

    /** *(u64 *)(dst + off) = imm. */
    Insns stdw(int dst, int off, int imm) {
        return raw(0x7a, dst, 0, off, imm);
    }

    /** if dst > src goto +off. */
    Insns jgt(int dst, int src, int off) {
        return raw(0x2d, dst, src, off, 0);
    }

    Insns call(int helper) {
        return raw(0x85, 0, 0, 0, helper);
    }

    Insns exit() {
        return raw(0x95, 0, 0, 0, 0);
    }

    int size() {
        return slots.size();
    }

    long[] build() {
        long[] s = new long[slots.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = slots.get(i);
        }
        return s;
    }
}
