package io.jxdp.programs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.cli.Main;
import io.jxdp.ebpf.engine.MapsYaml;
import io.jxdp.ebpf.engine.Parity;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code jxdp parity} as a user runs it: output format, exit status, and divergences reported. */
class ParityCommandTest {
    static final Pattern SUMMARY = Pattern.compile("(\\d+) passed, (\\d+) failed");
    static final Pattern FAILURE = Pattern.compile("packet (\\d+) \\((\\d+) bytes\\): .+");

    record Run(int exit, List<String> out, String err) {}

    static Run jxdp(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            exit = Main.run(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Run(exit, out.toString().lines().toList(), err.toString());
    }

    static Corpus.Entry entry(String name) {
        return Corpus.entries().stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
    }

    static String engines() {
        return Engines.JXDP + ",kernel";
    }

    @Test
    void matchingRunPrintsOnlyTheSummaryAndExitsZero() {
        Corpus.Entry e = entry("xdp_flow_counter");
        Run r = jxdp("parity", e.object().toString(), "--pcap", e.pcap().toString(), "--maps", e.maps().toString(),
                "--engines", engines());
        assertEquals(0, r.exit(), r.err() + r.out());
        assertEquals(List.of(e.packets().size() + " passed, 0 failed"), r.out());
    }

    /** The JIT engine by name on the command line, against the kernel; and prog run prints its load time. */
    @Test
    void jitEngineAgainstTheKernel() {
        Corpus.Entry e = entry("xdp_flow_counter");
        Run r = jxdp("parity", e.object().toString(), "--pcap", e.pcap().toString(), "--maps", e.maps().toString(),
                "--engines", "jit,kernel");
        assertEquals(0, r.exit(), r.err() + r.out());
        assertEquals(List.of(e.packets().size() + " passed, 0 failed"), r.out());
        Run p = jxdp("prog", "run", e.object().toString(), "--packet", e.pcap().toString(), "--maps",
                e.maps().toString(), "--engine", "jit", "--no-trace");
        assertEquals(0, p.exit(), p.err());
        assertEquals(e.packets().size(), p.out().size(), p.out().toString());
        assertTrue(p.err().matches("(?s)jit: program 'xdp_flow_counter' loaded and compiled in [0-9.]+ ms .*"), p.err());
    }

    @Test
    void nondeterministicMapFailsEveryPacketUntilExcluded() {
        Corpus.Entry e = entry("xdp_stats");
        int n = e.packets().size();
        Run r = jxdp("parity", e.object().toString(), "--pcap", e.pcap().toString(), "--engines", engines());
        assertEquals(1, r.exit(), r.err());
        Matcher m = SUMMARY.matcher(r.out().getLast());
        assertTrue(m.matches(), r.out().getLast());
        int passed = Integer.parseInt(m.group(1));
        int failed = Integer.parseInt(m.group(2));
        assertEquals(n, passed + failed);
        assertTrue(failed > 0);
        List<String> lines = r.out().subList(0, r.out().size() - 1);
        assertEquals(failed, lines.size(), String.join("\n", r.out()));
        for (String line : lines) {
            assertTrue(FAILURE.matcher(line).matches(), line);
            assertTrue(line.contains("map last_seen key 00000000: "), line);
            assertTrue(!line.contains("map stats"), line);
        }

        Run excluded = jxdp("parity", e.object().toString(), "--pcap", e.pcap().toString(), "--exclude", "last_seen",
                "--engines", engines());
        assertEquals(0, excluded.exit(), excluded.err() + excluded.out());
        assertEquals(List.of(n + " passed, 0 failed"), excluded.out());
    }

    @Test
    void jsonReport() {
        Corpus.Entry e = entry("xdp_encap");
        Run r = jxdp("parity", e.object().toString(), "--program", e.program(), "--pcap", e.pcap().toString(),
                "--json", "--engines", engines());
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of("{\"engines\": [\"" + Engines.JXDP + "\", \"kernel\"], \"passed\": " + e.packets().size()
                + ", \"failed\": 0, \"failures\": []}"), r.out());
    }

    @Test
    void unusableInputIsExitTwoWithAReason() throws Exception {
        Corpus.Entry e = entry("xdp_encap");
        Run several = jxdp("parity", e.object().toString(), "--pcap", e.pcap().toString(), "--engines", engines());
        assertEquals(2, several.exit());
        assertTrue(several.err().contains("has 5 programs") && several.err().contains("--program"), several.err());

        Run noPcap = jxdp("parity", e.object().toString(), "--program", e.program(), "--pcap", "/nonexistent.pcap",
                "--engines", engines());
        assertEquals(2, noPcap.exit());
        assertTrue(noPcap.err().contains("/nonexistent.pcap"), noPcap.err());

        java.nio.file.Path bad = Files.createTempFile("jxdp-maps", ".yaml");
        try {
            Files.writeString(bad, "maps:\n  nosuch: []\n");
            Run badMaps = jxdp("parity", e.object().toString(), "--program", e.program(), "--pcap",
                    e.pcap().toString(), "--maps", bad.toString(), "--engines", engines());
            assertEquals(2, badMaps.exit());
            assertTrue(badMaps.err().contains(bad + ": map 'nosuch' is not in the program"), badMaps.err());
        } finally {
            Files.delete(bad);
        }
        Run badExclude = jxdp("parity", e.object().toString(), "--program", e.program(), "--pcap",
                e.pcap().toString(), "--exclude", "m/xyz", "--engines", engines());
        assertEquals(2, badExclude.exit());
        assertTrue(badExclude.err().contains("m/xyz"), badExclude.err());
    }

    /** jxdp's engine preloaded one way and the kernel another: the report names packets, verdicts and map entries. */
    @Test
    void divergentPreloadIsReported() throws Exception {
        Corpus.Entry e = entry("xdp_flow_counter");
        BpfObject object = e.load();
        List<byte[]> packets = e.packets();
        MapsYaml noBlock = MapsYaml.parse("maps:\n  blocklist:\n    - key: \"c6120043\"\n      value: \"01000000\"\n",
                "other.yaml");
        try (XdpEngine jxdp = Engines.jxdp(object, e.program());
                XdpEngine kernel = Engines.kernel(object, e.program())) {
            e.preload().preload(jxdp);
            noBlock.preload(kernel);
            Parity.Report r = Parity.compare(jxdp, kernel, packets, e.exclusions());
            assertTrue(r.failed() > 0, r.text());
            assertEquals(packets.size(), r.passed() + r.failed());
            String text = r.text();
            assertTrue(text.contains("map blocklist key c6120042: " + Engines.JXDP + " 01000000 vs kernel absent"), text);
            assertTrue(text.contains("map blocklist key c6120043: " + Engines.JXDP + " absent vs kernel 01000000"), text);
            assertTrue(text.lines().anyMatch(l -> l.startsWith("packet 6 (") && l.contains("verdict " + Engines.JXDP
                    + " XDP_DROP vs kernel XDP_PASS")), text);
            assertTrue(SUMMARY.matcher(text.lines().toList().getLast()).matches(), text);
        }
    }

    /** The --maps wiring of {@code prog run}: the block list preloaded turns packet 6 into a drop, on both engines. */
    @Test
    void progRunPreloadsMaps() {
        Corpus.Entry e = entry("xdp_flow_counter");
        for (String engine : List.of(Engines.JXDP, "kernel")) {
            Run with = jxdp("prog", "run", e.object().toString(), "--packet", e.pcap().toString(), "--maps",
                    e.maps().toString(), "--engine", engine);
            assertEquals(0, with.exit(), with.err());
            assertTrue(with.out().get(6).startsWith("6 XDP_DROP "), engine + ": " + with.out().get(6));
            Run without = jxdp("prog", "run", e.object().toString(), "--packet", e.pcap().toString(), "--engine", engine);
            assertEquals(0, without.exit(), without.err());
            assertTrue(without.out().get(6).startsWith("6 XDP_PASS "), engine + ": " + without.out().get(6));
        }
        Run bad = jxdp("prog", "run", e.object().toString(), "--packet", e.pcap().toString(), "--maps",
                entry("xdp_flow_counter").expectedMaps().toString().replace("xdp_flow_counter.maps", "xdp_config.maps"));
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("map '.bss' is not in the program"), bad.err());
    }
}
