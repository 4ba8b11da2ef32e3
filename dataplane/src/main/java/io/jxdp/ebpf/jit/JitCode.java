package io.jxdp.ebpf.jit;

import io.jxdp.ebpf.helper.CallContext;

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
     * Runs the function (subprogram) starting at instruction pc in frame depth with r10 = fp: a
     * tail-call target, or a callback one frame below its caller. A pc where no function
     * starts throws {@code VmException}.
     */
    long call(int pc, CallContext ctx, long[] spill, int depth, long fp, long r1, long r2, long r3, long r4, long r5);
}
