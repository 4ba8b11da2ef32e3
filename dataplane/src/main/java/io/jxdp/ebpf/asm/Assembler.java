package io.jxdp.ebpf.asm;

import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Assembler for the bpf_conformance / uBPF {@code -- asm} syntax: one instruction per line,
 * registers {@code %r0..%r10}, memory operands {@code [%rN+off]}, a {@code 32} suffix for the ALU
 * and JMP32 classes, {@code lock [fetch] op[32] [..], %rS}, {@code call N | %rN | local label},
 * labels {@code name:} on their own line, jump targets as labels or {@code +N/-N} slots, the
 * implicit label {@code exit} at the first {@code exit}, and {@code #} comments. Mnemonics come from
 * {@link Op#mnemonic}; {@code swapN} is accepted for {@code bswapN}.
 */
public final class Assembler {
    private static final Map<String, Op[]> MNEMONICS = new HashMap<>();
    private static final Pattern LABEL = Pattern.compile("[A-Za-z_.][A-Za-z0-9_.]*");
    private static final Pattern NUMBER = Pattern.compile("[+-]?(0[xX][0-9a-fA-F]+|[0-9]+)");
    private static final Pattern MEM = Pattern.compile("\\[\\s*%r(\\d+)\\s*(?:([+-])\\s*(0[xX][0-9a-fA-F]+|[0-9]+))?\\s*]");

    static {
        for (Op op : Op.values()) {
            if (op.kind == Op.Kind.LDDW && op != Op.LDDW) {
                continue; // pseudo lddw forms have no conformance syntax
            }
            Op[] pair = MNEMONICS.computeIfAbsent(op.mnemonic, m -> new Op[2]);
            pair[op.source == Op.Source.REG && (op.kind == Op.Kind.ALU || op.kind == Op.Kind.JUMP) ? 1 : 0] = op;
        }
        for (int w : new int[] {16, 32, 64}) {
            MNEMONICS.put("swap" + w, MNEMONICS.get("bswap" + w));
        }
    }

    private Assembler() {
    }

    /** Assembles source text into a program. */
    public static Program assemble(String source) {
        return Program.of(assembleInsns(source));
    }

    /** Assembles source text into its slots (an lddw gives two). */
    public static List<Insn> assembleInsns(String source) {
        return new Assembler.Run(source).run();
    }

    private record Pending(int lineNo, int slot, Op op, Line line, List<Tok> operands) {
    }

    private record Tok(String text, int column) {
    }

    private record Line(int number, String text) {
    }

    private static final class Run {
        private final String source;
        private final Map<String, Integer> labels = new HashMap<>();
        private final List<Pending> pending = new ArrayList<>();
        private int firstExit = -1;

        Run(String source) {
            this.source = source;
        }

        List<Insn> run() {
            String[] lines = source.split("\r?\n", -1);
            int slot = 0;
            for (int ln = 0; ln < lines.length; ln++) {
                String raw = lines[ln];
                int hash = raw.indexOf('#');
                String text = hash >= 0 ? raw.substring(0, hash) : raw;
                Line line = new Line(ln + 1, text);
                int start = firstNonSpace(text, 0);
                if (start == text.length()) {
                    continue;
                }
                String trimmed = text.strip();
                if (trimmed.endsWith(":")) {
                    String name = trimmed.substring(0, trimmed.length() - 1).strip();
                    if (!LABEL.matcher(name).matches()) {
                        throw new AsmException(ln + 1, start + 1, "expected a label name before ':', found '" + name + "'");
                    }
                    if (labels.putIfAbsent(name, slot) != null) {
                        throw new AsmException(ln + 1, start + 1, "label '" + name + "' is defined twice");
                    }
                    continue;
                }
                List<Tok> words = words(text);
                int w = 0;
                String m = words.get(w++).text;
                if (m.equals("lock")) {
                    if (w < words.size() && words.get(w).text.equals("fetch")) {
                        m += " fetch";
                        w++;
                    }
                    if (w >= words.size()) {
                        throw new AsmException(ln + 1, text.length() + 1, "expected an atomic operation after '" + m + "'");
                    }
                    m += " " + words.get(w++).text;
                } else if (m.equals("call") && w < words.size()
                        && (words.get(w).text.equals("local") || words.get(w).text.equals("kfunc"))) {
                    m = "call " + words.get(w++).text;
                }
                Op op;
                String rest;
                int restColumn;
                if (w < words.size()) {
                    restColumn = words.get(w).column;
                    rest = text.substring(restColumn - 1);
                } else {
                    restColumn = text.length() + 1;
                    rest = "";
                }
                List<Tok> operands = operands(rest, restColumn);
                if (m.equals("call")) {
                    boolean reg = operands.size() == 1 && operands.get(0).text.startsWith("%");
                    op = reg ? Op.CALLX : Op.CALL;
                } else {
                    Op[] pair = MNEMONICS.get(m);
                    if (pair == null) {
                        throw new AsmException(ln + 1, start + 1, "unknown mnemonic '" + m + "'");
                    }
                    op = pair[0] != null ? pair[0] : pair[1];
                    if (pair[0] != null && pair[1] != null) {
                        int idx = op.kind == Op.Kind.JUMP || op.kind == Op.Kind.ALU ? 1 : -1;
                        if (operands.size() > idx && operands.get(idx).text.startsWith("%")) {
                            op = pair[1];
                        }
                    }
                }
                if (op == Op.EXIT && firstExit < 0) {
                    firstExit = slot;
                }
                pending.add(new Pending(ln + 1, slot, op, line, operands));
                slot += op.slots();
            }
            if (firstExit >= 0) {
                labels.putIfAbsent("exit", firstExit);
            }
            List<Insn> out = new ArrayList<>();
            for (Pending p : pending) {
                encode(p, out);
            }
            return out;
        }

        private void encode(Pending p, List<Insn> out) {
            Op op = p.op;
            List<Tok> o = p.operands;
            switch (op.kind) {
                case ALU -> {
                    expect(p, 2, "register, register or immediate");
                    int d = reg(p, o.get(0));
                    if (op.source == Op.Source.REG) {
                        out.add(op.insn(d, reg(p, o.get(1)), 0, 0));
                    } else {
                        out.add(op.insn(d, 0, 0, imm32(p, o.get(1))));
                    }
                }
                case NEG, END -> {
                    expect(p, 1, "register");
                    out.add(op.insn(reg(p, o.get(0)), 0, 0, 0));
                }
                case MOVSX -> {
                    expect(p, 2, "register, register");
                    out.add(op.insn(reg(p, o.get(0)), reg(p, o.get(1)), 0, 0));
                }
                case JUMP -> {
                    expect(p, 3, "register, register or immediate, target");
                    int d = reg(p, o.get(0));
                    int target = target(p, o.get(2), 16);
                    if (op.source == Op.Source.REG) {
                        out.add(op.insn(d, reg(p, o.get(1)), target, 0));
                    } else {
                        out.add(op.insn(d, 0, target, imm32(p, o.get(1))));
                    }
                }
                case JA -> {
                    expect(p, 1, "jump target");
                    out.add(op.insn(0, 0, target(p, o.get(0), 16), 0));
                }
                case JA32 -> {
                    expect(p, 1, "jump target");
                    out.add(op.insn(0, 0, 0, target(p, o.get(0), 32)));
                }
                case CALL, CALL_KFUNC -> {
                    expect(p, 1, "helper id");
                    out.add(op.insn(0, 0, 0, imm32(p, o.get(0))));
                }
                case CALL_LOCAL -> {
                    expect(p, 1, "function label");
                    out.add(op.insn(0, 0, 0, target(p, o.get(0), 32)));
                }
                case CALLX -> {
                    expect(p, 1, "register");
                    out.add(op.insn(reg(p, o.get(0)), 0, 0, 0));
                }
                case EXIT -> {
                    expect(p, 0, "nothing");
                    out.add(op.insn(0, 0, 0, 0));
                }
                case LDX, LDXSX -> {
                    expect(p, 2, "register, memory operand [%rN+off]");
                    int d = reg(p, o.get(0));
                    int[] m = mem(p, o.get(1));
                    out.add(op.insn(d, m[0], m[1], 0));
                }
                case ST -> {
                    expect(p, 2, "memory operand [%rN+off], immediate");
                    int[] m = mem(p, o.get(0));
                    out.add(op.insn(m[0], 0, m[1], imm32(p, o.get(1))));
                }
                case STX, ATOMIC -> {
                    expect(p, 2, "memory operand [%rN+off], register");
                    int[] m = mem(p, o.get(0));
                    out.add(op.insn(m[0], reg(p, o.get(1)), m[1], 0));
                }
                case LDDW -> {
                    expect(p, 2, "register, 64-bit immediate");
                    int d = reg(p, o.get(0));
                    long v = imm64(p, o.get(1));
                    out.add(op.insn(d, 0, 0, (int) v));
                    out.add(new Insn(0, 0, 0, 0, (int) (v >>> 32)));
                }
                case LD_ABS -> {
                    expect(p, 1, "immediate");
                    out.add(op.insn(0, 0, 0, imm32(p, o.get(0))));
                }
                case LD_IND -> {
                    expect(p, 2, "register, immediate");
                    out.add(op.insn(0, reg(p, o.get(0)), 0, imm32(p, o.get(1))));
                }
            }
        }

        private void expect(Pending p, int n, String what) {
            if (p.operands.size() != n) {
                int col = p.operands.size() > n ? p.operands.get(n).column : p.line.text.stripTrailing().length() + 1;
                throw new AsmException(p.lineNo, col, "'" + p.op.mnemonic + "' expects " + n + " operand"
                        + (n == 1 ? "" : "s") + " (" + what + "), found " + p.operands.size());
            }
        }

        private int reg(Pending p, Tok t) {
            Matcher m = Pattern.compile("%r(\\d+)").matcher(t.text);
            if (!m.matches() || Integer.parseInt(m.group(1)) > 10) {
                throw new AsmException(p.lineNo, t.column, "expected a register %r0..%r10, found '" + t.text + "'");
            }
            return Integer.parseInt(m.group(1));
        }

        private int[] mem(Pending p, Tok t) {
            Matcher m = MEM.matcher(t.text);
            if (!m.matches() || Integer.parseInt(m.group(1)) > 10) {
                throw new AsmException(p.lineNo, t.column, "expected a memory operand [%rN+off], found '" + t.text + "'");
            }
            long off = 0;
            if (m.group(3) != null) {
                off = parse(m.group(3));
                if (m.group(2).equals("-")) {
                    off = -off;
                }
            }
            if (off != (short) off) {
                throw new AsmException(p.lineNo, t.column, "offset " + off + " does not fit in 16 signed bits");
            }
            return new int[] {Integer.parseInt(m.group(1)), (int) off};
        }

        private int imm32(Pending p, Tok t) {
            if (!NUMBER.matcher(t.text).matches()) {
                throw new AsmException(p.lineNo, t.column, "expected an immediate number, found '" + t.text + "'");
            }
            BigInteger v = big(t.text);
            // accept both the signed and the unsigned reading of 32 bits (0x80000000 == -2147483648)
            if (v.compareTo(BigInteger.valueOf(Integer.MIN_VALUE)) < 0 || v.compareTo(BigInteger.valueOf(0xffffffffL)) > 0) {
                throw new AsmException(p.lineNo, t.column, "immediate " + t.text + " does not fit in 32 bits");
            }
            return v.intValue();
        }

        private long imm64(Pending p, Tok t) {
            if (!NUMBER.matcher(t.text).matches()) {
                throw new AsmException(p.lineNo, t.column, "expected a 64-bit immediate, found '" + t.text + "'");
            }
            BigInteger v = big(t.text);
            if (v.compareTo(BigInteger.valueOf(Long.MIN_VALUE)) < 0 || v.bitLength() > 64) {
                throw new AsmException(p.lineNo, t.column, "immediate " + t.text + " does not fit in 64 bits");
            }
            return v.longValue();
        }

        /** A jump target: a label or a relative +N/-N slot count, as the off (16 bits) or imm (32 bits). */
        private int target(Pending p, Tok t, int bits) {
            long rel;
            if (NUMBER.matcher(t.text).matches()) {
                rel = big(t.text).longValue();
            } else if (LABEL.matcher(t.text).matches()) {
                Integer at = labels.get(t.text);
                if (at == null) {
                    throw new AsmException(p.lineNo, t.column, "undefined label '" + t.text + "'");
                }
                rel = at - (p.slot + 1L);
            } else {
                throw new AsmException(p.lineNo, t.column, "expected a label or +N/-N offset, found '" + t.text + "'");
            }
            if (bits == 16 ? rel != (short) rel : rel != (int) rel) {
                throw new AsmException(p.lineNo, t.column, "jump offset " + rel + " does not fit in " + bits + " bits");
            }
            return (int) rel;
        }

        private static BigInteger big(String s) {
            boolean neg = s.startsWith("-");
            String body = s.startsWith("-") || s.startsWith("+") ? s.substring(1) : s;
            BigInteger v = body.startsWith("0x") || body.startsWith("0X")
                    ? new BigInteger(body.substring(2), 16) : new BigInteger(body);
            return neg ? v.negate() : v;
        }

        private static long parse(String s) {
            return big(s).longValue();
        }

        private static int firstNonSpace(String s, int from) {
            int i = from;
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            return i;
        }

        /** Whitespace-separated words with 1-based columns. */
        private static List<Tok> words(String text) {
            List<Tok> out = new ArrayList<>();
            int i = 0;
            while (true) {
                i = firstNonSpace(text, i);
                if (i >= text.length()) {
                    return out;
                }
                int s = i;
                while (i < text.length() && !Character.isWhitespace(text.charAt(i))) {
                    i++;
                }
                out.add(new Tok(text.substring(s, i), s + 1));
            }
        }

        /** Comma-separated operands (brackets hold no commas), trimmed, with 1-based columns. */
        private static List<Tok> operands(String rest, int column) {
            List<Tok> out = new ArrayList<>();
            if (rest.isBlank()) {
                return out;
            }
            int s = 0;
            for (int i = 0; i <= rest.length(); i++) {
                if (i == rest.length() || rest.charAt(i) == ',') {
                    String part = rest.substring(s, i);
                    int lead = firstNonSpace(part, 0);
                    out.add(new Tok(part.strip(), column + s + lead));
                    s = i + 1;
                }
            }
            return out;
        }
    }
}
