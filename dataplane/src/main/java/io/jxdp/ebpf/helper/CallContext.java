package io.jxdp.ebpf.helper;

import io.jxdp.ebpf.interp.MemoryRegions;

/**
 * The state a helper sees besides its argument registers. One instance is reused for every run
 * (no allocation per packet). Non-final on purpose: the XDP engine extends it with frame state.
 */
public class CallContext {
    private int cpu;
    private MemoryRegions regions;
    private long packetData;
    private int packetLength;
    private boolean stop;
    private int tailCallEntry = -1;
    private long tailCallArg;
    /**
     * Set by every write that leaves run state behind (regions, a stop request, a tail call, and a
     * subclass's own through {@link #runStateChanged()}), cleared by {@link #clearRun}, which resets
     * that state only when it is set: while it is false, regions are null, no stop is requested, no
     * tail call is pending and the subclass's run state is as {@link #clearRunState()} leaves it.
     */
    private boolean dirty;

    /** The CPU (worker) index the program runs on, as bpf_get_smp_processor_id() reports. */
    public int cpu() {
        return cpu;
    }

    public void cpu(int cpu) {
        this.cpu = cpu;
    }

    /**
     * The memory regions of the current run in checked mode, for helpers to validate pointer
     * arguments and to add regions (e.g. a map value they return); null in unchecked mode.
     */
    public MemoryRegions regions() {
        return regions;
    }

    /** Set by the interpreter at the start of each run. */
    public void regions(MemoryRegions regions) {
        this.regions = regions;
        dirty |= regions != null;
    }

    /** Address of the packet data that legacy LD_ABS/LD_IND read (0 when there is none). */
    public long packetData() {
        return packetData;
    }

    /** Length of the packet data that legacy LD_ABS/LD_IND read. */
    public int packetLength() {
        return packetLength;
    }

    /** Sets the packet that legacy LD_ABS/LD_IND instructions read. */
    public void packet(long data, int length) {
        this.packetData = data;
        this.packetLength = length;
    }

    /** Asks the interpreter to end the program when this helper returns, with r0 = its result. */
    public void stop() {
        stop = true;
        dirty = true;
    }

    /** True once {@link #stop()} was called in this run. */
    public boolean stopRequested() {
        return stop;
    }

    /** Cleared by the interpreter at the start of every run, with any pending tail call. */
    public void clearStop() {
        stop = false;
        tailCallEntry = -1;
    }

    /**
     * The JIT's start of a run: no regions (unchecked), no stop, no pending tail call. One method
     * whose signature names no interpreter class, so the JVM inlines it into the JIT engine's loop
     * even where the interpreter's classes (MemoryRegions) were never loaded; {@code regions(null)}
     * is not inlined there ("unloaded signature classes") and cost a real call per run. A run that
     * left nothing behind costs one load here.
     */
    public final void clearRun() {
        if (dirty) {
            regions = null;
            stop = false;
            tailCallEntry = -1;
            dirty = false;
            clearRunState();
        }
    }

    /** For subclasses: a write that {@link #clearRunState()} must undo before the next run. */
    protected final void runStateChanged() {
        dirty = true;
    }

    /** For subclasses: resets their own per-run state; {@link #clearRun} calls it when a run changed it. */
    protected void clearRunState() {
    }

    /**
     * A helper's bpf_tail_call: ends the function that called the helper, whose frame the function
     * starting at instruction {@code entry} (a program of the image) then takes over with r1 =
     * {@code r1}; when that function exits, its r0 goes to the caller of the ended one, or ends the
     * run if the tail call was made by the main function (kernel/bpf/core.c JMP_TAIL_CALL, and
     * arch/x86/net/bpf_jit_comp.c emit_bpf_tail_call_indirect(), which unwinds a subprogram's frame
     * so the target returns to the subprogram's caller). Both engines act on it as soon as the
     * helper returns.
     */
    public void tailCall(int entry, long r1) {
        if (entry < 0) {
            throw new IllegalArgumentException("tail call entry must be >= 0, got " + entry);
        }
        tailCallEntry = entry;
        tailCallArg = r1;
        stop = true;
        dirty = true;
    }

    /**
     * Takes the pending tail call: returns its entry and clears it and the stop request, or returns
     * -1 (the stop, if any, stays) when there is none. For the engines.
     */
    public int takeTailCall() {
        int e = tailCallEntry;
        if (e >= 0) {
            tailCallEntry = -1;
            stop = false;
        }
        return e;
    }

    /** r1 for the target of the tail call last taken (the context pointer bpf_tail_call was given). */
    public long tailCallArg() {
        return tailCallArg;
    }
}
