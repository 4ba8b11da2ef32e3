package io.jxdp.perf;

import io.jxdp.ebpf.engine.XdpResult;

/**
 * The mean per-run time the kernel's {@code BPF_PROG_TEST_RUN} reports ({@code duration}) over a
 * trial's calls, which the benchmarks print beside JMH's wall clock: it includes the test-run
 * loop's per-run overhead and leaves out the syscall's fixed cost. For other engines it is
 * counted too and never printed.
 */
final class KernelDuration {
    private long sum;
    private long calls;

    /** Counts one call's result and returns its action, for the benchmark to sum. */
    long add(XdpResult r) {
        sum += r.nsPerRun();
        calls++;
        return r.action();
    }

    /** Prints "kernel-duration LABEL N ns/run ..." when {@code engine} is the kernel and it ran. */
    void print(String engine, String label) {
        if ("kernel".equals(engine) && calls > 0) {
            System.out.printf("kernel-duration %s %.1f ns/run (BPF_PROG_TEST_RUN duration, mean of %d calls)%n",
                    label, (double) sum / calls, calls);
        }
    }
}
