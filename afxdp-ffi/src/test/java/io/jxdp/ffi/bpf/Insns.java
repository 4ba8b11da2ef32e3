package io.jxdp.ffi.bpf;

/**
 * Just enough raw eBPF for the tests: each factory builds one 8-byte {@code struct bpf_insn}
 * slot (RFC 9669 section 3: opcode, dst_reg:4, src_reg:4, signed 16-bit offset, signed 32-bit
 * immediate; little-endian). The real instruction set lives in the VM module; this is not an
 * assembler.
 */
final class Insns {
    private Insns() {}

    static long slot(int opcode, int dst, int src, int off, int imm) {
        return (opcode & 0xffL) | (long) (dst & 0xf) << 8 | (long) (src & 0xf) << 12
                | (long) (off & 0xffff) << 16 | (long) imm << 32;
    }

    /** {@code dst = imm} (BPF_ALU64 | BPF_MOV | BPF_K, 0xb7). */
    static long mov64Imm(int dst, int imm) {
        return slot(0xb7, dst, 0, 0, imm);
    }

    /** {@code dst = src} (BPF_ALU64 | BPF_MOV | BPF_X, 0xbf). */
    static long mov64Reg(int dst, int src) {
        return slot(0xbf, dst, src, 0, 0);
    }

    /** {@code dst += imm} (BPF_ALU64 | BPF_ADD | BPF_K, 0x07). */
    static long add64Imm(int dst, int imm) {
        return slot(0x07, dst, 0, 0, imm);
    }

    /** {@code dst = *(u32 *)(src + off)} (BPF_LDX | BPF_MEM | BPF_W, 0x61). */
    static long ldxW(int dst, int src, int off) {
        return slot(0x61, dst, src, off, 0);
    }

    /** {@code *(u8 *)(dst + off) = imm} (BPF_ST | BPF_MEM | BPF_B, 0x72). */
    static long stB(int dst, int off, int imm) {
        return slot(0x72, dst, 0, off, imm);
    }

    /** {@code if dst > src goto pc + 1 + off}, unsigned (BPF_JMP | BPF_JGT | BPF_X, 0x2d). */
    static long jgtReg(int dst, int src, int off) {
        return slot(0x2d, dst, src, off, 0);
    }

    /** {@code return r0} (BPF_JMP | BPF_EXIT, 0x95). */
    static long exit() {
        return slot(0x95, 0, 0, 0, 0);
    }

    /** {@code r0 = action; exit}. */
    static long[] returning(int action) {
        return new long[] {mov64Imm(0, action), exit()};
    }

    /**
     * Writes 0xAA into the first packet byte and returns XDP_TX; XDP_DROP if the packet is empty.
     * r1 is the {@code struct xdp_md *}: data at offset 0, data_end at offset 4.
     */
    static long[] markFirstByteAndTx() {
        return new long[] {
            ldxW(2, 1, 0),        // r2 = ctx->data
            ldxW(3, 1, 4),        // r3 = ctx->data_end
            mov64Reg(4, 2),       // r4 = r2
            add64Imm(4, 1),       // r4 += 1 (end of the byte we write)
            jgtReg(4, 3, 3),      // if r4 > data_end goto drop (the verifier needs this bound)
            stB(2, 0, 0xAA),      // *(u8 *)(r2 + 0) = 0xAA
            mov64Imm(0, XdpAction.XDP_TX),
            exit(),
            mov64Imm(0, XdpAction.XDP_DROP), // drop:
            exit(),
        };
    }
}
