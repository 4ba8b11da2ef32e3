package io.jxdp.ebpf.interp;

import static io.jxdp.ebpf.interp.OpCodes.*;

import io.jxdp.ebpf.asm.Disassembler;
import io.jxdp.ebpf.helper.CallContext;
import io.jxdp.ebpf.helper.FunctionRunner;
import io.jxdp.ebpf.helper.Helper;
import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;
import java.lang.foreign.Arena;
import java.lang.ref.Reference;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The eBPF interpreter: one flat switch over a program decoded once into parallel arrays.
 *
 * <p>Registers hold real native addresses and memory is accessed through one segment spanning the
 * address space with unaligned little-endian layouts; atomics go through VarHandles on that segment
 * so they are real atomics against other threads (they need natural alignment, as the kernel's
 * verifier demands). Calling convention as the kernel's: r1-r5 arguments, r0 result, r6-r9 saved
 * across bpf-to-bpf calls, r10 the read-only frame pointer of a 512-byte stack per frame, at most
 * {@value #MAX_FRAMES} frames. The stack is native, allocated once per interpreter and reused.
 *
 * <p>Tail calls: a helper that calls {@link CallContext#tailCall} ends the calling function and the
 * interpreter goes on at the target's first instruction in the same frame, with r1 = the given
 * context, as the x86-64 JIT does: from the main function the target's r0 ends the run, from a
 * subprogram it is returned to the subprogram's caller. The target may use {@value #MAX_FRAMES}
 * frames of its own from there (see {@link #TAIL_CALL_FRAMES}).
 *
 * <p>{@link Mode#CHECKED} is for unverified programs: every load, store and atomic is checked
 * against the active stack frames and the {@link MemoryRegions}, and a fault is a {@link VmException}.
 * {@link Mode#UNCHECKED} trusts a verifier: a bad address there is a native fault. Both modes
 * validate the encoding at construction (opcodes, registers, jump targets, writes to r10, a last
 * instruction that could fall off the end of the program) and enforce the instruction budget.
 *
 * <p>Not thread-safe: one interpreter per thread (stack and registers are per instance).
 * Little-endian hosts only (the ISA's byte order is the host's, and x86-64/arm64 are little-endian).
 */
public final class Interpreter implements FunctionRunner {
    /** Execution mode. */
    public enum Mode { CHECKED, UNCHECKED }

    /** Bytes of stack per frame (kernel MAX_BPF_STACK). */
    public static final int STACK_SIZE = 512;
    /** Maximum bpf-to-bpf call depth, counting the main frame (kernel MAX_CALL_FRAMES). */
    public static final int MAX_FRAMES = 8;
    /** include/linux/bpf.h MAX_TAIL_CALL_CNT: tail calls per run. */
    public static final int MAX_TAIL_CALL_CNT = 33;
    /**
     * Frames of stack a program that may make tail calls gets: a tail call from a subprogram keeps
     * its callers' frames and the target may use {@value #MAX_FRAMES} frames of its own, so each of
     * the {@value #MAX_TAIL_CALL_CNT} tail calls can leave up to {@value #MAX_FRAMES} - 1 frames below
     * the next program (the kernel bounds the same growth in bytes: check_max_stack_depth_subprog()
     * refuses a tail-calling subprogram whose callers' stack is 256 bytes or more).
     */
    public static final int TAIL_CALL_FRAMES = MAX_FRAMES * (MAX_TAIL_CALL_CNT + 1);
    /** include/uapi/linux/bpf.h BPF_FUNC_tail_call. */
    private static final int BPF_FUNC_TAIL_CALL = 12;
    /** Default instruction budget in checked mode. */
    public static final long DEFAULT_CHECKED_BUDGET = 10_000_000L;

    private static final MemorySegment MEM = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort NET16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt NET32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    // Plain loads and stores go through these constant VarHandles rather than MemorySegment.get/set:
    // the same access, but C1 (which runs the loop until C2 is done with it) links a constant handle
    // directly instead of re-deriving it from the layout on every access.
    private static final VarHandle LD8 = ValueLayout.JAVA_BYTE.varHandle().withInvokeExactBehavior();
    private static final VarHandle LD16 = U16.varHandle().withInvokeExactBehavior();
    private static final VarHandle LD32 = U32.varHandle().withInvokeExactBehavior();
    private static final VarHandle LD64 = U64.varHandle().withInvokeExactBehavior();
    private static final VarHandle ATOMIC32 = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle ATOMIC64 = ValueLayout.JAVA_LONG.varHandle();
    private static final long M32 = 0xffff_ffffL;

    private final Program program;
    private final HelperRegistry helpers;
    private final boolean checked;
    /** {@link OpCodes} dispatch code of each slot ({@link OpCodes#SLOT2} for an lddw's second slot). */
    private final int[] code;
    /** Access width in bytes of loads, stores and atomics. */
    private final byte[] width;
    private final byte[] dst;
    private final byte[] src;
    /** off field, or the absolute target for jumps and local calls. */
    private final int[] off;
    /**
     * imm sign-extended, or the whole 64-bit value for lddw; for LDX (whose imm the ISA leaves unused)
     * the mask that zero-extends the loaded value (all ones for the sign-extending LDXS forms).
     */
    private final long[] imm;
    private final Helper[] helperAt;

    private final long[] reg = new long[11];
    /** Frames of stack: {@value #MAX_FRAMES}, or {@value #TAIL_CALL_FRAMES} with tail calls. */
    private final int frames;
    private final long[] saved;
    private final int[] returnPc;
    /**
     * Per frame: the frame of the main function of the program the caller in that frame belongs to
     * (a tail call from a subprogram starts a program in the subprogram's frame; its calls count
     * against {@value #MAX_FRAMES} from there).
     */
    private final int[] programBase;
    /** The program base of the frame calling a helper right now, for {@link #callFunction}. */
    private int base;
    /**
     * The native stack. Held in a field on purpose: an automatic arena frees its memory once the
     * segment is unreachable, and the interpreter addresses the stack by raw address only, so
     * dropping this reference would let the GC free the stack under a running program.
     */
    private final MemorySegment stack;
    private final long stackBase;
    private final long stackTop;
    private final MemoryRegions regions = new MemoryRegions();
    private final CallContext defaultContext = new CallContext();
    private long budget;
    private long count;
    /** Instructions callbacks ({@link #callFunction}) executed during the current run. */
    private long calleeCount;

    /** Decodes and validates program; throws {@link VmException} naming the first bad instruction. */
    public Interpreter(Program program, HelperRegistry helpers, Mode mode) {
        this.program = program;
        this.helpers = helpers;
        this.checked = mode == Mode.CHECKED;
        this.budget = checked ? DEFAULT_CHECKED_BUDGET : Long.MAX_VALUE;
        int n = program.length();
        code = new int[n];
        width = new byte[n];
        dst = new byte[n];
        src = new byte[n];
        off = new int[n];
        imm = new long[n];
        helperAt = new Helper[n];
        decode();
        frames = mayTailCall() ? TAIL_CALL_FRAMES : MAX_FRAMES;
        saved = new long[frames * 4];
        returnPc = new int[frames];
        programBase = new int[frames];
        stack = Arena.ofAuto().allocate((long) STACK_SIZE * frames, 16);
        stackBase = stack.address();
        stackTop = stackBase + (long) STACK_SIZE * frames;
    }

    /** True if a helper call here may be a tail call: a call of helper 12, or callx (id in a register). */
    private boolean mayTailCall() {
        for (int pc = 0; pc < code.length; pc++) {
            if ((code[pc] == CALL && imm[pc] == BPF_FUNC_TAIL_CALL) || code[pc] == CALLX) {
                return true;
            }
        }
        return false;
    }

    private void decode() {
        int n = program.length();
        if (n == 0) {
            throw fault(0, "empty program");
        }
        Op[] ops = new Op[n];
        boolean[] second = new boolean[n];
        for (int pc = 0; pc < n; pc++) {
            Insn i = program.insn(pc);
            Op op = i.op();
            if (op == null) {
                throw fault(pc, String.format("unknown opcode 0x%02x", i.code()));
            }
            if (i.dst() > 10 || i.src() > 10) {
                throw fault(pc, "invalid register r" + Math.max(i.dst(), i.src()));
            }
            if ((op.writesDst() && i.dst() == 10) || (op.writesSrc() && i.src() == 10)) {
                throw fault(pc, "r10 is the read-only frame pointer");
            }
            ops[pc] = op;
            code[pc] = op.ordinal();
            dst[pc] = (byte) i.dst();
            src[pc] = (byte) i.src();
            off[pc] = i.off();
            imm[pc] = i.imm();
            switch (op.kind) {
                case LDDW -> {
                    if (pc + 1 >= n) {
                        throw fault(pc, "lddw is missing its second slot");
                    }
                    Insn hi = program.insn(pc + 1);
                    if (hi.code() != 0 || hi.dst() != 0 || hi.src() != 0 || hi.off() != 0) {
                        throw fault(pc + 1, "second slot of lddw must have code, registers and offset 0");
                    }
                    imm[pc] = ((long) hi.imm() << 32) | (i.imm() & M32);
                    second[++pc] = true;
                }
                case JUMP, JA -> off[pc] = pc + 1 + i.off();
                case JA32, CALL_LOCAL -> off[pc] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE,
                        pc + 1L + i.imm()));
                case CALL -> helperAt[pc] = helpers == null ? null : helpers.get(i.imm());
                case LDX -> {
                    width[pc] = (byte) op.width;
                    imm[pc] = op.width == 8 ? -1L : (1L << (8 * op.width)) - 1; // zero-extends the load
                }
                case LDXSX -> {
                    width[pc] = (byte) op.width;
                    imm[pc] = -1L; // load() sign-extends
                }
                case ST, STX, ATOMIC -> width[pc] = (byte) op.width;
                default -> { }
            }
        }
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
            }
        }
        // The kernel's rule (check_subprogs: "last insn is not an exit or jmp"): whatever the last
        // instruction is, it must not be able to continue at pc + 1, so execution never leaves the
        // program and the dispatch loop needs no bounds test. A conditional jump, a call (whose
        // return would land past the end) or an lddw ending the program is rejected here.
        int last = second[n - 1] ? n - 2 : n - 1;
        Op.Kind lastKind = ops[last].kind;
        if (lastKind != Op.Kind.EXIT && lastKind != Op.Kind.JA && lastKind != Op.Kind.JA32) {
            throw fault(last, "falls off the end of the program at instruction " + last
                    + " (the last instruction must be exit or an unconditional jump)");
        }
        for (int pc = 0; pc < n; pc++) {
            if (second[pc]) {
                code[pc] = OpCodes.SLOT2; // executing it (fall-through cannot happen) is a fault
            }
        }
    }

    /**
     * The memory regions checked mode allows besides the stack; add input, context and packet here
     * before a run. Regions added during a run (by helpers, e.g. a map value they return) are dropped
     * when the run ends.
     */
    public MemoryRegions regions() {
        return regions;
    }

    /**
     * The native stack of every frame, [stackBase, stackTop): helpers taking pointer arguments in
     * checked mode accept pointers into it (a callee may pass a pointer into its caller's frame).
     */
    public long stackBase() {
        return stackBase;
    }

    /** The end (exclusive) of the native stack; r10 of the main frame. */
    public long stackTop() {
        return stackTop;
    }

    /** The context used by {@link #run(long, long)}. */
    public CallContext context() {
        return defaultContext;
    }

    /** Sets the maximum number of instructions one run may execute. */
    public void budget(long instructions) {
        if (instructions <= 0) {
            throw new IllegalArgumentException("budget must be > 0, got " + instructions);
        }
        this.budget = instructions;
    }

    /** Instructions executed by the last run (including a faulting one). */
    public long instructionCount() {
        return count;
    }

    /** True in checked mode. */
    public boolean checked() {
        return checked;
    }

    /** Runs the program with r1, r2 set (r3-r5 zero) and the default context; returns r0. */
    public long run(long r1, long r2) {
        return run(defaultContext, r1, r2, 0, 0, 0);
    }

    /** Runs the program with the given argument registers and context; returns r0. */
    public long run(CallContext ctx, long r1, long r2, long r3, long r4, long r5) {
        return run(ctx, 0, r1, r2, r3, r4, r5);
    }

    /**
     * Runs from instruction {@code entryPc} in a fresh main frame: how a tail call enters the next
     * program of an image that holds several (the kernel's interpreter jumps to the new program's
     * first instruction with the same frame, kernel/bpf/core.c JMP_TAIL_CALL).
     */
    public long run(CallContext ctx, int entryPc, long r1, long r2, long r3, long r4, long r5) {
        if (entryPc < 0 || entryPc >= code.length || code[entryPc] == OpCodes.SLOT2) {
            throw fault(entryPc, "entry " + entryPc + " is not an instruction of the program");
        }
        ctx.regions(checked ? regions : null);
        ctx.clearStop();
        java.util.Arrays.fill(reg, 0);
        calleeCount = 0;
        base = 0;
        long r0 = 0;
        try {
            r0 = execute(ctx, entryPc, 0, r1, r2, r3, r4, r5);
        } finally {
            count += calleeCount;
        }
        return r0;
    }

    /**
     * Calls the bpf-to-bpf function starting at {@code pc} as a callee of the frame that is calling
     * a helper right now, with r1-r5 as its arguments, and returns its r0: how bpf_loop and
     * bpf_for_each_map_elem run their callbacks (kernel/bpf/bpf_iter.c, helpers.c; the verifier
     * treats a callback as one more call frame, so it counts against {@value #MAX_FRAMES}). Only
     * valid from a helper during a run; the caller's r6-r10 are preserved. The callee gets this
     * interpreter's instruction budget for itself; its instructions count in
     * {@link #instructionCount()}. A tail call the callback makes replaces it, and the target's r0
     * is the callback's result.
     */
    @Override
    public long callFunction(CallContext ctx, int pc, long r1, long r2, long r3, long r4, long r5) {
        final long[] r = reg;
        int depth = (int) ((stackTop - r[10]) / STACK_SIZE);
        if (pc < 0 || pc >= code.length || code[pc] == OpCodes.SLOT2) {
            throw fault(pc, "callback target " + pc + " is not an instruction of the program");
        }
        int b = base;
        if (depth + 1 - b >= MAX_FRAMES || depth + 1 >= frames) {
            throw fault(pc, "call depth limit of " + MAX_FRAMES + " frames exceeded by a callback");
        }
        long s6 = r[6];
        long s7 = r[7];
        long s8 = r[8];
        long s9 = r[9];
        long s10 = r[10];
        programBase[depth + 1] = b; // the callback belongs to the caller's program
        long r0 = execute(ctx, pc, depth + 1, r1, r2, r3, r4, r5);
        base = b;
        r[6] = s6;
        r[7] = s7;
        r[8] = s8;
        r[9] = s9;
        r[10] = s10;
        return r0;
    }

    /** Runs from pc in frame entryDepth until that frame exits; returns r0. */
    private long execute(CallContext ctx, int entryPc, int entryDepth, long r1, long r2, long r3, long r4, long r5) {
        final long[] r = reg;
        final int[] code = this.code;
        final byte[] width = this.width;
        final byte[] dst = this.dst;
        final byte[] src = this.src;
        final int[] off = this.off;
        final long[] imm = this.imm;
        final boolean checked = this.checked;
        final long budget = this.budget;
        r[0] = 0;
        r[1] = r1;
        r[2] = r2;
        r[3] = r3;
        r[4] = r4;
        r[5] = r5;
        r[10] = stackTop - (long) entryDepth * STACK_SIZE;
        int depth = entryDepth;
        // the frame of the running program's main function, and the first frame its calls may not use
        int base = programBase[entryDepth];
        int limit = Math.min(base + MAX_FRAMES, frames);
        long stackLow = r[10] - STACK_SIZE;
        final int regionMark = regions.count();
        long n = 0;
        int pc = entryPc;
        try {
            while (true) {
                if (++n > budget) {
                    throw fault(pc, "instruction budget of " + budget + " exhausted");
                }
                final int c = code[pc];
                final int d = dst[pc];
                final int s = src[pc];
                final long k = imm[pc];
                int next = pc + 1;
                switch (c) {
                    // ALU64, immediate (sign-extended) and register sources
                    case ADD64_IMM -> r[d] += k;
                    case ADD64_REG -> r[d] += r[s];
                    case SUB64_IMM -> r[d] -= k;
                    case SUB64_REG -> r[d] -= r[s];
                    case MUL64_IMM -> r[d] *= k;
                    case MUL64_REG -> r[d] *= r[s];
                    case DIV64_IMM -> r[d] = k == 0 ? 0 : Long.divideUnsigned(r[d], k);
                    case DIV64_REG -> r[d] = r[s] == 0 ? 0 : Long.divideUnsigned(r[d], r[s]);
                    case SDIV64_IMM -> r[d] = k == 0 ? 0 : r[d] / k; // Java: MIN / -1 == MIN, as the ISA
                    case SDIV64_REG -> r[d] = r[s] == 0 ? 0 : r[d] / r[s];
                    case OR64_IMM -> r[d] |= k;
                    case OR64_REG -> r[d] |= r[s];
                    case AND64_IMM -> r[d] &= k;
                    case AND64_REG -> r[d] &= r[s];
                    case LSH64_IMM -> r[d] <<= (k & 63);
                    case LSH64_REG -> r[d] <<= (r[s] & 63);
                    case RSH64_IMM -> r[d] >>>= (k & 63);
                    case RSH64_REG -> r[d] >>>= (r[s] & 63);
                    case MOD64_IMM -> r[d] = k == 0 ? r[d] : Long.remainderUnsigned(r[d], k);
                    case MOD64_REG -> r[d] = r[s] == 0 ? r[d] : Long.remainderUnsigned(r[d], r[s]);
                    case SMOD64_IMM -> r[d] = k == 0 ? r[d] : r[d] % k; // MIN % -1 == 0
                    case SMOD64_REG -> r[d] = r[s] == 0 ? r[d] : r[d] % r[s];
                    case XOR64_IMM -> r[d] ^= k;
                    case XOR64_REG -> r[d] ^= r[s];
                    case MOV64_IMM -> r[d] = k;
                    case MOV64_REG -> r[d] = r[s];
                    case MOVSX8_64 -> r[d] = (byte) r[s];
                    case MOVSX16_64 -> r[d] = (short) r[s];
                    case MOVSX32_64 -> r[d] = (int) r[s];
                    case ARSH64_IMM -> r[d] >>= (k & 63);
                    case ARSH64_REG -> r[d] >>= (r[s] & 63);
                    case NEG64 -> r[d] = -r[d];
                    // ALU (32-bit): operate on the low 32 bits, zero-extend the result
                    case ADD32_IMM -> r[d] = ((int) r[d] + (int) k) & M32;
                    case ADD32_REG -> r[d] = ((int) r[d] + (int) r[s]) & M32;
                    case SUB32_IMM -> r[d] = ((int) r[d] - (int) k) & M32;
                    case SUB32_REG -> r[d] = ((int) r[d] - (int) r[s]) & M32;
                    case MUL32_IMM -> r[d] = ((int) r[d] * (int) k) & M32;
                    case MUL32_REG -> r[d] = ((int) r[d] * (int) r[s]) & M32;
                    case DIV32_IMM -> r[d] = (int) k == 0 ? 0 : Integer.divideUnsigned((int) r[d], (int) k) & M32;
                    case DIV32_REG -> r[d] = (int) r[s] == 0 ? 0 : Integer.divideUnsigned((int) r[d], (int) r[s]) & M32;
                    case SDIV32_IMM -> r[d] = (int) k == 0 ? 0 : ((int) r[d] / (int) k) & M32;
                    case SDIV32_REG -> r[d] = (int) r[s] == 0 ? 0 : ((int) r[d] / (int) r[s]) & M32;
                    case OR32_IMM -> r[d] = ((int) r[d] | (int) k) & M32;
                    case OR32_REG -> r[d] = ((int) r[d] | (int) r[s]) & M32;
                    case AND32_IMM -> r[d] = ((int) r[d] & (int) k) & M32;
                    case AND32_REG -> r[d] = ((int) r[d] & (int) r[s]) & M32;
                    case LSH32_IMM -> r[d] = ((int) r[d] << (k & 31)) & M32;
                    case LSH32_REG -> r[d] = ((int) r[d] << (r[s] & 31)) & M32;
                    case RSH32_IMM -> r[d] = ((int) r[d] >>> (k & 31)) & M32;
                    case RSH32_REG -> r[d] = ((int) r[d] >>> (r[s] & 31)) & M32;
                    // mod by zero leaves dst, but as a 32-bit op it is still zero-extended
                    case MOD32_IMM -> r[d] = ((int) k == 0 ? (int) r[d] : Integer.remainderUnsigned((int) r[d], (int) k)) & M32;
                    case MOD32_REG -> r[d] = ((int) r[s] == 0 ? (int) r[d] : Integer.remainderUnsigned((int) r[d], (int) r[s])) & M32;
                    case SMOD32_IMM -> r[d] = ((int) k == 0 ? (int) r[d] : (int) r[d] % (int) k) & M32;
                    case SMOD32_REG -> r[d] = ((int) r[s] == 0 ? (int) r[d] : (int) r[d] % (int) r[s]) & M32;
                    case XOR32_IMM -> r[d] = ((int) r[d] ^ (int) k) & M32;
                    case XOR32_REG -> r[d] = ((int) r[d] ^ (int) r[s]) & M32;
                    case MOV32_IMM -> r[d] = k & M32;
                    case MOV32_REG -> r[d] = r[s] & M32;
                    case MOVSX8_32 -> r[d] = (byte) r[s] & M32;
                    case MOVSX16_32 -> r[d] = (short) r[s] & M32;
                    case ARSH32_IMM -> r[d] = ((int) r[d] >> (k & 31)) & M32;
                    case ARSH32_REG -> r[d] = ((int) r[d] >> (r[s] & 31)) & M32;
                    case NEG32 -> r[d] = -(int) r[d] & M32;
                    // byte order: the host is little-endian, so "le" truncates and "be" swaps
                    case LE16 -> r[d] &= 0xffff;
                    case LE32 -> r[d] &= M32;
                    case LE64 -> { }
                    case BE16, BSWAP16 -> r[d] = Short.reverseBytes((short) r[d]) & 0xffff;
                    case BE32, BSWAP32 -> r[d] = Integer.reverseBytes((int) r[d]) & M32;
                    case BE64, BSWAP64 -> r[d] = Long.reverseBytes(r[d]);
                    // JMP: 64-bit compares, imm sign-extended
                    case JEQ64_IMM -> { if (r[d] == k) next = off[pc]; }
                    case JEQ64_REG -> { if (r[d] == r[s]) next = off[pc]; }
                    case JGT64_IMM -> { if (Long.compareUnsigned(r[d], k) > 0) next = off[pc]; }
                    case JGT64_REG -> { if (Long.compareUnsigned(r[d], r[s]) > 0) next = off[pc]; }
                    case JGE64_IMM -> { if (Long.compareUnsigned(r[d], k) >= 0) next = off[pc]; }
                    case JGE64_REG -> { if (Long.compareUnsigned(r[d], r[s]) >= 0) next = off[pc]; }
                    case JSET64_IMM -> { if ((r[d] & k) != 0) next = off[pc]; }
                    case JSET64_REG -> { if ((r[d] & r[s]) != 0) next = off[pc]; }
                    case JNE64_IMM -> { if (r[d] != k) next = off[pc]; }
                    case JNE64_REG -> { if (r[d] != r[s]) next = off[pc]; }
                    case JSGT64_IMM -> { if (r[d] > k) next = off[pc]; }
                    case JSGT64_REG -> { if (r[d] > r[s]) next = off[pc]; }
                    case JSGE64_IMM -> { if (r[d] >= k) next = off[pc]; }
                    case JSGE64_REG -> { if (r[d] >= r[s]) next = off[pc]; }
                    case JLT64_IMM -> { if (Long.compareUnsigned(r[d], k) < 0) next = off[pc]; }
                    case JLT64_REG -> { if (Long.compareUnsigned(r[d], r[s]) < 0) next = off[pc]; }
                    case JLE64_IMM -> { if (Long.compareUnsigned(r[d], k) <= 0) next = off[pc]; }
                    case JLE64_REG -> { if (Long.compareUnsigned(r[d], r[s]) <= 0) next = off[pc]; }
                    case JSLT64_IMM -> { if (r[d] < k) next = off[pc]; }
                    case JSLT64_REG -> { if (r[d] < r[s]) next = off[pc]; }
                    case JSLE64_IMM -> { if (r[d] <= k) next = off[pc]; }
                    case JSLE64_REG -> { if (r[d] <= r[s]) next = off[pc]; }
                    // JMP32: compare the low 32 bits
                    case JEQ32_IMM -> { if ((int) r[d] == (int) k) next = off[pc]; }
                    case JEQ32_REG -> { if ((int) r[d] == (int) r[s]) next = off[pc]; }
                    case JGT32_IMM -> { if (Integer.compareUnsigned((int) r[d], (int) k) > 0) next = off[pc]; }
                    case JGT32_REG -> { if (Integer.compareUnsigned((int) r[d], (int) r[s]) > 0) next = off[pc]; }
                    case JGE32_IMM -> { if (Integer.compareUnsigned((int) r[d], (int) k) >= 0) next = off[pc]; }
                    case JGE32_REG -> { if (Integer.compareUnsigned((int) r[d], (int) r[s]) >= 0) next = off[pc]; }
                    case JSET32_IMM -> { if (((int) r[d] & (int) k) != 0) next = off[pc]; }
                    case JSET32_REG -> { if (((int) r[d] & (int) r[s]) != 0) next = off[pc]; }
                    case JNE32_IMM -> { if ((int) r[d] != (int) k) next = off[pc]; }
                    case JNE32_REG -> { if ((int) r[d] != (int) r[s]) next = off[pc]; }
                    case JSGT32_IMM -> { if ((int) r[d] > (int) k) next = off[pc]; }
                    case JSGT32_REG -> { if ((int) r[d] > (int) r[s]) next = off[pc]; }
                    case JSGE32_IMM -> { if ((int) r[d] >= (int) k) next = off[pc]; }
                    case JSGE32_REG -> { if ((int) r[d] >= (int) r[s]) next = off[pc]; }
                    case JLT32_IMM -> { if (Integer.compareUnsigned((int) r[d], (int) k) < 0) next = off[pc]; }
                    case JLT32_REG -> { if (Integer.compareUnsigned((int) r[d], (int) r[s]) < 0) next = off[pc]; }
                    case JLE32_IMM -> { if (Integer.compareUnsigned((int) r[d], (int) k) <= 0) next = off[pc]; }
                    case JLE32_REG -> { if (Integer.compareUnsigned((int) r[d], (int) r[s]) <= 0) next = off[pc]; }
                    case JSLT32_IMM -> { if ((int) r[d] < (int) k) next = off[pc]; }
                    case JSLT32_REG -> { if ((int) r[d] < (int) r[s]) next = off[pc]; }
                    case JSLE32_IMM -> { if ((int) r[d] <= (int) k) next = off[pc]; }
                    case JSLE32_REG -> { if ((int) r[d] <= (int) r[s]) next = off[pc]; }
                    case JA, JA32 -> next = off[pc];
                    // calls
                    case CALL, CALLX -> {
                        // callx as the conformance suite (uBPF) defines it: the register holds a helper id
                        Helper h = c == CALL ? helperAt[pc] : callxHelper(r[d]);
                        if (h == null) {
                            String why = helpers == null ? "no helpers registered" : helpers.unavailable(c == CALL ? k : r[d]);
                            throw fault(pc, c == CALL ? why : "callx r" + d + ": " + why);
                        }
                        this.base = base;
                        r[0] = h.call(ctx, r[1], r[2], r[3], r[4], r[5]);
                        if (ctx.stopRequested()) {
                            int e = ctx.takeTailCall();
                            if (e < 0) {
                                return r[0];
                            }
                            next = tailCallEntry(pc, e);
                            base = depth;
                            limit = Math.min(base + MAX_FRAMES, frames);
                            r[1] = ctx.tailCallArg();
                            if (regions.count() > regionMark) {
                                regions.truncate(regionMark); // the map values the ended function looked up
                            }
                        }
                    }
                    case CALL_LOCAL -> {
                        if (depth + 1 >= limit) {
                            throw fault(pc, depth + 1 - base >= MAX_FRAMES
                                    ? "call depth limit of " + MAX_FRAMES + " frames exceeded"
                                    : "stack of " + frames + " frames exhausted by tail calls from subprograms");
                        }
                        int at = depth * 4;
                        saved[at] = r[6];
                        saved[at + 1] = r[7];
                        saved[at + 2] = r[8];
                        saved[at + 3] = r[9];
                        returnPc[depth] = next;
                        programBase[depth] = base;
                        depth++;
                        r[10] -= STACK_SIZE;
                        stackLow -= STACK_SIZE;
                        next = off[pc];
                    }
                    case CALL_KFUNC -> throw fault(pc, "unsupported: kfunc calls");
                    case EXIT -> {
                        if (depth == entryDepth) {
                            return r[0];
                        }
                        depth--;
                        int at = depth * 4;
                        r[6] = saved[at];
                        r[7] = saved[at + 1];
                        r[8] = saved[at + 2];
                        r[9] = saved[at + 3];
                        if (programBase[depth] != base) { // back from a program a subprogram tail-called
                            base = programBase[depth];
                            limit = Math.min(base + MAX_FRAMES, frames);
                        }
                        r[10] += STACK_SIZE;
                        stackLow += STACK_SIZE;
                        next = returnPc[depth];
                    }
                    // loads: dst = *(size *)(src + off), one access site per width; imm holds the
                    // zero-extension mask (all ones for the sign-extending LDXS forms)
                    case LDXB, LDXSB -> r[d] = (byte) LD8.get(MEM, loadAddr(checked, pc, r[s] + off[pc], 1, stackLow)) & k;
                    case LDXH, LDXSH -> r[d] = (short) LD16.get(MEM, loadAddr(checked, pc, r[s] + off[pc], 2, stackLow)) & k;
                    case LDXW, LDXSW -> r[d] = (int) LD32.get(MEM, loadAddr(checked, pc, r[s] + off[pc], 4, stackLow)) & k;
                    case LDXDW -> r[d] = (long) LD64.get(MEM, loadAddr(checked, pc, r[s] + off[pc], 8, stackLow));
                    // stores: *(size *)(dst + off) = imm (ST) or src (STX), one access site per width
                    case STB, STXB -> LD8.set(MEM, storeAddr(checked, pc, r[d] + off[pc], 1, stackLow), (byte) (c == STXB ? r[s] : k));
                    case STH, STXH -> LD16.set(MEM, storeAddr(checked, pc, r[d] + off[pc], 2, stackLow), (short) (c == STXH ? r[s] : k));
                    case STW, STXW -> LD32.set(MEM, storeAddr(checked, pc, r[d] + off[pc], 4, stackLow), (int) (c == STXW ? r[s] : k));
                    case STDW, STXDW -> LD64.set(MEM, storeAddr(checked, pc, r[d] + off[pc], 8, stackLow), c == STXDW ? r[s] : k);
                    case ATOMIC32_ADD, ATOMIC32_FETCH_ADD, ATOMIC32_OR, ATOMIC32_FETCH_OR, ATOMIC32_AND,
                         ATOMIC32_FETCH_AND, ATOMIC32_XOR, ATOMIC32_FETCH_XOR, ATOMIC32_XCHG, ATOMIC32_CMPXCHG,
                         ATOMIC64_ADD, ATOMIC64_FETCH_ADD, ATOMIC64_OR, ATOMIC64_FETCH_OR, ATOMIC64_AND,
                         ATOMIC64_FETCH_AND, ATOMIC64_XOR, ATOMIC64_FETCH_XOR, ATOMIC64_XCHG, ATOMIC64_CMPXCHG -> {
                        long a = r[d] + off[pc];
                        if (checked) {
                            checkAtomic(pc, a, width[pc], stackLow);
                        }
                        atomic(c, a, r, s);
                    }
                    // 64-bit immediates; pseudo forms must have been resolved by a loader
                    case LDDW -> {
                        r[d] = k;
                        next = pc + 2;
                    }
                    case LDDW_MAP_FD, LDDW_MAP_VALUE, LDDW_BTF_ID, LDDW_FUNC, LDDW_MAP_IDX, LDDW_MAP_IDX_VALUE ->
                            throw fault(pc, "unresolved pseudo lddw (" + Op.values()[c].name().toLowerCase()
                                    + "): load it through a loader");
                    // legacy packet loads: big-endian from the context's packet; out of range ends with r0 = 0
                    case LDABSB, LDABSH, LDABSW, LDINDB, LDINDH, LDINDW -> {
                        long v = legacyLoad(ctx, c, r[s], k);
                        if (v < 0) {
                            return 0;
                        }
                        r[0] = v;
                    }
                    case SLOT2 -> throw fault(pc, "executing the second slot of an lddw");
                    default -> throw fault(pc, "no handler for opcode " + Op.values()[c]); // decode admits none
                }
                pc = next;
            }
        } finally {
            if (entryDepth == 0) {
                count = n;
            } else {
                calleeCount += n;
            }
            if (regions.count() > regionMark) {
                regions.truncate(regionMark); // regions helpers added during this run end with it
            }
            Reference.reachabilityFence(stack); // the stack is used by address only: keep it alive to here
        }
    }

    /**
     * The pc a tail call continues at: the target's first instruction, run in the frame of the
     * function that made the call (kernel/bpf/core.c JMP_TAIL_CALL keeps the frame; the x86-64 JIT
     * unwinds a subprogram's frame and the target's exit returns to the subprogram's caller, which
     * the unchanged return pc of the frame below gives here).
     */
    private int tailCallEntry(int pc, int entry) {
        if (entry >= code.length || code[entry] == OpCodes.SLOT2) {
            throw fault(pc, "tail call target " + entry + " is not an instruction of the program");
        }
        return entry;
    }

    /**
     * LD_ABS/LD_IND: the big-endian packet value, or -1 when the bytes are outside the packet (the
     * kernel's bpf_skb_load_helper: the offset is a signed 32-bit value checked against the length).
     * Out of line: these legacy forms are rare and must not grow the dispatch loop.
     */
    private static long legacyLoad(CallContext ctx, int c, long rs, long k) {
        int size = c == LDABSB || c == LDINDB ? 1 : c == LDABSH || c == LDINDH ? 2 : 4;
        int ofs = (int) (c == LDINDB || c == LDINDH || c == LDINDW ? rs + (int) k : (int) k);
        if (ofs < 0 || (long) ofs + size > ctx.packetLength() || ctx.packetData() == 0) {
            return -1;
        }
        long p = ctx.packetData() + ofs;
        return switch (size) {
            case 1 -> MEM.get(ValueLayout.JAVA_BYTE, p) & 0xffL;
            case 2 -> MEM.get(NET16, p) & 0xffffL;
            default -> MEM.get(NET32, p) & M32;
        };
    }

    /**
     * The address of a load; in checked mode it must lie in the active stack frames (two compares,
     * the common case) or in one of the regions.
     */
    private long loadAddr(boolean checked, int pc, long a, int size, long stackLow) {
        if (checked && !(a >= stackLow && a + size <= stackTop && a + size >= a)) {
            checkRegion(pc, a, size, false, stackLow);
        }
        return a;
    }

    /** The address of a store, checked as {@link #loadAddr} but against writable regions. */
    private long storeAddr(boolean checked, int pc, long a, int size, long stackLow) {
        if (checked && !(a >= stackLow && a + size <= stackTop && a + size >= a)) {
            checkRegion(pc, a, size, true, stackLow);
        }
        return a;
    }

    /**
     * The atomic operations (kernel: 32-bit fetch results are zero-extended into the register). Out
     * of line: too large to inline, so twenty VarHandle call sites stay out of the dispatch loop. The
     * casts keep each VarHandle call site's type exact; forms without FETCH drop the old value.
     */
    private static void atomic(int c, long a, long[] r, int s) {
        switch (c) {
            case ATOMIC32_ADD -> { int ignoredOld = (int) ATOMIC32.getAndAdd(MEM, a, (int) r[s]); }
            case ATOMIC32_FETCH_ADD -> r[s] = (int) ATOMIC32.getAndAdd(MEM, a, (int) r[s]) & M32;
            case ATOMIC32_OR -> { int ignoredOld = (int) ATOMIC32.getAndBitwiseOr(MEM, a, (int) r[s]); }
            case ATOMIC32_FETCH_OR -> r[s] = (int) ATOMIC32.getAndBitwiseOr(MEM, a, (int) r[s]) & M32;
            case ATOMIC32_AND -> { int ignoredOld = (int) ATOMIC32.getAndBitwiseAnd(MEM, a, (int) r[s]); }
            case ATOMIC32_FETCH_AND -> r[s] = (int) ATOMIC32.getAndBitwiseAnd(MEM, a, (int) r[s]) & M32;
            case ATOMIC32_XOR -> { int ignoredOld = (int) ATOMIC32.getAndBitwiseXor(MEM, a, (int) r[s]); }
            case ATOMIC32_FETCH_XOR -> r[s] = (int) ATOMIC32.getAndBitwiseXor(MEM, a, (int) r[s]) & M32;
            case ATOMIC32_XCHG -> r[s] = (int) ATOMIC32.getAndSet(MEM, a, (int) r[s]) & M32;
            case ATOMIC32_CMPXCHG -> r[0] = (int) ATOMIC32.compareAndExchange(MEM, a, (int) r[0], (int) r[s]) & M32;
            case ATOMIC64_ADD -> { long ignoredOld = (long) ATOMIC64.getAndAdd(MEM, a, r[s]); }
            case ATOMIC64_FETCH_ADD -> r[s] = (long) ATOMIC64.getAndAdd(MEM, a, r[s]);
            case ATOMIC64_OR -> { long ignoredOld = (long) ATOMIC64.getAndBitwiseOr(MEM, a, r[s]); }
            case ATOMIC64_FETCH_OR -> r[s] = (long) ATOMIC64.getAndBitwiseOr(MEM, a, r[s]);
            case ATOMIC64_AND -> { long ignoredOld = (long) ATOMIC64.getAndBitwiseAnd(MEM, a, r[s]); }
            case ATOMIC64_FETCH_AND -> r[s] = (long) ATOMIC64.getAndBitwiseAnd(MEM, a, r[s]);
            case ATOMIC64_XOR -> { long ignoredOld = (long) ATOMIC64.getAndBitwiseXor(MEM, a, r[s]); }
            case ATOMIC64_FETCH_XOR -> r[s] = (long) ATOMIC64.getAndBitwiseXor(MEM, a, r[s]);
            case ATOMIC64_XCHG -> r[s] = (long) ATOMIC64.getAndSet(MEM, a, r[s]);
            case ATOMIC64_CMPXCHG -> r[0] = (long) ATOMIC64.compareAndExchange(MEM, a, r[0], r[s]);
            default -> throw new IllegalStateException("not an atomic: " + Op.values()[c]);
        }
    }

    /**
     * Checked mode, off the stack fast path (the caller tested the active frames with two compares):
     * the access must lie inside one region, writable if write.
     */
    private void checkRegion(int pc, long a, int size, boolean write, long stackLow) {
        if (!regions.allows(a, size, write)) {
            throw accessFault(pc, a, size, write, stackLow);
        }
    }

    private void checkAtomic(int pc, long a, int size, long stackLow) {
        if (!(a >= stackLow && a + size <= stackTop && a + size >= a)) {
            checkRegion(pc, a, size, true, stackLow);
        }
        if ((a & (size - 1)) != 0) {
            throw fault(pc, "misaligned atomic access at 0x" + Long.toHexString(a));
        }
    }

    private VmException accessFault(int pc, long a, int size, boolean write, long stackLow) {
        String where = a >= stackBase && a < stackTop
                ? (a >= stackLow ? "crossing the end of the stack" : "in an inactive stack frame")
                : regions.describe(a);
        return fault(pc, "out-of-bounds " + (write ? "write" : "read") + " of " + size + " bytes at 0x"
                + Long.toHexString(a) + " (" + where + ")");
    }

    /** The helper a callx register names, or null (no registry, or an id out of range or unknown). */
    private Helper callxHelper(long id) {
        return helpers == null || id < 0 || id > Integer.MAX_VALUE ? null : helpers.get((int) id);
    }

    private VmException fault(int pc, String message) {
        String text = null;
        if (pc >= 0 && pc < program.length()) {
            try {
                text = Disassembler.format(program, pc);
            } catch (RuntimeException e) {
                text = "?";
            }
        }
        return new VmException(pc, text, message);
    }
}
