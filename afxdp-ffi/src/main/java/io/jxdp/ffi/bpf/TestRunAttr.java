package io.jxdp.ffi.bpf;

/**
 * The BPF_PROG_TEST_RUN inputs.
 *
 * @param dataIn the packet
 * @param dataOutCapacity room for the packet after the run; 0 passes no data_out (use 0 with
 *        {@link BpfFlags#BPF_F_TEST_XDP_LIVE_FRAMES}: live frames are transmitted, not returned,
 *        and with a context the kernel refuses a data_out, net/bpf/test_run.c)
 * @param ctxIn the context, for XDP a {@code struct xdp_md} (24 bytes), or null
 * @param ctxOutCapacity room for the context after the run, 0 for none
 * @param repeat runs to average the duration over; 0 and 1 both run once
 * @param flags {@code BPF_F_TEST_*} of {@link BpfFlags}
 * @param cpu with {@link BpfFlags#BPF_F_TEST_RUN_ON_CPU}
 * @param batchSize live-frames batch size, 0 for the kernel default
 */
public record TestRunAttr(byte[] dataIn, int dataOutCapacity, byte[] ctxIn, int ctxOutCapacity, int repeat,
                          int flags, int cpu, int batchSize) {

    /** Headroom beyond the input for programs that grow the packet (bpf_xdp_adjust_tail). */
    public static final int DEFAULT_OUT_HEADROOM = 512;

    public TestRunAttr {
        if (dataIn == null) {
            throw new IllegalArgumentException("dataIn must not be null");
        }
        if (dataOutCapacity < 0 || ctxOutCapacity < 0 || repeat < 0 || batchSize < 0) {
            throw new IllegalArgumentException("negative test-run size: data_out " + dataOutCapacity + ", ctx_out "
                    + ctxOutCapacity + ", repeat " + repeat + ", batch_size " + batchSize);
        }
    }

    /** Runs {@code data} once and returns the packet (with room to grow by {@link #DEFAULT_OUT_HEADROOM}). */
    public static TestRunAttr of(byte[] data) {
        return new TestRunAttr(data, data.length + DEFAULT_OUT_HEADROOM, null, 0, 1, 0, 0, 0);
    }

    public TestRunAttr withRepeat(int times) {
        return new TestRunAttr(dataIn, dataOutCapacity, ctxIn, ctxOutCapacity, times, flags, cpu, batchSize);
    }

    public TestRunAttr withCtx(byte[] ctx, int outCapacity) {
        return new TestRunAttr(dataIn, dataOutCapacity, ctx, outCapacity, repeat, flags, cpu, batchSize);
    }

    public TestRunAttr withFlags(int newFlags) {
        return new TestRunAttr(dataIn, dataOutCapacity, ctxIn, ctxOutCapacity, repeat, newFlags, cpu, batchSize);
    }

    public TestRunAttr withDataOutCapacity(int capacity) {
        return new TestRunAttr(dataIn, capacity, ctxIn, ctxOutCapacity, repeat, flags, cpu, batchSize);
    }
}
