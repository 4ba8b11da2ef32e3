package io.jxdp.programs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.engine.MapsYaml;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.kernel.KernelXdpEngine;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Guards the recorded expectations: the kernel engine, run as kernel-expect.sh runs bpftool, must
 * reproduce expected/NAME.txt line for line and expected/NAME.maps.yaml map for map (minus the
 * nondeterministic entries), and show exactly corpus.yaml's verdict set. A failure here means either
 * the kernel engine or the committed expectations are wrong, and the parity test cannot be trusted.
 * Where this machine's kernel refuses a helper the program calls (see
 * {@link Engines#kernelLacksHelper}), jxdp's interpreter and JIT must reproduce the recording instead.
 */
class KernelExpectationTest {
    static final HexFormat HEX = HexFormat.of();

    static List<Corpus.Entry> entries() {
        return Corpus.entries();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void kernelEngineReproducesTheExpectedFiles(Corpus.Entry e) throws Exception {
        String lacks = Engines.kernelLacksHelper(e.load(), e.program());
        if (lacks != null) {
            // This kernel refuses a helper the program calls, so it cannot replay its own recording.
            // The refusal must be the verifier's, naming the helper; the recording (taken from a
            // kernel that offers the helper) is then guarded by both jxdp engines reproducing it.
            assertTrue(lacks.contains("cannot use helper"), lacks);
            try (XdpEngine interp = Engines.jxdp(e.load(), e.program());
                    XdpEngine jit = Engines.jit(e.load(), e.program())) {
                reproduces(interp, e);
                reproduces(jit, e);
            }
            return;
        }
        try (XdpEngine k = KernelXdpEngine.load(e.load(), e.program())) {
            reproduces(k, e);
        }
    }

    /**
     * Runs the entry's packets in order through {@code engine} (after the entry's preload) and asserts
     * expected/NAME.txt line for line, corpus.yaml's verdict set and expected/NAME.maps.yaml map for map.
     */
    static void reproduces(XdpEngine k, Corpus.Entry e) throws Exception {
        List<String> expected = Files.readAllLines(e.expectedRuns()).stream().filter(l -> !l.isBlank()).toList();
        List<byte[]> packets = e.packets();
        assertEquals(packets.size(), expected.size(), e.expectedRuns() + " lines vs " + e.pcap() + " packets");
        List<String> actual = new ArrayList<>();
        Set<String> verdicts = new TreeSet<>();
        MapsYaml preload = e.preload();
        if (preload != null) {
            preload.preload(k);
        }
        for (int i = 0; i < packets.size(); i++) {
            try {
                XdpResult r = k.run(packets.get(i), 1);
                String out = r.output().length == 0 ? "-" : HEX.formatHex(r.output());
                actual.add(i + " " + r.actionName() + " " + out);
                verdicts.add(r.actionName());
            } catch (EngineException ex) {
                assertTrue(ex.getMessage().startsWith("EINVAL"), ex.getMessage());
                actual.add(i + " EINVAL -");
            }
        }
        for (int i = 0; i < packets.size(); i++) {
            assertEquals(expected.get(i), actual.get(i), e.name() + " packet " + i);
        }
        assertEquals(new TreeSet<>(e.verdicts()), verdicts, e.name() + ": verdicts vs corpus.yaml");

        Map<String, List<MapEntry>> want = new TreeMap<>();
        MapsYaml.parse(e.expectedMaps()).maps().forEach((name, list) ->
                want.put(name, list.stream().map(MapsYaml.Entry::toMapEntry).toList()));
        Map<String, List<MapEntry>> got = MapsYaml.snapshot(k, Set.of());
        assertEquals(want.keySet(), got.keySet(), e.name() + ": map names");
        Set<String> skip = new TreeSet<>(e.exclusions().maps());
        for (String map : want.keySet()) {
            if (skip.contains(map)) {
                continue;
            }
            String w = render(map, want.get(map), e);
            String g = render(map, got.get(map), e);
            if (!w.equals(g)) {
                fail(e.name() + " map " + map + " after the last packet:\nexpected " + w + "\nactual   " + g);
            }
        }
    }

    /** Entries sorted by key, excluded keys left out. */
    static String render(String map, List<MapEntry> entries, Corpus.Entry e) {
        Map<String, String> sorted = new TreeMap<>();
        Set<String> skipKeys = e.exclusions().keys().getOrDefault(map, Set.of());
        for (MapEntry m : entries) {
            String key = HEX.formatHex(m.key());
            if (!skipKeys.contains(key)) {
                sorted.put(key, m.values().stream().map(HEX::formatHex).toList().toString());
            }
        }
        return sorted.toString();
    }
}
