package io.jxdp.ebpf.jit;

import io.jxdp.ebpf.helper.CallContext;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/**
 * One JIT-compiled program, ready to run: the generated code plus the per-instance state it needs,
 * a native stack of {@link JitCompiler#MAX_FRAMES} frames of {@link JitCompiler#STACK_SIZE} bytes
 * (r10 of the entry frame is its top; frame d has r10 = top - 512 * d, as in the interpreter) and
 * the register file that split subprograms spill to. Both are allocated once here, so a run
 * allocates nothing.
 *
 * <p>Not thread-safe (stack and spill file are per instance): use {@link #fork()} for another thread.
 */
public final class CompiledProgram {
    private final JitCode code;
    private final byte[] classBytes;
    private final String className;
    private final long[] spill = new long[JitCompiler.MAX_FRAMES * Translator.FRAME_SLOTS];
    private final MemorySegment stack;
    private final long stackTop;
    private final CallContext defaultContext = new CallContext();

    CompiledProgram(JitCode code, byte[] classBytes, String className) {
        this.code = code;
        this.classBytes = classBytes;
        this.className = className;
        this.stack = Arena.ofAuto().allocate((long) JitCompiler.STACK_SIZE * JitCompiler.MAX_FRAMES, 16);
        this.stackTop = stack.address() + stack.byteSize();
    }

    /** Runs the program with the given argument registers and context; returns r0 (as the interpreter's run). */
    public long run(CallContext ctx, long r1, long r2, long r3, long r4, long r5) {
        ctx.regions(null);
        ctx.clearStop();
        try {
            return code.run(ctx, spill, stackTop, r1, r2, r3, r4, r5);
        } finally {
            // the stack is freed with this object's automatic arena: keep it alive through the run
            Reference.reachabilityFence(this);
        }
    }

    /** Runs the program with r1, r2 set (r3-r5 zero) and a context of its own; returns r0. */
    public long run(long r1, long r2) {
        return run(defaultContext, r1, r2, 0, 0, 0);
    }

    /** The context used by {@link #run(long, long)}. */
    public CallContext context() {
        return defaultContext;
    }

    /** Another instance of the same code with its own stack, for another thread. */
    public CompiledProgram fork() {
        return new CompiledProgram(code, classBytes, className);
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
