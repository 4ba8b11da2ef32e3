package io.jxdp.ebpf.asm;

import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;

/**
 * Disassembly in the kernel/llvm-objdump syntax ({@code r0 = *(u32 *)(r1 + 0x4)},
 * {@code if r1 > 0x10 goto +0x3}, {@code w0 += w1}, {@code r1 = 0x1122334455667788 ll},
 * {@code lock *(u64 *)(r1 + 0x0) += r2}). Numbers are hex as llvm-objdump-19 prints them; jump
 * offsets are relative slot counts. Pseudo lddw forms that llvm does not know are printed in the
 * style of bpftool ({@code r1 = map[fd:3] ll}), kfunc calls as {@code call kfunc 0x..}.
 *
 * <p>Loads and stores name 64-bit registers ({@code r0 = *(u32 *)(r1 + 0x4)}, as llvm-objdump's default
 * and the kernel print them); 32-bit atomics name 32-bit registers ({@code w2 = atomic_fetch_add((u32 *)..., w2)},
 * as llvm-objdump {@code --mcpu=v3} and later print them; the default mode mis-decodes them).
 */
public final class Disassembler {
    private Disassembler() {
    }

    /** Disassembles the whole program, one line per instruction: {@code index: text}. */
    public static String disassemble(Program p) {
        StringBuilder sb = new StringBuilder();
        for (int pc = 0; pc < p.length(); pc++) {
            Insn i = p.insn(pc);
            Op op = i.op();
            sb.append(String.format("%5d: ", pc)).append(format(p, pc)).append('\n');
            if (op != null && op.kind == Op.Kind.LDDW) {
                pc++;
            }
        }
        return sb.toString();
    }

    /** Disassembles the instruction at pc (an lddw reads the slot after it too). */
    public static String format(Program p, int pc) {
        Insn next = pc + 1 < p.length() ? p.insn(pc + 1) : null;
        return format(p.insn(pc), next);
    }

    /** Disassembles one instruction; next is the following slot (used by lddw), may be null. */
    public static String format(Insn i, Insn next) {
        Op op = i.op();
        if (op == null) {
            return String.format("<invalid opcode 0x%02x>", i.code());
        }
        boolean w = op.is32();
        String d = reg(w, i.dst());
        String s = reg(w, i.src());
        return switch (op.kind) {
            case ALU -> d + " " + op.symbol + " " + (op.source == Op.Source.REG ? s : hex(i.imm()));
            case NEG -> d + " = -" + d;
            case MOVSX -> d + " = (s" + i.off() + ")" + s;
            case END -> {
                String name = op.mnemonic.replaceAll("[0-9]", "");
                yield "r" + i.dst() + " = " + name + i.imm() + " r" + i.dst();
            }
            case JUMP -> "if " + d + " " + op.symbol + " " + (op.source == Op.Source.REG ? s : hex(i.imm()))
                    + " goto " + signedHex(i.off());
            case JA -> "goto " + signedHex(i.off());
            case JA32 -> "gotol " + signedHex(i.imm());
            case CALL, CALL_LOCAL -> "call " + hex(i.imm());
            case CALL_KFUNC -> "call kfunc " + hex(i.imm());
            case CALLX -> "callx r" + i.dst();
            case EXIT -> "exit";
            case LDX, LDXSX -> "r" + i.dst() + " = *(" + op.symbol + " *)" + mem(i.src(), i.off());
            case ST -> "*(" + op.symbol + " *)" + mem(i.dst(), i.off()) + " = " + hex(i.imm());
            case STX -> "*(" + op.symbol + " *)" + mem(i.dst(), i.off()) + " = r" + i.src();
            case ATOMIC -> atomic(op, i);
            case LDDW -> lddw(op, i, next);
            case LD_ABS -> "r0 = *(" + op.symbol + " *)skb[" + hex(i.imm()) + "]";
            case LD_IND -> "r0 = *(" + op.symbol + " *)skb[r" + i.src() + (i.imm() == 0 ? "" : " + " + hex(i.imm())) + "]";
        };
    }

    private static String atomic(Op op, Insn i) {
        boolean w = op.width == 4;
        String bits = w ? "u32" : "u64";
        String s = reg(w, i.src());
        String m = mem(i.dst(), i.off());
        String name = op.name().substring(9); // after "ATOMICnn_"
        return switch (name) {
            case "ADD", "OR", "AND", "XOR" -> "lock *(" + bits + " *)" + m + " " + op.symbol + " " + s;
            case "XCHG" -> s + " = xchg" + (w ? "32_32" : "_64") + "(" + m.substring(1, m.length() - 1) + ", " + s + ")";
            case "CMPXCHG" -> reg(w, 0) + " = cmpxchg" + (w ? "32_32" : "_64") + "(" + m.substring(1, m.length() - 1)
                    + ", " + reg(w, 0) + ", " + s + ")";
            default -> s + " = atomic_fetch_" + op.symbol + "((" + bits + " *)" + m + ", " + s + ")";
        };
    }

    private static String lddw(Op op, Insn i, Insn next) {
        long hi = next == null ? 0 : next.imm();
        long v = (hi << 32) | (i.imm() & 0xffffffffL);
        String r = "r" + i.dst() + " = ";
        return switch (op) {
            case LDDW -> r + hex(v) + " ll"; // signed, as llvm-objdump prints it
            case LDDW_MAP_FD -> r + "map[fd:" + i.imm() + "] ll";
            case LDDW_MAP_VALUE -> r + "map[fd:" + i.imm() + "][0]+" + hi + " ll";
            case LDDW_BTF_ID -> r + "btf_var[id:" + i.imm() + "] ll";
            case LDDW_FUNC -> r + "func[" + signedHex(i.imm()) + "] ll";
            case LDDW_MAP_IDX -> r + "map[idx:" + i.imm() + "] ll";
            case LDDW_MAP_IDX_VALUE -> r + "map[idx:" + i.imm() + "][0]+" + hi + " ll";
            default -> throw new IllegalStateException(op.name());
        };
    }

    static String reg(boolean w, int r) {
        return (w ? "w" : "r") + r;
    }

    static String mem(int base, int off) {
        return "(r" + base + (off < 0 ? " - " + hex(-(long) off) : " + " + hex(off)) + ")";
    }

    static String hex(long v) {
        return v < 0 ? "-0x" + Long.toHexString(-v) : "0x" + Long.toHexString(v); // MIN_VALUE: -0x8000000000000000
    }

    static String signedHex(long v) {
        return v < 0 ? hex(v) : "+" + hex(v);
    }
}
