package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.interp.Interpreter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * bpf_ktime_get_tai_ns (208) reads the kernel's clock: a program stores the helper's value in the
 * packet; jxdp's run, then the kernel's (BPF_PROG_TEST_RUN), then jxdp's again must give ordered
 * values, each run microseconds after the other, so a jxdp clock other than CLOCK_TAI (realtime,
 * monotonic, another base) would fall outside. Limit: where the kernel's TAI offset is 0 (no
 * leap-second offset set with adjtimex, as on this machine) CLOCK_TAI equals CLOCK_REALTIME and
 * this test cannot tell the two apart. The helper's other properties (the value is a
 * wall-clock TAI after 2020, it does not go back) are in the corpus program xdp_checks, checked
 * against the kernel packet by packet.
 */
class TaiClockKernelTest {
    /** r7 = ktime_get_tai_ns(); *(u64 *)data = r7 when the frame has 8 bytes; return XDP_PASS. */
    private static final long[] PROGRAM = new Insns().mov(6, 1).call(208).mov(7, 0).ldxw(2, 6, 0).ldxw(3, 6, 4)
            .mov(4, 2).addImm(4, 8).jgt(4, 3, 1).stxdw(2, 0, 7).movImm(0, 2).exit().build();

    private static long read(byte[] out) {
        return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    @Test
    void jxdpAndTheKernelReadTheSameClock() {
        try (KernelRun k = new KernelRun(PROGRAM);
                InterpreterXdpEngine e = InterpreterXdpEngine.ofInstructions(PROGRAM, Interpreter.Mode.CHECKED)) {
            byte[] frame = new byte[64];
            for (int i = 0; i < 20; i++) {
                long before = read(e.run(frame, 1).output());
                long kernel = read(k.run(frame).dataOut());
                long after = read(e.run(frame, 1).output());
                assertTrue(before <= kernel && kernel <= after,
                        "round " + i + ": jxdp " + before + " <= kernel " + kernel + " <= jxdp " + after);
                assertTrue(before > 1_600_000_000_000_000_000L, "a TAI time after 2020: " + before);
            }
        }
    }
}
