package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.map.AllocationCounter;
import io.jxdp.ffi.bpf.Bpf;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A run of the JIT engine allocates nothing in steady state, measured as {@link AllocationTest} measures the interpreter. */
class JitAllocationTest {
    private static final int RUNS = 200_000;
    /** Slack for the measurement itself (the MXBean call) and one-off JIT/class-loading noise. */
    private static final long ALLOWED_BYTES = 64 * 1024;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"xdp_parser", "xdp_flow_counter", "xdp_redirect", "xdp_mapinmap", "xdp_checks"})
    void runsWithoutAllocating(String name) throws Exception {
        Corpus.Entry entry = Corpus.entries().stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
        List<byte[]> packets = PacketFiles.read(entry.pcap()).stream().filter(p -> p.length >= 14).toList();
        byte[][] ps = packets.toArray(new byte[0][]);
        // Reflection: the test is compiled inside the dataplane module, which does not read jdk.management.
        AllocationCounter mx = new AllocationCounter();
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
            long before = mx.allocatedBytes();
            for (int i = 0; i < RUNS; i++) {
                sum += e.runInPlace(ps[i % ps.length], ps[i % ps.length].length);
            }
            long allocated = mx.allocatedBytes() - before;
            assertTrue(allocated < ALLOWED_BYTES, allocated + " bytes allocated over " + RUNS + " runs");
            assertEquals(want, sum, "every run gave its packet's verdict");
        }
    }

    /**
     * A run that tail-calls (xdp_tail to xdp_cb of jit/tailcb.o) and there runs nested bpf_loop
     * callbacks and bpf_for_each_map_elem over an ARRAY and over a HASH (p[7]: a key inserted into
     * "hash", then the map walked in place) allocates nothing once warm.
     */
    @org.junit.jupiter.api.Test
    void aRunWithATailCallAndCallbacksAllocatesNothing() throws Exception {
        AllocationCounter mx = new AllocationCounter();
        byte[][] ps = new byte[4][];
        for (int k = 0; k < ps.length; k++) {
            // p[0] = 0: tail call to slot 0; p[4] loops, p[5] early stop, p[6] array stop key, p[7] hash key
            ps[k] = JitTailCallCallbackTest.frame(0, 0, 0, 0, 3 + 4 * k, 2 + k * 3, k * 2, 1 + k);
        }
        try (JitXdpEngine e = JitXdpEngine.create(JitTailCallCallbackTest.load("/jit/tailcb.o"), "xdp_tail", 1, 200)) {
            e.updateMap("jmp", TailCallRedirectTest.u32(0), List.of(TailCallRedirectTest.u32(e.programId("xdp_cb"))));
            long[] action = new long[ps.length];
            for (int k = 0; k < ps.length; k++) {
                action[k] = e.runInPlace(ps[k], ps[k].length);
                assertEquals(1, e.tailCalls(), "frame " + k + " tail-called xdp_cb");
            }
            assertEquals(java.util.Set.of(2L, 3L), java.util.Arrays.stream(action).boxed().collect(
                    java.util.stream.Collectors.toSet()), "loops that ran out and loops stopped early");
            for (int i = 0; i < RUNS; i++) {
                e.runInPlace(ps[i % ps.length], ps[i % ps.length].length);
            }
            long want = 0;
            for (int i = 0; i < RUNS; i++) {
                want += action[i % ps.length];
            }
            long best = Long.MAX_VALUE;
            long sum = 0;
            for (int window = 0; window < 3 && best >= ALLOWED_BYTES; window++) {
                sum = 0;
                long before = mx.allocatedBytes();
                for (int i = 0; i < RUNS; i++) {
                    sum += e.runInPlace(ps[i % ps.length], ps[i % ps.length].length);
                }
                best = Math.min(best, mx.allocatedBytes() - before);
            }
            assertTrue(best < ALLOWED_BYTES, best + " bytes allocated over " + RUNS + " runs");
            assertEquals(want, sum, "every run gave its frame's verdict");
            assertEquals(4, AllocationTest.hashWalked(e.map("out")), "the hash walk visited the four keys");
        }
    }
}
