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
    }

    /** True once {@link #stop()} was called in this run. */
    public boolean stopRequested() {
        return stop;
    }

    /** Cleared by the interpreter at the start of every run. */
    public void clearStop() {
        stop = false;
    }
}
