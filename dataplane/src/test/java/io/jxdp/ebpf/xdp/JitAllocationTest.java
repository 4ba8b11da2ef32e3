package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ffi.bpf.Bpf;
import java.lang.reflect.Method;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A run of the JIT engine allocates nothing in steady state, measured as {@link AllocationTest} measures the interpreter. */
class JitAllocationTest {
    private static final int RUNS = 200_000;
    /** Slack for the measurement itself (the MXBean call) and one-off JIT/class-loading noise. */
    private static final long ALLOWED_BYTES = 64 * 1024;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"xdp_parser", "xdp_flow_counter"})
    void runsWithoutAllocating(String name) throws Exception {
        Corpus.Entry entry = Corpus.entries().stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
        List<byte[]> packets = PacketFiles.read(entry.pcap()).stream().filter(p -> p.length >= 14).toList();
        byte[][] ps = packets.toArray(new byte[0][]);
        // Reflection: the test is compiled inside the dataplane module, which does not read jdk.management.
        Object mx = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        Method allocatedBytes = Class.forName("com.sun.management.ThreadMXBean")
                .getMethod("getThreadAllocatedBytes", long.class);
        long tid = Thread.currentThread().threadId();
        try (JitXdpEngine e = JitXdpEngine.create(BpfObjectLoader.load(entry.object()), entry.program(),
                Bpf.numPossibleCpus(), 500)) {
            e.traceSink(TraceSink.discard());
            long[] action = new long[ps.length];
            for (int k = 0; k < ps.length; k++) {
                action[k] = e.runInPlace(ps[k], ps[k].length);
            }
            for (int i = 0; i < RUNS; i++) { // the packets' own paths: C2 recompiles where the warm-up did not go
                e.runInPlace(ps[i % ps.length], ps[i % ps.length].length);
            }
            long want = 0;
            for (int i = 0; i < RUNS; i++) {
                want += action[i % ps.length];
            }
            long sum = 0;
            long before = (long) allocatedBytes.invoke(mx, tid);
            for (int i = 0; i < RUNS; i++) {
                sum += e.runInPlace(ps[i % ps.length], ps[i % ps.length].length);
            }
            long allocated = (long) allocatedBytes.invoke(mx, tid) - before;
            assertTrue(allocated < ALLOWED_BYTES, allocated + " bytes allocated over " + RUNS + " runs");
            assertEquals(want, sum, "every run gave its packet's verdict");
        }
    }
}
