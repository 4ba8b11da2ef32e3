package io.jxdp.ebpf.loader;

/**
 * The few raw instruction facts the loader needs (RFC 9669 section 3 and 4; Linux
 * {@code include/uapi/linux/bpf.h}). One instruction slot is a little-endian 64-bit word read as
 * a Java long: byte 0 opcode, byte 1 registers (dst low nibble, src high nibble), bytes 2..3 the
 * signed offset, bytes 4..7 the signed immediate. Kept in one place so that it can later be
 * pointed at the ISA package's opcode table.
 */
final class RawInsn {
    /** BPF_LD | BPF_IMM | BPF_DW: the 16-byte wide load, two slots. */
    static final int LD_IMM64 = 0x18;
    /** BPF_JMP | BPF_CALL | BPF_K. */
    static final int CALL = 0x85;
    /** src_reg of CALL: bpf-to-bpf call, imm is relative to the next instruction. */
    static final int PSEUDO_CALL = 1;
    /** src_reg of CALL: kernel function (kfunc). */
    static final int PSEUDO_KFUNC_CALL = 2;
    /** src_reg of LD_IMM64: imm is a map fd. */
    static final int PSEUDO_MAP_FD = 1;
    /** src_reg of LD_IMM64: imm is a map fd, next slot's imm an offset into its value. */
    static final int PSEUDO_MAP_VALUE = 2;
    /** src_reg of LD_IMM64: imm is a code address relative to the next instruction. */
    static final int PSEUDO_FUNC = 4;
    static final int SIZE = 8;

    private RawInsn() {
    }

    static int code(long insn) {
        return (int) (insn & 0xff);
    }

    static int dst(long insn) {
        return (int) (insn >>> 8) & 0xf;
    }

    static int src(long insn) {
        return (int) (insn >>> 12) & 0xf;
    }

    static short off(long insn) {
        return (short) (insn >>> 16);
    }

    static int imm(long insn) {
        return (int) (insn >>> 32);
    }

    static long withImm(long insn, int imm) {
        return (insn & 0xffffffffL) | ((long) imm << 32);
    }

    static long withSrc(long insn, int src) {
        return (insn & ~0xf000L) | ((long) (src & 0xf) << 12);
    }

    /** libbpf insn_is_subprog_call: CALL, src PSEUDO_CALL, dst 0, off 0. */
    static boolean isSubprogCall(long insn) {
        return code(insn) == CALL && src(insn) == PSEUDO_CALL && dst(insn) == 0 && off(insn) == 0;
    }

    /** libbpf insn_is_pseudo_func: LD_IMM64 with src PSEUDO_FUNC. */
    static boolean isPseudoFunc(long insn) {
        return code(insn) == LD_IMM64 && src(insn) == PSEUDO_FUNC;
    }

    static long read(byte[] b, int at) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[at + i] & 0xffL);
        }
        return v;
    }
}
