package io.jxdp.ebpf.verifier;

import io.jxdp.ebpf.asm.Disassembler;
import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ebpf.loader.LineInfo;
import io.jxdp.ebpf.loader.ProgramSpec;
import io.jxdp.ebpf.loader.ProgramType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The eBPF verifier for XDP programs: proves, before a program touches a packet, that every path
 * ends, reads only initialised registers and stack, accesses memory only within proven bounds
 * (packet after a comparison with data_end, map values within value_size, stack within 512 bytes,
 * xdp_md fields read-only), NULL-checks map lookups and ringbuf reservations, releases every
 * ringbuf record, calls helpers with arguments of the types their prototypes declare and returns
 * a scalar. It follows the kernel's {@code kernel/bpf/verifier.c}: a depth-first walk of every
 * path over abstract states (tnums plus signed/unsigned 64- and 32-bit bounds per register),
 * pruned where a new state is covered by one already proven safe; bounded loops are accepted when
 * the walk proves they end, and a state equal to one of its own ancestors is an infinite loop.
 *
 * <p><b>What it does not check</b> (each is rejected with a clear message, or noted):
 * <ul>
 *   <li>kfuncs, {@code callx}, BTF-id and fd_array LD_IMM64 forms: rejected.
 *   <li>Callbacks ({@code bpf_loop}, {@code bpf_for_each_map_elem}) are verified as the kernel's
 *       push_callback_call() does, but caller-stack scalars a callback changes are widened to
 *       unknown when the callback returns to its call site with a state not yet covered (the kernel
 *       converges by ignoring imprecise scalars instead), so an exact count kept across iterations
 *       is lost. The BTF func_info the kernel demands for callbacks is not required.
 *   <li>An XSKMAP lookup gives a map value of value_size bytes, not the kernel's read-only
 *       {@code xdp_sock} pointer.
 *   <li>A pointer stored through a variable-offset stack pointer is rejected (the kernel lets root
 *       do it and forgets the pointer).
 *   <li>BTF-typed function arguments of subprograms are not checked (global functions are
 *       verified like static ones, in their caller's context).
 *   <li>Values loaded from read-only (.rodata) maps are unknown, not the map's frozen contents,
 *       so both sides of a config test are verified (the kernel may prune one).
 *   <li>No dynamic precision tracking or stack liveness: pruning ignores dead registers and treats
 *       live scalars as interchangeable only where a static analysis ({@code Cfg.computeRelevance})
 *       shows their values cannot reach a branch, pointer, helper argument or stack store; the stack
 *       is compared whole. Sound, and on real programs close to, but not as strong as, the kernel's.
 *   <li>Spectre mitigations (the kernel's sanitisation of speculative paths) are not modelled.
 *   <li>{@code bpf_snprintf}'s format string is required to be in read-only map memory but its
 *       contents are not parsed.
 * </ul>
 */
public final class Verifier {
    /** struct xdp_md field offsets (include/uapi/linux/bpf.h). */
    static final int XDP_DATA = 0, XDP_DATA_END = 4, XDP_DATA_META = 8, XDP_INGRESS_IFINDEX = 12,
            XDP_RX_QUEUE_INDEX = 16, XDP_EGRESS_IFINDEX = 20, XDP_MD_SIZE = 24;
    /** BPF_MAX_VAR_OFF: pointer offsets beyond this are rejected. */
    static final long MAX_VAR_OFF = 1 << 29;
    /** MAX_PACKET_OFF: packet offsets fit in 16 bits. */
    static final long MAX_PACKET_OFF = 0xffff;
    static final int MAX_CALL_FRAMES = 8;
    /** include/uapi/linux/bpf.h BPF_FUNC_tail_call. */
    private static final int TAIL_CALL = 12;
    /**
     * Checkpoints kept per instruction (the kernel keeps any number for a privileged loader and
     * evicts unhelpful ones, as {@link #EVICT_MISSES} does here). Pruning here compares the stack
     * whole, so a loop head reached from many contexts needs many: without eviction,
     * lb_katran_full.o's 40-iteration TCP option walk kept about 1,300 at its head, and with a cap
     * of 256 its walk was no longer pruned and ran into the complexity limit.
     */
    private static final int MAX_STATES_PER_INSN = 2048;
    /**
     * is_state_visited()'s eviction: a proven state compared and missed more than
     * {@code hits * n + n} times is dropped from its instruction's list (the kernel's n is 3 for
     * such states). Dropping only costs pruning, never soundness, and keeps the lists short.
     */
    private static final int EVICT_MISSES = 3;
    private static final int MAX_LOG = 16 << 20;

    private final Program prog;
    /** The program's maps, then the inner-map templates of its map-in-map maps. */
    private final List<MapInfo> maps;
    /** How many maps the program itself refers to (the head of {@link #maps}). */
    private final int programMaps;
    /** For each program map holding maps, the index of its inner template in {@link #maps}; else -1. */
    private final int[] innerIndex;
    private final VerifierOptions opts;
    private final List<LineInfo> lines;
    private Cfg cfg;
    private List<State.Checkpoint>[] explored;
    private final ArrayDeque<State> pending = new ArrayDeque<>();
    private int idGen;
    private long processed;
    private int totalStates;
    private int peakStates;
    private final StringBuilder log = new StringBuilder();
    // facts
    private boolean[] visited;
    private InsnFact.Region[] region;
    private int[] ctxField;
    private byte[] branchSeen;
    private int[] stackDepth;
    private boolean[][] callees;
    private State current;
    /** A reason to reject found before the walk (wrong program type, unsupported relocations). */
    private String preError;

    private Verifier(Program prog, List<MapInfo> maps, VerifierOptions opts, List<LineInfo> lines) {
        this.prog = prog;
        List<MapInfo> all = new ArrayList<>(maps);
        this.programMaps = maps.size();
        this.innerIndex = new int[maps.size()];
        for (int m = 0; m < programMaps; m++) {
            MapInfo inner = maps.get(m).inner();
            innerIndex[m] = -1;
            if (maps.get(m).holdsMaps() && inner != null) {
                innerIndex[m] = all.size();
                all.add(inner);
            }
        }
        this.maps = List.copyOf(all);
        this.opts = opts;
        this.lines = lines == null ? List.of() : lines;
    }

    /** Verifies an XDP program whose LD_IMM64 map references index {@code maps}. */
    public static VerificationResult verify(Program prog, List<MapInfo> maps, VerifierOptions opts) {
        return new Verifier(prog, maps, opts, List.of()).run();
    }

    /**
     * Verifies a loaded program; {@code maps} is indexed as the object's maps (MapReloc.mapIndex),
     * and the program's BTF line info names the C source line of an error.
     */
    public static VerificationResult verify(ProgramSpec spec, List<MapInfo> maps, VerifierOptions opts) {
        Verifier v = new Verifier(Program.ofSlots(spec.instructions()), maps, opts, spec.lineInfo());
        if (spec.type() != ProgramType.XDP) {
            v.preError = "section '" + spec.sectionName() + "' is not an XDP program; jxdp verifies XDP programs only";
        } else if (!spec.coreRelocs().isEmpty()) {
            v.preError = spec.coreRelocs().size() + " CO-RE relocations are not supported (the loader does not apply them)";
        }
        return v.run();
    }

    @SuppressWarnings("unchecked")
    private VerificationResult run() {
        long t0 = System.nanoTime();
        int len = prog.length();
        visited = new boolean[len];
        region = new InsnFact.Region[len];
        Arrays.fill(region, InsnFact.Region.NONE);
        ctxField = new int[len];
        Arrays.fill(ctxField, -1);
        branchSeen = new byte[len];
        VerifierError error = null;
        try {
            if (preError != null) {
                throw new Reject(-1, preError);
            }
            cfg = new Cfg(prog, maps.subList(0, programMaps));
            explored = new List[len];
            stackDepth = new int[cfg.funcStarts.length];
            callees = new boolean[cfg.funcStarts.length][cfg.funcStarts.length];
            explore();
            checkStackDepth();
            checkTailCallStack();
        } catch (Reject r) {
            error = toError(r);
        } catch (RuntimeException | StackOverflowError e) {
            // a gap in the verifier itself must reject the program with context, never pass it or crash
            int pc = current != null ? current.pc : -1;
            error = toError(new Reject(pc, "internal verifier error (program rejected): " + e));
        }
        long nanos = System.nanoTime() - t0;
        if (opts.logLevel() > 0) {
            if (error != null) {
                log.append(error.format());
            }
            log.append("processed ").append(processed).append(" insns (limit ").append(opts.complexityLimit())
                    .append(") total_states ").append(totalStates).append(" peak_states ").append(peakStates)
                    .append('\n');
        }
        List<InsnFact> facts = new ArrayList<>(len);
        for (int pc = 0; pc < len; pc++) {
            InsnFact.Branch b = switch (branchSeen[pc]) {
                case 1 -> InsnFact.Branch.ALWAYS;
                case 2 -> InsnFact.Branch.NEVER;
                case 3 -> InsnFact.Branch.BOTH;
                default -> InsnFact.Branch.NONE;
            };
            Insn i = prog.insn(pc);
            int mapIndex = cfg != null && cfg.ops[pc] != null && (cfg.ops[pc] == Op.LDDW_MAP_FD
                    || cfg.ops[pc] == Op.LDDW_MAP_VALUE) ? i.imm() : -1;
            facts.add(new InsnFact(visited[pc], region[pc], ctxField[pc], b, mapIndex));
        }
        return new VerificationResult(error, facts, processed, totalStates, peakStates, nanos, log.toString());
    }

    private VerifierError toError(Reject r) {
        int pc = r.pc;
        String dis = "";
        String src = "";
        String state = "";
        if (pc >= 0 && pc < prog.length()) {
            try {
                dis = Disassembler.format(prog, pc);
            } catch (RuntimeException e) {
                dis = String.format("(code 0x%02x)", prog.insn(pc).code());
            }
            LineInfo best = null;
            for (LineInfo li : lines) {
                if (li.insnIndex() <= pc && (best == null || li.insnIndex() >= best.insnIndex())) {
                    best = li;
                }
            }
            if (best != null) {
                String file = best.file() == null ? "" : best.file();
                int slash = file.lastIndexOf('/');
                src = file.substring(slash + 1) + ":" + best.lineNo() + ": " + (best.line() == null ? "" : best.line().strip());
            }
            if (current != null) {
                state = describe(current);
            }
        }
        return new VerifierError(pc, r.getMessage(), dis, src, state);
    }

    // ================================================================== the walk

    private void explore() {
        State init = new State();
        Frame f = new Frame(0);
        f.funcStart = 0;
        f.regs[1].markPtr(RegType.PTR_TO_CTX);
        f.regs[10].markPtr(RegType.PTR_TO_STACK);
        f.regs[10].frameNo = 0;
        init.frames.add(f);
        init.pc = 0;
        pending.push(init);
        while (!pending.isEmpty()) {
            State st = pending.pop();
            current = st;
            walk(st);
        }
        current = null;
    }

    private void walk(State st) {
        while (true) {
            int pc = st.pc;
            if (++processed > opts.complexityLimit()) {
                throw new Reject(pc, "BPF program is too large or too complex: processed " + (processed - 1)
                        + " insns, the limit is " + opts.complexityLimit());
            }
            if (cfg.prunePoint[pc] && pruned(st, pc)) {
                endPath(st);
                return;
            }
            visited[pc] = true;
            if (opts.logLevel() >= 2 && log.length() < MAX_LOG) {
                log.append(pc).append(": ").append(Disassembler.format(prog, pc)).append("\t; ").append(describe(st))
                        .append('\n');
            }
            if (!step(st, pc)) {
                endPath(st);
                return;
            }
        }
    }

    /** is_state_visited(): true when an explored safe state at pc covers st. */
    private boolean pruned(State st, int pc) {
        List<State.Checkpoint> list = explored[pc];
        if (list == null) {
            list = explored[pc] = new ArrayList<>();
        }
        int hash = -1;
        boolean hashed = false;
        boolean callbackSite = cfg.callsCallback[pc];
        State.Checkpoint ancestor = null;
        for (java.util.Iterator<State.Checkpoint> it = list.iterator(); it.hasNext(); ) {
            State.Checkpoint cp = it.next();
            if (cp.branches > 0 && callbackSite) {
                // is_state_visited(): at a callback call site a state within an in-progress one
                // is a hit (the callback iterates a bounded number of times); no loop check here
                if (cp.state.covers(st, cfg.liveIn[pc], cfg.relevantIn[pc])) {
                    return true;
                }
                if (isAncestor(cp, st)) {
                    ancestor = cp;
                }
            } else if (cp.branches > 0) {
                if (!hashed) {
                    hash = st.shapeHash();
                    hashed = true;
                }
                if (cp.hash == hash && cp.state.callbackUnroll == st.callbackUnroll && cp.state.sameAs(st)
                        && isAncestor(cp, st)) {
                    throw new Reject(pc, "infinite loop detected at insn " + pc
                            + ": the loop came back to the same state, so it can never end");
                }
            } else if (cp.state.covers(st, cfg.liveIn[pc], cfg.relevantIn[pc])) {
                cp.hits++;
                return true;
            } else if (++cp.misses > cp.hits * EVICT_MISSES + EVICT_MISSES) {
                it.remove(); // is_state_visited(): unlikely to prune anything, and every miss costs a comparison
            }
        }
        if (ancestor != null) {
            widen(ancestor.state, st);
        }
        if (list.size() < MAX_STATES_PER_INSN) {
            State snap = st.copy();
            State.Checkpoint cp = new State.Checkpoint(snap, st.parent);
            list.add(cp);
            st.parent = cp;
            totalStates++;
            peakStates = Math.max(peakStates, list.size());
        }
        return false;
    }

    /**
     * A callback came back to its call site with a state the call site's earlier state does not
     * cover: stack scalars the callback changed (through its context pointer) become unknown, so
     * that the next iteration converges (the kernel gets there by not tracking imprecise scalars).
     */
    private static void widen(State old, State cur) {
        if (old.frames.size() != cur.frames.size()) {
            return;
        }
        for (int fi = 0; fi < cur.frames.size(); fi++) {
            Frame o = old.frames.get(fi);
            Frame c = cur.frames.get(fi);
            for (int s = 0; s < Frame.SLOTS; s++) {
                Reg os = o.spilled[s];
                Reg cs = c.spilled[s];
                if (os != null && cs != null && os.type == RegType.SCALAR && cs.type == RegType.SCALAR
                        && !os.sameAs(cs)) {
                    cs.markUnknown();
                }
            }
            for (int b = 0; b < Frame.STACK_SIZE; b++) {
                if (o.stack[b] == Frame.MISC && c.stack[b] == Frame.ZERO) {
                    c.stack[b] = Frame.MISC;
                }
            }
        }
    }

    private static boolean isAncestor(State.Checkpoint cp, State st) {
        for (State.Checkpoint p = st.parent; p != null; p = p.parent) {
            if (p == cp) {
                return true;
            }
        }
        return false;
    }

    /** update_branch_counts(): the path is done; checkpoints whose every path is done become usable. */
    private static void endPath(State st) {
        for (State.Checkpoint cp = st.parent; cp != null; cp = cp.parent) {
            if (--cp.branches > 0) {
                break;
            }
        }
    }

    private void fork(State other) {
        if (other.parent != null) {
            other.parent.branches++;
        }
        pending.push(other);
    }

    /** Executes one instruction abstractly; false when the path ends (main program exit). */
    private boolean step(State st, int pc) {
        Op op = cfg.ops[pc];
        Insn i = cfg.insns[pc];
        switch (op.kind) {
            case ALU, NEG, MOVSX, END -> {
                alu(st, pc, op, i);
                st.pc = pc + 1;
            }
            case LDX, LDXSX -> {
                Reg base = read(st, pc, i.src());
                Reg dst = new Reg();
                access(st, pc, base, i.src(), i.off(), op.width, false, null, dst, op.kind == Op.Kind.LDXSX);
                writeReg(st, pc, i.dst()).copyFrom(dst);
                st.pc = pc + 1;
            }
            case ST -> {
                Reg base = read(st, pc, i.dst());
                Reg v = new Reg();
                v.markConst(i.imm());
                access(st, pc, base, i.dst(), i.off(), op.width, true, v, null, false);
                st.pc = pc + 1;
            }
            case STX -> {
                Reg base = read(st, pc, i.dst());
                Reg v = read(st, pc, i.src());
                access(st, pc, base, i.dst(), i.off(), op.width, true, v.copy(), null, false);
                st.pc = pc + 1;
            }
            case ATOMIC -> {
                atomic(st, pc, op, i);
                st.pc = pc + 1;
            }
            case LDDW -> {
                ldImm64(st, pc, op, i);
                st.pc = pc + 2;
            }
            case JA -> {
                st.pc = pc + 1 + i.off();
            }
            case JA32 -> {
                st.pc = pc + 1 + i.imm();
            }
            case JUMP -> condJump(st, pc, op, i);
            case CALL -> {
                helperCall(st, pc, i.imm());
                st.pc = pc + 1;
                if (i.imm() == TAIL_CALL && st.frames.size() > 1) {
                    return tailCallFromSubprogram(st, pc);
                }
            }
            case CALL_LOCAL -> localCall(st, pc, pc + 1 + i.imm());
            case CALL_KFUNC -> throw new Reject(pc, "calls to kernel functions (kfuncs) are not supported");
            case CALLX -> throw new Reject(pc, "indirect calls (callx) are not supported");
            case EXIT -> {
                return exit(st, pc);
            }
            case LD_ABS, LD_IND -> throw new Reject(pc,
                    "BPF_LD_[ABS|IND] instructions not allowed for this program type (XDP reads packets directly)");
        }
        return true;
    }

    // ================================================================== registers

    private Reg read(State st, int pc, int r) {
        Reg reg = st.reg(r);
        if (reg.type == RegType.NOT_INIT) {
            throw new Reject(pc, "R" + r + " !read_ok: R" + r + " is read before any value was written to it"
                    + (r >= 1 && r <= 5 && pc > 0 ? " (r1-r5 do not survive a call)" : ""));
        }
        return reg;
    }

    private Reg writeReg(State st, int pc, int r) {
        if (r == 10) {
            throw new Reject(pc, "frame pointer is read only: r10 cannot be written");
        }
        return st.reg(r);
    }

    // ================================================================== ALU

    private void alu(State st, int pc, Op op, Insn i) {
        int width = op.width == 32 || op.kind == Op.Kind.MOVSX && op.width == 32 ? 32 : 64;
        String m = op.mnemonic.replace("32", "");
        boolean mov = m.equals("mov");
        if (op.kind == Op.Kind.ALU && op.source == Op.Source.IMM) {
            boolean div = m.equals("div") || m.equals("mod") || m.equals("sdiv") || m.equals("smod");
            if (div && i.imm() == 0) {
                throw new Reject(pc, "div by zero: division or modulo by the immediate 0");
            }
            boolean shift = m.equals("lsh") || m.equals("rsh") || m.equals("arsh");
            if (shift && (i.imm() < 0 || i.imm() >= width)) {
                throw new Reject(pc, "invalid shift " + i.imm() + ": a " + width + "-bit value may be shifted by 0.."
                        + (width - 1));
            }
        }
        Reg src;
        if (op.kind == Op.Kind.ALU && op.source == Op.Source.REG || op.kind == Op.Kind.MOVSX) {
            src = read(st, pc, i.src());
        } else {
            src = new Reg();
            src.markConst(width == 32 ? i.imm() & Reg.U32_MAX : i.imm());
        }
        if (!mov && op.kind != Op.Kind.MOVSX) {
            read(st, pc, i.dst());
        }
        Reg dst = writeReg(st, pc, i.dst());
        switch (op.kind) {
            case MOVSX -> {
                Reg s = src.copy();
                if (s.type.isPointer()) {
                    pointerToScalar(pc, i.src(), "sign-extension of part of");
                    s.markUnknown();
                }
                Alu.movsx(dst, s, i.off(), width);
            }
            case NEG -> {
                if (dst.type.isPointer()) {
                    pointerToScalar(pc, i.dst(), "negation of");
                    dst.markUnknown();
                }
                Reg zero = new Reg();
                zero.markConst(0);
                Reg v = dst.copy();
                dst.copyFrom(zero);
                Alu.scalar(width == 32 ? Op.SUB32_REG : Op.SUB64_REG, dst, v, width);
            }
            case END -> {
                if (dst.type.isPointer()) {
                    pointerToScalar(pc, i.dst(), "byte swap of");
                    dst.markUnknown();
                }
                // as the kernel (check_reg_arg(DST_OP) in check_alu_op): a byte swap's result is unknown
                dst.markUnknown();
            }
            default -> {
                if (mov) {
                    Reg s = src.copy();
                    if (width == 64) {
                        dst.copyFrom(s);
                    } else {
                        if (s.type.isPointer()) {
                            pointerToScalar(pc, i.src(), "partial copy of");
                            s.markUnknown();
                        }
                        Alu.narrowTo32(s, dst);
                        dst.type = RegType.SCALAR;
                        dst.id = 0;
                    }
                    return;
                }
                if (dst.type.isPointer() || src.type.isPointer()) {
                    pointerArith(st, pc, op, i, dst, src.copy(), width);
                } else {
                    Alu.scalar(op, dst, src.copy(), width);
                }
            }
        }
    }

    private void pointerToScalar(int pc, int r, String what) {
        if (!opts.allowPtrLeaks()) {
            throw new Reject(pc, "R" + r + " " + what + " a pointer is prohibited: it would leak a kernel address");
        }
    }

    /** adjust_ptr_min_max_vals(): pointer +/- scalar, scalar + pointer, pointer - pointer. */
    private void pointerArith(State st, int pc, Op op, Insn i, Reg dst, Reg src, int width) {
        String m = op.mnemonic.replace("32", "");
        int dr = i.dst();
        boolean add = m.equals("add");
        boolean sub = m.equals("sub");
        if (width == 32) {
            if (sub && opts.allowPtrLeaks()) {
                dst.markUnknown();
                Alu.truncate(dst, 4);
                return;
            }
            throw new Reject(pc, "R" + dr + " 32-bit pointer arithmetic prohibited: pointers are 64-bit");
        }
        if (m.equals("and") || m.equals("or") || m.equals("xor")) {
            throw new Reject(pc, "R" + dr + " bitwise operator " + op.symbol + " on pointer prohibited");
        }
        if (!add && !sub) {
            throw new Reject(pc, "R" + dr + " pointer arithmetic with " + op.symbol + " operator prohibited");
        }
        if (dst.type.isPointer() && src.type.isPointer()) {
            if (sub && opts.allowPtrLeaks()) {
                dst.markUnknown(); // the distance between two pointers is an unknown scalar
                return;
            }
            throw new Reject(pc, "R" + dr + " pointer " + op.symbol + " pointer prohibited");
        }
        Reg ptr;
        Reg off;
        if (dst.type.isPointer()) {
            ptr = dst.copy();
            off = src;
        } else {
            if (sub) {
                throw new Reject(pc, "R" + dr + " tried to subtract pointer from scalar");
            }
            ptr = src;
            off = dst.copy();
        }
        RegType t = ptr.type;
        if (t.maybeNull()) {
            throw new Reject(pc, "R" + dr + " pointer arithmetic on " + t + " prohibited, null-check it first");
        }
        if (sub && t == RegType.PTR_TO_STACK) {
            // adjust_ptr_min_max_vals(): JITs may not cope with subtraction from the frame pointer
            throw new Reject(pc, "R" + dr + " subtraction from stack pointer prohibited: add a negative offset instead");
        }
        if (t == RegType.PTR_TO_PACKET_END || t == RegType.PTR_TO_FUNC || t == RegType.CONST_PTR_TO_MAP && !(add && off.isConst()
                && off.var.value() == 0)) {
            throw new Reject(pc, "R" + dr + " pointer arithmetic on " + t + " prohibited");
        }
        checkSaneOffset(pc, off, t, dr);
        Reg res = ptr.copy();
        if (off.isConst()) {
            long k = off.var.value();
            long no = sub ? (long) res.off - k : (long) res.off + k;
            if (no >= MAX_VAR_OFF || no <= -MAX_VAR_OFF) {
                throw new Reject(pc, t + " pointer offset " + no + " is not allowed (beyond +/-2^29)");
            }
            res.off = (int) no;
        } else {
            Reg v = ptr.copy();
            v.type = RegType.SCALAR;
            if (sub) {
                Alu.sub(v, off);
            } else {
                Alu.add(v, off);
            }
            v.sync();
            res.var = v.var;
            res.smin = v.smin;
            res.smax = v.smax;
            res.umin = v.umin;
            res.umax = v.umax;
            res.s32min = v.s32min;
            res.s32max = v.s32max;
            res.u32min = v.u32min;
            res.u32max = v.u32max;
            if (t.isPacket()) {
                res.id = ++idGen; // something was added to the packet pointer: its proven range is gone
                res.range = 0;
            }
        }
        checkSaneOffset(pc, res, t, dr);
        dst.copyFrom(res);
    }

    /** check_reg_sane_offset(). */
    private static void checkSaneOffset(int pc, Reg r, RegType t, int dr) {
        if (r.isConst()) {
            long v = r.var.value();
            if (r.type == RegType.SCALAR && (v >= MAX_VAR_OFF || v <= -MAX_VAR_OFF)) {
                throw new Reject(pc, "math between " + t + " pointer and " + v + " is not allowed (beyond +/-2^29)");
            }
            return;
        }
        if (r.smin == Long.MIN_VALUE) {
            throw new Reject(pc, "R" + dr + ": math between " + t
                    + " pointer and register with unbounded min value is not allowed");
        }
        if (r.smin >= MAX_VAR_OFF || r.smin <= -MAX_VAR_OFF) {
            throw new Reject(pc, "R" + dr + ": value " + r.smin + " makes " + t + " pointer be out of bounds");
        }
        // as the kernel, only the minimum is checked here; a large maximum fails at the access
    }

    // ================================================================== LD_IMM64

    private void ldImm64(State st, int pc, Op op, Insn i) {
        Reg d = writeReg(st, pc, i.dst());
        Insn hi = cfg.insns[pc + 1];
        switch (op) {
            case LDDW -> d.markConst((i.imm() & Reg.U32_MAX) | (long) hi.imm() << 32);
            case LDDW_MAP_FD -> {
                d.markPtr(RegType.CONST_PTR_TO_MAP);
                d.mapIndex = i.imm();
            }
            case LDDW_MAP_VALUE -> {
                d.markPtr(RegType.PTR_TO_MAP_VALUE);
                d.mapIndex = i.imm();
                d.off = hi.imm();
            }
            case LDDW_FUNC -> {
                d.markPtr(RegType.PTR_TO_FUNC);
                d.off = pc + 1 + i.imm();
            }
            default -> throw new Reject(pc, "unsupported ld_imm64 form");
        }
    }

    // ================================================================== memory

    /**
     * check_mem_access(): a load (into {@code out}) or store (of {@code value}) of {@code size}
     * bytes at {@code base + off}.
     */
    private void access(State st, int pc, Reg base, int br, int off, int size, boolean write, Reg value, Reg out,
            boolean signExtend) {
        RegType t = base.type;
        InsnFact.Region reg = switch (t) {
            case PTR_TO_CTX -> InsnFact.Region.CTX;
            case PTR_TO_PACKET, PTR_TO_PACKET_META -> InsnFact.Region.PACKET;
            case PTR_TO_STACK -> InsnFact.Region.STACK;
            case PTR_TO_MAP_VALUE, PTR_TO_MAP_KEY -> InsnFact.Region.MAP_VALUE;
            case PTR_TO_MEM -> InsnFact.Region.MEM;
            default -> InsnFact.Region.NONE;
        };
        switch (t) {
            case SCALAR -> throw new Reject(pc, "R" + br + " invalid mem access 'scalar': "
                    + (base.isNullConst() ? "R" + br + " is NULL" : "R" + br + " holds a number, not a pointer"));
            case PTR_TO_MAP_VALUE_OR_NULL -> throw new Reject(pc, "R" + br
                    + " may be NULL: a map_lookup_elem result must be NULL-checked before it is dereferenced");
            case PTR_TO_MEM_OR_NULL -> throw new Reject(pc, "R" + br
                    + " may be NULL: a ringbuf_reserve result must be NULL-checked before it is dereferenced");
            case PTR_TO_PACKET_END, CONST_PTR_TO_MAP, PTR_TO_FUNC -> throw new Reject(pc, "R" + br
                    + " invalid mem access '" + t + "': this pointer may not be dereferenced");
            default -> { }
        }
        recordRegion(pc, reg);
        if (write && value != null && value.type.isPointer() && !opts.allowPtrLeaks() && t != RegType.PTR_TO_STACK) {
            throw new Reject(pc, "R" + (cfg.insns[pc].src()) + " leaks addr into " + (t == RegType.PTR_TO_MAP_VALUE
                    ? "map" : t.isPacket() ? "packet" : "mem"));
        }
        switch (t) {
            case PTR_TO_CTX -> {
                ctxAccess(pc, base, br, off, size, write, out);
                if (signExtend && out.type.isPointer()) {
                    throw new Reject(pc, "invalid bpf_context access off=" + off + " size=" + size
                            + ": a sign-extending load cannot read a packet pointer field");
                }
                if (signExtend) {
                    Alu.loaded(out, size, true);
                }
            }
            case PTR_TO_PACKET, PTR_TO_PACKET_META -> {
                packetRange(pc, base, br, off, size);
                if (out != null) {
                    Alu.loaded(out, size, signExtend);
                }
            }
            case PTR_TO_MAP_VALUE -> {
                MapInfo m = maps.get(base.mapIndex);
                if (write && m.readOnlyForProgram()) {
                    throw new Reject(pc, "write into map forbidden, value_size=" + m.valueSize() + " off="
                            + (off + base.off) + " size=" + size + ": the map is read-only for the program");
                }
                boundedRange(pc, base, br, off, size, m.valueSize(), "map value, value_size=" + m.valueSize());
                if (out != null) {
                    Alu.loaded(out, size, signExtend);
                }
            }
            case PTR_TO_MEM -> {
                boundedRange(pc, base, br, off, size, base.memSize, "memory, mem_size=" + base.memSize);
                if (out != null) {
                    Alu.loaded(out, size, signExtend);
                }
            }
            case PTR_TO_MAP_KEY -> {
                // check_mem_access(): a for_each_map_elem callback may read the key, not change it
                if (write) {
                    throw new Reject(pc, "write to change key R" + br + " not allowed");
                }
                MapInfo m = maps.get(base.mapIndex);
                boundedRange(pc, base, br, off, size, m.keySize(), "map key, key_size=" + m.keySize());
                Alu.loaded(out, size, signExtend);
            }
            case PTR_TO_STACK -> {
                Frame f = st.frames.get(base.frameNo);
                if (!base.isConst()) {
                    stackVarOff(pc, f, base, br, off, size, write, out, signExtend, value);
                    return;
                }
                int so = stackOffset(pc, base, br, off, size, write);
                if (write) {
                    stackWrite(pc, f, so, size, value);
                } else {
                    stackRead(pc, f, so, size, out, signExtend, br);
                }
            }
            default -> throw new Reject(pc, "R" + br + " invalid mem access '" + t + "'");
        }
    }

    private void recordRegion(int pc, InsnFact.Region r) {
        InsnFact.Region prev = region[pc];
        if (prev == InsnFact.Region.NONE) {
            region[pc] = r;
        } else if (prev != r) {
            if (prev == InsnFact.Region.CTX || r == InsnFact.Region.CTX) {
                throw new Reject(pc, "same insn cannot be used with different pointers: it accesses the context on"
                        + " one path and other memory on another");
            }
            region[pc] = InsnFact.Region.MIXED;
        }
    }

    /** xdp_is_valid_access() + __is_valid_xdp_access() (net/core/filter.c). */
    private void ctxAccess(int pc, Reg base, int br, int off, int size, boolean write, Reg out) {
        if (base.off != 0 || !base.varIsZero()) {
            throw new Reject(pc, "dereference of modified ctx ptr R" + br + " off=" + base.off
                    + " disallowed: load context fields through the unmodified context pointer");
        }
        String where = "invalid bpf_context access off=" + off + " size=" + size;
        if (write) {
            throw new Reject(pc, where + ": struct xdp_md is read-only");
        }
        if (off < 0 || off >= XDP_MD_SIZE || size != 4 || off % 4 != 0) {
            throw new Reject(pc, where + ": struct xdp_md has six 4-byte fields at offsets 0..20");
        }
        if (off == XDP_EGRESS_IFINDEX) {
            throw new Reject(pc, where + ": egress_ifindex is only readable by programs attached to a devmap");
        }
        int prev = ctxField[pc];
        if (prev != -1 && prev != off) {
            throw new Reject(pc, "same insn cannot be used with different context fields");
        }
        ctxField[pc] = off;
        switch (off) {
            case XDP_DATA -> out.markPtr(RegType.PTR_TO_PACKET);
            case XDP_DATA_END -> out.markPtr(RegType.PTR_TO_PACKET_END);
            case XDP_DATA_META -> out.markPtr(RegType.PTR_TO_PACKET_META);
            default -> Alu.loaded(out, 4, false);
        }
    }

    /** check_packet_access(): [off, off+size) of the pointer lies within its proven range. */
    private void packetRange(int pc, Reg p, int br, int off, int size) {
        if (p.smin < 0) {
            throw new Reject(pc, "R" + br + " min value is negative, either use unsigned index or do a if (index >=0)"
                    + " check");
        }
        if (p.range < 0) {
            throw new Reject(pc, "R" + br + " offset is outside of the packet: on this path a comparison showed R" + br
                    + " at or beyond data_end");
        }
        long start = (long) off + p.off;
        if (start < 0 || start + size > p.range) {
            throw new Reject(pc, "invalid access to packet, off=" + start + " size=" + size + ", R" + br + "(id=" + p.id
                    + ",off=" + p.off + ",r=" + p.range + "): the access is not proven to be below data_end;"
                    + " compare the pointer against data_end first");
        }
        if (Long.compareUnsigned(p.umax, MAX_PACKET_OFF) > 0 || p.umax + start + size > MAX_PACKET_OFF) {
            throw new Reject(pc, "R" + br + " unbounded memory access, use 'var &= const' or 'if (var < const)'");
        }
    }

    /** check_map_access() / check_mem_region_access(): constant and variable offset within [0, limit). */
    private void boundedRange(int pc, Reg p, int br, int off, int size, int limit, String what) {
        if (p.smin < 0 && !p.varIsZero()) {
            throw new Reject(pc, "R" + br + " min value is negative, either use unsigned index or do a if (index >=0)"
                    + " check");
        }
        if (Long.compareUnsigned(p.umax, MAX_VAR_OFF) >= 0) {
            throw new Reject(pc, "R" + br + " unbounded memory access, make sure to bounds check any such access");
        }
        long lo = (long) off + p.off + p.smin;
        long hi = (long) off + p.off + p.umax + size;
        if (lo < 0 || hi > limit) {
            throw new Reject(pc, "invalid access to " + what + " off=" + ((long) off + p.off)
                    + (p.varIsZero() ? "" : "+[" + p.smin + "," + p.umax + "]") + " size=" + size
                    + ": the access reaches outside [0, " + limit + ")");
        }
    }

    /** The stack byte index (0..511, fp-512 is 0) of a fixed-offset access, checked. */
    private int stackOffset(int pc, Reg p, int br, int off, int size, boolean write) {
        if (!p.isConst()) {
            throw new Reject(pc, "variable stack access var_off=" + p.var + " via R" + br
                    + " is not supported: index stack arrays with constants");
        }
        long o = (long) off + p.off + p.var.value();
        if (o < -Frame.STACK_SIZE || o + size > 0) {
            throw new Reject(pc, "invalid " + (write ? "write to" : "read from") + " stack R" + br + " off=" + o
                    + " size=" + size + ": the stack is fp-512..fp-1");
        }
        if (o % size != 0) {
            throw new Reject(pc, "misaligned stack access off " + o + " size " + size
                    + ": stack accesses must be aligned to their size");
        }
        int depth = (int) -o;
        int f = cfg.funcOf[current.frames.get(p.frameNo).funcStart];
        stackDepth[f] = Math.max(stackDepth[f], depth);
        return (int) (o + Frame.STACK_SIZE);
    }

    /**
     * check_stack_read_var_off() / check_stack_write_var_off(): an access through a stack pointer
     * with a bounded variable offset touches any of the bytes [min, max + size); a write makes them
     * all plain data, a read needs them initialised (privileged: any) and gives an unknown value.
     */
    private void stackVarOff(int pc, Frame f, Reg p, int br, int off, int size, boolean write, Reg out,
            boolean signExtend, Reg value) {
        int[] r = stackVarRange(pc, p, br, off, size, write ? "write to" : "read from");
        Tnum at = p.var.add(Tnum.constant((long) off + p.off));
        if (((at.value() | at.mask()) & (size - 1)) != 0) {
            throw new Reject(pc, "misaligned variable-offset stack access var_off=" + p.var + "+" + (off + p.off)
                    + " size " + size + ": every possible address must be aligned to the access size");
        }
        if (write && value != null && value.type.isPointer()) {
            throw new Reject(pc, "R" + cfg.insns[pc].src() + " pointer spilled through a variable-offset stack"
                    + " pointer: the verifier could not track it");
        }
        touchStackRange(pc, f, r[0], r[1], write, br, size);
        if (!write) {
            Alu.loaded(out, size, signExtend);
        }
    }

    /** The byte range [from, to) (0 = fp-512) a variable-offset stack access may touch, checked. */
    private int[] stackVarRange(int pc, Reg p, int br, int off, int size, String what) {
        if (p.smin <= -MAX_VAR_OFF || p.smax >= MAX_VAR_OFF) {
            throw new Reject(pc, "R" + br + " unbounded variable-offset stack access: bound the index first");
        }
        long min = (long) off + p.off + p.smin;
        long max = (long) off + p.off + p.smax;
        if (min < -Frame.STACK_SIZE || max + size > 0) {
            throw new Reject(pc, "invalid variable-offset " + what + " stack R" + br + " var_off=" + p.var
                    + " off=" + (off + p.off) + " size=" + size + ": the addresses fp" + min + "..fp" + (max + size)
                    + " leave fp-512..fp-1");
        }
        int fi = cfg.funcOf[current.frames.get(p.frameNo).funcStart];
        stackDepth[fi] = Math.max(stackDepth[fi], (int) -min);
        return new int[] {(int) (min + Frame.STACK_SIZE), (int) (max + size + Frame.STACK_SIZE)};
    }

    /** Reads need every byte initialised (unless privileged); writes turn every byte into data. */
    private void touchStackRange(int pc, Frame f, int from, int to, boolean write, int br, int size) {
        for (int b = from; b < to; b++) {
            byte k = f.stack[b];
            Reg sp = f.spilled[b / 8];
            if (k == Frame.SPILL && sp != null && sp.type.isPointer() && !opts.allowPtrLeaks()) {
                throw new Reject(pc, "spilled pointer in range of variable-offset stack access via R" + br);
            }
            if (!write && k == Frame.INVALID && !opts.allowUninitStack()) {
                throw new Reject(pc, "invalid variable-offset read from stack R" + br + " size " + size + ": fp"
                        + (b - Frame.STACK_SIZE) + " may be read and was never written");
            }
        }
        for (int sl = from / 8; sl <= (to - 1) / 8; sl++) {
            f.clearSpill(sl); // the kernel turns every spill in range into plain data
        }
        for (int b = from; b < to; b++) {
            if (write || f.stack[b] == Frame.INVALID) {
                f.stack[b] = Frame.MISC;
            }
        }
    }

    private void stackWrite(int pc, Frame f, int at, int size, Reg value) {
        int s = at / 8;
        boolean aligned8 = at % 8 == 0;
        if (value.type.isPointer() && size != 8) {
            throw new Reject(pc, "invalid size of register spill: a pointer must be stored with 8 bytes");
        }
        for (int k = at / 8; k <= (at + size - 1) / 8; k++) {
            if (f.spilled[k] != null && f.spilled[k].type.isPointer() && !opts.allowPtrLeaks()
                    && (size != 8 || !aligned8)) {
                throw new Reject(pc, "attempt to corrupt spilled pointer on stack");
            }
            f.clearSpill(k);
        }
        if (aligned8 && (size == 8 || value.type == RegType.SCALAR)) {
            Reg v = value.copy();
            if (size < 8) {
                Alu.truncate(v, size);
            }
            f.spilled[s] = v;
            f.spillSize[s] = (byte) size;
            Arrays.fill(f.stack, at, at + size, Frame.SPILL);
            return;
        }
        byte kind = value.isNullConst() ? Frame.ZERO : Frame.MISC;
        Arrays.fill(f.stack, at, at + size, kind);
    }

    private void stackRead(int pc, Frame f, int at, int size, Reg out, boolean signExtend, int br) {
        int s = at / 8;
        if (f.stack[at] == Frame.SPILL && at % 8 == 0 && f.spilled[s] != null) {
            Reg sp = f.spilled[s];
            if (sp.type.isPointer()) {
                if (size != 8) {
                    throw new Reject(pc, "invalid size of register fill: a spilled pointer must be loaded with 8 bytes");
                }
                out.copyFrom(sp);
                return;
            }
            if (size == f.spillSize[s]) {
                out.copyFrom(sp);
                if (signExtend && size < 8) {
                    Reg w = out.copy();
                    Alu.movsx(out, w, size * 8, 64);
                }
                return;
            }
        }
        boolean allZero = true;
        for (int b = at; b < at + size; b++) {
            byte k = f.stack[b];
            if (k == Frame.INVALID && !opts.allowUninitStack()) {
                throw new Reject(pc, "invalid read from stack off " + (at - Frame.STACK_SIZE) + "+" + (b - at) + " size "
                        + size + ": fp" + (b - Frame.STACK_SIZE) + " was never written");
            }
            if (k == Frame.SPILL) {
                Reg sp = f.spilled[b / 8];
                if (sp != null && sp.type.isPointer()) {
                    throw new Reject(pc, "invalid size of register fill: part of a spilled pointer is read");
                }
                if (sp == null || !sp.isNullConst()) {
                    allZero = false;
                }
            } else if (k != Frame.ZERO) {
                allZero = false;
            }
        }
        if (allZero) {
            out.markConst(0);
        } else {
            Alu.loaded(out, size, signExtend);
        }
    }

    private void atomic(State st, int pc, Op op, Insn i) {
        Reg base = read(st, pc, i.dst());
        Reg v = read(st, pc, i.src());
        boolean cmpxchg = op == Op.ATOMIC32_CMPXCHG || op == Op.ATOMIC64_CMPXCHG;
        if (cmpxchg) {
            read(st, pc, 0);
        }
        if (base.type == RegType.PTR_TO_CTX || base.type.isPacket()) {
            throw new Reject(pc, "BPF_ATOMIC stores into R" + i.dst() + " " + base.type + " is not allowed");
        }
        if (v.type.isPointer() && !opts.allowPtrLeaks()) {
            throw new Reject(pc, "R" + i.src() + " leaks addr into mem");
        }
        Reg loaded = new Reg();
        access(st, pc, base, i.dst(), i.off(), op.width, false, null, loaded, false);
        Reg stored = new Reg();
        stored.markUnknown();
        access(st, pc, base, i.dst(), i.off(), op.width, true, stored, null, false);
        boolean fetch = !(op.discValue == 0 || op.discValue == 64 || op.discValue == 80 || op.discValue == 160);
        if (fetch) {
            int r = cmpxchg ? 0 : i.src();
            Reg out = writeReg(st, pc, r);
            out.copyFrom(loaded);
            if (loaded.type.isPointer()) {
                out.markUnknown();
            }
        }
    }

    // ================================================================== jumps

    private static Branch.Cond cond(Op op) {
        return switch (op.mnemonic.replace("32", "")) {
            case "jeq" -> Branch.Cond.EQ;
            case "jne" -> Branch.Cond.NE;
            case "jgt" -> Branch.Cond.GT;
            case "jge" -> Branch.Cond.GE;
            case "jlt" -> Branch.Cond.LT;
            case "jle" -> Branch.Cond.LE;
            case "jsgt" -> Branch.Cond.SGT;
            case "jsge" -> Branch.Cond.SGE;
            case "jslt" -> Branch.Cond.SLT;
            case "jsle" -> Branch.Cond.SLE;
            default -> Branch.Cond.SET;
        };
    }

    private void condJump(State st, int pc, Op op, Insn i) {
        int target = pc + 1 + i.off();
        boolean is32 = op.width == 32;
        Branch.Cond c = cond(op);
        Reg dst = read(st, pc, i.dst());
        boolean srcReg = op.source == Op.Source.REG;
        Reg src;
        if (srcReg) {
            src = read(st, pc, i.src());
        } else {
            src = new Reg();
            src.markConst(is32 ? i.imm() & Reg.U32_MAX : i.imm());
        }
        if (dst.type == RegType.SCALAR && src.type == RegType.SCALAR) {
            int taken = Branch.taken(dst, src, c, is32);
            if (taken == 1) {
                branchSeen[pc] |= 1;
                st.pc = target;
                return;
            }
            if (taken == 0) {
                branchSeen[pc] |= 2;
                st.pc = pc + 1;
                return;
            }
            branchSeen[pc] |= 3;
            State other = st.copy();
            refineScalars(other, i, srcReg, src, c, is32);
            refineScalars(st, i, srcReg, src, c.negate(), is32);
            other.pc = target;
            st.pc = pc + 1;
            fork(other);
            return;
        }
        branchSeen[pc] |= 3;
        // NULL checks: 'if rX == 0' / 'if rX != 0' on a pointer that may be NULL
        boolean zero = src.isNullConst();
        if ((c == Branch.Cond.EQ || c == Branch.Cond.NE) && zero && !is32 && dst.type.maybeNull()) {
            State other = st.copy();
            int id = dst.id;
            markNull(c == Branch.Cond.EQ ? other : st, id, true);
            markNull(c == Branch.Cond.EQ ? st : other, id, false);
            other.pc = target;
            st.pc = pc + 1;
            fork(other);
            return;
        }
        if ((c == Branch.Cond.EQ || c == Branch.Cond.NE) && zero && (dst.type == RegType.PTR_TO_MAP_VALUE
                || dst.type == RegType.PTR_TO_MEM)) {
            // reg_not_null(): a NULL-checked map value or record compared with 0; the outcome is known
            // (the kernel does not assume this for ctx, stack or packet pointers, so neither do we)
            boolean jump = c == Branch.Cond.NE;
            branchSeen[pc] = (byte) (jump ? 1 : 2);
            st.pc = jump ? target : pc + 1;
            return;
        }
        if (!is32 && packetCompare(st, pc, i, dst, src, c, target)) {
            return;
        }
        if (!opts.allowPtrLeaks()) {
            throw new Reject(pc, "R" + (dst.type.isPointer() ? i.dst() : i.src()) + " pointer comparison prohibited");
        }
        State other = st.copy();
        other.pc = target;
        st.pc = pc + 1;
        fork(other);
    }

    private static void refineScalars(State s, Insn i, boolean srcReg, Reg srcConst, Branch.Cond c, boolean is32) {
        Reg a = s.reg(i.dst());
        Reg b = srcReg ? s.reg(i.src()) : srcConst.copy();
        if (srcReg && i.src() == i.dst()) {
            b = a.copy();
        }
        Branch.refine(a, b, c, is32);
    }

    /** mark_ptr_or_null_regs(): every copy of the pointer (same id) becomes NULL or non-NULL. */
    private void markNull(State s, int id, boolean isNull) {
        if (id == 0) {
            return;
        }
        for (Frame f : s.frames) {
            for (Reg r : f.regs) {
                markNullReg(r, id, isNull);
            }
            for (Reg r : f.spilled) {
                if (r != null) {
                    markNullReg(r, id, isNull);
                }
            }
        }
        if (isNull) {
            s.refs.removeIf(ref -> ref[0] == id); // a NULL record holds nothing to release
        }
    }

    private void markNullReg(Reg r, int id, boolean isNull) {
        if (r.type.maybeNull() && r.id == id) {
            if (isNull) {
                r.markConst(0);
            } else if (r.type == RegType.PTR_TO_MAP_VALUE_OR_NULL && maps.get(r.mapIndex).holdsMaps()) {
                // mark_ptr_or_null_reg(): a map-in-map lookup gives CONST_PTR_TO_MAP of inner_map_meta
                int inner = innerIndex[r.mapIndex];
                r.markPtr(RegType.CONST_PTR_TO_MAP);
                r.mapIndex = inner;
            } else {
                r.type = r.type.nonNull();
                r.id = 0;
            }
        }
    }

    /**
     * try_match_pkt_pointers(): pkt vs pkt_end (and pkt_meta vs pkt) comparisons prove a range on
     * the side where the pointer is at or below the end: find_good_pkt_pointers() gives every
     * packet pointer with the same id the range of the pointer's fixed offset.
     */
    private boolean packetCompare(State st, int pc, Insn i, Reg dst, Reg src, Branch.Cond c, int target) {
        boolean dstPkt = dst.type == RegType.PTR_TO_PACKET && src.type == RegType.PTR_TO_PACKET_END
                || dst.type == RegType.PTR_TO_PACKET_META && src.type == RegType.PTR_TO_PACKET;
        boolean srcPkt = src.type == RegType.PTR_TO_PACKET && dst.type == RegType.PTR_TO_PACKET_END
                || src.type == RegType.PTR_TO_PACKET_META && dst.type == RegType.PTR_TO_PACKET;
        if (!dstPkt && !srcPkt) {
            return false;
        }
        Reg pkt = dstPkt ? dst : src;
        Branch.Cond cc = dstPkt ? c : c.swap(); // now: pkt cc end
        State other = st.copy();
        other.pc = target;
        st.pc = pc + 1;
        State good = switch (cc) {
            case GT -> st;      // not taken: pkt <= end
            case GE -> st;      // not taken: pkt < end
            case LT, LE -> other; // taken: pkt < end / pkt <= end
            default -> null;
        };
        if (good != null) {
            goodPacketPointers(good, pkt);
            if (pkt.type == RegType.PTR_TO_PACKET) {
                // mark_pkt_end(): on the other side this register is at or beyond data_end
                State bad = good == st ? other : st;
                bad.reg(dstPkt ? i.dst() : i.src()).range = -1;
            }
        }
        fork(other);
        return true;
    }

    private static void goodPacketPointers(State s, Reg pkt) {
        if (pkt.off < 0 || Long.compareUnsigned(pkt.umax, MAX_PACKET_OFF) > 0 || pkt.umax + pkt.off > MAX_PACKET_OFF) {
            return;
        }
        int range = pkt.off;
        for (Frame f : s.frames) {
            for (Reg r : f.regs) {
                if (r.type == pkt.type && r.id == pkt.id) {
                    r.range = Math.max(r.range, range);
                }
            }
            for (Reg r : f.spilled) {
                if (r != null && r.type == pkt.type && r.id == pkt.id) {
                    r.range = Math.max(r.range, range);
                }
            }
        }
    }

    // ================================================================== calls

    private void localCall(State st, int pc, int target) {
        if (st.frames.size() >= MAX_CALL_FRAMES) {
            throw new Reject(pc, "the call stack of " + (st.frames.size() + 1) + " frames is too deep (at most "
                    + MAX_CALL_FRAMES + ")");
        }
        Frame caller = st.cur();
        Frame callee = new Frame(st.frames.size());
        callee.callsite = pc;
        callee.funcStart = target;
        for (int r = 1; r <= 5; r++) {
            callee.regs[r].copyFrom(caller.regs[r]);
            caller.regs[r].markNotInit();
        }
        callee.regs[10].markPtr(RegType.PTR_TO_STACK);
        callee.regs[10].frameNo = callee.frameNo;
        callees[cfg.funcOf[caller.funcStart]][cfg.funcOf[target]] = true;
        st.frames.add(callee);
        st.pc = target;
    }

    /**
     * push_callback_call(): a path that calls the callback once from here, with the kernel's
     * arguments (set_loop_callback_state(): R1 the u32 index as an unknown scalar, R2 the context;
     * set_map_elem_callback_state(): R1 the map, R2 its key, R3 its value, R4 the context). The
     * callback returns to this call, which may call it again; the state at the call then covers the
     * returning one and ends the iteration (see {@link #pruned}). This path continues as if the
     * callback was never called (nr_loops 0, an empty map).
     */
    private void pushCallback(State st, int pc, int helper, int target, int mapIndex) {
        if (st.frames.size() >= MAX_CALL_FRAMES) {
            throw new Reject(pc, "the call stack of " + (st.frames.size() + 1) + " frames is too deep (at most "
                    + MAX_CALL_FRAMES + ")");
        }
        State cb = st.copy();
        Frame caller = cb.cur();
        caller.callbackDepth++;
        cb.callbackUnroll++;
        Frame callee = new Frame(cb.frames.size());
        callee.callsite = pc;
        callee.funcStart = target;
        if (helper == Helpers.LOOP) {
            callee.regs[1].markUnknown();
            callee.regs[2].copyFrom(caller.regs[3]);
        } else {
            callee.regs[1].copyFrom(caller.regs[1]);
            callee.regs[2].markPtr(RegType.PTR_TO_MAP_KEY);
            callee.regs[2].mapIndex = mapIndex;
            callee.regs[3].markPtr(RegType.PTR_TO_MAP_VALUE);
            callee.regs[3].mapIndex = mapIndex;
            callee.regs[4].copyFrom(caller.regs[3]);
        }
        callee.regs[10].markPtr(RegType.PTR_TO_STACK);
        callee.regs[10].frameNo = callee.frameNo;
        callees[cfg.funcOf[caller.funcStart]][cfg.funcOf[target]] = true;
        cb.frames.add(callee);
        cb.pc = target;
        fork(cb);
    }

    private boolean exit(State st, int pc) {
        Reg r0 = st.reg(0);
        boolean sub = st.frames.size() > 1;
        if (r0.type == RegType.NOT_INIT) {
            throw new Reject(pc, "R0 !read_ok: R0 is not set at " + (sub ? "subprogram" : "program") + " exit");
        }
        if (r0.type != RegType.SCALAR) {
            throw new Reject(pc, "At " + (sub ? "subprogram" : "program") + " exit the register R0 is not a scalar value ("
                    + r0.type + "): " + (sub ? "a function" : "an XDP program") + " must return a number");
        }
        if (sub && cfg.callsCallback[st.cur().callsite]) {
            // prepare_func_exit(): a callback returns 0 or 1 (bpf_loop and for_each: 1 stops the walk)
            if (r0.smin < 0 || r0.smax > 1) {
                throw new Reject(pc, "At callback return the register R0 has smin=" + r0.smin + " smax=" + r0.smax
                        + " should have been in [0, 1]");
            }
            Frame callee = st.frames.remove(st.frames.size() - 1);
            st.pc = callee.callsite; // back to the helper call, which may call the callback again
            return true;
        }
        if (sub) {
            Frame callee = st.frames.remove(st.frames.size() - 1);
            Frame caller = st.cur();
            caller.regs[0].copyFrom(callee.regs[0]);
            for (int r = 1; r <= 5; r++) {
                caller.regs[r].markNotInit();
            }
            st.pc = callee.callsite + 1;
            return true;
        }
        if (!st.refs.isEmpty()) {
            int[] ref = st.refs.get(0);
            throw new Reject(pc, "Unreleased reference id=" + ref[0] + " alloc_insn=" + ref[1]
                    + ": a ringbuf record reserved there is neither submitted nor discarded on this path");
        }
        return false;
    }

    /**
     * check_helper_call() for bpf_tail_call in a subprogram (kernel e3245f899043, "bpf: properly
     * verify tail call behavior"): a failed tail call goes on after the call with nothing changed
     * (a forked path), a successful one returns to the subprogram's caller with the target's r0, an
     * unknown scalar, and every packet pointer cleared (the target may have moved the packet). A
     * tail call in the main function only falls through: a successful one never comes back.
     */
    private boolean tailCallFromSubprogram(State st, int pc) {
        fork(st.copy());
        clearPacketPointers(st);
        st.reg(0).markUnknown();
        return exit(st, pc);
    }

    /** clear_all_pkt_pointers(): every packet pointer, in registers and spilled, in every frame. */
    private void clearPacketPointers(State st) {
        for (Frame f : st.frames) {
            for (Reg r : f.regs) {
                if (r.type.isPacket() || r.type == RegType.PTR_TO_PACKET_END) {
                    invalidate(r);
                }
            }
            for (int s = 0; s < Frame.SLOTS; s++) {
                Reg r = f.spilled[s];
                if (r != null && (r.type.isPacket() || r.type == RegType.PTR_TO_PACKET_END)) {
                    f.clearSpill(s);
                }
            }
        }
    }

    private void helperCall(State st, int pc, int id) {
        Helpers.Proto p = Helpers.proto(id);
        if (p == null) {
            String name = id > 0 && id < 212 ? io.jxdp.ebpf.helper.HelperIds.name(id) : null;
            throw new Reject(pc, name == null || name.isEmpty() ? "invalid func unknown#" + id
                    : "program of this type cannot use helper " + name + "#" + id);
        }
        String fn = p.name() + "#" + id;
        int mapIndex = -1;
        int memReg = -1;
        boolean memWrite = false;
        boolean memNullable = false;
        long allocSize = -1;
        int releaseRef = 0;
        int callback = -1;
        Helpers.Arg[] args = p.args();
        for (int a = 0; a < args.length; a++) {
            int r = a + 1;
            Helpers.Arg kind = args[a];
            Reg reg = read(st, pc, r);
            switch (kind) {
                case ANYTHING -> {
                    if (reg.type.isPointer() && !opts.allowPtrLeaks()) {
                        throw new Reject(pc, "R" + r + " leaks addr into helper function " + fn);
                    }
                }
                case CONST_MAP_PTR -> {
                    expect(pc, r, reg, RegType.CONST_PTR_TO_MAP, fn);
                    mapIndex = reg.mapIndex;
                    MapInfo m = maps.get(mapIndex);
                    if (!Helpers.mapAllowed(p, m.type())) {
                        throw new Reject(pc, "cannot pass map_type " + m.type() + " into func " + fn);
                    }
                    if (m.holdsMaps() && (mapIndex >= programMaps || innerIndex[mapIndex] < 0)) {
                        throw new Reject(pc, "map " + mapIndex + " holds maps but has no inner-map template"
                                + " (the kernel needs inner_map_fd to create it)");
                    }
                }
                case MAP_KEY, MAP_VALUE, UNINIT_MAP_VALUE -> {
                    if (mapIndex < 0) {
                        throw new Reject(pc, "invalid map_ptr to access map->" + (kind == Helpers.Arg.MAP_KEY ? "key" : "value"));
                    }
                    MapInfo m = maps.get(mapIndex);
                    int size = kind == Helpers.Arg.MAP_KEY ? m.keySize() : m.valueSize();
                    helperMem(st, pc, r, reg, size, kind == Helpers.Arg.UNINIT_MAP_VALUE, fn);
                }
                case MEM, MEM_OR_NULL, UNINIT_MEM, UNINIT_MEM_OR_NULL -> {
                    memReg = r;
                    memWrite = kind == Helpers.Arg.UNINIT_MEM || kind == Helpers.Arg.UNINIT_MEM_OR_NULL;
                    memNullable = kind == Helpers.Arg.MEM_OR_NULL || kind == Helpers.Arg.UNINIT_MEM_OR_NULL;
                    if (!(memNullable && reg.isNullConst())) {
                        memTypeCheck(pc, r, reg, fn);
                    }
                }
                case CONST_SIZE, CONST_SIZE_OR_ZERO -> {
                    if (reg.type != RegType.SCALAR) {
                        throw new Reject(pc, "R" + r + " type=" + reg.type + " expected=scalar: " + fn
                                + " takes a size here");
                    }
                    if (reg.smin < 0) {
                        throw new Reject(pc, "R" + r + " min value is negative, either use unsigned or 'var &= const'");
                    }
                    boolean zeroOk = kind == Helpers.Arg.CONST_SIZE_OR_ZERO;
                    if (reg.umax == 0 && !zeroOk) {
                        throw new Reject(pc, "R" + r + " invalid zero-sized read: " + fn + " needs a size above 0");
                    }
                    if (Long.compareUnsigned(reg.umax, MAX_VAR_OFF) >= 0) {
                        throw new Reject(pc, "R" + r + " unbounded memory access, use 'var &= const' or 'if (var < const)'");
                    }
                    Reg mem = st.reg(memReg);
                    if (memNullable && mem.isNullConst()) {
                        if (reg.umax != 0) {
                            throw new Reject(pc, "R" + memReg + " is NULL but R" + r + " size may be non-zero");
                        }
                    } else if (reg.umax > 0) {
                        helperMem(st, pc, memReg, mem, (int) reg.umax, memWrite, fn);
                    }
                }
                case CONST_ALLOC_SIZE_OR_ZERO -> {
                    if (reg.type != RegType.SCALAR || !reg.isConst()) {
                        throw new Reject(pc, "R" + r + " is not a known constant: " + fn + " needs a constant size");
                    }
                    allocSize = reg.var.value();
                    if (allocSize < 0 || allocSize >= MAX_VAR_OFF) {
                        throw new Reject(pc, "R" + r + " size " + allocSize + " is out of range for " + fn);
                    }
                }
                case CTX -> {
                    expect(pc, r, reg, RegType.PTR_TO_CTX, fn);
                    if (reg.off != 0 || !reg.varIsZero()) {
                        throw new Reject(pc, "dereference of modified ctx ptr R" + r + " off=" + reg.off
                                + " disallowed: pass the unmodified context to " + fn);
                    }
                }
                case RELEASE_ALLOC_MEM -> {
                    if (reg.type != RegType.PTR_TO_MEM || reg.refObjId == 0) {
                        throw new Reject(pc, "R" + r + " type=" + reg.type + " expected=ringbuf record: " + fn
                                + " takes a record from ringbuf_reserve" + (reg.type.maybeNull()
                                ? " that has been NULL-checked" : ""));
                    }
                    if (reg.off != 0 || !reg.varIsZero()) {
                        throw new Reject(pc, "R" + r + " must have zero offset when passed to release func " + fn);
                    }
                    releaseRef = reg.refObjId;
                }
                case CONST_STR -> {
                    // bpf_map_is_rdonly(): a frozen BPF_F_RDONLY_PROG map (.rodata), not a devmap's entries
                    if (reg.type != RegType.PTR_TO_MAP_VALUE
                            || (maps.get(reg.mapIndex).flags() & MapInfo.BPF_F_RDONLY_PROG) == 0
                            || !reg.varIsZero()) {
                        throw new Reject(pc, "R" + r + " does not point to a readonly map: " + fn
                                + " needs a constant format string in .rodata");
                    }
                }
                case FUNC -> {
                    if (reg.type != RegType.PTR_TO_FUNC) {
                        throw new Reject(pc, "R" + r + " type=" + reg.type + " expected=func: argument " + r + " of " + fn
                                + " must be a callback function (a BPF_PSEUDO_FUNC ld_imm64)");
                    }
                    callback = reg.off;
                }
                case INT_PTR -> {
                    memTypeCheck(pc, r, reg, fn);
                    if (reg.type == RegType.PTR_TO_STACK && reg.varIsZero() && (reg.off & 3) != 0) {
                        throw new Reject(pc, "misaligned stack access off " + reg.off + " size 4: R" + r + " of " + fn
                                + " must be 4-byte aligned");
                    }
                    helperMem(st, pc, r, reg, 4, true, fn);
                }
                case STACK_OR_NULL -> {
                    if (reg.type != RegType.PTR_TO_STACK && !reg.isNullConst()) {
                        throw new Reject(pc, "R" + r + " type=" + reg.type + " expected=fp or NULL: argument " + r
                                + " of " + fn + " is the callback's context, a stack pointer or 0");
                    }
                }
            }
        }
        if (callback >= 0) {
            Frame caller = st.cur();
            // check_helper_call() BPF_FUNC_loop: the callback is verified only while fewer
            // iterations than nr_loops' maximum were (so nr_loops 0 never runs it)
            if (id != Helpers.LOOP || Long.compareUnsigned(caller.callbackDepth, st.reg(1).umax) < 0) {
                pushCallback(st, pc, id, callback, mapIndex);
            }
            caller.callbackDepth = 0;
        }
        if (releaseRef != 0) {
            final int ref = releaseRef;
            if (!st.refs.removeIf(x -> x[0] == ref)) {
                throw new Reject(pc, "release of an unacquired reference id=" + ref);
            }
            for (Frame f : st.frames) {
                for (Reg r : f.regs) {
                    if (r.refObjId == ref) {
                        invalidate(r);
                    }
                }
                for (int s = 0; s < Frame.SLOTS; s++) {
                    if (f.spilled[s] != null && f.spilled[s].refObjId == ref) {
                        f.clearSpill(s);
                    }
                }
            }
        }
        if (p.changesPacket()) {
            clearPacketPointers(st);
        }
        Frame f = st.cur();
        for (int r = 1; r <= 5; r++) {
            f.regs[r].markNotInit();
        }
        Reg r0 = f.regs[0];
        switch (p.ret()) {
            case INTEGER -> r0.markUnknown();
            case VOID -> r0.markNotInit();
            case MAP_VALUE_OR_NULL -> {
                r0.markPtr(RegType.PTR_TO_MAP_VALUE_OR_NULL);
                r0.mapIndex = mapIndex;
                r0.id = ++idGen;
            }
            case ALLOC_MEM_OR_NULL -> {
                r0.markPtr(RegType.PTR_TO_MEM_OR_NULL);
                r0.memSize = (int) allocSize;
                r0.id = ++idGen;
                r0.refObjId = r0.id;
                st.refs.add(new int[] {r0.id, pc});
            }
        }
    }

    /** mark_reg_invalid(): privileged loaders get an unknown scalar, others an unreadable register. */
    private void invalidate(Reg r) {
        if (opts.allowPtrLeaks()) {
            r.markUnknown();
        } else {
            r.markNotInit();
        }
    }

    private static void expect(int pc, int r, Reg reg, RegType want, String fn) {
        if (reg.type != want) {
            throw new Reject(pc, "R" + r + " type=" + reg.type + " expected=" + want + ": argument " + r + " of "
                    + fn + " must be a " + want + " pointer");
        }
    }

    private static void memTypeCheck(int pc, int r, Reg reg, String fn) {
        switch (reg.type) {
            case PTR_TO_STACK, PTR_TO_PACKET, PTR_TO_PACKET_META, PTR_TO_MAP_VALUE, PTR_TO_MEM, PTR_TO_MAP_KEY -> { }
            default -> throw new Reject(pc, "R" + r + " type=" + reg.type + " expected=fp, pkt, pkt_meta, map_value, mem"
                    + (reg.type.maybeNull() ? ": it may be NULL, NULL-check it before passing it to " + fn
                    : ": argument " + r + " of " + fn + " must point to memory"));
        }
    }

    /** check_helper_mem_access(): {@code size} bytes at the pointer are readable (or writable). */
    private void helperMem(State st, int pc, int r, Reg reg, int size, boolean write, String fn) {
        memTypeCheck(pc, r, reg, fn);
        switch (reg.type) {
            case PTR_TO_STACK -> {
                if (!reg.isConst()) {
                    int[] range = stackVarRange(pc, reg, r, 0, size, "access to");
                    touchStackRange(pc, st.frames.get(reg.frameNo), range[0], range[1], write, r, size);
                    return;
                }
                long o = reg.off + reg.var.value();
                if (o < -Frame.STACK_SIZE || o + size > 0 || size <= 0) {
                    throw new Reject(pc, "invalid indirect access to stack R" + r + " off=" + o + " size=" + size
                            + ": " + fn + " would reach outside fp-512..fp-1");
                }
                Frame f = st.frames.get(reg.frameNo);
                int at = (int) (o + Frame.STACK_SIZE);
                int fi = cfg.funcOf[f.funcStart];
                stackDepth[fi] = Math.max(stackDepth[fi], (int) -o);
                for (int b = at; b < at + size; b++) {
                    byte k = f.stack[b];
                    if (!write) {
                        if (k == Frame.INVALID && !opts.allowUninitStack()) {
                            throw new Reject(pc, "invalid indirect read from stack R" + r + " off " + o + "+" + (b - at)
                                    + " size " + size + ": " + fn + " reads fp" + (b - Frame.STACK_SIZE)
                                    + ", which was never written");
                        }
                        if (k == Frame.SPILL && f.spilled[b / 8] != null && f.spilled[b / 8].type.isPointer()
                                && !opts.allowPtrLeaks()) {
                            throw new Reject(pc, "R" + r + " leaks addr into helper function " + fn);
                        }
                    }
                }
                if (write) {
                    for (int s = at / 8; s <= (at + size - 1) / 8; s++) {
                        f.clearSpill(s);
                    }
                    Arrays.fill(f.stack, at, at + size, Frame.MISC);
                } else if (opts.allowUninitStack()) {
                    for (int b = at; b < at + size; b++) {
                        if (f.stack[b] == Frame.INVALID) {
                            f.stack[b] = Frame.MISC; // the kernel marks what a helper reads as initialised
                        }
                    }
                }
            }
            case PTR_TO_PACKET, PTR_TO_PACKET_META -> packetRange(pc, reg, r, 0, size);
            case PTR_TO_MAP_VALUE -> {
                MapInfo m = maps.get(reg.mapIndex);
                if (write && m.readOnlyForProgram()) {
                    throw new Reject(pc, "write into map forbidden, value_size=" + m.valueSize() + " off=" + reg.off
                            + " size=" + size + ": " + fn + " would write a read-only map");
                }
                boundedRange(pc, reg, r, 0, size, m.valueSize(), "map value, value_size=" + m.valueSize());
            }
            case PTR_TO_MEM -> boundedRange(pc, reg, r, 0, size, reg.memSize, "memory, mem_size=" + reg.memSize);
            case PTR_TO_MAP_KEY -> {
                MapInfo m = maps.get(reg.mapIndex);
                if (write) {
                    throw new Reject(pc, "R" + r + " points to a map key, which " + fn + " may not write");
                }
                boundedRange(pc, reg, r, 0, size, m.keySize(), "map key, key_size=" + m.keySize());
            }
            default -> throw new Reject(pc, "R" + r + " type=" + reg.type + " cannot be passed to " + fn);
        }
    }

    /** check_max_stack_depth(): the stack of every call chain, each frame rounded up to 16 bytes, fits in 512. */
    private void checkStackDepth() {
        int n = cfg.funcStarts.length;
        for (int f = 0; f < n; f++) {
            int total = chainDepth(f, new boolean[n]);
            if (total > Frame.STACK_SIZE) {
                throw new Reject(cfg.funcStarts[f], "combined stack size of the calls from the function at insn "
                        + cfg.funcStarts[f] + " is " + total + ". Too large (the limit is 512 bytes)");
            }
        }
    }

    /**
     * check_max_stack_depth_subprog(): a subprogram that makes a tail call (helper 12) must be
     * reached through callers holding less than 256 bytes of stack (each frame rounded as in
     * {@link #chainDepth}). A tail call unwinds only the subprogram's frame, so its callers' frames
     * stay below every program of a chain of up to 33 tail calls; the kernel caps them to keep that
     * within about 8 KB. Callbacks count as calls, as bpf_pseudo_func does there. The main function
     * may tail-call with any stack. Runs after {@link #checkStackDepth}, which refuses recursion.
     */
    private void checkTailCallStack() {
        int n = cfg.funcStarts.length;
        boolean[] tails = new boolean[n];
        boolean any = false;
        for (int f = 1; f < n; f++) {
            int end = f + 1 < n ? cfg.funcStarts[f + 1] : prog.length();
            for (int pc = cfg.funcStarts[f]; pc < end; pc++) {
                Insn i = prog.insn(pc);
                if (i.op() == Op.CALL && i.imm() == TAIL_CALL) {
                    tails[f] = true;
                    any = true;
                }
            }
        }
        if (any) {
            int[] deepest = new int[n];
            Arrays.fill(deepest, -1);
            tailCallStack(0, 0, tails, deepest);
        }
    }

    /** The depth of the callers' frames f is reached with; deepest[f] prunes paths already covered. */
    private void tailCallStack(int f, int callers, boolean[] tails, int[] deepest) {
        if (callers <= deepest[f]) {
            return; // the check and everything below only get stricter with depth
        }
        deepest[f] = callers;
        if (f != 0 && tails[f] && callers >= 256) {
            throw new Reject(cfg.funcStarts[f], "tail_calls are not allowed when call stack of previous frames is "
                    + callers + " bytes. Too large (the function at insn " + cfg.funcStarts[f]
                    + " makes a tail call; its callers may hold at most 255 bytes of stack)");
        }
        int own = (stackDepth[f] + 15) & ~15;
        for (int g = 0; g < callees[f].length; g++) {
            if (callees[f][g]) {
                tailCallStack(g, callers + own, tails, deepest);
            }
        }
    }

    private int chainDepth(int f, boolean[] onPath) {
        if (onPath[f]) {
            throw new Reject(cfg.funcStarts[f], "recursive call: the function at insn " + cfg.funcStarts[f]
                    + " calls itself");
        }
        onPath[f] = true;
        int best = 0;
        for (int g = 0; g < callees[f].length; g++) {
            if (callees[f][g]) {
                best = Math.max(best, chainDepth(g, onPath));
            }
        }
        onPath[f] = false;
        // round_up_stack_depth(): with the JIT (bpf_jit_enable=1 here) each frame rounds up to 16 bytes
        return ((stackDepth[f] + 15) & ~15) + best;
    }

    // ================================================================== printing

    static String describe(State st) {
        StringBuilder sb = new StringBuilder();
        for (int fi = 0; fi < st.frames.size(); fi++) {
            Frame f = st.frames.get(fi);
            if (st.frames.size() > 1) {
                sb.append(fi == 0 ? "" : " | ").append("frame").append(fi).append(": ");
            }
            String sep = "";
            for (int r = 0; r <= 10; r++) {
                if (f.regs[r].type != RegType.NOT_INIT) {
                    sb.append(sep).append('R').append(r).append('=').append(f.regs[r]);
                    sep = " ";
                }
            }
            for (int s = Frame.SLOTS - 1; s >= 0; s--) {
                int at = s * 8;
                int off = at - Frame.STACK_SIZE;
                if (f.spilled[s] != null) {
                    sb.append(sep).append("fp").append(off).append('=').append(f.spilled[s]);
                    sep = " ";
                    continue;
                }
                StringBuilder bytes = new StringBuilder();
                boolean any = false;
                for (int b = at; b < at + 8; b++) {
                    byte k = f.stack[b];
                    bytes.append(k == Frame.INVALID ? '?' : k == Frame.ZERO ? '0' : 'm');
                    any |= k != Frame.INVALID;
                }
                if (any) {
                    sb.append(sep).append("fp").append(off).append('=').append(bytes);
                    sep = " ";
                }
            }
        }
        return sb.toString();
    }
}
