package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ffi.bpf.Bpf;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every program of programs/corpus.yaml in the JIT engine against the kernel's recorded answers,
 * as {@link CorpusTest} checks the interpreter: verdict and output bytes per packet, EINVAL where
 * the kernel refused the frame, and every map after the last packet (minus the corpus's
 * nondeterministic entries). The engine warms up at load, so this also proves the warm-up leaves
 * the maps as it found them.
 */
class JitCorpusTest {
    /** Long enough for thousands of warm-up runs (the maps' restore is exercised), short for the suite. */
    private static final long WARMUP_MILLIS = 150;

    static List<Corpus.Entry> entries() throws Exception {
        return Corpus.entries();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void matchesTheKernel(Corpus.Entry e) throws Exception {
        BpfObject obj = BpfObjectLoader.load(e.object());
        List<byte[]> packets = PacketFiles.read(e.pcap());
        List<Corpus.Expected> expected = Corpus.expected(e.name());
        assertEquals(expected.size(), packets.size(), "packets vs expected lines");
        try (JitXdpEngine engine = JitXdpEngine.create(obj, e.program(), Bpf.numPossibleCpus(), WARMUP_MILLIS)) {
            assertNotNull(engine.warmUp());
            assertTrue(engine.warmUp().runs() > 0, "warm-up ran");
            engine.traceSink(TraceSink.discard());
            if (e.maps() != null) {
                Corpus.preload(engine, e.maps());
            }
            for (int i = 0; i < packets.size(); i++) {
                Corpus.Expected x = expected.get(i);
                assertEquals(i, x.index());
                byte[] p = packets.get(i);
                if (x.outputHex() == null) {
                    EngineException ex = assertThrows(EngineException.class, () -> engine.run(p, 1), "packet " + i);
                    assertTrue(ex.getMessage().contains("EINVAL"), ex.getMessage());
                    continue;
                }
                XdpResult r = engine.run(p, 1);
                assertEquals(x.verdict(), r.actionName(), e.name() + " packet " + i);
                assertEquals(x.outputHex(), Corpus.HEX.formatHex(r.output()), e.name() + " packet " + i + " output");
            }
            Map<String, Map<String, List<String>>> want = Corpus.maps(Corpus.root().resolve("expected/" + e.name()
                    + ".maps.yaml"));
            Map<String, Map<String, List<String>>> got = Corpus.dump(engine);
            for (String nd : e.nondeterministic()) {
                int slash = nd.indexOf('/');
                if (slash < 0) {
                    assertTrue(got.containsKey(nd), "nondeterministic map " + nd + " exists");
                    want.remove(nd);
                    got.remove(nd);
                } else {
                    want.getOrDefault(nd.substring(0, slash), new TreeMap<>()).remove(nd.substring(slash + 1));
                    got.getOrDefault(nd.substring(0, slash), new TreeMap<>()).remove(nd.substring(slash + 1));
                }
            }
            assertEquals(new TreeMap<>(want), new TreeMap<>(got), e.name() + " maps");
            assertFalse(got.isEmpty() && !obj.maps().isEmpty(), "maps dumped");
        }
    }

    @Test
    void warmUpLeavesTheMapsAsLoaded() throws Exception {
        Corpus.Entry flows = Corpus.entries().stream().filter(e -> e.name().equals("xdp_flow_counter")).findFirst()
                .orElseThrow();
        BpfObject obj = BpfObjectLoader.load(flows.object());
        try (JitXdpEngine cold = JitXdpEngine.create(obj, flows.program(), Bpf.numPossibleCpus(), 0);
                JitXdpEngine warm = JitXdpEngine.create(obj, flows.program(), Bpf.numPossibleCpus(), WARMUP_MILLIS)) {
            assertEquals(null, cold.warmUp());
            assertTrue(warm.warmUp().runs() > 1_000, "warm-up ran " + warm.warmUp().runs() + " times");
            assertEquals(Corpus.dump(cold), Corpus.dump(warm));
            // and the warm-up frame does reach the maps, so the comparison above could fail
            cold.run(JitXdpEngine.warmUpFrame(), 1);
            assertFalse(Corpus.dump(cold).equals(Corpus.dump(warm)), "a run of the warm-up frame changes the maps");
        }
    }

    @Test
    void engineNamesIncludeJit() throws Exception {
        Corpus.Entry pass = Corpus.entries().stream().filter(e -> e.name().equals("xdp_pass")).findFirst().orElseThrow();
        try (XdpEngine e = Engines.create("jit", BpfObjectLoader.load(pass.object()), pass.program())) {
            assertEquals("jit", e.name());
            assertEquals("XDP_PASS", e.run(JitXdpEngine.warmUpFrame(), 3).actionName());
        }
        assertTrue(Engines.NAMES.contains("jit"));
    }

    @Test
    void refusesShortFramesAndUseAfterClose() throws Exception {
        Corpus.Entry pass = Corpus.entries().stream().filter(e -> e.name().equals("xdp_pass")).findFirst().orElseThrow();
        JitXdpEngine e = JitXdpEngine.create(BpfObjectLoader.load(pass.object()), pass.program(), 1, 0);
        EngineException shortFrame = assertThrows(EngineException.class, () -> e.run(new byte[13], 1));
        assertTrue(shortFrame.getMessage().startsWith("EINVAL"), shortFrame.getMessage());
        e.close();
        EngineException closed = assertThrows(EngineException.class, () -> e.run(new byte[64], 1));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    }
}
