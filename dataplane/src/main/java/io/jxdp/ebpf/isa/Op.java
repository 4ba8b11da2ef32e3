package io.jxdp.ebpf.isa;

/**
 * The eBPF instruction set, defined once: every opcode of ISA v4 (RFC 9669, kernel
 * Documentation/bpf/standardization/instruction-set.rst) with its 8-bit code, operand form,
 * the field that tells variants sharing a code apart, its width, the mnemonic of the
 * conformance ({@code -- asm}) syntax and the operator of the kernel/llvm-objdump syntax.
 *
 * <p>Decoder ({@link #of}), encoder ({@link #insn}), assembler, both disassemblers and the
 * interpreter's dispatch all read this table; a later verifier and JIT should too.
 *
 * <p>Encoding (RFC 9669 section 3): {@code code:8 | dst:4 | src:4 | off:16 | imm:32}, little-endian.
 * The code's low 3 bits are the class (LD 0, LDX 1, ST 2, STX 3, ALU 4, JMP 5, JMP32 6, ALU64 7).
 */
public enum Op {
    /** dst += src, 64-bit. */
    ADD64_IMM(0x07, Kind.ALU, Source.IMM, Disc.NONE, 0, 64, "add", "+="),
    /** dst += src, 64-bit. */
    ADD64_REG(0x0f, Kind.ALU, Source.REG, Disc.NONE, 0, 64, "add", "+="),
    /** dst -= src, 64-bit. */
    SUB64_IMM(0x17, Kind.ALU, Source.IMM, Disc.NONE, 0, 64, "sub", "-="),
    /** dst -= src, 64-bit. */
    SUB64_REG(0x1f, Kind.ALU, Source.REG, Disc.NONE, 0, 64, "sub", "-="),
    /** dst *= src, 64-bit. */
    MUL64_IMM(0x27, Kind.ALU, Source.IMM, Disc.NONE, 0, 64, "mul", "*="),
    /** dst *= src, 64-bit. */
    MUL64_REG(0x2f, Kind.ALU, Source.REG, Disc.NONE, 0, 64, "mul", "*="),
    /** dst = src != 0 ? dst / src : 0 (unsigned), 64-bit. */
    DIV64_IMM(0x37, Kind.ALU, Source.IMM, Disc.OFF, 0, 64, "div", "/="),
    /** dst = src != 0 ? dst / src : 0 (unsigned), 64-bit. */
    DIV64_REG(0x3f, Kind.ALU, Source.REG, Disc.OFF, 0, 64, "div", "/="),
    /** dst = src != 0 ? dst s/ src : 0 (signed, MIN/-1 = MIN), 64-bit. */
    SDIV64_IMM(0x37, Kind.ALU, Source.IMM, Disc.OFF, 1, 64, "sdiv", "s/="),
    /** dst = src != 0 ? dst s/ src : 0 (signed, MIN/-1 = MIN), 64-bit. */
    SDIV64_REG(0x3f, Kind.ALU, Source.REG, Disc.OFF, 1, 64, "sdiv", "s/="),
    /** dst |= src, 64-bit. */
    OR64_IMM(0x47, Kind.ALU, Source.IMM, Disc.NONE, 0, 64, "or", "|="),
    /** dst |= src, 64-bit. */
    OR64_REG(0x4f, Kind.ALU, Source.REG, Disc.NONE, 0, 64, "or", "|="),
    /** dst &= src, 64-bit. */
    AND64_IMM(0x57, Kind.ALU, Source.IMM, Disc.NONE, 0, 64, "and", "&="),
    /** dst &= src, 64-bit. */
    AND64_REG(0x5f, Kind.ALU, Source.REG, Disc.NONE, 0, 64, "and", "&="),
    /** dst <<= (src & width-1), 64-bit. */
    LSH64_IMM(0x67, Kind.ALU, Source.IMM, Disc.NONE, 0, 64, "lsh", "<<="),
    /** dst <<= (src & width-1), 64-bit. */
    LSH64_REG(0x6f, Kind.ALU, Source.REG, Disc.NONE, 0, 64, "lsh", "<<="),
    /** dst >>= (src & width-1) (logical), 64-bit. */
    RSH64_IMM(0x77, Kind.ALU, Source.IMM, Disc.NONE, 0, 64, "rsh", ">>="),
    /** dst >>= (src & width-1) (logical), 64-bit. */
    RSH64_REG(0x7f, Kind.ALU, Source.REG, Disc.NONE, 0, 64, "rsh", ">>="),
    /** dst = src != 0 ? dst % src : dst (unsigned), 64-bit. */
    MOD64_IMM(0x97, Kind.ALU, Source.IMM, Disc.OFF, 0, 64, "mod", "%="),
    /** dst = src != 0 ? dst % src : dst (unsigned), 64-bit. */
    MOD64_REG(0x9f, Kind.ALU, Source.REG, Disc.OFF, 0, 64, "mod", "%="),
    /** dst = src != 0 ? dst s% src : dst (signed, MIN%-1 = 0), 64-bit. */
    SMOD64_IMM(0x97, Kind.ALU, Source.IMM, Disc.OFF, 1, 64, "smod", "s%="),
    /** dst = src != 0 ? dst s% src : dst (signed, MIN%-1 = 0), 64-bit. */
    SMOD64_REG(0x9f, Kind.ALU, Source.REG, Disc.OFF, 1, 64, "smod", "s%="),
    /** dst ^= src, 64-bit. */
    XOR64_IMM(0xa7, Kind.ALU, Source.IMM, Disc.NONE, 0, 64, "xor", "^="),
    /** dst ^= src, 64-bit. */
    XOR64_REG(0xaf, Kind.ALU, Source.REG, Disc.NONE, 0, 64, "xor", "^="),
    /** dst = src, 64-bit. */
    MOV64_IMM(0xb7, Kind.ALU, Source.IMM, Disc.OFF, 0, 64, "mov", "="),
    /** dst = src, 64-bit. */
    MOV64_REG(0xbf, Kind.ALU, Source.REG, Disc.OFF, 0, 64, "mov", "="),
    /** dst = (s8) src, sign-extended to 64 bits. */
    MOVSX8_64(0xbf, Kind.MOVSX, Source.REG, Disc.OFF, 8, 64, "movsx864", "="),
    /** dst = (s16) src, sign-extended to 64 bits. */
    MOVSX16_64(0xbf, Kind.MOVSX, Source.REG, Disc.OFF, 16, 64, "movsx1664", "="),
    /** dst = (s32) src, sign-extended to 64 bits. */
    MOVSX32_64(0xbf, Kind.MOVSX, Source.REG, Disc.OFF, 32, 64, "movsx3264", "="),
    /** dst s>>= (src & width-1) (arithmetic), 64-bit. */
    ARSH64_IMM(0xc7, Kind.ALU, Source.IMM, Disc.NONE, 0, 64, "arsh", "s>>="),
    /** dst s>>= (src & width-1) (arithmetic), 64-bit. */
    ARSH64_REG(0xcf, Kind.ALU, Source.REG, Disc.NONE, 0, 64, "arsh", "s>>="),
    /** dst = -dst, 64-bit. */
    NEG64(0x87, Kind.NEG, Source.IMM, Disc.NONE, 0, 64, "neg", "= -"),
    /** dst += src, 32-bit, 32-bit result zero-extended. */
    ADD32_IMM(0x04, Kind.ALU, Source.IMM, Disc.NONE, 0, 32, "add32", "+="),
    /** dst += src, 32-bit, 32-bit result zero-extended. */
    ADD32_REG(0x0c, Kind.ALU, Source.REG, Disc.NONE, 0, 32, "add32", "+="),
    /** dst -= src, 32-bit, 32-bit result zero-extended. */
    SUB32_IMM(0x14, Kind.ALU, Source.IMM, Disc.NONE, 0, 32, "sub32", "-="),
    /** dst -= src, 32-bit, 32-bit result zero-extended. */
    SUB32_REG(0x1c, Kind.ALU, Source.REG, Disc.NONE, 0, 32, "sub32", "-="),
    /** dst *= src, 32-bit, 32-bit result zero-extended. */
    MUL32_IMM(0x24, Kind.ALU, Source.IMM, Disc.NONE, 0, 32, "mul32", "*="),
    /** dst *= src, 32-bit, 32-bit result zero-extended. */
    MUL32_REG(0x2c, Kind.ALU, Source.REG, Disc.NONE, 0, 32, "mul32", "*="),
    /** dst = src != 0 ? dst / src : 0 (unsigned), 32-bit, 32-bit result zero-extended. */
    DIV32_IMM(0x34, Kind.ALU, Source.IMM, Disc.OFF, 0, 32, "div32", "/="),
    /** dst = src != 0 ? dst / src : 0 (unsigned), 32-bit, 32-bit result zero-extended. */
    DIV32_REG(0x3c, Kind.ALU, Source.REG, Disc.OFF, 0, 32, "div32", "/="),
    /** dst = src != 0 ? dst s/ src : 0 (signed, MIN/-1 = MIN), 32-bit. */
    SDIV32_IMM(0x34, Kind.ALU, Source.IMM, Disc.OFF, 1, 32, "sdiv32", "s/="),
    /** dst = src != 0 ? dst s/ src : 0 (signed, MIN/-1 = MIN), 32-bit. */
    SDIV32_REG(0x3c, Kind.ALU, Source.REG, Disc.OFF, 1, 32, "sdiv32", "s/="),
    /** dst |= src, 32-bit, 32-bit result zero-extended. */
    OR32_IMM(0x44, Kind.ALU, Source.IMM, Disc.NONE, 0, 32, "or32", "|="),
    /** dst |= src, 32-bit, 32-bit result zero-extended. */
    OR32_REG(0x4c, Kind.ALU, Source.REG, Disc.NONE, 0, 32, "or32", "|="),
    /** dst &= src, 32-bit, 32-bit result zero-extended. */
    AND32_IMM(0x54, Kind.ALU, Source.IMM, Disc.NONE, 0, 32, "and32", "&="),
    /** dst &= src, 32-bit, 32-bit result zero-extended. */
    AND32_REG(0x5c, Kind.ALU, Source.REG, Disc.NONE, 0, 32, "and32", "&="),
    /** dst <<= (src & width-1), 32-bit, 32-bit result zero-extended. */
    LSH32_IMM(0x64, Kind.ALU, Source.IMM, Disc.NONE, 0, 32, "lsh32", "<<="),
    /** dst <<= (src & width-1), 32-bit, 32-bit result zero-extended. */
    LSH32_REG(0x6c, Kind.ALU, Source.REG, Disc.NONE, 0, 32, "lsh32", "<<="),
    /** dst >>= (src & width-1) (logical), 32-bit, 32-bit result zero-extended. */
    RSH32_IMM(0x74, Kind.ALU, Source.IMM, Disc.NONE, 0, 32, "rsh32", ">>="),
    /** dst >>= (src & width-1) (logical), 32-bit, 32-bit result zero-extended. */
    RSH32_REG(0x7c, Kind.ALU, Source.REG, Disc.NONE, 0, 32, "rsh32", ">>="),
    /** dst = src != 0 ? dst % src : dst (unsigned), 32-bit, 32-bit result zero-extended. */
    MOD32_IMM(0x94, Kind.ALU, Source.IMM, Disc.OFF, 0, 32, "mod32", "%="),
    /** dst = src != 0 ? dst % src : dst (unsigned), 32-bit, 32-bit result zero-extended. */
    MOD32_REG(0x9c, Kind.ALU, Source.REG, Disc.OFF, 0, 32, "mod32", "%="),
    /** dst = src != 0 ? dst s% src : dst (signed, MIN%-1 = 0), 32-bit. */
    SMOD32_IMM(0x94, Kind.ALU, Source.IMM, Disc.OFF, 1, 32, "smod32", "s%="),
    /** dst = src != 0 ? dst s% src : dst (signed, MIN%-1 = 0), 32-bit. */
    SMOD32_REG(0x9c, Kind.ALU, Source.REG, Disc.OFF, 1, 32, "smod32", "s%="),
    /** dst ^= src, 32-bit, 32-bit result zero-extended. */
    XOR32_IMM(0xa4, Kind.ALU, Source.IMM, Disc.NONE, 0, 32, "xor32", "^="),
    /** dst ^= src, 32-bit, 32-bit result zero-extended. */
    XOR32_REG(0xac, Kind.ALU, Source.REG, Disc.NONE, 0, 32, "xor32", "^="),
    /** dst = src, 32-bit, 32-bit result zero-extended. */
    MOV32_IMM(0xb4, Kind.ALU, Source.IMM, Disc.OFF, 0, 32, "mov32", "="),
    /** dst = src, 32-bit, 32-bit result zero-extended. */
    MOV32_REG(0xbc, Kind.ALU, Source.REG, Disc.OFF, 0, 32, "mov32", "="),
    /** dst = (s8) src, sign-extended to 32 bits, then zero-extended. */
    MOVSX8_32(0xbc, Kind.MOVSX, Source.REG, Disc.OFF, 8, 32, "movsx832", "="),
    /** dst = (s16) src, sign-extended to 32 bits, then zero-extended. */
    MOVSX16_32(0xbc, Kind.MOVSX, Source.REG, Disc.OFF, 16, 32, "movsx1632", "="),
    /** dst s>>= (src & width-1) (arithmetic), 32-bit, 32-bit result zero-extended. */
    ARSH32_IMM(0xc4, Kind.ALU, Source.IMM, Disc.NONE, 0, 32, "arsh32", "s>>="),
    /** dst s>>= (src & width-1) (arithmetic), 32-bit, 32-bit result zero-extended. */
    ARSH32_REG(0xcc, Kind.ALU, Source.REG, Disc.NONE, 0, 32, "arsh32", "s>>="),
    /** dst = -dst, 32-bit. */
    NEG32(0x84, Kind.NEG, Source.IMM, Disc.NONE, 0, 32, "neg32", "= -"),
    /** dst = htole16(dst): truncate to 16 bits on a little-endian host. */
    LE16(0xd4, Kind.END, Source.IMM, Disc.IMM, 16, 16, "le16", "le"),
    /** dst = htole32(dst): truncate to 32 bits on a little-endian host. */
    LE32(0xd4, Kind.END, Source.IMM, Disc.IMM, 32, 32, "le32", "le"),
    /** dst = htole64(dst): truncate to 64 bits on a little-endian host. */
    LE64(0xd4, Kind.END, Source.IMM, Disc.IMM, 64, 64, "le64", "le"),
    /** dst = htobe16(dst): byte-swap the low 16 bits, zero-extended. */
    BE16(0xdc, Kind.END, Source.REG, Disc.IMM, 16, 16, "be16", "be"),
    /** dst = htobe32(dst): byte-swap the low 32 bits, zero-extended. */
    BE32(0xdc, Kind.END, Source.REG, Disc.IMM, 32, 32, "be32", "be"),
    /** dst = htobe64(dst): byte-swap the low 64 bits, zero-extended. */
    BE64(0xdc, Kind.END, Source.REG, Disc.IMM, 64, 64, "be64", "be"),
    /** dst = bswap16(dst), unconditional, zero-extended. */
    BSWAP16(0xd7, Kind.END, Source.IMM, Disc.IMM, 16, 16, "bswap16", "bswap"),
    /** dst = bswap32(dst), unconditional, zero-extended. */
    BSWAP32(0xd7, Kind.END, Source.IMM, Disc.IMM, 32, 32, "bswap32", "bswap"),
    /** dst = bswap64(dst), unconditional, zero-extended. */
    BSWAP64(0xd7, Kind.END, Source.IMM, Disc.IMM, 64, 64, "bswap64", "bswap"),
    /** jump if dst == src, 64-bit compare. */
    JEQ64_IMM(0x15, Kind.JUMP, Source.IMM, Disc.NONE, 0, 64, "jeq", "=="),
    /** jump if dst == src, 64-bit compare. */
    JEQ64_REG(0x1d, Kind.JUMP, Source.REG, Disc.NONE, 0, 64, "jeq", "=="),
    /** jump if dst > src (unsigned), 64-bit compare. */
    JGT64_IMM(0x25, Kind.JUMP, Source.IMM, Disc.NONE, 0, 64, "jgt", ">"),
    /** jump if dst > src (unsigned), 64-bit compare. */
    JGT64_REG(0x2d, Kind.JUMP, Source.REG, Disc.NONE, 0, 64, "jgt", ">"),
    /** jump if dst >= src (unsigned), 64-bit compare. */
    JGE64_IMM(0x35, Kind.JUMP, Source.IMM, Disc.NONE, 0, 64, "jge", ">="),
    /** jump if dst >= src (unsigned), 64-bit compare. */
    JGE64_REG(0x3d, Kind.JUMP, Source.REG, Disc.NONE, 0, 64, "jge", ">="),
    /** jump if (dst & src) != 0, 64-bit compare. */
    JSET64_IMM(0x45, Kind.JUMP, Source.IMM, Disc.NONE, 0, 64, "jset", "&"),
    /** jump if (dst & src) != 0, 64-bit compare. */
    JSET64_REG(0x4d, Kind.JUMP, Source.REG, Disc.NONE, 0, 64, "jset", "&"),
    /** jump if dst != src, 64-bit compare. */
    JNE64_IMM(0x55, Kind.JUMP, Source.IMM, Disc.NONE, 0, 64, "jne", "!="),
    /** jump if dst != src, 64-bit compare. */
    JNE64_REG(0x5d, Kind.JUMP, Source.REG, Disc.NONE, 0, 64, "jne", "!="),
    /** jump if dst > src (signed), 64-bit compare. */
    JSGT64_IMM(0x65, Kind.JUMP, Source.IMM, Disc.NONE, 0, 64, "jsgt", "s>"),
    /** jump if dst > src (signed), 64-bit compare. */
    JSGT64_REG(0x6d, Kind.JUMP, Source.REG, Disc.NONE, 0, 64, "jsgt", "s>"),
    /** jump if dst >= src (signed), 64-bit compare. */
    JSGE64_IMM(0x75, Kind.JUMP, Source.IMM, Disc.NONE, 0, 64, "jsge", "s>="),
    /** jump if dst >= src (signed), 64-bit compare. */
    JSGE64_REG(0x7d, Kind.JUMP, Source.REG, Disc.NONE, 0, 64, "jsge", "s>="),
    /** jump if dst < src (unsigned), 64-bit compare. */
    JLT64_IMM(0xa5, Kind.JUMP, Source.IMM, Disc.NONE, 0, 64, "jlt", "<"),
    /** jump if dst < src (unsigned), 64-bit compare. */
    JLT64_REG(0xad, Kind.JUMP, Source.REG, Disc.NONE, 0, 64, "jlt", "<"),
    /** jump if dst <= src (unsigned), 64-bit compare. */
    JLE64_IMM(0xb5, Kind.JUMP, Source.IMM, Disc.NONE, 0, 64, "jle", "<="),
    /** jump if dst <= src (unsigned), 64-bit compare. */
    JLE64_REG(0xbd, Kind.JUMP, Source.REG, Disc.NONE, 0, 64, "jle", "<="),
    /** jump if dst < src (signed), 64-bit compare. */
    JSLT64_IMM(0xc5, Kind.JUMP, Source.IMM, Disc.NONE, 0, 64, "jslt", "s<"),
    /** jump if dst < src (signed), 64-bit compare. */
    JSLT64_REG(0xcd, Kind.JUMP, Source.REG, Disc.NONE, 0, 64, "jslt", "s<"),
    /** jump if dst <= src (signed), 64-bit compare. */
    JSLE64_IMM(0xd5, Kind.JUMP, Source.IMM, Disc.NONE, 0, 64, "jsle", "s<="),
    /** jump if dst <= src (signed), 64-bit compare. */
    JSLE64_REG(0xdd, Kind.JUMP, Source.REG, Disc.NONE, 0, 64, "jsle", "s<="),
    /** jump if dst == src, 32-bit compare. */
    JEQ32_IMM(0x16, Kind.JUMP, Source.IMM, Disc.NONE, 0, 32, "jeq32", "=="),
    /** jump if dst == src, 32-bit compare. */
    JEQ32_REG(0x1e, Kind.JUMP, Source.REG, Disc.NONE, 0, 32, "jeq32", "=="),
    /** jump if dst > src (unsigned), 32-bit compare. */
    JGT32_IMM(0x26, Kind.JUMP, Source.IMM, Disc.NONE, 0, 32, "jgt32", ">"),
    /** jump if dst > src (unsigned), 32-bit compare. */
    JGT32_REG(0x2e, Kind.JUMP, Source.REG, Disc.NONE, 0, 32, "jgt32", ">"),
    /** jump if dst >= src (unsigned), 32-bit compare. */
    JGE32_IMM(0x36, Kind.JUMP, Source.IMM, Disc.NONE, 0, 32, "jge32", ">="),
    /** jump if dst >= src (unsigned), 32-bit compare. */
    JGE32_REG(0x3e, Kind.JUMP, Source.REG, Disc.NONE, 0, 32, "jge32", ">="),
    /** jump if (dst & src) != 0, 32-bit compare. */
    JSET32_IMM(0x46, Kind.JUMP, Source.IMM, Disc.NONE, 0, 32, "jset32", "&"),
    /** jump if (dst & src) != 0, 32-bit compare. */
    JSET32_REG(0x4e, Kind.JUMP, Source.REG, Disc.NONE, 0, 32, "jset32", "&"),
    /** jump if dst != src, 32-bit compare. */
    JNE32_IMM(0x56, Kind.JUMP, Source.IMM, Disc.NONE, 0, 32, "jne32", "!="),
    /** jump if dst != src, 32-bit compare. */
    JNE32_REG(0x5e, Kind.JUMP, Source.REG, Disc.NONE, 0, 32, "jne32", "!="),
    /** jump if dst > src (signed), 32-bit compare. */
    JSGT32_IMM(0x66, Kind.JUMP, Source.IMM, Disc.NONE, 0, 32, "jsgt32", "s>"),
    /** jump if dst > src (signed), 32-bit compare. */
    JSGT32_REG(0x6e, Kind.JUMP, Source.REG, Disc.NONE, 0, 32, "jsgt32", "s>"),
    /** jump if dst >= src (signed), 32-bit compare. */
    JSGE32_IMM(0x76, Kind.JUMP, Source.IMM, Disc.NONE, 0, 32, "jsge32", "s>="),
    /** jump if dst >= src (signed), 32-bit compare. */
    JSGE32_REG(0x7e, Kind.JUMP, Source.REG, Disc.NONE, 0, 32, "jsge32", "s>="),
    /** jump if dst < src (unsigned), 32-bit compare. */
    JLT32_IMM(0xa6, Kind.JUMP, Source.IMM, Disc.NONE, 0, 32, "jlt32", "<"),
    /** jump if dst < src (unsigned), 32-bit compare. */
    JLT32_REG(0xae, Kind.JUMP, Source.REG, Disc.NONE, 0, 32, "jlt32", "<"),
    /** jump if dst <= src (unsigned), 32-bit compare. */
    JLE32_IMM(0xb6, Kind.JUMP, Source.IMM, Disc.NONE, 0, 32, "jle32", "<="),
    /** jump if dst <= src (unsigned), 32-bit compare. */
    JLE32_REG(0xbe, Kind.JUMP, Source.REG, Disc.NONE, 0, 32, "jle32", "<="),
    /** jump if dst < src (signed), 32-bit compare. */
    JSLT32_IMM(0xc6, Kind.JUMP, Source.IMM, Disc.NONE, 0, 32, "jslt32", "s<"),
    /** jump if dst < src (signed), 32-bit compare. */
    JSLT32_REG(0xce, Kind.JUMP, Source.REG, Disc.NONE, 0, 32, "jslt32", "s<"),
    /** jump if dst <= src (signed), 32-bit compare. */
    JSLE32_IMM(0xd6, Kind.JUMP, Source.IMM, Disc.NONE, 0, 32, "jsle32", "s<="),
    /** jump if dst <= src (signed), 32-bit compare. */
    JSLE32_REG(0xde, Kind.JUMP, Source.REG, Disc.NONE, 0, 32, "jsle32", "s<="),
    /** pc += off (16-bit). */
    JA(0x05, Kind.JA, Source.IMM, Disc.NONE, 0, 64, "ja", "goto"),
    /** pc += imm (32-bit, "gotol"). */
    JA32(0x06, Kind.JA32, Source.IMM, Disc.NONE, 0, 32, "ja32", "gotol"),
    /** call helper function imm. */
    CALL(0x85, Kind.CALL, Source.IMM, Disc.SRC, 0, 64, "call", "call"),
    /** call the BPF function at pc + imm (bpf-to-bpf). */
    CALL_LOCAL(0x85, Kind.CALL_LOCAL, Source.IMM, Disc.SRC, 1, 64, "call local", "call"),
    /** call the kernel function with BTF id imm (kfunc). */
    CALL_KFUNC(0x85, Kind.CALL_KFUNC, Source.IMM, Disc.SRC, 2, 64, "call kfunc", "call"),
    /** call through the register in the dst field. */
    CALLX(0x8d, Kind.CALLX, Source.REG, Disc.NONE, 0, 64, "callx", "callx"),
    /** return r0 to the caller. */
    EXIT(0x95, Kind.EXIT, Source.IMM, Disc.NONE, 0, 64, "exit", "exit"),
    /** dst = *(u8 *)(src + off), zero-extended. */
    LDXB(0x71, Kind.LDX, Source.REG, Disc.NONE, 0, 1, "ldxb", "u8"),
    /** dst = *(u16 *)(src + off), zero-extended. */
    LDXH(0x69, Kind.LDX, Source.REG, Disc.NONE, 0, 2, "ldxh", "u16"),
    /** dst = *(u32 *)(src + off), zero-extended. */
    LDXW(0x61, Kind.LDX, Source.REG, Disc.NONE, 0, 4, "ldxw", "u32"),
    /** dst = *(u64 *)(src + off), zero-extended. */
    LDXDW(0x79, Kind.LDX, Source.REG, Disc.NONE, 0, 8, "ldxdw", "u64"),
    /** dst = *(s8 *)(src + off), sign-extended to 64 bits. */
    LDXSB(0x91, Kind.LDXSX, Source.REG, Disc.NONE, 0, 1, "ldxsb", "s8"),
    /** dst = *(s16 *)(src + off), sign-extended to 64 bits. */
    LDXSH(0x89, Kind.LDXSX, Source.REG, Disc.NONE, 0, 2, "ldxsh", "s16"),
    /** dst = *(s32 *)(src + off), sign-extended to 64 bits. */
    LDXSW(0x81, Kind.LDXSX, Source.REG, Disc.NONE, 0, 4, "ldxsw", "s32"),
    /** *(u8 *)(dst + off) = imm. */
    STB(0x72, Kind.ST, Source.IMM, Disc.NONE, 0, 1, "stb", "u8"),
    /** *(u16 *)(dst + off) = imm. */
    STH(0x6a, Kind.ST, Source.IMM, Disc.NONE, 0, 2, "sth", "u16"),
    /** *(u32 *)(dst + off) = imm. */
    STW(0x62, Kind.ST, Source.IMM, Disc.NONE, 0, 4, "stw", "u32"),
    /** *(u64 *)(dst + off) = imm. */
    STDW(0x7a, Kind.ST, Source.IMM, Disc.NONE, 0, 8, "stdw", "u64"),
    /** *(u8 *)(dst + off) = src. */
    STXB(0x73, Kind.STX, Source.REG, Disc.NONE, 0, 1, "stxb", "u8"),
    /** *(u16 *)(dst + off) = src. */
    STXH(0x6b, Kind.STX, Source.REG, Disc.NONE, 0, 2, "stxh", "u16"),
    /** *(u32 *)(dst + off) = src. */
    STXW(0x63, Kind.STX, Source.REG, Disc.NONE, 0, 4, "stxw", "u32"),
    /** *(u64 *)(dst + off) = src. */
    STXDW(0x7b, Kind.STX, Source.REG, Disc.NONE, 0, 8, "stxdw", "u64"),
    /** atomic *(u32 *)(dst + off) += src. */
    ATOMIC32_ADD(0xc3, Kind.ATOMIC, Source.REG, Disc.IMM, 0, 4, "lock add32", "+="),
    /** atomic src = fetch_add((u32 *)(dst + off), src): src gets the old value. */
    ATOMIC32_FETCH_ADD(0xc3, Kind.ATOMIC, Source.REG, Disc.IMM, 1, 4, "lock fetch add32", "add"),
    /** atomic *(u32 *)(dst + off) |= src. */
    ATOMIC32_OR(0xc3, Kind.ATOMIC, Source.REG, Disc.IMM, 64, 4, "lock or32", "|="),
    /** atomic src = fetch_or((u32 *)(dst + off), src): src gets the old value. */
    ATOMIC32_FETCH_OR(0xc3, Kind.ATOMIC, Source.REG, Disc.IMM, 65, 4, "lock fetch or32", "or"),
    /** atomic *(u32 *)(dst + off) &= src. */
    ATOMIC32_AND(0xc3, Kind.ATOMIC, Source.REG, Disc.IMM, 80, 4, "lock and32", "&="),
    /** atomic src = fetch_and((u32 *)(dst + off), src): src gets the old value. */
    ATOMIC32_FETCH_AND(0xc3, Kind.ATOMIC, Source.REG, Disc.IMM, 81, 4, "lock fetch and32", "and"),
    /** atomic *(u32 *)(dst + off) ^= src. */
    ATOMIC32_XOR(0xc3, Kind.ATOMIC, Source.REG, Disc.IMM, 160, 4, "lock xor32", "^="),
    /** atomic src = fetch_xor((u32 *)(dst + off), src): src gets the old value. */
    ATOMIC32_FETCH_XOR(0xc3, Kind.ATOMIC, Source.REG, Disc.IMM, 161, 4, "lock fetch xor32", "xor"),
    /** atomic src = xchg((u32 *)(dst + off), src). */
    ATOMIC32_XCHG(0xc3, Kind.ATOMIC, Source.REG, Disc.IMM, 225, 4, "lock xchg32", "xchg"),
    /** atomic r0 = cmpxchg((u32 *)(dst + off), r0, src). */
    ATOMIC32_CMPXCHG(0xc3, Kind.ATOMIC, Source.REG, Disc.IMM, 241, 4, "lock cmpxchg32", "cmpxchg"),
    /** atomic *(u64 *)(dst + off) += src. */
    ATOMIC64_ADD(0xdb, Kind.ATOMIC, Source.REG, Disc.IMM, 0, 8, "lock add", "+="),
    /** atomic src = fetch_add((u64 *)(dst + off), src): src gets the old value. */
    ATOMIC64_FETCH_ADD(0xdb, Kind.ATOMIC, Source.REG, Disc.IMM, 1, 8, "lock fetch add", "add"),
    /** atomic *(u64 *)(dst + off) |= src. */
    ATOMIC64_OR(0xdb, Kind.ATOMIC, Source.REG, Disc.IMM, 64, 8, "lock or", "|="),
    /** atomic src = fetch_or((u64 *)(dst + off), src): src gets the old value. */
    ATOMIC64_FETCH_OR(0xdb, Kind.ATOMIC, Source.REG, Disc.IMM, 65, 8, "lock fetch or", "or"),
    /** atomic *(u64 *)(dst + off) &= src. */
    ATOMIC64_AND(0xdb, Kind.ATOMIC, Source.REG, Disc.IMM, 80, 8, "lock and", "&="),
    /** atomic src = fetch_and((u64 *)(dst + off), src): src gets the old value. */
    ATOMIC64_FETCH_AND(0xdb, Kind.ATOMIC, Source.REG, Disc.IMM, 81, 8, "lock fetch and", "and"),
    /** atomic *(u64 *)(dst + off) ^= src. */
    ATOMIC64_XOR(0xdb, Kind.ATOMIC, Source.REG, Disc.IMM, 160, 8, "lock xor", "^="),
    /** atomic src = fetch_xor((u64 *)(dst + off), src): src gets the old value. */
    ATOMIC64_FETCH_XOR(0xdb, Kind.ATOMIC, Source.REG, Disc.IMM, 161, 8, "lock fetch xor", "xor"),
    /** atomic src = xchg((u64 *)(dst + off), src). */
    ATOMIC64_XCHG(0xdb, Kind.ATOMIC, Source.REG, Disc.IMM, 225, 8, "lock xchg", "xchg"),
    /** atomic r0 = cmpxchg((u64 *)(dst + off), r0, src). */
    ATOMIC64_CMPXCHG(0xdb, Kind.ATOMIC, Source.REG, Disc.IMM, 241, 8, "lock cmpxchg", "cmpxchg"),
    /** dst = imm64; two slots. */
    LDDW(0x18, Kind.LDDW, Source.IMM, Disc.SRC, 0, 8, "lddw", "ll"),
    /** dst = map_by_fd(imm) (pseudo map fd); two slots. */
    LDDW_MAP_FD(0x18, Kind.LDDW, Source.IMM, Disc.SRC, 1, 8, "lddw", "ll"),
    /** dst = map_val(map_by_fd(imm)) + next_imm (pseudo map value); two slots. */
    LDDW_MAP_VALUE(0x18, Kind.LDDW, Source.IMM, Disc.SRC, 2, 8, "lddw", "ll"),
    /** dst = var_addr(imm) (pseudo BTF id); two slots. */
    LDDW_BTF_ID(0x18, Kind.LDDW, Source.IMM, Disc.SRC, 3, 8, "lddw", "ll"),
    /** dst = code_addr(pc + imm + 1) (pseudo func); two slots. */
    LDDW_FUNC(0x18, Kind.LDDW, Source.IMM, Disc.SRC, 4, 8, "lddw", "ll"),
    /** dst = map_by_idx(imm) (pseudo map index); two slots. */
    LDDW_MAP_IDX(0x18, Kind.LDDW, Source.IMM, Disc.SRC, 5, 8, "lddw", "ll"),
    /** dst = map_val(map_by_idx(imm)) + next_imm (pseudo map index value); two slots. */
    LDDW_MAP_IDX_VALUE(0x18, Kind.LDDW, Source.IMM, Disc.SRC, 6, 8, "lddw", "ll"),
    /** r0 = ntoh(*(u8 *)(skb->data + imm)); legacy, out of range exits with r0 = 0. */
    LDABSB(0x30, Kind.LD_ABS, Source.IMM, Disc.NONE, 0, 1, "ldabsb", "u8"),
    /** r0 = ntoh(*(u16 *)(skb->data + imm)); legacy, out of range exits with r0 = 0. */
    LDABSH(0x28, Kind.LD_ABS, Source.IMM, Disc.NONE, 0, 2, "ldabsh", "u16"),
    /** r0 = ntoh(*(u32 *)(skb->data + imm)); legacy, out of range exits with r0 = 0. */
    LDABSW(0x20, Kind.LD_ABS, Source.IMM, Disc.NONE, 0, 4, "ldabsw", "u32"),
    /** r0 = ntoh(*(u8 *)(skb->data + src + imm)); legacy, out of range exits with r0 = 0. */
    LDINDB(0x50, Kind.LD_IND, Source.REG, Disc.NONE, 0, 1, "ldindb", "u8"),
    /** r0 = ntoh(*(u16 *)(skb->data + src + imm)); legacy, out of range exits with r0 = 0. */
    LDINDH(0x48, Kind.LD_IND, Source.REG, Disc.NONE, 0, 2, "ldindh", "u16"),
    /** r0 = ntoh(*(u32 *)(skb->data + src + imm)); legacy, out of range exits with r0 = 0. */
    LDINDW(0x40, Kind.LD_IND, Source.REG, Disc.NONE, 0, 4, "ldindw", "u32");

    /** How an instruction's operands are used; decides the operand syntax and the handler family. */
    public enum Kind {
        /** Binary arithmetic: dst op= src-or-imm. */ ALU,
        /** dst = -dst. */ NEG,
        /** dst = sign-extended low off bits of src. */ MOVSX,
        /** Byte-order conversion of dst; imm is the width. */ END,
        /** Conditional jump to pc + 1 + off. */ JUMP,
        /** pc += off. */ JA,
        /** pc += imm (gotol). */ JA32,
        /** Helper call, imm is the helper id. */ CALL,
        /** BPF-to-BPF call to pc + 1 + imm. */ CALL_LOCAL,
        /** Kernel function call by BTF id. */ CALL_KFUNC,
        /** Call through the register in the dst field. */ CALLX,
        /** Return r0. */ EXIT,
        /** Zero-extending load. */ LDX,
        /** Sign-extending load (MEMSX). */ LDXSX,
        /** Store immediate. */ ST,
        /** Store register. */ STX,
        /** STX | ATOMIC read-modify-write; imm selects the operation. */ ATOMIC,
        /** Two-slot 64-bit immediate load; src selects the pseudo kind. */ LDDW,
        /** Legacy packet load at an absolute offset. */ LD_ABS,
        /** Legacy packet load at src + imm. */ LD_IND
    }

    /** Whether the code's source bit selects a register (X) or the immediate (K). */
    public enum Source { IMM, REG }

    /** The field that distinguishes opcodes sharing one code byte. */
    public enum Disc { NONE, OFF, IMM, SRC }

    /** The 8-bit opcode. */
    public final int code;
    /** The operand form and handler family. */
    public final Kind kind;
    /** Register or immediate source. */
    public final Source source;
    /** Which field selects this variant among those sharing {@link #code}. */
    public final Disc disc;
    /** The value the {@link #disc} field must hold. */
    public final int discValue;
    /** Operation width in bits for ALU/JMP kinds; access size in bytes for memory kinds. */
    public final int width;
    /** The mnemonic of the conformance assembler syntax (e.g. {@code add32}, {@code lock fetch add}). */
    public final String mnemonic;
    /** The operator of the kernel/llvm-objdump syntax (e.g. {@code +=}, {@code s<}, {@code u32}). */
    public final String symbol;

    Op(int code, Kind kind, Source source, Disc disc, int discValue, int width, String mnemonic, String symbol) {
        this.code = code;
        this.kind = kind;
        this.source = source;
        this.disc = disc;
        this.discValue = discValue;
        this.width = width;
        this.mnemonic = mnemonic;
        this.symbol = symbol;
    }

    private static final Op[][] BY_CODE = new Op[256][];

    static {
        int[] counts = new int[256];
        for (Op op : values()) {
            counts[op.code]++;
        }
        for (int c = 0; c < 256; c++) {
            BY_CODE[c] = new Op[counts[c]];
        }
        int[] fill = new int[256];
        for (Op op : values()) {
            BY_CODE[op.code][fill[op.code]++] = op;
        }
    }

    /** True for the 32-bit ALU and JMP32 variants (and 32-bit atomics). */
    public boolean is32() {
        return switch (kind) {
            case ALU, NEG, MOVSX, JUMP -> width == 32;
            case ATOMIC -> width == 4;
            default -> false;
        };
    }

    /** Number of 8-byte slots the instruction occupies (2 for {@code lddw}). */
    public int slots() {
        return kind == Kind.LDDW ? 2 : 1;
    }

    /** True if the instruction writes its dst register (used to reject writes to r10). */
    public boolean writesDst() {
        return switch (kind) {
            case ALU, NEG, MOVSX, END, LDX, LDXSX, LDDW -> true;
            default -> false;
        };
    }

    /** True for instructions whose target is pc + 1 + off. */
    public boolean jumpsByOff() {
        return kind == Kind.JUMP || kind == Kind.JA;
    }

    /** Decodes the opcode of one slot's fields, or returns null if no opcode matches. */
    public static Op of(int code, int src, int off, int imm) {
        for (Op op : BY_CODE[code & 0xff]) {
            int v = switch (op.disc) {
                case NONE -> op.discValue;
                case OFF -> off;
                case IMM -> imm;
                case SRC -> src;
            };
            if (v == op.discValue) {
                return op;
            }
        }
        return null;
    }

    /** Decodes the opcode of an instruction, or null if no opcode matches. */
    public static Op of(Insn insn) {
        return of(insn.code(), insn.src(), insn.off(), insn.imm());
    }

    /**
     * Builds an instruction of this opcode: the discriminating field is filled in from the
     * table and overrides the argument given for it (e.g. {@code SDIV64_REG.insn(1, 2, 0, 0)} has off 1).
     */
    public Insn insn(int dst, int src, int off, int imm) {
        switch (disc) {
            case OFF -> off = discValue;
            case IMM -> imm = discValue;
            case SRC -> src = discValue;
            case NONE -> { }
        }
        return new Insn(code, dst, src, (short) off, imm);
    }
}
