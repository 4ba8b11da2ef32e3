package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.map.AllocationCounter;
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
        AllocationCounter mx = new AllocationCounter();
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
                long before = mx.allocatedBytes();
                for (int i = 0; i < RUNS; i++) {
                    sum += e.runInPlace(ps[i % ps.length], ps[i % ps.length].length);
                }
                allocated = Math.min(allocated, mx.allocatedBytes() - before);
                assertEquals(want, sum, "every run gave its packet's verdict");
            }
            assertTrue(allocated < ALLOWED_BYTES, allocated + " bytes allocated over " + RUNS + " runs");
            assertTrue(counted(e) >= countedBefore + (long) windows * RUNS / ps.length, "the parser's counters advanced");
        }
    }
    /**
     * bpf_for_each_map_elem over a HASH (xdp_cb of jit/tailcb.o: p[7] is a key inserted into "hash",
     * then the whole map is walked) allocates nothing per run: the walk reads the table in place.
     */
    @Test
    void forEachOverAHashMapRunsWithoutAllocating() throws Exception {
        AllocationCounter mx = new AllocationCounter();
        byte[][] ps = new byte[4][];
        for (int k = 0; k < ps.length; k++) {
            ps[k] = JitTailCallCallbackTest.frame(0, 0, 0, 0, 2 + k, 9, k, 1 + k); // p[7]: hash key 1..4
        }
        try (InterpreterXdpEngine e = InterpreterXdpEngine.create(JitTailCallCallbackTest.load("/jit/tailcb.o"),
                "xdp_cb")) {
            for (int i = 0; i < RUNS; i++) {
                e.runInPlace(ps[i % ps.length], ps[i % ps.length].length);
            }
            assertEquals(4, hashWalked(e.map("out")), "the walk visited the four keys");
            long allocated = Long.MAX_VALUE;
            for (int window = 0; window < 10 && allocated >= ALLOWED_BYTES; window++) {
                long before = mx.allocatedBytes();
                for (int i = 0; i < RUNS; i++) {
                    e.runInPlace(ps[i % ps.length], ps[i % ps.length].length);
                }
                allocated = Math.min(allocated, mx.allocatedBytes() - before);
            }
            assertTrue(allocated < ALLOWED_BYTES, allocated + " bytes allocated over " + RUNS + " runs");
            assertEquals(4, countKeys(e.map("hash")), "keys 1..4 in the hash");
        }
    }

    /** out[4] of xdp_cb: what bpf_for_each_map_elem over "hash" returned on the last run. */
    static long hashWalked(io.jxdp.ebpf.map.BpfMap out) {
        byte[] v = out.lookup(JitTailCallCallbackTest.u32(4)).orElseThrow();
        return java.nio.ByteBuffer.wrap(v).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    static int countKeys(io.jxdp.ebpf.map.BpfMap m) {
        int n = 0;
        for (var k = m.getNextKey(null); k.isPresent() && n <= m.maxEntries(); k = m.getNextKey(k.get())) {
            n++;
        }
        return n;
    }
}
