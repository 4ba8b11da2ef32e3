package io.jxdp.ebpf.isa;

/**
 * One raw 8-byte instruction slot (RFC 9669 section 3): {@code code:8 | dst:4 | src:4 | off:16 | imm:32},
 * read as a little-endian u64: code in bits 0-7, dst in 8-11, src in 12-15, off in 16-31, imm in 32-63.
 * The second slot of {@code lddw} is also an {@code Insn} (code 0, imm = the high 32 bits).
 *
 * @param code the opcode byte, 0..255
 * @param dst  the destination register field, 0..15
 * @param src  the source register field, 0..15
 * @param off  the signed 16-bit offset
 * @param imm  the signed 32-bit immediate
 */
public record Insn(int code, int dst, int src, int off, int imm) {

    public Insn {
        if ((code & ~0xff) != 0 || (dst & ~0xf) != 0 || (src & ~0xf) != 0 || off != (short) off) {
            throw new IllegalArgumentException("instruction field out of range: code=" + code + " dst=" + dst
                    + " src=" + src + " off=" + off);
        }
    }

    /** Decodes one slot given as a little-endian u64. */
    public static Insn decode(long slot) {
        return new Insn((int) (slot & 0xff), (int) (slot >>> 8) & 0xf, (int) (slot >>> 12) & 0xf,
                (short) (slot >>> 16), (int) (slot >>> 32));
    }

    /** Encodes this instruction as one little-endian u64 slot. */
    public long encode() {
        return (code & 0xffL) | (dst & 0xfL) << 8 | (src & 0xfL) << 12 | (off & 0xffffL) << 16 | (long) imm << 32;
    }

    /** The opcode of this slot, or null when the code is not a valid opcode. */
    public Op op() {
        return Op.of(this);
    }
}
