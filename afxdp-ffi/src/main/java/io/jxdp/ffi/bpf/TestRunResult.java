package io.jxdp.ffi.bpf;

/**
 * What BPF_PROG_TEST_RUN reports.
 *
 * @param retval the program's return value (for XDP an {@link XdpAction}), as the kernel's u32
 * @param durationNs mean nanoseconds per run, as the kernel computes it over {@code repeat} runs
 * @param dataOut the packet after the run (empty when no data_out was asked for)
 * @param ctxOut the context after the run (empty when none was asked for)
 */
public record TestRunResult(int retval, long durationNs, byte[] dataOut, byte[] ctxOut) {}
