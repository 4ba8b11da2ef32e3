package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every program of programs/corpus.yaml in the interpreter engine against the kernel's recorded
 * answers: verdict and output bytes per packet, EINVAL where the kernel refused the frame, and every
 * map after the last packet except the entries the corpus marks nondeterministic.
 */
class CorpusTest {
    static List<Corpus.Entry> entries() throws Exception {
        return Corpus.entries();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void matchesTheKernel(Corpus.Entry e) throws Exception {
        check(e, Interpreter.Mode.CHECKED);
    }

    /** The kernel's verifier accepted every corpus program, so the unchecked (trusting) mode must agree too. */
    @ParameterizedTest(name = "{0} unchecked")
    @MethodSource("entries")
    void matchesTheKernelUnchecked(Corpus.Entry e) throws Exception {
        check(e, Interpreter.Mode.UNCHECKED);
    }

    private static void check(Corpus.Entry e, Interpreter.Mode mode) throws Exception {
        BpfObject obj = BpfObjectLoader.load(e.object());
        List<byte[]> packets = PacketFiles.read(e.pcap());
        List<Corpus.Expected> expected = Corpus.expected(e.name());
        assertEquals(expected.size(), packets.size(), "packets vs expected lines");
        try (InterpreterXdpEngine engine = InterpreterXdpEngine.create(obj, e.program(), mode,
                io.jxdp.ffi.bpf.Bpf.numPossibleCpus())) {
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
}
