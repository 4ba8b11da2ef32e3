package io.jxdp.ebpf.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.kernel.KernelXdpEngine;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class MapsYamlTest {
    static final Path PROGRAMS = Path.of("..", "programs");
    static final HexFormat HEX = HexFormat.of();

    @Test
    void parsesTheCorpusPreloadFile() {
        MapsYaml y = MapsYaml.parse(PROGRAMS.resolve("maps/xdp_flow_counter.yaml"));
        assertEquals(List.of("blocklist", "blocklist6", "proto_stats"), List.copyOf(y.maps().keySet()));
        MapsYaml.Entry b = y.maps().get("blocklist").get(0);
        assertArrayEquals(HEX.parseHex("c6120042"), b.key());
        assertEquals(1, b.values().size());
        assertArrayEquals(HEX.parseHex("01000000"), b.values().get(0));
        assertFalse(b.perCpu());
        assertEquals(4, b.line()); // after the comment line
        MapsYaml.Entry p = y.maps().get("proto_stats").get(0);
        assertTrue(p.perCpu());
        assertEquals(2, p.values().size());
        assertArrayEquals(HEX.parseHex("0a00000000000000e803000000000000"), p.values().get(1));
    }

    /** Every committed expectation parses, and writing it back gives the same entries. */
    @ParameterizedTest
    @ValueSource(strings = {"xdp_flow_counter", "xdp_stats", "xdp_config", "xdp_parser", "xdp_meta"})
    void expectedFilesRoundTrip(String name) {
        MapsYaml y = MapsYaml.parse(PROGRAMS.resolve("expected/" + name + ".maps.yaml"));
        Map<String, List<MapEntry>> maps = toEntries(y);
        MapsYaml again = MapsYaml.parse(MapsYaml.write(maps), "rewritten");
        assertEquals(render(maps), render(toEntries(again)));
        assertEquals(MapsYaml.write(maps), MapsYaml.write(toEntries(again)));
    }

    @Test
    void randomMapsRoundTrip() {
        Random rnd = new Random(20261122);
        for (int round = 0; round < 50; round++) {
            Map<String, List<MapEntry>> maps = new LinkedHashMap<>();
            int nMaps = rnd.nextInt(4);
            for (int m = 0; m < nMaps; m++) {
                int keySize = 1 + rnd.nextInt(40);
                int valueSize = 1 + rnd.nextInt(40);
                int cpus = 1 + rnd.nextInt(4);
                List<MapEntry> entries = new ArrayList<>();
                for (int e = rnd.nextInt(5); e > 0; e--) {
                    List<byte[]> values = new ArrayList<>();
                    for (int c = 0; c < cpus; c++) {
                        values.add(bytes(rnd, valueSize));
                    }
                    entries.add(new MapEntry(bytes(rnd, keySize), values));
                }
                maps.put(m % 2 == 0 ? "map" + m : ".bss" + m, entries);
            }
            MapsYaml y = MapsYaml.parse(MapsYaml.write(maps), "round " + round);
            assertEquals(render(maps), render(toEntries(y)), "round " + round);
        }
    }

    static Stream<Arguments> badFiles() {
        return Stream.of(
                Arguments.of("maps:\n  m:\n    - key: \"0x01\"\n      value: \"00\"\n", "map 'm' entry 0 (line 3): key"),
                Arguments.of("maps:\n  m:\n    - key: \"010\"\n      value: \"00\"\n", "not an even"),
                Arguments.of("maps:\n  m:\n    - value: \"00\"\n", "map 'm' entry 0 (line 3): no 'key'"),
                Arguments.of("maps:\n  m:\n    - key: \"00\"\n", "no 'value' or 'values'"),
                Arguments.of("maps:\n  m:\n    - key: \"00\"\n      value: \"00\"\n      values: [\"00\"]\n", "both"),
                Arguments.of("maps:\n  m:\n    - key: \"00\"\n      valu: \"00\"\n", "unknown field 'valu'"),
                Arguments.of("maps:\n  m:\n    - key: \"00\"\n      values: [\"00\", \"0000\"]\n",
                        "values[1] has 2 bytes"),
                Arguments.of("maps:\n  m:\n    - key: \"00\"\n      values: []\n", "non-empty list"),
                Arguments.of("maps:\n  m: 7\n", "line 2: map 'm': want a list"),
                Arguments.of("mapz:\n  m: []\n", "unknown top-level key 'mapz'"),
                Arguments.of("- 1\n", "want a mapping"),
                Arguments.of("", "empty"),
                Arguments.of("maps: [\n", "not valid YAML"),
                Arguments.of("maps:\n  m: []\n  m: []\n", "line 3: map 'm': listed twice"));
    }

    @ParameterizedTest
    @MethodSource("badFiles")
    void errorsNameTheSourceMapAndEntry(String text, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MapsYaml.parse(text, "f.yaml"));
        assertTrue(e.getMessage().startsWith("f.yaml"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void emptyMapsAreAllowed() {
        assertTrue(MapsYaml.parse("maps:\n", "f").maps().isEmpty());
        assertTrue(MapsYaml.parse("maps: {}\n", "f").maps().isEmpty());
        assertTrue(MapsYaml.parse("maps:\n  m: []\n", "f").maps().get("m").isEmpty());
    }

    @Test
    void preloadWritesEntriesAndChecksPerCpuCountsAndNames() throws Exception {
        var obj = BpfObjectLoader.load(PROGRAMS.resolve("obj/xdp_flow_counter.o"));
        try (XdpEngine e = KernelXdpEngine.load(obj, "xdp_flow_counter")) {
            MapsYaml.parse(PROGRAMS.resolve("maps/xdp_flow_counter.yaml")).preload(e);
            assertEquals(1, e.dumpMap("blocklist").size());
            assertArrayEquals(HEX.parseHex("01000000"), e.dumpMap("blocklist").get(0).values().get(0));
            assertEquals(e.cpus(), e.dumpMap("proto_stats").get(0).values().size());

            StringBuilder wrong = new StringBuilder("maps:\n  proto_stats:\n    - key: \"06000000\"\n      values: [");
            for (int c = 0; c <= e.cpus(); c++) {
                wrong.append(c == 0 ? "" : ", ").append("\"00000000000000000000000000000000\"");
            }
            wrong.append("]\n");
            IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                    () -> MapsYaml.parse(wrong.toString(), "cpu.yaml").preload(e));
            assertTrue(count.getMessage().contains("cpu.yaml: map 'proto_stats' entry 0 (line 3): "
                    + (e.cpus() + 1) + " per-CPU values"), count.getMessage());

            IllegalArgumentException absent = assertThrows(IllegalArgumentException.class,
                    () -> MapsYaml.parse("maps:\n  nosuch: []\n", "n.yaml").preload(e));
            assertTrue(absent.getMessage().contains("n.yaml: map 'nosuch' is not in the program"), absent.getMessage());

            IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                    () -> MapsYaml.parse("maps:\n  blocklist:\n    - key: \"01\"\n      value: \"01000000\"\n", "s.yaml")
                            .preload(e));
            assertTrue(size.getMessage().contains("s.yaml: map 'blocklist' entry 0 (line 3)"), size.getMessage());

            Map<String, List<MapEntry>> snap = MapsYaml.snapshot(e, Set.of("flows"));
            assertFalse(snap.containsKey("flows"));
            assertEquals(1, snap.get("blocklist6").size());
        }
    }

    @Test
    void parsesAFileFromDisk(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.yaml");
        Files.writeString(f, "maps:\n  m:\n    - key: 00\n      value: 0a\n");
        MapsYaml y = MapsYaml.parse(f);
        assertEquals(f.toString(), y.source());
        assertArrayEquals(new byte[] {10}, y.maps().get("m").get(0).values().get(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MapsYaml.parse("maps:\n  m:\n    - key: zz\n      value: 00\n", f.toString()));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    }

    static byte[] bytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    static Map<String, List<MapEntry>> toEntries(MapsYaml y) {
        Map<String, List<MapEntry>> out = new LinkedHashMap<>();
        y.maps().forEach((k, v) -> out.put(k, v.stream().map(MapsYaml.Entry::toMapEntry).toList()));
        return out;
    }

    static String render(Map<String, List<MapEntry>> maps) {
        StringBuilder sb = new StringBuilder();
        maps.forEach((k, v) -> {
            sb.append(k).append(':');
            for (MapEntry e : v) {
                sb.append(HEX.formatHex(e.key())).append('=');
                e.values().forEach(x -> sb.append(HEX.formatHex(x)).append(','));
            }
            sb.append('\n');
        });
        return sb.toString();
    }
}
