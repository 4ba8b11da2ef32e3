package io.jxdp.ebpf.jit;

import static java.lang.constant.ConstantDescs.CD_Integer;
import static java.lang.constant.ConstantDescs.CD_Long;
import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;

import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.map.BpfMap;
import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.DynamicConstantDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.AccessFlag;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Translates decoded programs into one class file with {@code java.lang.classfile}.
 *
 * <p>Per program k and subprogram m there is one private static method {@code pK_sM(ctx, spill,
 * depth, fp, r1..r5) -> r0}: eBPF registers are {@code long} locals, every jump target has a label
 * from the pre-pass ({@link Decoded#jumpTarget}), and the body is an exhaustive switch over {@link Op}.
 * A subprogram whose estimated bytecode exceeds the budget is split into regions of consecutive
 * instructions ({@code pK_sM_cJ(ctx, spill, depth, pc) -> next}); each region loads the register file
 * from {@code spill[depth * 11 ..]} at entry, stores it back at every exit and returns the next pc
 * (or -1 for exit); the subprogram's method then is a small dispatcher loop that finds the region of
 * a pc in a table (class data) and calls it, through group methods of {@value #GROUP} regions when
 * there are more. Every generated method stays below the JVM's 8,000-byte
 * {@code HugeMethodLimit}, so C2 compiles all of them.
 *
 * <p>Constants (helpers, the registry for callx) come from the hidden class's class data through
 * {@code ldc} of a dynamic constant ({@code MethodHandles.classDataAt}): resolved once, then a
 * constant to C2, so a helper call is a monomorphic {@code invokeinterface} the JVM can inline.
 */
final class Translator {
    /** Longs per frame in the spill file: r0..r10. */
    static final int FRAME_SLOTS = 11;
    /**
     * Index in the spill file of r10 of the frame that calls a helper taking a callback (bpf_loop,
     * bpf_for_each_map_elem), stored just before such a call so {@link CompiledProgram#callFunction}
     * can run the callback in the frame below it. Only those call sites store it: other helper calls
     * pay nothing.
     */
    static final int CALLER_FP = 0;
    /** Index in the spill file of that frame's depth, stored with {@link #CALLER_FP}. */
    static final int CALLER_DEPTH = 1;
    /** Index in the spill file of frame 0's r0; frame d's registers follow at d * {@link #FRAME_SLOTS}. */
    static final int FRAMES_AT = 2;

    /**
     * Longs in the spill file for a stack of the given frames.
     *
     * <p>Frame depths: a program's main function runs at a multiple of {@link JitCompiler#MAX_FRAMES}
     * (8, a power of two) and its calls go one deeper each, so depth & 7 is the call depth within
     * the program, which the kernel's limit applies to. A tail call from a subprogram at depth d
     * runs the target at (d | 7) + 1, past every frame in use, with the subprogram's r10 (the
     * kernel: the subprogram's frame is unwound and the target's takes its place).
     */
    static int spillLongs(int frames) {
        return FRAMES_AT + frames * FRAME_SLOTS;
    }
    /** Helper ids whose callbacks run in the caller's frame (include/uapi/linux/bpf.h BPF_FUNC_*). */
    private static final int BPF_FUNC_FOR_EACH_MAP_ELEM = 164;
    private static final int BPF_FUNC_LOOP = 181;
    /** Regions per group method when a subprogram has more regions than one switch should hold. */
    static final int GROUP = 256;

    static final ClassDesc CD_CallContext = ClassDesc.of("io.jxdp.ebpf.helper.CallContext");
    static final ClassDesc CD_BpfMap = ClassDesc.of("io.jxdp.ebpf.map.BpfMap");
    static final ClassDesc CD_Helper = ClassDesc.of("io.jxdp.ebpf.helper.Helper");
    static final ClassDesc CD_HelperRegistry = ClassDesc.of("io.jxdp.ebpf.helper.HelperRegistry");
    static final ClassDesc CD_VmException = ClassDesc.of("io.jxdp.ebpf.interp.VmException");
    static final ClassDesc CD_JitCode = ClassDesc.of("io.jxdp.ebpf.jit.JitCode");
    static final ClassDesc CD_JitRuntime = ClassDesc.of("io.jxdp.ebpf.jit.JitRuntime");
    static final ClassDesc CD_MemorySegment = ClassDesc.of("java.lang.foreign.MemorySegment");
    static final ClassDesc CD_VarHandle = ClassDesc.of("java.lang.invoke.VarHandle");
    static final ClassDesc CD_OfByte = ClassDesc.of("java.lang.foreign.ValueLayout$OfByte");
    static final ClassDesc CD_OfShort = ClassDesc.of("java.lang.foreign.ValueLayout$OfShort");
    static final ClassDesc CD_OfInt = ClassDesc.of("java.lang.foreign.ValueLayout$OfInt");
    static final ClassDesc CD_OfLong = ClassDesc.of("java.lang.foreign.ValueLayout$OfLong");
    static final ClassDesc CD_long_array = CD_long.arrayType();
    static final ClassDesc CD_Rcu = ClassDesc.of("io.jxdp.ebpf.map.Rcu");
    static final ClassDesc CD_LongConsumer = ClassDesc.of("java.util.function.LongConsumer");

    static final MethodTypeDesc MTD_SUB = MethodTypeDesc.of(CD_long, CD_CallContext, CD_long_array, CD_int, CD_long,
            CD_long, CD_long, CD_long, CD_long, CD_long);
    static final MethodTypeDesc MTD_CALL = MethodTypeDesc.of(CD_long, CD_int, CD_CallContext, CD_long_array, CD_int,
            CD_long, CD_long, CD_long, CD_long, CD_long, CD_long);
    static final MethodTypeDesc MTD_REGION = MethodTypeDesc.of(CD_int, CD_CallContext, CD_long_array, CD_int, CD_int);
    static final MethodTypeDesc MTD_GROUP = MethodTypeDesc.of(CD_int, CD_CallContext, CD_long_array, CD_int, CD_int, CD_int);
    /** pK_call(pc, ctx, spill, depth, fp, r1..r5): the static form of {@link #MTD_CALL} per program. */
    static final MethodTypeDesc MTD_ENTER = MTD_CALL;
    static final MethodTypeDesc MTD_RUN = MethodTypeDesc.of(CD_long, CD_CallContext, CD_long_array, CD_long,
            CD_long, CD_long, CD_long, CD_long, CD_long);
    /** repeat(ctx, spill, fp, r1, times, rcu, worker, reported, onEpochMoved) -> the last run's r0. */
    static final MethodTypeDesc MTD_REPEAT = MethodTypeDesc.of(CD_long, CD_CallContext, CD_long_array, CD_long,
            CD_long, CD_int, CD_Rcu, CD_int, CD_long, CD_LongConsumer);
    private static final MethodTypeDesc MTD_HELPER_CALL = MethodTypeDesc.of(CD_long, CD_CallContext,
            CD_long, CD_long, CD_long, CD_long, CD_long);
    private static final MethodTypeDesc MTD_CALLX = MethodTypeDesc.of(CD_long, CD_HelperRegistry, CD_CallContext,
            CD_long, CD_long, CD_long, CD_long, CD_long, CD_long, CD_int, CD_int);
    private static final MethodTypeDesc MTD_J_JJ = MethodTypeDesc.of(CD_long, CD_long, CD_long);
    private static final MethodTypeDesc MTD_I_II = MethodTypeDesc.of(CD_int, CD_int, CD_int);
    private static final MethodTypeDesc MTD_I_I = MethodTypeDesc.of(CD_int, CD_int);
    private static final MethodTypeDesc MTD_J_J = MethodTypeDesc.of(CD_long, CD_long);
    private static final MethodTypeDesc MTD_J_IJ = MethodTypeDesc.of(CD_long, CD_int, CD_long);

    private final ClassDesc thisClass;
    private final List<Decoded> programs;
    /** Estimated bytes of bytecode a method may hold before its subprogram is split. */
    private final int budget;
    private final List<Object> classData = new ArrayList<>();
    private final Map<Object, Integer> dataIndex = new IdentityHashMap<>();

    Translator(ClassDesc thisClass, List<Decoded> programs, int budget) {
        this.thisClass = thisClass;
        this.programs = programs;
        this.budget = budget;
    }

    /** The class data list the generated class reads its constants from (valid after {@link #build}). */
    List<Object> classData() {
        return List.copyOf(classData);
    }

    byte[] build() {
        return ClassFile.of().build(thisClass, clb -> {
            clb.withFlags(AccessFlag.FINAL, AccessFlag.SYNTHETIC);
            clb.withInterfaceSymbols(CD_JitCode);
            clb.withField("which", CD_int, ClassFile.ACC_PRIVATE | ClassFile.ACC_FINAL);
            clb.withMethodBody(ConstantDescs.INIT_NAME, MethodTypeDesc.of(CD_void, CD_int), ClassFile.ACC_PUBLIC, cb -> {
                cb.aload(0);
                cb.invokespecial(CD_Object, ConstantDescs.INIT_NAME, ConstantDescs.MTD_void);
                cb.aload(0);
                cb.iload(1);
                cb.putfield(thisClass, "which", CD_int);
                cb.return_();
            });
            clb.withMethodBody("run", MTD_RUN, ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL, cb -> emitRun(cb));
            clb.withMethodBody("repeat", MTD_REPEAT, ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL, cb -> emitRepeat(cb));
            clb.withMethodBody("call", MTD_CALL, ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL, cb -> emitCall(cb));
            for (int k = 0; k < programs.size(); k++) {
                Decoded d = programs.get(k);
                for (int m = 0; m < d.subStarts.length; m++) {
                    emitSubprogram(clb, k, d, m);
                }
                if (hasEnter(d)) {
                    int kk = k;
                    clb.withMethodBody(enterName(k), MTD_ENTER, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC,
                            cb -> emitEnter(cb, kk, d));
                }
            }
            for (Map.Entry<BpfMap, String> e : hashMethods.entrySet()) {
                BpfMap.HashLookup h = e.getKey().hashLookup();
                clb.withMethodBody(e.getValue(), HashLookups.MTD, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC,
                        cb -> HashLookups.emit(cb, h));
            }
            for (Map.Entry<BpfMap, String> e : lpmMethods.entrySet()) {
                BpfMap.LpmLookup l = e.getKey().lpmLookup();
                clb.withMethodBody(e.getValue(), LpmLookups.MTD, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC,
                        cb -> LpmLookups.emit(cb, l, prefixesConstant(l)));
            }
        });
    }

    /** The trie's prefix list as a class-data constant, or null when it has none. */
    private DynamicConstantDesc<Object> prefixesConstant(BpfMap.LpmLookup l) {
        return l.prefixes() == null ? null : constant(l.prefixes(), LpmLookups.CD_LpmPrefixList);
    }

    /** Per known LPM_TRIE looked up somewhere: the name of its specialised lookup method ({@link LpmLookups}). */
    private final Map<BpfMap, String> lpmMethods = new IdentityHashMap<>();

    private String lpmMethod(BpfMap m, BpfMap.LpmLookup l) {
        return lpmMethods.computeIfAbsent(m, x -> "lpm" + lpmMethods.size() + "_" + l.dataSize());
    }

    /** Per known hash map looked up somewhere: the name of its specialised lookup method ({@link HashLookups}). */
    private final Map<BpfMap, String> hashMethods = new IdentityHashMap<>();

    private String hashMethod(BpfMap m, BpfMap.HashLookup h) {
        return hashMethods.computeIfAbsent(m, x -> "lookup" + hashMethods.size() + "_" + h.keySize());
    }

    /**
     * run(ctx, spill, fp, r1..r5): enters subprogram 0 of the program this instance is for, at depth
     * 0. A program that may tail call ({@link Decoded#mayTailCall}) then takes every tail call its
     * main function made here: r0 = the target run from its entry through pK_call in a fresh main
     * frame (depth 0, r10 = fp, r1 = the context the tail call passed), until a run ends without
     * one; the target's r0 ends the run (kernel/bpf/core.c JMP_TAIL_CALL). A program that cannot
     * tail call gets no loop: its run is the call alone, so the engine's per-run path has no
     * tail-call test.
     */
    private void emitRun(CodeBuilder cb) {
        int n = programs.size();
        List<SwitchCase> cases = new ArrayList<>();
        Label[] labels = new Label[n];
        for (int k = 0; k < n; k++) {
            labels[k] = cb.newLabel();
            cases.add(SwitchCase.of(k, labels[k]));
        }
        if (n > 1) {
            cb.aload(0);
            cb.getfield(thisClass, "which", CD_int);
            cb.tableswitch(0, n - 1, labels[0], cases);
        }
        for (int k = 0; k < n; k++) {
            cb.labelBinding(labels[k]);
            cb.aload(1);
            cb.aload(2);
            cb.iconst_0();
            cb.lload(3);
            for (int r = 1; r <= 5; r++) {
                cb.lload(5 + 2 * (r - 1));
            }
            cb.invokestatic(thisClass, subName(k, 0), MTD_SUB);
            if (programs.get(k).mayTailCall) {
                emitMainTailCalls(cb, k);
            }
            cb.lreturn();
        }
    }

    /**
     * repeat(ctx, spill, fp, r1, times, rcu, worker, reported, onEpochMoved): the engine's repeat
     * loop, generated into every class so that its calls are this class's own: {@code times} runs,
     * each with the per-run bookkeeping the engine's single run has, none elided:
     * <pre>
     * r0 = 0
     * for (i = 0; i &lt; times; i++) {
     *     ctx.clearRun();                          // one flag test unless the last run left state
     *     r0 = this.run(ctx, spill, fp, r1, 0, 0, 0, 0);
     *     e = rcu.quiescent(worker, reported);     // one volatile load; a store only if it moved
     *     if (e != reported) { reported = e; onEpochMoved.accept(e); }
     * }
     * return r0
     * </pre>
     * The call of {@code run} is an invokevirtual of this final class's final method and
     * {@code clearRun} and {@code quiescent} are final methods of their classes: each binds
     * statically, so C2 inlines them whatever other programs the JVM runs (a loop in a shared Java
     * method would reach the generated code through one {@code JitCode} call site, megamorphic
     * once several programs are loaded). Exceptions leave the loop; the engine wraps them outside.
     */
    private void emitRepeat(CodeBuilder cb) {
        final int ctx = 1, spill = 2, fp = 3, r1 = 5, times = 7, rcu = 8, worker = 9, reported = 10, onMoved = 12;
        final int r0 = 13, i = 15, e = 16;
        Label loop = cb.newLabel();
        Label same = cb.newLabel();
        Label done = cb.newLabel();
        cb.lconst_0();
        cb.lstore(r0);
        cb.iconst_0();
        cb.istore(i);
        cb.labelBinding(loop);
        cb.iload(i);
        cb.iload(times);
        cb.if_icmpge(done);
        cb.aload(ctx);
        cb.invokevirtual(CD_CallContext, "clearRun", ConstantDescs.MTD_void);
        cb.aload(0);
        cb.aload(ctx);
        cb.aload(spill);
        cb.lload(fp);
        cb.lload(r1);
        for (int r = 2; r <= 5; r++) {
            cb.lconst_0();
        }
        cb.invokevirtual(thisClass, "run", MTD_RUN);
        cb.lstore(r0);
        cb.aload(rcu);
        cb.iload(worker);
        cb.lload(reported);
        cb.invokevirtual(CD_Rcu, "quiescent", MTD_J_IJ);
        cb.lstore(e);
        cb.lload(e);
        cb.lload(reported);
        cb.lcmp();
        cb.ifeq(same);
        cb.lload(e);
        cb.lstore(reported);
        cb.aload(onMoved);
        cb.lload(e);
        cb.invokeinterface(CD_LongConsumer, "accept", MethodTypeDesc.of(CD_void, CD_long));
        cb.labelBinding(same);
        cb.iinc(i, 1);
        cb.goto_(loop);
        cb.labelBinding(done);
        cb.lload(r0);
        cb.lreturn();
    }

    /** The tail-call loop of {@link #emitRun}: r0 on the stack in, r0 on the stack out. */
    private void emitMainTailCalls(CodeBuilder cb, int k) {
        final int ctx = 1, spill = 2, fp = 3, r0 = 15, entry = 17;
        Label loop = cb.newLabel();
        Label done = cb.newLabel();
        cb.lstore(r0);
        cb.labelBinding(loop);
        cb.aload(ctx);
        cb.invokevirtual(CD_CallContext, "takeTailCall", MethodTypeDesc.of(CD_int));
        cb.istore(entry);
        cb.iload(entry);
        cb.iflt(done);
        cb.iload(entry);
        cb.aload(ctx);
        cb.aload(spill);
        cb.iconst_0();
        cb.lload(fp);
        cb.aload(ctx);
        cb.invokevirtual(CD_CallContext, "tailCallArg", MethodTypeDesc.of(CD_long));
        for (int r = 2; r <= 5; r++) {
            cb.lconst_0();
        }
        cb.invokestatic(thisClass, enterName(k), MTD_ENTER);
        cb.lstore(r0);
        cb.goto_(loop);
        cb.labelBinding(done);
        cb.lload(r0);
    }

    /** Programs that can be entered at a pc: those with entries, and those that make tail calls. */
    private static boolean hasEnter(Decoded d) {
        return d.entries.length > 0 || d.mayTailCall;
    }

    static String enterName(int k) {
        return "p" + k + "_call";
    }

    /**
     * call(pc, ctx, spill, depth, fp, r1..r5): enters the function of this instance's program that
     * starts at pc, in frame depth with r10 = fp, through the program's static pK_call. Only
     * instruction 0 and the entries the program was compiled with ({@link Decoded#entries}: tail-call
     * targets, callbacks) can be entered; any other pc is a {@code VmException}. Programs compiled
     * without entries or tail calls get no cases, so batches of many small programs do not grow
     * this method.
     */
    private void emitCall(CodeBuilder cb) {
        final int pc = 1, ctx = 2, spill = 3, depth = 4, fp = 5, args = 7;
        int n = programs.size();
        Label bad = cb.newLabel();
        List<SwitchCase> cases = new ArrayList<>();
        List<Integer> withEntries = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            if (hasEnter(programs.get(k))) {
                withEntries.add(k);
                cases.add(SwitchCase.of(k, cb.newLabel()));
            }
        }
        if (!withEntries.isEmpty()) {
            cb.aload(0);
            cb.getfield(thisClass, "which", CD_int);
            cb.lookupswitch(bad, cases);
        }
        for (int c = 0; c < withEntries.size(); c++) {
            cb.labelBinding(cases.get(c).target());
            cb.iload(pc);
            cb.aload(ctx);
            cb.aload(spill);
            cb.iload(depth);
            cb.lload(fp);
            for (int r = 0; r < 5; r++) {
                cb.lload(args + 2 * r);
            }
            cb.invokestatic(thisClass, enterName(withEntries.get(c)), MTD_ENTER);
            cb.lreturn();
        }
        cb.labelBinding(bad);
        cb.iload(pc);
        cb.invokestatic(CD_JitRuntime, "noFunction", MethodTypeDesc.of(CD_VmException, CD_int));
        cb.athrow();
    }

    /**
     * pK_call(pc, ctx, spill, depth, fp, r1..r5), static: a lookupswitch over instruction 0 and
     * the program's entries into their subprogram methods; the target of a tail call made from a
     * subprogram is entered through it.
     */
    private void emitEnter(CodeBuilder cb, int k, Decoded d) {
        final int pc = 0, ctx = 1, spill = 2, depth = 3, fp = 4, args = 6;
        Label bad = cb.newLabel();
        TreeSet<Integer> pcs = new TreeSet<>();
        pcs.add(0);
        for (int e : d.entries) {
            pcs.add(e);
        }
        List<SwitchCase> subCases = new ArrayList<>();
        for (int e : pcs) {
            subCases.add(SwitchCase.of(e, cb.newLabel()));
        }
        cb.iload(pc);
        cb.lookupswitch(bad, subCases);
        for (SwitchCase sc : subCases) {
            cb.labelBinding(sc.target());
            cb.aload(ctx);
            cb.aload(spill);
            cb.iload(depth);
            cb.lload(fp);
            for (int r = 0; r < 5; r++) {
                cb.lload(args + 2 * r);
            }
            cb.invokestatic(thisClass, subName(k, d.subIndex(sc.caseValue())), MTD_SUB);
            cb.lreturn();
        }
        cb.labelBinding(bad);
        cb.iload(pc);
        cb.invokestatic(CD_JitRuntime, "noFunction", MethodTypeDesc.of(CD_VmException, CD_int));
        cb.athrow();
    }

    static String subName(int k, int m) {
        return "p" + k + "_s" + m;
    }

    private static String regionName(int k, int m, int j) {
        return subName(k, m) + "_r" + j;
    }

    // ---------------------------------------------------------------- size estimate and regions

    /** Upper-bound estimate of the bytecode one instruction becomes (errs high; the caller re-checks). */
    private static int estimate(Decoded d, int pc) {
        if (d.second[pc]) {
            return 0;
        }
        Op op = d.ops[pc];
        int e = switch (op.kind) {
            case ALU, NEG, MOVSX, END -> 16;
            case JUMP -> 14 + 12;
            case JA, JA32 -> 3 + 12;
            case LDX, LDXSX, ST, STX -> 26;
            case ATOMIC -> 24;
            case LDDW -> 6;
            case CALL -> 70;
            case CALLX -> 48;
            case CALL_LOCAL -> d.mayTailCall ? 100 : 50; // with the loop of tailCallsOfCallee
            case EXIT -> 5;
            case LD_ABS, LD_IND -> 36;
            case CALL_KFUNC -> 0;
        };
        return e + (d.jumpTarget[pc] ? 8 : 0);
    }

    /** Splits [from, to) into regions of at most budget estimated bytes; returns their start pcs. */
    private int[] regions(Decoded d, int from, int to) {
        int total = 0;
        for (int pc = from; pc < to; pc++) {
            total += estimate(d, pc);
        }
        if (total <= budget) {
            return new int[] {from};
        }
        // each region also loads and stores the register file and may switch on its entries
        int perRegion = budget - 260;
        List<Integer> starts = new ArrayList<>();
        starts.add(from);
        int size = 0;
        for (int pc = from; pc < to; pc++) {
            int e = estimate(d, pc);
            if (size + e > perRegion && pc > starts.getLast() && !d.second[pc]) {
                starts.add(pc);
                size = 0;
            }
            size += e;
        }
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    private void emitSubprogram(java.lang.classfile.ClassBuilder clb, int k, Decoded d, int m) {
        int from = d.subStarts[m];
        int to = d.subEnd(m);
        int[] starts = regions(d, from, to);
        if (starts.length == 1) {
            clb.withMethodBody(subName(k, m), MTD_SUB, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC,
                    cb -> new Body(cb, k, d, from, to, -1).emitWhole());
            return;
        }
        // the entries of each region: its start and every target jumped to from another region
        List<TreeSet<Integer>> entries = new ArrayList<>();
        for (int start : starts) {
            TreeSet<Integer> s = new TreeSet<>();
            s.add(start);
            entries.add(s);
        }
        for (int pc = from; pc < to; pc++) {
            if (d.second[pc]) {
                continue;
            }
            Op.Kind kind = d.ops[pc].kind;
            if (kind == Op.Kind.JUMP || kind == Op.Kind.JA || kind == Op.Kind.JA32) {
                int t = d.off[pc];
                int rt = regionOf(starts, t);
                if (rt != regionOf(starts, pc)) {
                    entries.get(rt).add(t);
                }
            }
        }
        int[] regionOf = regionTables.computeIfAbsent(d, x -> new int[x.length]);
        for (int j = 0; j < starts.length; j++) {
            int rFrom = starts[j];
            int rTo = j + 1 < starts.length ? starts[j + 1] : to;
            java.util.Arrays.fill(regionOf, rFrom, rTo, j);
            int index = j;
            clb.withMethodBody(regionName(k, m, j), MTD_REGION, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC,
                    cb -> new Body(cb, k, d, rFrom, rTo, index).emitRegion(entries.get(index)));
        }
        int groups = (starts.length + GROUP - 1) / GROUP;
        if (groups > 1) {
            for (int g = 0; g < groups; g++) {
                int first = g * GROUP;
                int last = Math.min(starts.length, first + GROUP) - 1;
                int group = g;
                clb.withMethodBody(subName(k, m) + "_g" + g, MTD_GROUP, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC,
                        cb -> emitGroup(cb, k, m, group, first, last));
            }
        }
        clb.withMethodBody(subName(k, m), MTD_SUB, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC,
                cb -> emitDispatcher(cb, k, m, starts.length, from, regionOf));
    }

    /** Per program: the region index (within its subprogram) of every pc, for the dispatchers. */
    private final Map<Decoded, int[]> regionTables = new IdentityHashMap<>();

    /** One call site per region of a group: group(ctx, spill, depth, region, pc) -> next pc. */
    private void emitGroup(CodeBuilder cb, int k, int m, int g, int first, int last) {
        final int region = 3, pc = 4;
        List<SwitchCase> cases = new ArrayList<>();
        Label[] labels = new Label[last - first + 1];
        Label bad = cb.newLabel();
        for (int j = first; j <= last; j++) {
            labels[j - first] = cb.newLabel();
            cases.add(SwitchCase.of(j, labels[j - first]));
        }
        cb.iload(region);
        cb.tableswitch(first, last, bad, cases);
        for (int j = first; j <= last; j++) {
            cb.labelBinding(labels[j - first]);
            cb.aload(0);
            cb.aload(1);
            cb.iload(2);
            cb.iload(pc);
            cb.invokestatic(thisClass, regionName(k, m, j), MTD_REGION);
            cb.ireturn();
        }
        cb.labelBinding(bad);
        cb.iconst_m1();
        cb.ireturn();
    }

    static int regionOf(int[] starts, int pc) {
        int i = java.util.Arrays.binarySearch(starts, pc);
        return i >= 0 ? i : -i - 2;
    }

    /**
     * The method of a split subprogram: fills its frame of the spill file from the arguments, then
     * runs the region holding pc (from a pc-to-region table in the class data) until one returns -1,
     * and returns r0 from the frame. More than {@value #GROUP} regions go through group methods so
     * the dispatcher itself stays small.
     */
    private void emitDispatcher(CodeBuilder cb, int k, int m, int regionCount, int from, int[] regionOf) {
        final int ctx = 0, spill = 1, depth = 2, fp = 3, base = 15, next = 16, region = 17;
        cb.iload(depth);
        cb.loadConstant(FRAME_SLOTS);
        cb.imul();
        cb.loadConstant(FRAMES_AT);
        cb.iadd();
        cb.istore(base);
        for (int r = 0; r <= 10; r++) {
            cb.aload(spill);
            cb.iload(base);
            if (r > 0) {
                cb.loadConstant(r);
                cb.iadd();
            }
            if (r >= 1 && r <= 5) {
                cb.lload(5 + 2 * (r - 1));
            } else if (r == 10) {
                cb.lload(fp);
            } else {
                cb.lconst_0();
            }
            cb.lastore();
        }
        cb.loadConstant(from);
        cb.istore(next);
        Label loop = cb.newLabel();
        Label done = cb.newLabel();
        cb.labelBinding(loop);
        cb.iload(next);
        cb.iflt(done);
        cb.ldc(constant(regionOf, CD_int.arrayType()));
        cb.iload(next);
        cb.iaload();
        cb.istore(region);
        int groups = (regionCount + GROUP - 1) / GROUP;
        int cases = groups > 1 ? groups : regionCount;
        List<SwitchCase> switchCases = new ArrayList<>();
        Label[] labels = new Label[cases];
        for (int j = 0; j < cases; j++) {
            labels[j] = cb.newLabel();
            switchCases.add(SwitchCase.of(j, labels[j]));
        }
        cb.iload(region);
        if (groups > 1) {
            cb.loadConstant(Integer.numberOfTrailingZeros(GROUP));
            cb.iushr();
        }
        cb.tableswitch(0, cases - 1, done, switchCases);
        for (int j = 0; j < cases; j++) {
            cb.labelBinding(labels[j]);
            cb.aload(ctx);
            cb.aload(spill);
            cb.iload(depth);
            if (groups > 1) {
                cb.iload(region);
                cb.iload(next);
                cb.invokestatic(thisClass, subName(k, m) + "_g" + j, MTD_GROUP);
            } else {
                cb.iload(next);
                cb.invokestatic(thisClass, regionName(k, m, j), MTD_REGION);
            }
            cb.istore(next);
            cb.goto_(loop);
        }
        cb.labelBinding(done);
        cb.aload(spill);
        cb.iload(base);
        cb.laload();
        cb.lreturn();
    }

    private DynamicConstantDesc<Object> constant(Object value, ClassDesc type) {
        Integer i = dataIndex.get(value);
        if (i == null) {
            i = classData.size();
            classData.add(value);
            dataIndex.put(value, i);
        }
        return DynamicConstantDesc.ofNamed(ConstantDescs.BSM_CLASS_DATA_AT, ConstantDescs.DEFAULT_NAME, type, i);
    }

    // ---------------------------------------------------------------- one method body

    /** Emits instructions [from, to) of one program into one method: a whole subprogram or one region. */
    private final class Body {
        private static final int CTX = 0;
        private static final int SPILL = 1;
        private static final int DEPTH = 2;
        /**
         * The first locals free in every body (a whole subprogram's registers end at 24, a region's at
         * 27): where the inline hash and LPM lookups keep theirs.
         */
        private static final int INLINE_BASE = 28;
        /**
         * Hash and LPM lookups emitted inline per method, the rest as calls of the map's generated
         * lookup method: C2 stops inlining calls in a method once its node count passes a cutoff
         * (NodeCountInliningCutoff), which the FFM accesses of a program such as xdp_firewall reach
         * before its LRU lookup; inline code is compiled regardless. Bounded so that a program with
         * many lookups does not grow one method's graph without limit.
         */
        private static final int INLINE_LOOKUPS = 4;
        private int inlineLookups;

        private final CodeBuilder cb;
        private final int k;
        private final Decoded d;
        private final int from;
        private final int to;
        /** Region index, or -1 when emitting a whole subprogram. */
        private final int region;
        private final int[] slot = new int[11];
        private final Label[] labels;
        // region mode only
        private int baseSlot;
        private int nextSlot;
        private Label exitLabel;
        private final Map<Integer, Label> trampolines = new TreeMap<>();

        Body(CodeBuilder cb, int k, Decoded d, int from, int to, int region) {
            this.cb = cb;
            this.k = k;
            this.d = d;
            this.from = from;
            this.to = to;
            this.region = region;
            this.labels = new Label[to - from];
            for (int pc = from; pc < to; pc++) {
                if (d.jumpTarget[pc] || pc == from) {
                    labels[pc - from] = cb.newLabel();
                }
            }
        }

        /** A whole subprogram: args are ctx, spill, depth, fp (r10), r1..r5; r0 and r6-r9 start at 0. */
        void emitWhole() {
            slot[10] = 3;
            for (int r = 1; r <= 5; r++) {
                slot[r] = 5 + 2 * (r - 1);
            }
            slot[0] = 15;
            for (int r = 6; r <= 9; r++) {
                slot[r] = 17 + 2 * (r - 6);
            }
            for (int r : new int[] {0, 6, 7, 8, 9}) {
                cb.lconst_0();
                cb.lstore(slot[r]);
            }
            emitInsns();
        }

        /** A region: args are ctx, spill, depth, pc; registers come from and go back to the spill file. */
        void emitRegion(TreeSet<Integer> entries) {
            final int pcSlot = 3;
            baseSlot = 4;
            nextSlot = 5;
            for (int r = 0; r <= 10; r++) {
                slot[r] = 6 + 2 * r;
            }
            exitLabel = cb.newLabel();
            Label store = cb.newLabel();
            cb.iload(DEPTH);
            cb.loadConstant(FRAME_SLOTS);
            cb.imul();
            cb.loadConstant(FRAMES_AT);
            cb.iadd();
            cb.istore(baseSlot);
            for (int r = 0; r <= 10; r++) {
                spillAddress(r);
                cb.laload();
                cb.lstore(slot[r]);
            }
            if (entries.size() > 1) {
                List<SwitchCase> cases = new ArrayList<>();
                for (int e : entries) {
                    cases.add(SwitchCase.of(e, labels[e - from]));
                }
                cb.iload(pcSlot);
                cb.lookupswitch(labels[0], cases);
            }
            emitInsns();
            for (Map.Entry<Integer, Label> t : trampolines.entrySet()) {
                cb.labelBinding(t.getValue());
                int target = t.getKey();
                cb.loadConstant(target);
                cb.istore(nextSlot);
                cb.goto_(store);
            }
            cb.labelBinding(exitLabel);
            cb.iconst_m1();
            cb.istore(nextSlot);
            cb.labelBinding(store);
            for (int r = 0; r <= 9; r++) {
                spillAddress(r);
                cb.lload(slot[r]);
                cb.lastore();
            }
            cb.iload(nextSlot);
            cb.ireturn();
        }

        private void spillAddress(int r) {
            cb.aload(SPILL);
            cb.iload(baseSlot);
            if (r > 0) {
                cb.loadConstant(r);
                cb.iadd();
            }
        }

        private void emitInsns() {
            for (int pc = from; pc < to; pc++) {
                if (labels[pc - from] != null) {
                    cb.labelBinding(labels[pc - from]);
                }
                if (d.second[pc]) {
                    continue;
                }
                emit(pc);
            }
            if (region >= 0) {
                Op last = lastOp();
                boolean fallsOut = last.kind != Op.Kind.EXIT && last.kind != Op.Kind.JA && last.kind != Op.Kind.JA32;
                if (fallsOut) {
                    cb.goto_(target(to));
                }
            }
        }

        private Op lastOp() {
            int pc = to - 1;
            return d.second[pc] ? d.ops[pc - 1] : d.ops[pc];
        }

        /** The label to branch to for target pc: in this method, or a trampoline leaving the region. */
        private Label target(int pc) {
            if (pc >= from && pc < to) {
                return labels[pc - from];
            }
            if (region < 0) {
                throw new IllegalStateException("jump to " + pc + " outside [" + from + ", " + to + ")");
            }
            return trampolines.computeIfAbsent(pc, p -> cb.newLabel());
        }

        /** Returns r0 from the subprogram (a region stores the register file and returns -1). */
        private void emitReturn() {
            if (region < 0) {
                cb.lload(slot[0]);
                cb.lreturn();
            } else {
                cb.goto_(exitLabel);
            }
        }

        /** After a call that may have asked to stop: end the whole program with r0 as it is. */
        private void stopCheck() {
            Label go = cb.newLabel();
            cb.aload(CTX);
            cb.invokevirtual(CD_CallContext, "stopRequested", MethodTypeDesc.of(CD_boolean));
            cb.ifeq(go);
            emitReturn();
            cb.labelBinding(go);
        }

        /**
         * Pushes a long constant. Values in int range go through an int constant and i2l: no
         * constant-pool entry up to 32767 and one instead of two above, so big programs with many
         * immediates stay within the pool's 65,535 entries.
         */
        private void pushLong(long v) {
            if (v == 0 || v == 1 || v != (int) v) {
                cb.loadConstant(v);
            } else {
                cb.loadConstant((int) v);
                cb.i2l();
            }
        }

        private void ld(int r) {
            cb.lload(slot[r]);
        }

        private void st(int r) {
            cb.lstore(slot[r]);
        }

        /**
         * Zero-extends the int on the stack to a long, inline ({@code i2l; ldc2_w 0xffffffff; land},
         * which C2 turns into one 32-bit move). Not a call to Integer.toUnsignedLong: a call counts
         * against C2's inlining budget for the method (DesiredMethodLimit), and a big generated
         * method exhausts it, after which such calls stay real calls.
         */
        private void zext32() {
            cb.i2l();
            cb.loadConstant(0xffff_ffffL);
            cb.land();
        }

        /** Pushes the 64-bit source operand: the register or the sign-extended immediate. */
        private void src64(int pc, Op op) {
            if (op.source == Op.Source.IMM) {
                pushLong(d.imm[pc]);
            } else {
                ld(d.src[pc]);
            }
        }

        /** Pushes the 32-bit source operand. */
        private void src32(int pc, Op op) {
            if (op.source == Op.Source.IMM) {
                cb.loadConstant((int) d.imm[pc]);
            } else {
                ld(d.src[pc]);
                cb.l2i();
            }
        }

        /** Pushes a shift count as an int; the JVM masks it with 63 (long) or 31 (int) as the ISA does. */
        private void shift(int pc, Op op, int mask) {
            if (op.source == Op.Source.IMM) {
                cb.loadConstant((int) (d.imm[pc] & mask));
            } else {
                ld(d.src[pc]);
                cb.l2i();
            }
        }

        private void alu64(int pc, Op op, Opcode opcode) {
            int dst = d.dst[pc];
            ld(dst);
            src64(pc, op);
            cb.with(java.lang.classfile.instruction.OperatorInstruction.of(opcode));
            st(dst);
        }

        private void alu32(int pc, Op op, Opcode opcode) {
            int dst = d.dst[pc];
            ld(dst);
            cb.l2i();
            src32(pc, op);
            cb.with(java.lang.classfile.instruction.OperatorInstruction.of(opcode));
            zext32();
            st(dst);
        }

        private void shift64(int pc, Op op, Opcode opcode) {
            int dst = d.dst[pc];
            ld(dst);
            shift(pc, op, 63);
            cb.with(java.lang.classfile.instruction.OperatorInstruction.of(opcode));
            st(dst);
        }

        private void shift32(int pc, Op op, Opcode opcode) {
            int dst = d.dst[pc];
            ld(dst);
            cb.l2i();
            shift(pc, op, 31);
            cb.with(java.lang.classfile.instruction.OperatorInstruction.of(opcode));
            zext32();
            st(dst);
        }

        private void div64(int pc, Op op, String name) {
            int dst = d.dst[pc];
            ld(dst);
            src64(pc, op);
            cb.invokestatic(CD_JitRuntime, name, MTD_J_JJ);
            st(dst);
        }

        private void div32(int pc, Op op, String name) {
            int dst = d.dst[pc];
            ld(dst);
            cb.l2i();
            src32(pc, op);
            cb.invokestatic(CD_JitRuntime, name, MTD_I_II);
            zext32();
            st(dst);
        }

        /** 64-bit conditional jump: compares with lcmp (signed) or Long.compareUnsigned, then branches. */
        private void jump64(int pc, Op op, Opcode branch, boolean unsigned) {
            ld(d.dst[pc]);
            src64(pc, op);
            if (unsigned) {
                cb.invokestatic(CD_Long, "compareUnsigned", MethodTypeDesc.of(CD_int, CD_long, CD_long));
            } else {
                cb.lcmp();
            }
            cb.branch(branch, target(d.off[pc]));
        }

        /** 32-bit conditional jump on the low halves; branch is an if_icmpXX, or an ifXX when unsigned. */
        private void jump32(int pc, Op op, Opcode branch, boolean unsigned) {
            ld(d.dst[pc]);
            cb.l2i();
            src32(pc, op);
            if (unsigned) {
                cb.invokestatic(CD_Integer, "compareUnsigned", MTD_I_II);
            }
            cb.branch(branch, target(d.off[pc]));
        }

        /** Pushes MEM, the layout, and the address reg + off (masked: JitRuntime.ADDRESS_MASK). */
        private void access(int reg, int off, ClassDesc layoutType, String layout) {
            cb.getstatic(CD_JitRuntime, "MEM", CD_MemorySegment);
            cb.getstatic(CD_JitRuntime, layout, layoutType);
            ld(reg);
            if (off != 0) {
                pushLong((long) off);
                cb.ladd();
            }
            LookupEmitter.maskAddress(cb);
        }

        private void load(int pc, int size, boolean signed) {
            int off = d.off[pc];
            int s = d.src[pc];
            switch (size) {
                case 1 -> {
                    access(s, off, CD_OfByte, "U8");
                    cb.invokeinterface(CD_MemorySegment, "get", MethodTypeDesc.of(ConstantDescs.CD_byte, CD_OfByte, CD_long));
                    if (signed) {
                        cb.i2l();
                    } else {
                        cb.loadConstant(0xff); // inline Byte.toUnsignedLong: C2 makes it one zero-extending load
                        cb.iand();
                        cb.i2l();
                    }
                }
                case 2 -> {
                    access(s, off, CD_OfShort, "U16");
                    cb.invokeinterface(CD_MemorySegment, "get", MethodTypeDesc.of(ConstantDescs.CD_short, CD_OfShort, CD_long));
                    if (signed) {
                        cb.i2l();
                    } else {
                        cb.loadConstant(0xffff); // inline Short.toUnsignedLong
                        cb.iand();
                        cb.i2l();
                    }
                }
                case 4 -> {
                    access(s, off, CD_OfInt, "U32");
                    cb.invokeinterface(CD_MemorySegment, "get", MethodTypeDesc.of(CD_int, CD_OfInt, CD_long));
                    if (signed) {
                        cb.i2l();
                    } else {
                        zext32();
                    }
                }
                default -> {
                    access(s, off, CD_OfLong, "U64");
                    cb.invokeinterface(CD_MemorySegment, "get", MethodTypeDesc.of(CD_long, CD_OfLong, CD_long));
                }
            }
            st(d.dst[pc]);
        }

        private void store(int pc, int size, boolean imm) {
            int off = d.off[pc];
            int dst = d.dst[pc];
            long k = d.imm[pc];
            switch (size) {
                case 1 -> {
                    access(dst, off, CD_OfByte, "U8");
                    if (imm) {
                        cb.loadConstant((int) (byte) k);
                    } else {
                        ld(d.src[pc]);
                        cb.l2i();
                        cb.i2b();
                    }
                    cb.invokeinterface(CD_MemorySegment, "set", MethodTypeDesc.of(CD_void, CD_OfByte, CD_long, ConstantDescs.CD_byte));
                }
                case 2 -> {
                    access(dst, off, CD_OfShort, "U16");
                    if (imm) {
                        cb.loadConstant((int) (short) k);
                    } else {
                        ld(d.src[pc]);
                        cb.l2i();
                        cb.i2s();
                    }
                    cb.invokeinterface(CD_MemorySegment, "set", MethodTypeDesc.of(CD_void, CD_OfShort, CD_long, ConstantDescs.CD_short));
                }
                case 4 -> {
                    access(dst, off, CD_OfInt, "U32");
                    if (imm) {
                        cb.loadConstant((int) k);
                    } else {
                        ld(d.src[pc]);
                        cb.l2i();
                    }
                    cb.invokeinterface(CD_MemorySegment, "set", MethodTypeDesc.of(CD_void, CD_OfInt, CD_long, CD_int));
                }
                default -> {
                    access(dst, off, CD_OfLong, "U64");
                    if (imm) {
                        pushLong(k);
                    } else {
                        ld(d.src[pc]);
                    }
                    cb.invokeinterface(CD_MemorySegment, "set", MethodTypeDesc.of(CD_void, CD_OfLong, CD_long, CD_long));
                }
            }
        }

        /**
         * Atomic read-modify-write, inline: a signature-polymorphic call of JitRuntime.ATOMIC32/64
         * (a constant VarHandle, which C2 links through to one locked instruction; an add whose
         * result is unused becomes {@code lock add}). Fetch forms write the old value to src (32-bit
         * ones zero-extended, as the kernel), cmpxchg writes it to r0.
         */
        private void atomic(int pc, Op op) {
            boolean wide = op.width == 8;
            int fn = op.discValue;
            String mode = switch (fn & ~1) {
                case 0 -> "getAndAdd";
                case 64 -> "getAndBitwiseOr";
                case 80 -> "getAndBitwiseAnd";
                case 160 -> "getAndBitwiseXor";
                case 224 -> "getAndSet";
                case 240 -> "compareAndExchange";
                default -> throw new IllegalStateException("atomic op " + fn);
            };
            ClassDesc t = wide ? CD_long : CD_int;
            cb.getstatic(CD_JitRuntime, wide ? "ATOMIC64" : "ATOMIC32", CD_VarHandle);
            cb.getstatic(CD_JitRuntime, "MEM", CD_MemorySegment);
            ld(d.dst[pc]);
            if (d.off[pc] != 0) {
                pushLong((long) d.off[pc]);
                cb.ladd();
            }
            LookupEmitter.maskAddress(cb);
            boolean cmpxchg = fn == 241;
            if (cmpxchg) {
                ld(0);
                if (!wide) {
                    cb.l2i();
                }
            }
            ld(d.src[pc]);
            if (!wide) {
                cb.l2i();
            }
            cb.invokevirtual(CD_VarHandle, mode, cmpxchg ? MethodTypeDesc.of(t, CD_MemorySegment, CD_long, t, t)
                    : MethodTypeDesc.of(t, CD_MemorySegment, CD_long, t));
            if (!cmpxchg && (fn & 1) == 0) {
                if (wide) {
                    cb.pop2();
                } else {
                    cb.pop();
                }
                return;
            }
            if (!wide) {
                zext32();
            }
            st(cmpxchg ? 0 : d.src[pc]);
        }

        private void pushArgs() {
            for (int r = 1; r <= 5; r++) {
                ld(r);
            }
        }

        private void helperCall(int pc) {
            int id = (int) d.imm[pc];
            if (d.mapAt[pc] != null) {
                knownMapCall(pc, id, d.mapAt[pc]);
                return;
            }
            if (id == BPF_FUNC_LOOP || id == BPF_FUNC_FOR_EACH_MAP_ELEM) {
                storeCallerFp();
            }
            cb.ldc(constant(d.helperAt[pc], CD_Helper));
            cb.aload(CTX);
            pushArgs();
            cb.invokeinterface(CD_Helper, "call", MTD_HELPER_CALL);
            st(0);
            stopCheck();
        }

        /**
         * A map helper call on a map known here ({@link KnownMaps}): the map's own lookup, update or
         * delete on the constant map with ctx.cpu(), or an array lookup computed inline. None of
         * them can stop the program, so no stop check follows.
         */
        private void knownMapCall(int pc, int id, BpfMap m) {
            BpfMap.ArrayLookup a = id == Decoded.MAP_LOOKUP ? m.arrayLookup() : null;
            if (a != null) {
                arrayLookup(a);
                return;
            }
            BpfMap.HashLookup h = id == Decoded.MAP_LOOKUP ? m.hashLookup() : null;
            if (h != null && h.indexMask() <= Integer.MAX_VALUE) {
                ld(2);
                if (h.perCpu()) {
                    cb.aload(CTX);
                    cb.invokevirtual(CD_CallContext, "cpu", MethodTypeDesc.of(CD_int));
                } else {
                    cb.iconst_0(); // unused
                }
                int keyAt = d.keyOnStack(pc);
                boolean[] cuts = keyAt == Integer.MIN_VALUE ? null : d.keyStoreCuts(pc, keyAt, h.keySize());
                specialisedLookup(end -> HashLookups.emitInline(cb, h, cuts, INLINE_BASE, end),
                        () -> cb.invokestatic(thisClass, hashMethod(m, h), HashLookups.MTD));
                return;
            }
            BpfMap.LpmLookup l = id == Decoded.MAP_LOOKUP ? m.lpmLookup() : null;
            if (l != null && LpmLookups.supports(l)) {
                ld(2);
                specialisedLookup(end -> LpmLookups.emitInline(cb, l, prefixesConstant(l), INLINE_BASE, end),
                        () -> cb.invokestatic(thisClass, lpmMethod(m, l), LpmLookups.MTD));
                return;
            }
            cb.ldc(constant(m, CD_BpfMap));
            ld(2);
            if (id == Decoded.MAP_UPDATE) {
                ld(3);
                ld(4);
            }
            cb.aload(CTX);
            cb.invokevirtual(CD_CallContext, "cpu", MethodTypeDesc.of(CD_int));
            switch (id) {
                case Decoded.MAP_LOOKUP -> cb.invokevirtual(CD_BpfMap, "lookup", MethodTypeDesc.of(CD_long, CD_long, CD_int));
                case Decoded.MAP_UPDATE -> {
                    cb.invokevirtual(CD_BpfMap, "update", MethodTypeDesc.of(CD_int, CD_long, CD_long, CD_long, CD_int));
                    cb.i2l();
                }
                default -> {
                    cb.invokevirtual(CD_BpfMap, "delete", MethodTypeDesc.of(CD_int, CD_long, CD_int));
                    cb.i2l();
                }
            }
            st(0);
        }

        /**
         * r0 = the value address of the u32 key at r2 in an ARRAY or PERCPU_ARRAY, or 0 past
         * max_entries: BpfMap.ArrayLookup's arithmetic with the map's addresses as constants.
         */
        /**
         * A lookup on a map the JIT specialises (value address or 0 into r0): the first
         * {@link #INLINE_LOOKUPS} of a method are emitted {@code inline}, ending at the label it is
         * given; later ones {@code call} the map's generated method.
         */
        private void specialisedLookup(Consumer<Label> inline, Runnable call) {
            if (inlineLookups < INLINE_LOOKUPS) {
                inlineLookups++;
                Label end = cb.newLabel();
                inline.accept(end);
                cb.labelBinding(end);
            } else {
                call.run();
            }
            st(0);
        }

        private void arrayLookup(BpfMap.ArrayLookup a) {
            Label miss = cb.newLabel();
            Label done = cb.newLabel();
            access(2, 0, CD_OfInt, "U32");
            cb.invokeinterface(CD_MemorySegment, "get", MethodTypeDesc.of(CD_int, CD_OfInt, CD_long));
            zext32();
            st(0);
            ld(0);
            cb.loadConstant(Integer.toUnsignedLong(a.maxEntries()));
            cb.lcmp();
            cb.ifge(miss);
            ld(0);
            pushLong(a.elemSize());
            cb.lmul();
            cb.loadConstant(a.base());
            cb.ladd();
            if (a.perCpu()) {
                cb.aload(CTX);
                cb.invokevirtual(CD_CallContext, "cpu", MethodTypeDesc.of(CD_int));
                cb.i2l();
                pushLong(a.cpuStride());
                cb.lmul();
                cb.ladd();
            }
            st(0);
            cb.goto_(done);
            cb.labelBinding(miss);
            cb.lconst_0();
            st(0);
            cb.labelBinding(done);
        }

        /**
         * spill[CALLER_FP] = r10, spill[CALLER_DEPTH] = depth: where a callback of the coming helper
         * call gets its frame from.
         */
        private void storeCallerFp() {
            cb.aload(SPILL);
            cb.loadConstant(CALLER_FP);
            ld(10);
            cb.lastore();
            cb.aload(SPILL);
            cb.loadConstant(CALLER_DEPTH);
            cb.iload(DEPTH);
            cb.i2l();
            cb.lastore();
        }

        private void callx(int pc) {
            storeCallerFp(); // the helper id is only known at run time: it may take a callback
            cb.ldc(constant(d.helpers, CD_HelperRegistry));
            cb.aload(CTX);
            ld(d.dst[pc]);
            pushArgs();
            cb.loadConstant(pc);
            cb.loadConstant((int) d.dst[pc]);
            cb.invokestatic(CD_JitRuntime, "callx", MTD_CALLX);
            st(0);
            stopCheck();
        }

        /**
         * bpf-to-bpf call: a static call with r1-r5, depth + 1 and r10 - 512; r6-r9 stay in our
         * locals. The depth limit applies within the running program (depth & 7, see
         * {@link #spillLongs}). In a program that makes tail calls, a tail call the callee made is
         * taken here: the target runs in the callee's frame and its r0 is the callee's result
         * ({@link #tailCallsOfCallee}).
         */
        private void localCall(int pc) {
            Label ok = cb.newLabel();
            cb.iload(DEPTH);
            cb.loadConstant(JitCompiler.MAX_FRAMES - 1);
            cb.iand();
            cb.loadConstant(JitCompiler.MAX_FRAMES - 1);
            cb.if_icmplt(ok);
            cb.loadConstant(pc);
            cb.invokestatic(CD_JitRuntime, "callDepthExceeded", MethodTypeDesc.of(CD_VmException, CD_int));
            cb.athrow();
            cb.labelBinding(ok);
            cb.aload(CTX);
            cb.aload(SPILL);
            cb.iload(DEPTH);
            cb.iconst_1();
            cb.iadd();
            ld(10);
            pushLong((long) JitCompiler.STACK_SIZE);
            cb.lsub();
            pushArgs();
            cb.invokestatic(thisClass, subName(k, d.subIndex(d.off[pc])), MTD_SUB);
            st(0);
            if (d.mayTailCall) {
                tailCallsOfCallee();
            }
            if (d.mayStop) {
                stopCheck();
            }
        }

        /**
         * While the callee (at depth + 1, r10 - 512) stopped for a tail call: r0 = the target run
         * from its entry at {@code JitRuntime.tailCallDepth(depth + 1)} with r10 - 512 and r1 = the
         * context the tail call passed. A target that tail-calls from its main function comes back
         * here too, and the next one runs in the same place, as in the kernel.
         */
        private void tailCallsOfCallee() {
            Label loop = cb.newLabel();
            Label done = cb.newLabel();
            cb.labelBinding(loop);
            cb.aload(CTX);
            cb.invokevirtual(CD_CallContext, "takeTailCall", MethodTypeDesc.of(CD_int));
            cb.dup();
            cb.iflt(done);
            cb.aload(CTX);
            cb.aload(SPILL);
            cb.iload(DEPTH);
            cb.iconst_1();
            cb.iadd();
            cb.aload(SPILL);
            cb.invokestatic(CD_JitRuntime, "tailCallDepth", MethodTypeDesc.of(CD_int, CD_int, CD_long_array));
            ld(10);
            pushLong((long) JitCompiler.STACK_SIZE);
            cb.lsub();
            cb.aload(CTX);
            cb.invokevirtual(CD_CallContext, "tailCallArg", MethodTypeDesc.of(CD_long));
            for (int r = 2; r <= 5; r++) {
                cb.lconst_0();
            }
            cb.invokestatic(thisClass, enterName(k), MTD_ENTER);
            st(0);
            cb.goto_(loop);
            cb.labelBinding(done);
            cb.pop();
        }

        /** Legacy LD_ABS/LD_IND: r0 = packet bytes, or end the program with r0 = 0 when out of range. */
        private void packetLoad(int pc, Op op) {
            Label ok = cb.newLabel();
            cb.aload(CTX);
            if (op.kind == Op.Kind.LD_IND) {
                ld(d.src[pc]);
                pushLong((long) (int) d.imm[pc]);
                cb.ladd();
            } else {
                pushLong((long) (int) d.imm[pc]);
            }
            cb.loadConstant(op.width);
            cb.invokestatic(CD_JitRuntime, "loadPacket", MethodTypeDesc.of(CD_long, CD_CallContext, CD_long, CD_int));
            cb.dup2();
            cb.lconst_0();
            cb.lcmp();
            cb.ifge(ok);
            cb.pop2();
            cb.aload(CTX);
            cb.invokevirtual(CD_CallContext, "stop", ConstantDescs.MTD_void);
            cb.lconst_0();
            st(0);
            emitReturn();
            cb.labelBinding(ok);
            st(0);
        }

        private void emit(int pc) {
            Op op = d.ops[pc];
            int dst = d.dst[pc];
            switch (op) {
                // ALU64
                case ADD64_IMM, ADD64_REG -> alu64(pc, op, Opcode.LADD);
                case SUB64_IMM, SUB64_REG -> alu64(pc, op, Opcode.LSUB);
                case MUL64_IMM, MUL64_REG -> alu64(pc, op, Opcode.LMUL);
                case OR64_IMM, OR64_REG -> alu64(pc, op, Opcode.LOR);
                case AND64_IMM, AND64_REG -> alu64(pc, op, Opcode.LAND);
                case XOR64_IMM, XOR64_REG -> alu64(pc, op, Opcode.LXOR);
                case LSH64_IMM, LSH64_REG -> shift64(pc, op, Opcode.LSHL);
                case RSH64_IMM, RSH64_REG -> shift64(pc, op, Opcode.LUSHR);
                case ARSH64_IMM, ARSH64_REG -> shift64(pc, op, Opcode.LSHR);
                case DIV64_IMM, DIV64_REG -> div64(pc, op, "udiv64");
                case SDIV64_IMM, SDIV64_REG -> div64(pc, op, "sdiv64");
                case MOD64_IMM, MOD64_REG -> div64(pc, op, "umod64");
                case SMOD64_IMM, SMOD64_REG -> div64(pc, op, "smod64");
                case MOV64_IMM, MOV64_REG -> {
                    src64(pc, op);
                    st(dst);
                }
                case MOVSX8_64 -> {
                    ld(d.src[pc]);
                    cb.l2i();
                    cb.i2b();
                    cb.i2l();
                    st(dst);
                }
                case MOVSX16_64 -> {
                    ld(d.src[pc]);
                    cb.l2i();
                    cb.i2s();
                    cb.i2l();
                    st(dst);
                }
                case MOVSX32_64 -> {
                    ld(d.src[pc]);
                    cb.l2i();
                    cb.i2l();
                    st(dst);
                }
                case NEG64 -> {
                    ld(dst);
                    cb.lneg();
                    st(dst);
                }
                // ALU32: low 32 bits, result zero-extended (RFC 9669 4.1)
                case ADD32_IMM, ADD32_REG -> alu32(pc, op, Opcode.IADD);
                case SUB32_IMM, SUB32_REG -> alu32(pc, op, Opcode.ISUB);
                case MUL32_IMM, MUL32_REG -> alu32(pc, op, Opcode.IMUL);
                case OR32_IMM, OR32_REG -> alu32(pc, op, Opcode.IOR);
                case AND32_IMM, AND32_REG -> alu32(pc, op, Opcode.IAND);
                case XOR32_IMM, XOR32_REG -> alu32(pc, op, Opcode.IXOR);
                case LSH32_IMM, LSH32_REG -> shift32(pc, op, Opcode.ISHL);
                case RSH32_IMM, RSH32_REG -> shift32(pc, op, Opcode.IUSHR);
                case ARSH32_IMM, ARSH32_REG -> shift32(pc, op, Opcode.ISHR);
                case DIV32_IMM, DIV32_REG -> div32(pc, op, "udiv32");
                case SDIV32_IMM, SDIV32_REG -> div32(pc, op, "sdiv32");
                case MOD32_IMM, MOD32_REG -> div32(pc, op, "umod32");
                case SMOD32_IMM, SMOD32_REG -> div32(pc, op, "smod32");
                case MOV32_IMM -> {
                    pushLong(d.imm[pc] & 0xffff_ffffL);
                    st(dst);
                }
                case MOV32_REG -> {
                    ld(d.src[pc]);
                    cb.l2i();
                    zext32();
                    st(dst);
                }
                case MOVSX8_32 -> {
                    ld(d.src[pc]);
                    cb.l2i();
                    cb.i2b();
                    zext32();
                    st(dst);
                }
                case MOVSX16_32 -> {
                    ld(d.src[pc]);
                    cb.l2i();
                    cb.i2s();
                    zext32();
                    st(dst);
                }
                case NEG32 -> {
                    ld(dst);
                    cb.l2i();
                    cb.ineg();
                    zext32();
                    st(dst);
                }
                // byte order: the host is little-endian, so "le" truncates and "be"/bswap swap
                case LE16 -> {
                    ld(dst);
                    pushLong(0xffffL);
                    cb.land();
                    st(dst);
                }
                case LE32 -> {
                    ld(dst);
                    cb.l2i();
                    zext32();
                    st(dst);
                }
                case LE64 -> { }
                case BE16, BSWAP16 -> {
                    ld(dst);
                    cb.l2i();
                    cb.invokestatic(CD_Integer, "reverseBytes", MTD_I_I);
                    cb.loadConstant(16);
                    cb.iushr();
                    cb.i2l();
                    st(dst);
                }
                case BE32, BSWAP32 -> {
                    ld(dst);
                    cb.l2i();
                    cb.invokestatic(CD_Integer, "reverseBytes", MTD_I_I);
                    zext32();
                    st(dst);
                }
                case BE64, BSWAP64 -> {
                    ld(dst);
                    cb.invokestatic(CD_Long, "reverseBytes", MTD_J_J);
                    st(dst);
                }
                // JMP
                case JEQ64_IMM, JEQ64_REG -> jump64(pc, op, Opcode.IFEQ, false);
                case JNE64_IMM, JNE64_REG -> jump64(pc, op, Opcode.IFNE, false);
                case JGT64_IMM, JGT64_REG -> jump64(pc, op, Opcode.IFGT, true);
                case JGE64_IMM, JGE64_REG -> jump64(pc, op, Opcode.IFGE, true);
                case JLT64_IMM, JLT64_REG -> jump64(pc, op, Opcode.IFLT, true);
                case JLE64_IMM, JLE64_REG -> jump64(pc, op, Opcode.IFLE, true);
                case JSGT64_IMM, JSGT64_REG -> jump64(pc, op, Opcode.IFGT, false);
                case JSGE64_IMM, JSGE64_REG -> jump64(pc, op, Opcode.IFGE, false);
                case JSLT64_IMM, JSLT64_REG -> jump64(pc, op, Opcode.IFLT, false);
                case JSLE64_IMM, JSLE64_REG -> jump64(pc, op, Opcode.IFLE, false);
                case JSET64_IMM, JSET64_REG -> {
                    ld(dst);
                    src64(pc, op);
                    cb.land();
                    cb.lconst_0();
                    cb.lcmp();
                    cb.ifne(target(d.off[pc]));
                }
                // JMP32
                case JEQ32_IMM, JEQ32_REG -> jump32(pc, op, Opcode.IF_ICMPEQ, false);
                case JNE32_IMM, JNE32_REG -> jump32(pc, op, Opcode.IF_ICMPNE, false);
                case JGT32_IMM, JGT32_REG -> jump32(pc, op, Opcode.IFGT, true);
                case JGE32_IMM, JGE32_REG -> jump32(pc, op, Opcode.IFGE, true);
                case JLT32_IMM, JLT32_REG -> jump32(pc, op, Opcode.IFLT, true);
                case JLE32_IMM, JLE32_REG -> jump32(pc, op, Opcode.IFLE, true);
                case JSGT32_IMM, JSGT32_REG -> jump32(pc, op, Opcode.IF_ICMPGT, false);
                case JSGE32_IMM, JSGE32_REG -> jump32(pc, op, Opcode.IF_ICMPGE, false);
                case JSLT32_IMM, JSLT32_REG -> jump32(pc, op, Opcode.IF_ICMPLT, false);
                case JSLE32_IMM, JSLE32_REG -> jump32(pc, op, Opcode.IF_ICMPLE, false);
                case JSET32_IMM, JSET32_REG -> {
                    ld(dst);
                    cb.l2i();
                    src32(pc, op);
                    cb.iand();
                    cb.ifne(target(d.off[pc]));
                }
                case JA, JA32 -> cb.goto_(target(d.off[pc]));
                // calls
                case CALL -> helperCall(pc);
                case CALLX -> callx(pc);
                case CALL_LOCAL -> localCall(pc);
                case CALL_KFUNC -> throw d.fault(pc, "unsupported: kfunc calls");
                case EXIT -> emitReturn();
                // memory
                case LDXB -> load(pc, 1, false);
                case LDXH -> load(pc, 2, false);
                case LDXW -> load(pc, 4, false);
                case LDXDW -> load(pc, 8, false);
                case LDXSB -> load(pc, 1, true);
                case LDXSH -> load(pc, 2, true);
                case LDXSW -> load(pc, 4, true);
                case STB -> store(pc, 1, true);
                case STH -> store(pc, 2, true);
                case STW -> store(pc, 4, true);
                case STDW -> store(pc, 8, true);
                case STXB -> store(pc, 1, false);
                case STXH -> store(pc, 2, false);
                case STXW -> store(pc, 4, false);
                case STXDW -> store(pc, 8, false);
                case ATOMIC32_ADD, ATOMIC32_FETCH_ADD, ATOMIC32_OR, ATOMIC32_FETCH_OR, ATOMIC32_AND,
                     ATOMIC32_FETCH_AND, ATOMIC32_XOR, ATOMIC32_FETCH_XOR, ATOMIC32_XCHG, ATOMIC32_CMPXCHG,
                     ATOMIC64_ADD, ATOMIC64_FETCH_ADD, ATOMIC64_OR, ATOMIC64_FETCH_OR, ATOMIC64_AND,
                     ATOMIC64_FETCH_AND, ATOMIC64_XOR, ATOMIC64_FETCH_XOR, ATOMIC64_XCHG, ATOMIC64_CMPXCHG ->
                        atomic(pc, op);
                case LDDW -> {
                    pushLong(d.imm[pc]);
                    st(dst);
                }
                case LDDW_MAP_FD, LDDW_MAP_VALUE, LDDW_BTF_ID, LDDW_FUNC, LDDW_MAP_IDX, LDDW_MAP_IDX_VALUE ->
                        throw d.fault(pc, "unresolved pseudo lddw (" + op.name().toLowerCase() + "): load it through a loader");
                case LDABSB, LDABSH, LDABSW, LDINDB, LDINDH, LDINDW -> packetLoad(pc, op);
            }
        }
    }
}
