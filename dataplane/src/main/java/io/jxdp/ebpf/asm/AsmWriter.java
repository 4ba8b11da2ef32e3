package io.jxdp.ebpf.asm;

import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;

/**
 * Writes a program back in the conformance {@code -- asm} syntax that {@link Assembler} reads, with
 * jump targets as {@code +N/-N}; assembling the output gives the same slots back. Pseudo lddw forms
 * (map fd, BTF id, ...) have no such syntax and are rejected.
 */
public final class AsmWriter {
    private AsmWriter() {
    }

    /** The program as assembler source, one instruction per line. */
    public static String write(Program p) {
        StringBuilder sb = new StringBuilder();
        for (int pc = 0; pc < p.length(); pc++) {
            Insn i = p.insn(pc);
            Op op = i.op();
            if (op == null) {
                throw new IllegalArgumentException(String.format("pc %d: unknown opcode 0x%02x", pc, i.code()));
            }
            Insn next = op.kind == Op.Kind.LDDW && pc + 1 < p.length() ? p.insn(++pc) : null;
            sb.append(line(op, i, next)).append('\n');
        }
        return sb.toString();
    }

    /** One instruction in assembler syntax; next is the second slot of an lddw. */
    public static String line(Op op, Insn i, Insn next) {
        String m = op.mnemonic;
        String d = "%r" + i.dst();
        String s = "%r" + i.src();
        return switch (op.kind) {
            case ALU -> m + " " + d + ", " + (op.source == Op.Source.REG ? s : num(i.imm()));
            case NEG, END, CALLX -> (op.kind == Op.Kind.CALLX ? "call" : m) + " " + d;
            case MOVSX -> m + " " + d + ", " + s;
            case JUMP -> m + " " + d + ", " + (op.source == Op.Source.REG ? s : num(i.imm())) + ", " + rel(i.off());
            case JA -> m + " " + rel(i.off());
            case JA32, CALL_LOCAL -> m + " " + rel(i.imm());
            case CALL, CALL_KFUNC -> m + " " + i.imm();
            case EXIT -> m;
            case LDX, LDXSX -> m + " " + d + ", " + mem(i.src(), i.off());
            case ST -> m + " " + mem(i.dst(), i.off()) + ", " + num(i.imm());
            case STX, ATOMIC -> m + " " + mem(i.dst(), i.off()) + ", " + s;
            case LDDW -> {
                if (op != Op.LDDW) {
                    throw new IllegalArgumentException("no assembler syntax for pseudo lddw " + op.name());
                }
                long hi = next == null ? 0 : next.imm();
                yield m + " " + d + ", 0x" + Long.toHexString((hi << 32) | (i.imm() & 0xffffffffL));
            }
            case LD_ABS -> m + " " + num(i.imm());
            case LD_IND -> m + " " + s + ", " + num(i.imm());
        };
    }

    private static String num(int v) {
        return v < 0 ? Integer.toString(v) : "0x" + Integer.toHexString(v);
    }

    private static String rel(int v) {
        return v < 0 ? Integer.toString(v) : "+" + v;
    }

    private static String mem(int base, int off) {
        return "[%r" + base + (off < 0 ? "-" + (-off) : "+" + off) + "]";
    }
}
