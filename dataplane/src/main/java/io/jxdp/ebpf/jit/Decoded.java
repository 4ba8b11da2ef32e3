package io.jxdp.ebpf.jit;

import io.jxdp.ebpf.asm.Disassembler;
import io.jxdp.ebpf.helper.Helper;
import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.interp.VmException;
import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ebpf.map.BpfMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The JIT's pre-pass over one program: decodes every slot once, validates what the translation
 * relies on, finds the subprograms (entry 0 and every bpf-to-bpf call target) and every jump target.
 *
 * <p>Checked here, as encoding errors (the JIT cannot translate these): unknown opcodes, registers
 * above r10, writes to r10, a malformed or truncated lddw, jump and call targets outside the
 * program or onto an lddw's second slot, jumps leaving their subprogram, a subprogram falling off
 * its end, unresolved pseudo lddw, kfunc calls, helper ids with no registered helper.
 * NOT checked (a verifier's job, trusted): memory safety, uninitialised registers, termination.
 */
final class Decoded {
    /** include/uapi/linux/bpf.h BPF_FUNC_tail_call. */
    static final int BPF_FUNC_TAIL_CALL = 12;
    final Program program;
    final int length;
    final Op[] ops;
    final byte[] dst;
    final byte[] src;
    /** The off field, or the absolute target for jumps and local calls. */
    final int[] off;
    /** imm sign-extended, or the whole 64-bit value for lddw. */
    final long[] imm;
    /** True for the second slot of an lddw. */
    final boolean[] second;
    /** True where some jump lands. */
    final boolean[] jumpTarget;
    /** Sorted start pcs of the subprograms; [0] is 0. */
    final int[] subStarts;
    /** Helpers by pc for CALL. */
    final Helper[] helperAt;
    /** True if any instruction can ask for an early stop (helper call, callx or legacy packet load). */
    final boolean mayStop;
    /**
     * True if a helper call may be a tail call (helper 12, BPF_FUNC_tail_call, or callx, whose id is
     * only known at run time): bpf-to-bpf call sites then take a tail call their callee made, and
     * the stack holds {@link CompiledProgram#TAIL_CALL_FRAMES} frames.
     */
    final boolean mayTailCall;
    /** The extra function entries given (sorted, distinct): what {@code JitCode.call} can enter besides 0. */
    final int[] entries;
    /** The registry callx looks helpers up in at run time. */
    final HelperRegistry helpers;
    /**
     * For a call of map helper 1-3 whose r1 is a map known at compile time ({@link KnownMaps}): the
     * map, by pc; null elsewhere and when no maps were given.
     */
    final BpfMap[] mapAt;

    Decoded(Program program, HelperRegistry helpers) {
        this(program, helpers, new int[0]);
    }

    /**
     * With extra function entries besides 0 and the bpf-to-bpf call targets: the first instruction of
     * every other program of a tail-call image and of every callback function (ld_imm64
     * BPF_PSEUDO_FUNC targets), so each is a subprogram of its own that can be entered directly.
     */
    Decoded(Program program, HelperRegistry helpers, int[] entries) {
        this(program, helpers, entries, null);
    }

    /** As {@link #Decoded(Program, HelperRegistry, int[])}, resolving map helper calls' maps with maps (may be null). */
    Decoded(Program program, HelperRegistry helpers, int[] entries, KnownMaps maps) {
        this.program = program;
        this.helpers = helpers;
        this.entries = java.util.Arrays.stream(entries).distinct().sorted().toArray();
        int n = program.length();
        if (n == 0) {
            throw new VmException(0, null, "empty program");
        }
        this.length = n;
        ops = new Op[n];
        dst = new byte[n];
        src = new byte[n];
        off = new int[n];
        imm = new long[n];
        second = new boolean[n];
        jumpTarget = new boolean[n];
        helperAt = new Helper[n];
        mapAt = new BpfMap[n];
        boolean stop = false;
        boolean tailCall = false;
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int e : entries) {
            if (e < 0 || e >= n) {
                throw new VmException(0, null, "function entry " + e + " is outside the program (0.." + (n - 1) + ")");
            }
            starts.add(e);
        }
        for (int pc = 0; pc < n; pc++) {
            Insn i = program.insn(pc);
            Op op = i.op();
            if (op == null) {
                throw fault(pc, String.format("unknown opcode 0x%02x", i.code()));
            }
            if (i.dst() > 10 || i.src() > 10) {
                throw fault(pc, "invalid register r" + Math.max(i.dst(), i.src()));
            }
            boolean writesSrc = op.kind == Op.Kind.ATOMIC && (op.discValue & 1) != 0; // FETCH, XCHG, CMPXCHG
            if ((op.writesDst() && i.dst() == 10) || (writesSrc && op.discValue != 241 && i.src() == 10)) {
                throw fault(pc, "r10 is the read-only frame pointer");
            }
            ops[pc] = op;
            dst[pc] = (byte) i.dst();
            src[pc] = (byte) i.src();
            off[pc] = i.off();
            imm[pc] = i.imm();
            switch (op.kind) {
                case LDDW -> {
                    if (op != Op.LDDW) {
                        throw fault(pc, "unresolved pseudo lddw (" + op.name().toLowerCase() + "): load it through a loader");
                    }
                    if (pc + 1 >= n) {
                        throw fault(pc, "lddw is missing its second slot");
                    }
                    Insn hi = program.insn(pc + 1);
                    if (hi.code() != 0 || hi.dst() != 0 || hi.src() != 0 || hi.off() != 0) {
                        throw fault(pc + 1, "second slot of lddw must have code, registers and offset 0");
                    }
                    imm[pc] = ((long) hi.imm() << 32) | (i.imm() & 0xffff_ffffL);
                    second[++pc] = true;
                }
                case JUMP, JA -> off[pc] = pc + 1 + i.off();
                case JA32, CALL_LOCAL -> {
                    long t = pc + 1L + i.imm();
                    off[pc] = (int) Math.max(-1, Math.min(n, t));
                    if (op.kind == Op.Kind.CALL_LOCAL) {
                        starts.add(off[pc]);
                    }
                }
                case CALL -> {
                    // Tail calls (helper 12, PROG_ARRAY) are plain helper calls here, as in the
                    // interpreter: the engine's helper picks the target (CallContext.tailCall) and
                    // the generated code and CompiledProgram go on there.
                    Helper h = helpers == null ? null : helpers.get(i.imm());
                    if (h == null) {
                        throw fault(pc, helpers == null ? "no helpers registered" : helpers.unavailable(i.imm()));
                    }
                    helperAt[pc] = h;
                    stop = true;
                    tailCall |= i.imm() == BPF_FUNC_TAIL_CALL;
                }
                case CALLX -> {
                    if (helpers == null) {
                        throw fault(pc, "callx needs a helper registry");
                    }
                    stop = true;
                    tailCall = true;
                }
                case LD_ABS, LD_IND -> stop = true;
                case CALL_KFUNC -> throw fault(pc, "unsupported: kfunc calls");
                default -> { }
            }
        }
        mayStop = stop;
        mayTailCall = tailCall;
        for (int pc = 0; pc < n; pc++) {
            Op op = ops[pc];
            if (op == null || second[pc]) {
                continue;
            }
            if (op.kind == Op.Kind.JUMP || op.kind == Op.Kind.JA || op.kind == Op.Kind.JA32
                    || op.kind == Op.Kind.CALL_LOCAL) {
                int t = off[pc];
                if (t < 0 || t >= n) {
                    throw fault(pc, "jump target " + t + " is outside the program (0.." + (n - 1) + ")");
                }
                if (second[t]) {
                    throw fault(pc, "jump target " + t + " is the second slot of an lddw");
                }
                if (op.kind != Op.Kind.CALL_LOCAL) {
                    jumpTarget[t] = true;
                }
            }
        }
        subStarts = starts.stream().mapToInt(Integer::intValue).distinct().sorted().toArray();
        for (int e : entries) {
            if (second[e]) {
                throw fault(e, "function entry " + e + " is the second slot of an lddw");
            }
        }
        for (int s = 0; s < subStarts.length; s++) {
            int from = subStarts[s];
            int to = subEnd(s);
            for (int pc = from; pc < to; pc++) {
                Op op = ops[pc];
                if (second[pc]) {
                    continue;
                }
                boolean jumps = op.kind == Op.Kind.JUMP || op.kind == Op.Kind.JA || op.kind == Op.Kind.JA32;
                if (jumps && (off[pc] < from || off[pc] >= to)) {
                    throw fault(pc, "jump to " + off[pc] + " leaves its subprogram [" + from + ", " + to + ")");
                }
                boolean fallsThrough = op.kind != Op.Kind.EXIT && op.kind != Op.Kind.JA && op.kind != Op.Kind.JA32;
                if (fallsThrough && pc + op.slots() >= to) {
                    throw fault(pc, "the subprogram [" + from + ", " + to + ") falls off its end (last instruction is not exit or goto)");
                }
                if (maps != null && op.kind == Op.Kind.CALL && imm[pc] >= MAP_LOOKUP && imm[pc] <= MAP_DELETE) {
                    int def = r1Lddw(pc, from);
                    mapAt[pc] = def < 0 ? null : maps.map(imm[def]);
                }
            }
        }
    }

    /**
     * Where the key of the map call at pc lies on its function's stack, as an offset from r10, or
     * {@code Integer.MIN_VALUE} when that is not known: walking back from pc in a straight line (as
     * {@link #r1Lddw}), r2 must be set by {@code r2 = r10} followed only by {@code r2 += imm}.
     */
    int keyOnStack(int pc) {
        int s = Arrays.binarySearch(subStarts, pc);
        int from = subStarts[s >= 0 ? s : -s - 2];
        long at = 0;
        for (int q = straightBack(pc, from); q >= 0; q = straightBack(q, from)) {
            Op op = ops[q];
            if (op.writesDst() && dst[q] == 2) {
                if (op == Op.ADD64_IMM) {
                    at += imm[q];
                } else if (op == Op.MOV64_REG && off[q] == 0 && src[q] == 10) {
                    return at >= -(1 << 20) && at <= 0 ? (int) at : Integer.MIN_VALUE;
                } else {
                    return Integer.MIN_VALUE;
                }
            } else if (op.writesSrc() && src[q] == 2) {
                return Integer.MIN_VALUE;
            }
        }
        return Integer.MIN_VALUE;
    }

    /**
     * For a key of keySize bytes at r10 + at in the function holding pc: cut[i] (0 < i < keySize) is
     * true where some r10-based store (ST/STX) of that function begins or ends at key byte i. A
     * heuristic for speed only (any cuts give the same key value): loads of the key that span no cut
     * are forwarded from the stores that wrote it, where a load spanning two stores waits for them
     * to reach the cache.
     */
    boolean[] keyStoreCuts(int pc, int at, int keySize) {
        int s = Arrays.binarySearch(subStarts, pc);
        s = s >= 0 ? s : -s - 2;
        boolean[] cut = new boolean[keySize + 1];
        for (int q = subStarts[s]; q < subEnd(s); q++) {
            Op op = ops[q];
            if (second[q] || (op.kind != Op.Kind.ST && op.kind != Op.Kind.STX) || dst[q] != 10) {
                continue;
            }
            int lo = off[q] - at;
            int hi = lo + op.width;
            if (hi <= 0 || lo >= keySize) {
                continue;
            }
            if (lo > 0) {
                cut[lo] = true;
            }
            if (hi < keySize) {
                cut[hi] = true;
            }
        }
        return cut;
    }

    /** Helper ids the JIT specialises for a known map (include/uapi/linux/bpf.h BPF_FUNC_map_*). */
    static final int MAP_LOOKUP = 1;
    static final int MAP_UPDATE = 2;
    static final int MAP_DELETE = 3;

    /**
     * The ld_imm64 that sets r1 on every path to pc, or -1: walking back from pc in a straight line
     * (no instruction after the definition, pc included, is a jump target, and the walk stays in the
     * subprogram starting at from), the first instruction that writes r1 must be an lddw of r1.
     * Calls and legacy packet loads clobber r1 (caller-saved), so they end the walk with -1.
     */
    private int r1Lddw(int pc, int from) {
        for (int q = straightBack(pc, from); q >= 0; q = straightBack(q, from)) {
            Op op = ops[q];
            if (op.writesDst() && dst[q] == 1) {
                return op == Op.LDDW ? q : -1;
            }
            if (op.writesSrc() && src[q] == 1) {
                return -1;
            }
        }
        return -1;
    }

    /**
     * The instruction before q on a straight line back from it, or -1 where the line ends: q is a
     * jump target (another path reaches it), the subprogram starts at q (from), or the instruction
     * before q is a call or a legacy packet load (which clobber r1-r5). Skips the second slot of an
     * lddw.
     */
    private int straightBack(int q, int from) {
        if (jumpTarget[q]) {
            return -1;
        }
        for (int p = q - 1; p >= from; p--) {
            if (second[p]) {
                continue;
            }
            return switch (ops[p].kind) {
                case CALL, CALLX, CALL_LOCAL, CALL_KFUNC, LD_ABS, LD_IND -> -1;
                default -> p;
            };
        }
        return -1;
    }

    /** End (exclusive) of subprogram s. */
    int subEnd(int s) {
        return s + 1 < subStarts.length ? subStarts[s + 1] : length;
    }

    /** Index of the subprogram starting at pc. */
    int subIndex(int pc) {
        int i = Arrays.binarySearch(subStarts, pc);
        if (i < 0) {
            throw new IllegalStateException("no subprogram starts at " + pc);
        }
        return i;
    }

    VmException fault(int pc, String message) {
        String text;
        try {
            text = Disassembler.format(program, pc);
        } catch (RuntimeException e) {
            text = null;
        }
        return new VmException(pc, text, message);
    }
}
