package io.jxdp.ebpf.jit;

import io.jxdp.ebpf.helper.CallContext;
import io.jxdp.ebpf.helper.FunctionRunner;
import io.jxdp.ebpf.map.Rcu;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.util.function.LongConsumer;

/**
 * One JIT-compiled program, ready to run: the generated code plus the per-instance state it needs,
 * a native stack of {@link JitCompiler#MAX_FRAMES} frames of {@link JitCompiler#STACK_SIZE} bytes
 * ({@link #TAIL_CALL_FRAMES} for a program that makes tail calls; r10 of the entry frame is its
 * top, each bpf-to-bpf call goes 512 bytes lower, as in the interpreter) and the register file
 * that split subprograms spill to. Both are allocated once here, so a run allocates nothing.
 *
 * <p>Tail calls (a helper's {@link CallContext#tailCall}): one made by the main function ends it and
 * the generated run (or {@link #run(CallContext, int, long, long, long, long, long)} for another
 * entry) goes on in the target in a fresh main frame (r10 = the stack's top, as
 * kernel/bpf/core.c's JMP_TAIL_CALL keeps the frame), whose r0 ends the run; one made by a
 * subprogram or callback is taken by the generated call site (or {@link #callFunction}): the target
 * runs in that function's frame and its r0 is the function's result, as with the x86-64 JIT.
 *
 * <p>Other entries: {@link #run(CallContext, int, long, long, long, long, long)} enters another
 * function of the program in a fresh main frame, {@link #callFunction} runs a callback in the frame
 * below the one calling the helper (bpf_loop, bpf_for_each_map_elem).
 *
 * <p>Not thread-safe (stack and spill file are per instance): use {@link #fork()} for another thread.
 */
public final class CompiledProgram implements FunctionRunner {
    /**
     * Frames of a program that makes tail calls: {@link JitCompiler#MAX_FRAMES} for each program
     * of a chain of MAX_TAIL_CALL_CNT (33) tail calls from subprograms and the entry program (see
     * {@code Translator.spillLongs}; the kernel bounds the same growth in bytes: a tail-calling
     * subprogram's callers may hold less than 256 bytes of stack).
     */
    public static final int TAIL_CALL_FRAMES = io.jxdp.ebpf.interp.Interpreter.TAIL_CALL_FRAMES;

    private final JitCode code;
    private final byte[] classBytes;
    private final String className;
    private final int frames;
    private final long[] spill;
    private final MemorySegment stack;
    private final long stackTop;
    private final CallContext defaultContext = new CallContext();

    CompiledProgram(JitCode code, byte[] classBytes, String className, int frames) {
        this.code = code;
        this.classBytes = classBytes;
        this.className = className;
        this.frames = frames;
        this.spill = new long[Translator.spillLongs(frames)];
        this.stack = Arena.ofAuto().allocate((long) JitCompiler.STACK_SIZE * frames, 16);
        this.stackTop = stack.address() + stack.byteSize();
    }

    /** Runs the program with the given argument registers and context; returns r0 (as the interpreter's run). */
    public long run(CallContext ctx, long r1, long r2, long r3, long r4, long r5) {
        ctx.clearRun();
        return runCleared(ctx, r1, r2, r3, r4, r5);
    }

    /**
     * {@link #run(CallContext, long, long, long, long, long)} for a caller that has just cleared the
     * context's run state itself ({@link CallContext#clearRun()}, as the XDP engine's beginRun
     * does before every run), so the run does not test it a second time.
     */
    public long runCleared(CallContext ctx, long r1, long r2, long r3, long r4, long r5) {
        try {
            return code.run(ctx, spill, stackTop, r1, r2, r3, r4, r5); // tail calls included (Translator.emitRun)
        } finally {
            // the stack is freed with this object's automatic arena: keep it alive through the run
            Reference.reachabilityFence(this);
        }
    }

    /**
     * An engine's repeat loop: {@code times} runs (at least one) from instruction 0 with r1 (r2-r5
     * zero), each as {@link #run(CallContext, long, long, long, long, long)} with the engine's
     * per-run bookkeeping around it: the context's run state cleared before it
     * ({@link CallContext#clearRun()}), a quiescent state reported to {@code rcu} as {@code worker}
     * after it ({@link Rcu#quiescent(int, long)} from {@code reported}, the epoch the worker last
     * reported), and {@code onEpochMoved} told each new epoch it returned (for the engine to
     * remember it and do its deferred work). Returns the last run's r0; an exception of a run ends
     * the loop (the runs before it reported; the faulting one did not).
     *
     * <p>The loop is generated into the program's own class (Translator.emitRepeat): its calls of
     * the program, clearRun and quiescent are all statically bound, so C2 compiles it the same way
     * whatever else the JVM runs; the only call through {@code JitCode} is the one into it.
     * Allocates nothing (unless {@code onEpochMoved} does).
     */
    public long repeat(CallContext ctx, long r1, int times, Rcu rcu, int worker, long reported,
            LongConsumer onEpochMoved) {
        try {
            return code.repeat(ctx, spill, stackTop, r1, times, rcu, worker, reported, onEpochMoved);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Runs from the function that starts at instruction {@code entry} in a fresh main frame, the
     * stack the same as for {@link #run(CallContext, long, long, long, long, long)}: how a tail call
     * enters the next program of an image compiled with its entries (kernel/bpf/core.c
     * JMP_TAIL_CALL reuses the caller's frame). A pc where no function starts is a VmException.
     */
    public long run(CallContext ctx, int entry, long r1, long r2, long r3, long r4, long r5) {
        ctx.clearRun();
        try {
            long r0 = entry == 0 ? code.run(ctx, spill, stackTop, r1, r2, r3, r4, r5)
                    : code.call(entry, ctx, spill, 0, stackTop, r1, r2, r3, r4, r5);
            int e;
            while ((e = ctx.takeTailCall()) >= 0) {
                r0 = code.call(e, ctx, spill, 0, stackTop, ctx.tailCallArg(), 0, 0, 0, 0);
            }
            return r0;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Runs the callback starting at {@code pc} one frame below the frame that is calling bpf_loop or
     * bpf_for_each_map_elem right now (its r10 and depth were stored at that call site), so the
     * caller's stack stays as it is. Beyond {@link JitCompiler#MAX_FRAMES} frames it fails as the
     * interpreter does. A tail call the callback makes replaces it: the target runs in its frame and
     * its r0 is the callback's result. Only valid from such a helper during a run.
     */
    @Override
    public long callFunction(CallContext ctx, int pc, long r1, long r2, long r3, long r4, long r5) {
        final long[] s = spill;
        long callerFp = s[Translator.CALLER_FP];
        long callerDepth = s[Translator.CALLER_DEPTH];
        long stackBottom = stackTop - (long) JitCompiler.STACK_SIZE * frames;
        if (callerFp <= stackBottom || callerFp > stackTop || callerDepth < 0 || callerDepth >= frames) {
            throw new IllegalStateException("callFunction outside a callback-taking helper call (caller r10 0x"
                    + Long.toHexString(callerFp) + ", depth " + callerDepth + ")");
        }
        int depth = (int) callerDepth;
        if ((depth & (JitCompiler.MAX_FRAMES - 1)) + 1 >= JitCompiler.MAX_FRAMES) {
            throw JitRuntime.callbackDepthExceeded(pc);
        }
        long fp = callerFp - JitCompiler.STACK_SIZE;
        long r0 = code.call(pc, ctx, s, depth + 1, fp, r1, r2, r3, r4, r5);
        int e;
        while ((e = ctx.takeTailCall()) >= 0) {
            r0 = code.call(e, ctx, s, JitRuntime.tailCallDepth(depth + 1, s), fp, ctx.tailCallArg(), 0, 0, 0, 0);
        }
        // a nested bpf_loop in the callee stored its own frame there
        s[Translator.CALLER_FP] = callerFp;
        s[Translator.CALLER_DEPTH] = callerDepth;
        return r0;
    }

    /** Runs the program with r1, r2 set (r3-r5 zero) and a context of its own; returns r0. */
    public long run(long r1, long r2) {
        return run(defaultContext, r1, r2, 0, 0, 0);
    }

    /** The context used by {@link #run(long, long)}. */
    public CallContext context() {
        return defaultContext;
    }

    /**
     * What {@link #warmUp} did.
     *
     * @param runs        runs executed
     * @param nanos       wall time of the warm-up, from its start (right after load) to its end
     * @param nanosPerRun average time per run of the last batch
     * @param stable      true if the JVM's compilers went quiet (it has compiled the hot code), false
     *                    if the run or time limit came first
     */
    public record WarmUp(long runs, long nanos, double nanosPerRun, boolean stable) {
    }

    /**
     * Runs the program over a synthetic input until the JVM has compiled it, so the optimising
     * compiler is done before the first real packet. Runs in batches of about
     * {@value #WARM_BATCH_MILLIS} ms; after at least {@value #WARM_MIN_RUNS} runs (C2's default
     * tier-4 thresholds are 5,000 invocations or 15,000 invocations plus loop trips) it is stable
     * once the JVM's compilers have been quiet for {@value #WARM_QUIET_BATCHES} batches in a row:
     * the C2 compiler threads ("C2 CompilerThre..." in {@code /proc/self/task/}) used at most one
     * clock tick of CPU time, none of them was running or runnable at the batch's end, and the JVM's
     * total compilation time ({@code CompilationMXBean}) moved by at most 2 ms (the sampling's own
     * code is compiled meanwhile; compiling a program's method takes tens to hundreds of ms). Where neither source is available, the time per run
     * must instead stay within 10% over those batches. Bounded by maxRuns and maxNanos. The runs are
     * real: helpers and memory writes take effect, so warm up over scratch input and before the
     * program's maps hold state that matters.
     */
    public WarmUp warmUp(CallContext ctx, long r1, long r2, long maxRuns, long maxNanos) {
        return warmUp(null, 1, ctx, r1, r2, maxRuns, maxNanos);
    }

    /**
     * As {@link #warmUp(CallContext, long, long, long, long)} with the caller's own run: an engine's
     * whole run (e.g. with its tail-call loop), which must call this program.
     */
    public WarmUp warmUp(Runnable oneRun, long maxRuns, long maxNanos) {
        return warmUp(oneRun, 1, maxRuns, maxNanos);
    }

    /**
     * As {@link #warmUp(Runnable, long, long)} where each call of {@code runs} makes
     * {@code runsPerCall} runs (an engine's repeat loop), counted as such.
     */
    public WarmUp warmUp(Runnable runs, int runsPerCall, long maxRuns, long maxNanos) {
        if (runsPerCall <= 0) {
            throw new IllegalArgumentException("runsPerCall must be > 0, got " + runsPerCall);
        }
        return warmUp(java.util.Objects.requireNonNull(runs, "runs"), runsPerCall, null, 0, 0, maxRuns, maxNanos);
    }

    /** The warm-up loop: oneRun, or (when null) a direct call of run so C2 sees this method's call site. */
    private WarmUp warmUp(Runnable oneRun, int perCall, CallContext ctx, long r1, long r2, long maxRuns,
            long maxNanos) {
        if (maxRuns <= 0 || maxNanos <= 0) {
            throw new IllegalArgumentException("maxRuns and maxNanos must be > 0, got " + maxRuns + ", " + maxNanos);
        }
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        long runs = 0;
        double[] recent = new double[WARM_QUIET_BATCHES];
        int quiet = 0;
        int batches = 0;
        long compileTime = timed ? jit.getTotalCompilationTime() : 0;
        C2Activity c2 = C2Activity.sample();
        boolean watched = timed || c2 != null;
        double perRun = 0;
        while (runs < maxRuns && System.nanoTime() - start < maxNanos) {
            long t0 = System.nanoTime();
            long end = t0 + WARM_BATCH_MILLIS * 1_000_000L;
            long batch = 0;
            do {
                for (int i = 0; i < 64 && runs + batch < maxRuns; i++, batch += perCall) {
                    if (oneRun == null) {
                        run(ctx, r1, r2, 0, 0, 0);
                    } else {
                        oneRun.run();
                    }
                }
            } while (System.nanoTime() < end && runs + batch < maxRuns);
            perRun = (double) (System.nanoTime() - t0) / batch;
            runs += batch;
            long c = timed ? jit.getTotalCompilationTime() : 0;
            C2Activity now = c2 == null ? null : C2Activity.sample();
            // "Quiet" tolerates the crumbs of compilation the sampling itself causes (its /proc
            // reading code gets compiled too): one clock tick of C2 time, 2 ms on the JVM's clock.
            boolean c2Quiet = c2 == null || now == null || (now.ticks - c2.ticks <= 1 && !now.running);
            quiet = c - compileTime <= 2 && c2Quiet ? quiet + 1 : 0;
            compileTime = c;
            c2 = now == null ? c2 : now;
            recent[batches++ % recent.length] = perRun;
            if (runs >= WARM_MIN_RUNS && quiet >= WARM_QUIET_BATCHES && settled(recent, watched)) {
                return new WarmUp(runs, System.nanoTime() - start, perRun, true);
            }
        }
        return new WarmUp(runs, System.nanoTime() - start, perRun, false);
    }

    private static final int WARM_BATCH_MILLIS = 50;
    private static final int WARM_QUIET_BATCHES = 6;
    private static final int WARM_MIN_RUNS = 20_000;

    /** True when the warm-up may stop after a quiet window. */
    private static boolean settled(double[] times, boolean compilersWatched) {
        if (compilersWatched) {
            return true; // the compilers have been idle for the whole window: that is the signal that matters
        }
        double min = Double.MAX_VALUE;
        double max = 0;
        for (double t : times) {
            min = Math.min(min, t);
            max = Math.max(max, t);
        }
        return max <= min * 1.10; // without a view of the compilers, the per-run time must settle
    }

    /**
     * The C2 compiler threads' CPU time (utime + stime in clock ticks, fields 14 and 15 of
     * {@code /proc/self/task/TID/stat}) and whether any of them is running or runnable (state R).
     * A thread compiling shows R even while it waits for a CPU, which the CPU time alone would miss
     * on a busy machine; an idle one sleeps on the compile queue.
     */
    record C2Activity(long ticks, boolean running) {
        private static final java.nio.file.Path TASKS = java.nio.file.Path.of("/proc/self/task");

        /** The current activity, or null where /proc is not readable or no C2 thread exists. */
        static C2Activity sample() {
            long ticks = 0;
            boolean running = false;
            boolean any = false;
            try (java.nio.file.DirectoryStream<java.nio.file.Path> tasks = java.nio.file.Files.newDirectoryStream(TASKS)) {
                for (java.nio.file.Path t : tasks) {
                    String stat;
                    try {
                        stat = java.nio.file.Files.readString(t.resolve("stat"));
                    } catch (java.io.IOException e) {
                        continue; // the thread ended meanwhile
                    }
                    int open = stat.indexOf('(');
                    int close = stat.lastIndexOf(')');
                    if (open < 0 || close < open || !stat.startsWith("C2 CompilerThre", open + 1)) {
                        continue;
                    }
                    String[] f = stat.substring(close + 2).split(" "); // f[0] is field 3, the state
                    running |= f[0].equals("R");
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    any = true;
                }
            } catch (java.io.IOException | RuntimeException e) {
                return null;
            }
            return any ? new C2Activity(ticks, running) : null;
        }
    }

    /** Another instance of the same code with its own stack, for another thread. */
    public CompiledProgram fork() {
        return new CompiledProgram(code, classBytes, className, frames);
    }

    /** The native stack (all frames); r10 of the entry frame is its end. */
    public MemorySegment stack() {
        return stack;
    }

    /** The binary name of the generated class (before the JVM's hidden-class suffix). */
    public String className() {
        return className;
    }

    /** The generated class file (shared by every program compiled in one batch). */
    public byte[] classBytes() {
        return classBytes.clone();
    }
}
