package io.jxdp.ebpf.verifier;

import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * Structural checks before any path is walked (kernel {@code check_subprogs()}, {@code check_cfg()},
 * {@code resolve_pseudo_ldimm64()} and the reserved-field checks of {@code do_check()}): valid
 * opcodes and registers, well-formed LD_IMM64 pairs, jumps that land inside their own function
 * and not inside an LD_IMM64, no unreachable instruction, every function ending in EXIT or a jump.
 * Also computes the prune points and, by a backward data-flow pass, the registers live at each
 * instruction, which state pruning may ignore when dead.
 */
final class Cfg {
    final Program prog;
    final int len;
    final Insn[] insns;
    final Op[] ops;
    /** Function entry points, sorted; element 0 is 0. */
    final int[] funcStarts;
    /** Function index of each slot. */
    final int[] funcOf;
    final boolean[] prunePoint;
    /** Helper calls that call a callback (bpf_loop, bpf_for_each_map_elem): the callback returns here. */
    final boolean[] callsCallback;
    /** Bit r set: register r is live on entry to the instruction. */
    final int[] liveIn;
    /**
     * Bit r set: the value register r holds on entry may reach a safety-relevant use (see
     * {@link #computeRelevance()}); a live scalar without the bit is compared loosely when pruning.
     */
    final int[] relevantIn;
    private final List<MapInfo> maps;

    Cfg(Program prog, List<MapInfo> maps) {
        this.prog = prog;
        this.maps = maps;
        this.len = prog.length();
        this.insns = new Insn[len];
        this.ops = new Op[len];
        if (len == 0) {
            throw new Reject(-1, "program is empty: it must have at least one instruction (an exit)");
        }
        if (len > VerifierOptions.COMPLEXITY_LIMIT) {
            throw new Reject(-1, "program has " + len + " instructions, more than the limit of "
                    + VerifierOptions.COMPLEXITY_LIMIT);
        }
        decode();
        TreeSet<Integer> starts = new TreeSet<>();
        starts.add(0);
        for (int pc = 0; pc < len; pc++) {
            Op op = ops[pc];
            if (op == Op.CALL_LOCAL || op == Op.LDDW_FUNC) {
                long t = (long) pc + 1 + insns[pc].imm();
                if (t < 0 || t >= len) {
                    throw new Reject(pc, "call to instruction " + t + " is outside the program (0.." + (len - 1) + ")");
                }
                if (ops[(int) t] == null) {
                    throw new Reject(pc, "call into the middle of ldimm64 insn " + (t - 1));
                }
                starts.add((int) t);
            }
        }
        funcStarts = starts.stream().mapToInt(Integer::intValue).toArray();
        funcOf = new int[len];
        for (int f = 0; f < funcStarts.length; f++) {
            int end = f + 1 < funcStarts.length ? funcStarts[f + 1] : len;
            Arrays.fill(funcOf, funcStarts[f], end, f);
        }
        prunePoint = new boolean[len];
        callsCallback = new boolean[len];
        for (int pc = 0; pc < len; pc++) {
            if (ops[pc] == Op.CALL && Helpers.takesCallback(insns[pc].imm())) {
                // the kernel forces a checkpoint at callback call sites (mark_force_checkpoint()):
                // each return from the callback comes back here, and pruning there ends the iteration
                callsCallback[pc] = true;
                prunePoint[pc] = true;
            }
        }
        checkJumps();
        checkReachable();
        liveIn = new int[len];
        computeLiveness();
        relevantIn = new int[len];
        computeRelevance();
    }

    int funcEnd(int f) {
        return f + 1 < funcStarts.length ? funcStarts[f + 1] : len;
    }

    private void decode() {
        for (int pc = 0; pc < len; pc++) {
            Insn i = prog.insn(pc);
            insns[pc] = i;
            Op op = Op.of(i);
            if (op == null) {
                throw new Reject(pc, String.format("unknown opcode 0x%02x (no eBPF instruction has this code"
                        + " with these fields)", i.code()));
            }
            ops[pc] = op;
            checkFields(pc, i, op);
            if (op.kind == Op.Kind.LDDW) {
                if (pc + 1 >= len) {
                    throw new Reject(pc, "invalid bpf_ld_imm64 insn: the 16-byte load is cut off by the end of the program");
                }
                Insn hi = prog.insn(pc + 1);
                if (hi.code() != 0 || hi.dst() != 0 || hi.src() != 0 || hi.off() != 0) {
                    throw new Reject(pc, "invalid bpf_ld_imm64 insn: its second slot must have code, registers and offset 0");
                }
                checkPseudo(pc, i, hi, op);
                insns[pc + 1] = hi;
                ops[pc + 1] = null; // second half: not an instruction
                pc++;
            }
        }
    }

    private void checkPseudo(int pc, Insn i, Insn hi, Op op) {
        switch (op) {
            case LDDW -> { }
            case LDDW_MAP_FD, LDDW_MAP_VALUE -> {
                if (i.imm() < 0 || i.imm() >= maps.size()) {
                    throw new Reject(pc, "fd " + i.imm() + " is not pointing to valid bpf_map (the program has "
                            + maps.size() + " map" + (maps.size() == 1 ? "" : "s") + ")");
                }
                if (op == Op.LDDW_MAP_VALUE) {
                    MapInfo m = maps.get(i.imm());
                    if (m.type() != Helpers.ARRAY) {
                        throw new Reject(pc, "direct value access (BPF_PSEUDO_MAP_VALUE) needs an array map, map "
                                + i.imm() + " has type " + m.type());
                    }
                    long off = hi.imm() & 0xffffffffL;
                    if (off >= m.valueSize()) {
                        throw new Reject(pc, "invalid access to map value pointer, value_size=" + m.valueSize()
                                + " off=" + off);
                    }
                }
            }
            case LDDW_FUNC -> {
                if (hi.imm() != 0) {
                    throw new Reject(pc, "invalid bpf_ld_imm64 insn: a BPF_PSEUDO_FUNC has imm 0 in its second slot");
                }
            }
            default -> throw new Reject(pc, "ld_imm64 with src_reg " + i.src()
                    + " (BTF ids, fd_array indexes) is not supported");
        }
        if (i.dst() > 10) {
            throw new Reject(pc, "R" + i.dst() + " is invalid: registers are r0..r10");
        }
    }

    /** Registers in range and reserved fields zero, as do_check() demands per class. */
    private void checkFields(int pc, Insn i, Op op) {
        String cls = switch (i.code() & 7) {
            case 0 -> "BPF_LD";
            case 1 -> "BPF_LDX";
            case 2 -> "BPF_ST";
            case 3 -> "BPF_STX";
            case 4 -> "BPF_ALU";
            case 5 -> "BPF_JMP";
            case 6 -> "BPF_JMP32";
            default -> "BPF_ALU64";
        };
        boolean bad = switch (op.kind) {
            case ALU -> op.source == Op.Source.IMM ? i.src() != 0 || op.disc != Op.Disc.OFF && i.off() != 0
                    : i.imm() != 0 || op.disc != Op.Disc.OFF && i.off() != 0;
            case NEG -> i.src() != 0 || i.off() != 0 || i.imm() != 0;
            case MOVSX -> i.imm() != 0;
            case END -> i.src() != 0 || i.off() != 0;
            case JUMP -> op.source == Op.Source.IMM ? i.src() != 0 : i.imm() != 0;
            case JA -> i.src() != 0 || i.dst() != 0 || i.imm() != 0;
            case JA32 -> i.src() != 0 || i.dst() != 0 || i.off() != 0;
            case CALL, CALL_LOCAL, CALL_KFUNC -> i.dst() != 0 || i.off() != 0;
            case EXIT -> i.src() != 0 || i.dst() != 0 || i.off() != 0 || i.imm() != 0;
            case LDX, LDXSX -> i.imm() != 0;
            case ST -> i.src() != 0;
            case STX -> i.imm() != 0;
            case LDDW -> i.off() != 0;
            default -> false;
        };
        if (bad) {
            throw new Reject(pc, cls + " uses reserved fields: an unused field of this instruction is not zero");
        }
        boolean usesDst = switch (op.kind) {
            case CALL, CALL_LOCAL, CALL_KFUNC, EXIT, JA, JA32, LD_ABS, LD_IND -> false;
            default -> true;
        };
        boolean usesSrc = op.source == Op.Source.REG && op.kind != Op.Kind.END || op.kind == Op.Kind.LDX
                || op.kind == Op.Kind.LDXSX;
        if (usesDst && i.dst() > 10) {
            throw new Reject(pc, "R" + i.dst() + " is invalid: registers are r0..r10");
        }
        if (usesSrc && i.src() > 10) {
            throw new Reject(pc, "R" + i.src() + " is invalid: registers are r0..r10");
        }
    }

    /** Jump target of a jump at pc, or -1 when op does not jump by offset. */
    int target(int pc) {
        Op op = ops[pc];
        return switch (op.kind) {
            case JUMP, JA -> pc + 1 + insns[pc].off();
            case JA32 -> pc + 1 + insns[pc].imm();
            default -> -1;
        };
    }

    private void checkJumps() {
        for (int f = 0; f < funcStarts.length; f++) {
            int start = funcStarts[f];
            int end = funcEnd(f);
            int last = end - 1;
            if (ops[last] == null) {
                last--; // second half of an LD_IMM64
            }
            Op lastOp = ops[last];
            if (lastOp == null || lastOp.kind != Op.Kind.EXIT && lastOp.kind != Op.Kind.JA && lastOp.kind != Op.Kind.JA32) {
                throw new Reject(last, "last insn is not an exit or jmp: the function at insn " + start
                        + " would run off its end");
            }
            for (int pc = start; pc < end; pc++) {
                if (ops[pc] == null) {
                    continue;
                }
                int t = target(pc);
                if (t == -1 && ops[pc].kind != Op.Kind.JUMP && ops[pc].kind != Op.Kind.JA) {
                    continue;
                }
                if (t < start || t >= end) {
                    throw new Reject(pc, "jump out of range from insn " + pc + " to " + t
                            + (t >= 0 && t < len ? " (outside its function, insns " + start + ".." + (end - 1) + ")" : ""));
                }
                if (ops[t] == null) {
                    throw new Reject(pc, "jump into the middle of ldimm64 insn " + (t - 1));
                }
                prunePoint[t] = true;
                if (ops[pc].kind == Op.Kind.JUMP) {
                    prunePoint[pc + 1] = true;
                }
            }
        }
    }

    private void checkReachable() {
        boolean[] seen = new boolean[len];
        ArrayDeque<Integer> work = new ArrayDeque<>();
        work.push(0);
        seen[0] = true;
        while (!work.isEmpty()) {
            int pc = work.pop();
            for (int s : successors(pc, true)) {
                if (!seen[s]) {
                    seen[s] = true;
                    work.push(s);
                }
            }
        }
        for (int pc = 0; pc < len; pc++) {
            if (ops[pc] != null && !seen[pc]) {
                throw new Reject(pc, "unreachable insn " + pc + ": no path from the program's entry leads here");
            }
        }
    }

    /** Successor instructions; with {@code intoCalls} a local call also leads to its callee. */
    List<Integer> successors(int pc, boolean intoCalls) {
        Op op = ops[pc];
        List<Integer> out = new ArrayList<>(2);
        switch (op.kind) {
            case EXIT -> { }
            case JA, JA32 -> out.add(target(pc));
            case JUMP -> {
                out.add(pc + 1);
                out.add(target(pc));
            }
            case CALL_LOCAL -> {
                out.add(pc + 1);
                if (intoCalls) {
                    out.add(pc + 1 + insns[pc].imm());
                }
            }
            case LDDW -> {
                out.add(pc + 2);
                if (intoCalls && op == Op.LDDW_FUNC) {
                    out.add(pc + 1 + insns[pc].imm()); // the callback is reached through the helper that calls it
                }
            }
            default -> out.add(pc + op.slots());
        }
        return out;
    }

    /**
     * A static stand-in for the kernel's precision tracking ({@code mark_chain_precision()}): the
     * kernel prunes states whose scalars differ when those scalars never decided a branch, moved a
     * pointer or sized a helper argument. Here, backwards over the CFG, a register's value is
     * relevant when it may flow (through moves and ALU operations) into a conditional jump, pointer
     * arithmetic (any 64-bit add/sub with a register), a memory base, a helper or function argument,
     * a subprogram's return value, or a store that may target the stack (whose contents are compared
     * exactly and may be reloaded). Everything else (e.g. flags accumulated and stored into a map,
     * the main program's return code) cannot change which paths exist or whether a check passes,
     * so two states differing only there are equally safe. Deliberately conservative: every branch
     * operand counts, decided or not, and any store through a possible stack pointer counts.
     */
    private void computeRelevance() {
        int[] mayStack = mayStackPointers();
        int[] out = new int[len];
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int pc = len - 1; pc >= 0; pc--) {
                Op op = ops[pc];
                if (op == null) {
                    continue;
                }
                int o = 0;
                for (int t : successors(pc, false)) {
                    if (t >= 0 && t < len) {
                        o |= relevantIn[t];
                    }
                }
                out[pc] = o;
                Insn i = insns[pc];
                int d = 1 << i.dst();
                int sr = 1 << i.src();
                boolean dOut = (o & d) != 0;
                int in;
                switch (op.kind) {
                    case ALU -> {
                        boolean mov = op.mnemonic.startsWith("mov");
                        boolean reg = op.source == Op.Source.REG;
                        boolean addSub64 = op.width == 64 && (op.mnemonic.equals("add") || op.mnemonic.equals("sub"));
                        if (mov) {
                            in = (o & ~d) | (dOut && reg ? sr : 0);
                        } else if (addSub64 && reg) {
                            in = o | d | sr; // may be pointer arithmetic
                        } else {
                            in = o | (dOut && reg ? sr : 0);
                        }
                    }
                    case MOVSX -> in = (o & ~d) | (dOut ? sr : 0);
                    case NEG, END -> in = o;
                    case LDX, LDXSX -> in = (o & ~d) | sr;
                    case ST -> in = o | d;
                    case STX -> in = o | d | ((mayStack[pc] & d) != 0 ? sr : 0);
                    case ATOMIC -> in = o | d | sr | 1;
                    case LDDW -> in = o & ~d;
                    case JUMP -> in = o | d | (op.source == Op.Source.REG ? sr : 0);
                    case CALL, CALL_LOCAL, CALL_KFUNC, CALLX -> in = (o & ~0x3f) | 0x3e;
                    case EXIT -> in = funcOf[pc] == 0 ? 0 : 1;
                    default -> in = 0x7ff;
                }
                in |= 1 << 10;
                if (in != relevantIn[pc]) {
                    relevantIn[pc] = in;
                    changed = true;
                }
            }
        }
    }

    /** Forward: registers that may hold a pointer into some stack frame on entry to each instruction. */
    private int[] mayStackPointers() {
        int[] in = new int[len];
        boolean[] seen = new boolean[len];
        ArrayDeque<Integer> work = new ArrayDeque<>();
        for (int f = 0; f < funcStarts.length; f++) {
            int e = funcStarts[f];
            in[e] = 1 << 10 | (f == 0 ? 0 : 0x3e); // a subprogram's arguments may point into its caller's stack
            seen[e] = true;
            work.add(e);
        }
        while (!work.isEmpty()) {
            int pc = work.poll();
            Op op = ops[pc];
            Insn i = insns[pc];
            int v = in[pc];
            int d = 1 << i.dst();
            int sBit = (v >> i.src()) & 1;
            int dBit = (v >> i.dst()) & 1;
            int o = switch (op.kind) {
                case ALU -> {
                    String m = op.mnemonic;
                    if (m.equals("mov")) {
                        yield op.source == Op.Source.REG ? (v & ~d) | (sBit << i.dst()) : v & ~d;
                    }
                    if (m.equals("add") || m.equals("sub")) {
                        yield v | ((op.source == Op.Source.REG ? sBit | dBit : dBit) << i.dst());
                    }
                    yield v & ~d;
                }
                case MOVSX, NEG, END, LDDW -> v & ~d;
                case LDX, LDXSX -> (v & ~d) | (sBit << i.dst());
                case ATOMIC -> v | (dBit << i.src()) | dBit;
                case CALL, CALL_LOCAL, CALL_KFUNC, CALLX -> v & ~0x3f;
                default -> v;
            };
            o |= 1 << 10;
            for (int t : successors(pc, false)) {
                if (t < 0 || t >= len || ops[t] == null) {
                    continue;
                }
                int merged = in[t] | o;
                if (!seen[t] || merged != in[t]) {
                    in[t] = merged;
                    seen[t] = true;
                    work.add(t);
                }
            }
        }
        return in;
    }

    private void computeLiveness() {
        int[] use = new int[len];
        int[] def = new int[len];
        for (int pc = 0; pc < len; pc++) {
            Op op = ops[pc];
            if (op == null) {
                continue;
            }
            Insn i = insns[pc];
            int d = 1 << i.dst();
            int s = 1 << i.src();
            switch (op.kind) {
                case ALU -> {
                    boolean mov = op.mnemonic.startsWith("mov");
                    use[pc] = (mov ? 0 : d) | (op.source == Op.Source.REG ? s : 0);
                    def[pc] = d;
                }
                case NEG, END -> {
                    use[pc] = d;
                    def[pc] = d;
                }
                case MOVSX, LDX, LDXSX -> {
                    use[pc] = s;
                    def[pc] = d;
                }
                case ST -> use[pc] = d;
                case STX -> use[pc] = d | s;
                case ATOMIC -> {
                    use[pc] = d | s | (op == Op.ATOMIC32_CMPXCHG || op == Op.ATOMIC64_CMPXCHG ? 1 : 0);
                    def[pc] = op.discValue == 0 || op.discValue == 64 || op.discValue == 80 || op.discValue == 160 ? 0
                            : (op.mnemonic.contains("cmpxchg") ? 1 : s);
                }
                case LDDW -> def[pc] = d;
                case JUMP -> use[pc] = d | (op.source == Op.Source.REG ? s : 0);
                case CALL -> {
                    Helpers.Proto p = Helpers.proto(i.imm());
                    int n = p == null ? 5 : p.args().length;
                    use[pc] = ((1 << (n + 1)) - 1) & ~1;
                    def[pc] = 0x3f;
                }
                case CALL_LOCAL, CALL_KFUNC, CALLX -> {
                    use[pc] = 0x3e | (op.kind == Op.Kind.CALLX ? d : 0);
                    def[pc] = 0x3f;
                }
                case EXIT -> use[pc] = 1;
                case LD_ABS, LD_IND -> {
                    use[pc] = 0x7ff;
                    def[pc] = 0x3f;
                }
                default -> { }
            }
            use[pc] |= 1 << 10; // the frame pointer is always live
        }
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int pc = len - 1; pc >= 0; pc--) {
                if (ops[pc] == null) {
                    continue;
                }
                int out = 0;
                for (int t : successors(pc, false)) {
                    if (t >= 0 && t < len) {
                        out |= liveIn[t];
                    }
                }
                int in = use[pc] | (out & ~def[pc]);
                if (in != liveIn[pc]) {
                    liveIn[pc] = in;
                    changed = true;
                }
            }
        }
    }
}
