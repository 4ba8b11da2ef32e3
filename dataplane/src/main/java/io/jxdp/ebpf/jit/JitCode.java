package io.jxdp.ebpf.jit;

import io.jxdp.ebpf.helper.CallContext;
import io.jxdp.ebpf.map.Rcu;
import java.util.function.LongConsumer;

/**
 * What every generated hidden class implements: runs the program it was instantiated for.
 * {@code spill} is the per-instance register file of split subprograms (two header longs, then a
 * frame of {@link Translator#FRAME_SLOTS} longs per depth, see {@code Translator.spillLongs}),
 * {@code fp} the entry frame pointer (r10).
 */
interface JitCode {
    /** Runs the program from instruction 0, with the tail calls its main function makes (Translator.emitRun). */
    long run(CallContext ctx, long[] spill, long fp, long r1, long r2, long r3, long r4, long r5);

    /**
     * Runs the program {@code times} times from instruction 0 with r1 (r2-r5 zero), each run with
     * its bookkeeping: {@code ctx.clearRun()} before it, {@code rcu.quiescent(worker, reported)} after
     * it and {@code onEpochMoved.accept(e)} when that returned a new epoch {@code e} (the next
     * run's {@code reported}); returns the last run's r0 (Translator.emitRepeat).
     */
    long repeat(CallContext ctx, long[] spill, long fp, long r1, int times, Rcu rcu, int worker, long reported,
            LongConsumer onEpochMoved);

    /**
     * Runs the function (subprogram) starting at instruction pc in frame depth with r10 = fp: a
     * tail-call target, or a callback one frame below its caller. A pc where no function
     * starts throws {@code VmException}.
     */
    long call(int pc, CallContext ctx, long[] spill, int depth, long fp, long r1, long r2, long r3, long r4, long r5);
}
