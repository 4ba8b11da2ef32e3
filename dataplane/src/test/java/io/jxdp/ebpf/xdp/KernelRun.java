package io.jxdp.ebpf.xdp;

import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import io.jxdp.ffi.bpf.TestRunAttr;
import io.jxdp.ffi.bpf.TestRunResult;

/** Runs raw XDP instructions in this machine's kernel (BPF_PROG_LOAD + BPF_PROG_TEST_RUN). */
final class KernelRun implements AutoCloseable {
    private final int fd;

    KernelRun(long[] slots) {
        fd = Bpf.progLoad(ProgLoadAttr.xdp(slots).withLicense("GPL"));
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
