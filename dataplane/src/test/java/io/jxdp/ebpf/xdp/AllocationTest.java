package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.loader.BpfObjectLoader;
import java.lang.reflect.Method;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A run of the interpreter engine allocates nothing in steady state: measured, not asserted in prose. */
class AllocationTest {
    private static final int RUNS = 100_000;
    /** Slack for the measurement itself (the MXBean call) and one-off JIT/class-loading noise. */
    private static final long ALLOWED_BYTES = 64 * 1024;

    private static long counted(InterpreterXdpEngine e) {
        long n = 0;
        for (var x : e.dumpMap("proto_count")) {
            n += java.nio.ByteBuffer.wrap(x.values().get(0)).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        }
        return n;
    }

    @Test
    void xdpParserRunsWithoutAllocating() throws Exception {
        Corpus.Entry parser = Corpus.entries().stream().filter(e -> e.name().equals("xdp_parser")).findFirst()
                .orElseThrow();
        List<byte[]> packets = PacketFiles.read(parser.pcap()).stream().filter(p -> p.length >= 14).toList();
        byte[][] ps = packets.toArray(new byte[0][]);
        // Reflection: the test is compiled inside the dataplane module, which does not read jdk.management.
        Object mx = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        Method allocatedBytes = Class.forName("com.sun.management.ThreadMXBean")
                .getMethod("getThreadAllocatedBytes", long.class);
        long tid = Thread.currentThread().threadId();
        try (InterpreterXdpEngine e = InterpreterXdpEngine.create(BpfObjectLoader.load(parser.object()), "xdp_parser")) {
            long[] action = new long[ps.length];
            for (int k = 0; k < ps.length; k++) {
                action[k] = e.runInPlace(ps[k], ps[k].length);
            }
            for (int i = 0; i < RUNS; i++) { // warm-up: JIT, lazily touched map pages
                e.runInPlace(ps[i % ps.length], ps[i % ps.length].length);
            }
            long countedBefore = counted(e);
            long want = 0;
            for (int i = 0; i < RUNS; i++) {
                want += action[i % ps.length];
            }
            // the quietest of up to ten windows: a window may catch a JIT recompilation on a loaded
            // machine, per-run allocation would show in every window
            long allocated = Long.MAX_VALUE;
            int windows = 0;
            for (; windows < 10 && allocated >= ALLOWED_BYTES; windows++) {
                long sum = 0;
                long before = (long) allocatedBytes.invoke(mx, tid);
                for (int i = 0; i < RUNS; i++) {
                    sum += e.runInPlace(ps[i % ps.length], ps[i % ps.length].length);
                }
                allocated = Math.min(allocated, (long) allocatedBytes.invoke(mx, tid) - before);
                assertEquals(want, sum, "every run gave its packet's verdict");
            }
            assertTrue(allocated < ALLOWED_BYTES, allocated + " bytes allocated over " + RUNS + " runs");
            assertTrue(counted(e) >= countedBefore + (long) windows * RUNS / ps.length, "the parser's counters advanced");
        }
    }
}
