package io.jxdp.ebpf.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.kernel.KernelXdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.xdp.PacketFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The comparator, driven with two live kernel engines (one renamed so the report can tell them apart). */
class ParityTest {
    static final Path PROGRAMS = Path.of("..", "programs");

    /** A real engine under another name. */
    record Renamed(XdpEngine engine, String name) implements XdpEngine {
        @Override public int cpus() { return engine.cpus(); }
        @Override public XdpResult run(byte[] packet, int repeat) { return engine.run(packet, repeat); }
        @Override public List<String> mapNames() { return engine.mapNames(); }
        @Override public List<MapEntry> dumpMap(String mapName) { return engine.dumpMap(mapName); }
        @Override public void updateMap(String m, byte[] k, List<byte[]> v) { engine.updateMap(m, k, v); }
        @Override public void close() { engine.close(); }
    }

    static BpfObject obj(String file) throws Exception {
        return BpfObjectLoader.load(PROGRAMS.resolve("obj").resolve(file));
    }

    static List<byte[]> packets(String entry) {
        return read(PROGRAMS.resolve("packets").resolve(entry + ".pcap"));
    }

    @Test
    void identicalEnginesPassEveryPacketIncludingRefusedRunts() throws Exception {
        BpfObject o = obj("xdp_parser.o");
        List<byte[]> pkts = packets("xdp_parser");
        assertTrue(pkts.stream().anyMatch(p -> p.length < 14), "the corpus has runts");
        try (XdpEngine a = KernelXdpEngine.load(o, "xdp_parser"); XdpEngine b = KernelXdpEngine.load(o, "xdp_parser")) {
            Parity.Report r = Parity.compare(a, b, pkts, Parity.Exclusions.NONE);
            assertEquals(pkts.size(), r.passed());
            assertEquals(0, r.failed());
            assertEquals(pkts.size() + " passed, 0 failed\n", r.text());
        }
    }

    @Test
    void aMapPreloadedInOneEngineOnlyIsReportedWithKeyAndBothValues() throws Exception {
        BpfObject o = obj("xdp_flow_counter.o");
        List<byte[]> pkts = packets("xdp_flow_counter");
        try (XdpEngine a = new Renamed(KernelXdpEngine.load(o, "xdp_flow_counter"), "left");
                XdpEngine b = new Renamed(KernelXdpEngine.load(o, "xdp_flow_counter"), "right")) {
            MapsYaml.parse(PROGRAMS.resolve("maps/xdp_flow_counter.yaml")).preload(a);
            Parity.Report r = Parity.compare(a, b, pkts, Parity.Exclusions.NONE);
            assertEquals(pkts.size(), r.passed() + r.failed());
            assertTrue(r.failed() > 0);
            String first = r.failures().get(0).line();
            assertTrue(first.startsWith("packet 0 ("), first);
            assertTrue(first.contains("map blocklist key c6120042: left 01000000 vs right absent"), first);
            // packet 6 comes from the blocked 198.18.0.66: dropped on the left only
            Parity.Failure six = r.failures().stream().filter(f -> f.packet() == 6).findFirst().orElseThrow();
            assertTrue(six.line().contains("verdict left XDP_DROP vs right XDP_PASS"), six.line());
            assertTrue(r.text().endsWith(r.passed() + " passed, " + r.failed() + " failed\n"), r.text());
            assertTrue(r.json().startsWith("{\"engines\": [\"left\", \"right\"], \"passed\": " + r.passed()), r.json());
        }
    }

    @Test
    void differentRodataGivesVerdictAndOutputDifferences() throws Exception {
        BpfObject o = obj("xdp_config.o");
        BpfObject other = obj("xdp_config.o");
        byte[] port = new byte[other.map("xdp_conf.rodata").orElseThrow().variable("drop_port").orElseThrow().size()];
        port[0] = 10;
        other.setGlobal("drop_port", port);
        List<byte[]> pkts = packets("xdp_config");
        try (XdpEngine a = new Renamed(KernelXdpEngine.load(o, "xdp_config"), "nine");
                XdpEngine b = new Renamed(KernelXdpEngine.load(other, "xdp_config"), "ten")) {
            Parity.Report r = Parity.compare(a, b, pkts, Parity.Exclusions.parse(List.of(".rodata")));
            assertTrue(r.failed() > 0);
            assertTrue(r.failures().stream().anyMatch(f -> f.line().contains("verdict nine XDP_DROP vs ten XDP_")),
                    r.text());
            assertTrue(r.text().lines().noneMatch(l -> l.contains("map .rodata")), r.text());
        }
        try (XdpEngine a = new Renamed(KernelXdpEngine.load(o, "xdp_config"), "nine");
                XdpEngine b = new Renamed(KernelXdpEngine.load(other, "xdp_config"), "ten")) {
            Parity.Report r = Parity.compare(a, b, pkts, Parity.Exclusions.NONE);
            assertTrue(r.failures().get(0).line().contains("map .rodata key 00000000: nine 09"), r.text());
        }
    }

    @Test
    void excludedEntriesAreNotCompared() throws Exception {
        BpfObject o = obj("xdp_flow_counter.o");
        List<byte[]> pkts = packets("xdp_flow_counter").subList(0, 3);
        try (XdpEngine a = KernelXdpEngine.load(o, "xdp_flow_counter");
                XdpEngine b = KernelXdpEngine.load(o, "xdp_flow_counter")) {
            a.updateMap("blocklist", new byte[] {1, 2, 3, 4}, List.of(new byte[4]));
            assertEquals(3, Parity.compare(a, b, pkts, Parity.Exclusions.parse(List.of("blocklist/01020304"))).passed());
            assertEquals(3, Parity.compare(a, b, pkts, Parity.Exclusions.parse(List.of("blocklist"))).passed());
            Parity.Report r = Parity.compare(a, b, pkts, Parity.Exclusions.parse(List.of("blocklist/01020305")));
            assertEquals(3, r.failed());
            assertTrue(r.failures().get(0).line().contains("map blocklist key 01020304: kernel 00000000 vs kernel absent"),
                    r.text());
        }
    }

    @Test
    void anEngineThatCannotRunIsAFailureNamingItsError() throws Exception {
        BpfObject o = obj("xdp_pass.o");
        List<byte[]> pkts = new java.util.ArrayList<>(packets("xdp_pass"));
        pkts.add(new byte[10]); // a runt: EINVAL on the live side, "closed" on the other, still a failure
        XdpEngine closed = new Renamed(KernelXdpEngine.load(o, "xdp_pass"), "gone");
        closed.close();
        try (XdpEngine live = new Renamed(KernelXdpEngine.load(o, "xdp_pass"), "live")) {
            Parity.Report r = Parity.compare(live, new Renamed(closedRunsOnly(closed, live), "gone"), pkts,
                    Parity.Exclusions.NONE);
            assertEquals(pkts.size(), r.failed(), r.text());
            assertTrue(r.failures().getLast().line().contains("run: live failed (EINVAL"), r.text());
            Parity.Failure f = r.failures().get(0);
            assertTrue(f.line().contains("run: live returned XDP_PASS vs gone failed (the kernel engine for 'xdp_pass'"
                    + " is closed)"), f.line());
        }
    }

    /** A closed engine's runs with the live engine's maps, so only the run outcome differs. */
    static XdpEngine closedRunsOnly(XdpEngine closed, XdpEngine live) {
        return new XdpEngine() {
            @Override public String name() { return closed.name(); }
            @Override public int cpus() { return live.cpus(); }
            @Override public XdpResult run(byte[] packet, int repeat) { return closed.run(packet, repeat); }
            @Override public List<String> mapNames() { return live.mapNames(); }
            @Override public List<MapEntry> dumpMap(String mapName) { return live.dumpMap(mapName); }
            @Override public void updateMap(String m, byte[] k, List<byte[]> v) { live.updateMap(m, k, v); }
            @Override public void close() { }
        };
    }

    @Test
    void exclusionsParse() {
        Parity.Exclusions e = Parity.Exclusions.parse(List.of("last_seen", ".bss/00000000", "m/C612"));
        assertEquals(Set.of("last_seen"), e.maps());
        assertEquals(Map.of(".bss", Set.of("00000000"), "m", Set.of("c612")), e.keys());
        assertTrue(e.excludesKey("m", "c612"));
        for (String bad : List.of("", "/00", "m/", "m/0", "m/zz")) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> Parity.Exclusions.parse(List.of(bad)));
            assertTrue(ex.getMessage().contains("MAP/KEYHEX"), ex.getMessage());
        }
    }

    @Test
    void outputDifferencesNameTheFirstByte() {
        assertNull(Parity.outputDifference("a", new byte[] {1, 2}, "b", new byte[] {1, 2}));
        assertEquals("output first differs at byte 1: a 0x02 vs b 0xff (lengths 3 and 2)",
                Parity.outputDifference("a", new byte[] {1, 2, 3}, "b", new byte[] {1, -1}));
        assertEquals("output a 3 bytes vs b 2 bytes, equal up to byte 2",
                Parity.outputDifference("a", new byte[] {1, 2, 3}, "b", new byte[] {1, 2}));
    }

    @Test
    void jsonEscapes() {
        assertEquals("\"a\\\"b\\\\c\\nd\\u0001\"", Parity.quote("a\"b\\c\nd\u0001"));
        Parity.Report r = new Parity.Report("x", "y", 1, 1, List.of(new Parity.Failure(2, 60, List.of("verdict \"q\""))));
        assertEquals("{\"engines\": [\"x\", \"y\"], \"passed\": 1, \"failed\": 1, \"failures\": [{\"packet\": 2, "
                + "\"length\": 60, \"differences\": [\"verdict \\\"q\\\"\"]}]}\n", r.json());
        assertEquals("packet 2 (60 bytes): verdict \"q\"\n1 passed, 1 failed\n", r.text());
    }

    static List<byte[]> read(Path file) {
        try {
            return PacketFiles.read(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
