package io.jxdp.ebpf.interp;

/**
 * A program fault found while loading or running: bad encoding, out-of-bounds access, budget
 * exhausted, unsupported call. Names the instruction index and its disassembly.
 */
public final class VmException extends RuntimeException {
    private final int pc;

    public VmException(int pc, String insn, String message) {
        super("pc " + pc + (insn == null ? "" : " (" + insn + ")") + ": " + message);
        this.pc = pc;
    }

    /** The index (in 8-byte slots) of the faulting instruction. */
    public int pc() {
        return pc;
    }
}
