package io.jxdp.ebpf.xdp;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.interp.MemoryRegions;
import io.jxdp.ebpf.interp.VmException;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.MapSpec;
import io.jxdp.ffi.bpf.Bpf;

/**
 * An XDP program of a clang-built object run by jxdp's interpreter, as the kernel's
 * {@code BPF_PROG_TEST_RUN} runs it: one 4096-byte frame with 256 bytes of headroom, data_meta = data,
 * frames under 14 bytes refused with EINVAL, the output from data_meta to data_end. Every packet runs
 * as CPU 0; per-CPU maps hold {@link #cpus()} = the kernel's possible CPU count values per key, so
 * their dumps compare like with like with the kernel engine's.
 *
 * <p>Checked mode (the default while jxdp has no verifier) bounds every memory access of the program
 * and every pointer a helper is given to the stack, the packet, the context-free global data and the
 * map values the program looked up; a violation ends the run with an {@link EngineException}.
 *
 * <p>A run allocates nothing in steady state ({@link #runInPlace}); {@link #run} allocates its result.
 * With {@code repeat > 1} the program runs repeatedly over the same frame without resetting it, as
 * the kernel's {@code bpf_test_run()} loop does. Not thread-safe: one engine per thread.
 */
public final class InterpreterXdpEngine extends LinkedXdpEngine {
    private final Interpreter interp;

    private InterpreterXdpEngine(BpfObject obj, String program, long[] raw, Interpreter.Mode mode, int cpus,
            Pinning pinning) {
        super(obj, program, raw, cpus, pinning);
        try {
            try {
                interp = new Interpreter(this.program, helpers, mode);
            } catch (VmException e) {
                throw new EngineException(where + ": " + e.getMessage(), e);
            }
            ctx.cpu(0);
            ctx.checked(interp.checked(), interp.stackBase(), interp.stackTop());
            ctx.functions(interp);
            ctx.tailCallTargets(entries, entryErrors);
            MemoryRegions r = interp.regions();
            r.add("ctx", ctx.ctxAddress, XdpLayout.CTX_SIZE, false); // rewritten loads read it; stores were refused
            int packet = r.add("packet", ctx.hardStart + XdpLayout.HEADROOM, 0, true);
            for (int i = 0; i < maps.length; i++) {
                MapSpec s = specs.get(i);
                if (s.isGlobalData()) {
                    r.add(mapNames[i], maps[i].directValueAddress(0), maps[i].valueSize(), !s.readOnly());
                }
            }
            ctx.regionLayout(interp.checked() ? r : null, packet, r.count());
        } catch (RuntimeException e) {
            release();
            throw e;
        }
    }

    /**
     * An engine for raw XDP instructions without maps (tests, hand-written programs): calls are
     * checked and context loads rewritten as for an object's program.
     */
    static InterpreterXdpEngine ofInstructions(long[] slots, Interpreter.Mode mode) {
        return new InterpreterXdpEngine(null, null, slots, mode, 1, Pinning.NONE);
    }

    /** Links program (null: the object's only program) of obj in checked mode with the possible CPU count. */
    public static InterpreterXdpEngine create(BpfObject obj, String program) {
        return create(obj, program, Interpreter.Mode.CHECKED, Bpf.numPossibleCpus());
    }

    /** Links with an explicit mode and per-CPU slot count; LIBBPF_PIN_BY_NAME maps pinned by default. */
    public static InterpreterXdpEngine create(BpfObject obj, String program, Interpreter.Mode mode, int cpus) {
        return create(obj, program, mode, cpus, Pinning.defaults());
    }

    /** Links with an explicit mode, per-CPU slot count and choice of pinned maps. */
    public static InterpreterXdpEngine create(BpfObject obj, String program, Interpreter.Mode mode, int cpus,
            Pinning pinning) {
        if (cpus <= 0) {
            throw new IllegalArgumentException("cpus must be positive: " + cpus);
        }
        return new InterpreterXdpEngine(obj, program, null, mode, cpus, java.util.Objects.requireNonNull(pinning));
    }

    @Override
    public String name() {
        return "interp";
    }

    /** Instruction budget per run (checked mode default: {@link Interpreter#DEFAULT_CHECKED_BUDGET}). */
    public void budget(long instructions) {
        interp.budget(instructions);
    }

    /** Instructions the program executed in the last run (including a faulting one). */
    public long lastInstructionCount() {
        return interp.instructionCount();
    }

    /** One run; tail calls run inside the interpreter (XdpContext.tailCall -> CallContext.tailCall). */
    private long execute() {
        return interp.run(ctx, ctx.ctxAddress, 0, 0, 0, 0);
    }

    @Override
    long repeat(int times) {
        long action = 0;
        for (int i = 0; i < times; i++) {
            ctx.beginRun();
            action = execute();
            endRun();
        }
        return action;
    }
}
