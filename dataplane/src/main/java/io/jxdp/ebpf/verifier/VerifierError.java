package io.jxdp.ebpf.verifier;

/**
 * Why a program was rejected.
 *
 * @param insnIndex the failing instruction (slot index), or -1 for a whole-program error
 * @param message one sentence saying what is wrong
 * @param disassembly the failing instruction in the kernel syntax, or ""
 * @param sourceLine the C source line from BTF line info ({@code file:line: text}), or ""
 * @param state the register and stack state at the failing point, or ""
 */
public record VerifierError(int insnIndex, String message, String disassembly, String sourceLine, String state) {
    /** The error as a multi-line report. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        if (insnIndex >= 0) {
            sb.append("insn ").append(insnIndex).append(": ").append(disassembly).append('\n');
        }
        if (!sourceLine.isEmpty()) {
            sb.append("  source: ").append(sourceLine).append('\n');
        }
        if (!state.isEmpty()) {
            sb.append("  state: ").append(state).append('\n');
        }
        sb.append("  error: ").append(message).append('\n');
        return sb.toString();
    }
}
