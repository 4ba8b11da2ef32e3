package io.jxdp.ebpf.xdp;

import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.BpfLoadException;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import io.jxdp.ffi.bpf.TestRunAttr;
import io.jxdp.ffi.bpf.TestRunResult;

/** Runs raw XDP instructions in this machine's kernel (BPF_PROG_LOAD + BPF_PROG_TEST_RUN). */
final class KernelRun implements AutoCloseable {
    private final int fd;

    KernelRun(long[] slots) {
        fd = Bpf.progLoad(ProgLoadAttr.xdp(slots).withLicense("GPL"));
    }

    /**
     * The kernel verifier's log when it refuses {@code slots} because this kernel does not offer a
     * helper they call for XDP ("cannot use helper"), or null when it loads them; other refusals throw.
     */
    static String refusal(long[] slots) {
        try (KernelRun ignored = new KernelRun(slots)) {
            return null;
        } catch (BpfLoadException e) {
            if (e.getMessage().contains("cannot use helper")) {
                return e.getMessage();
            }
            throw e;
        }
    }

    TestRunResult run(byte[] packet) {
        return run(packet, 1);
    }

    TestRunResult run(byte[] packet, int repeat) {
        return Bpf.progTestRun(fd, TestRunAttr.of(packet).withDataOutCapacity(80_000).withRepeat(repeat));
    }

    @Override
    public void close() {
        Bpf.close(fd);
    }
}
