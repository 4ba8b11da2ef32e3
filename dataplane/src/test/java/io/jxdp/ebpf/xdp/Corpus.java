package io.jxdp.ebpf.xdp;

import io.jxdp.ebpf.engine.XdpEngine;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The programs/ corpus for tests: entries of corpus.yaml, expected results and map YAML. */
final class Corpus {
    static final HexFormat HEX = HexFormat.of();

    record Entry(String name, Path object, String program, Path pcap, Path maps, List<String> nondeterministic) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** One line of expected/NAME.txt: a verdict and output, or EINVAL (verdict "EINVAL", output null). */
    record Expected(int index, String verdict, String outputHex) {
    }

    private Corpus() {
    }

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("programs/corpus.yaml"))) {
                return p.resolve("programs");
            }
        }
        throw new IllegalStateException("programs/corpus.yaml not found above " + Path.of("").toAbsolutePath());
    }

    @SuppressWarnings("unchecked")
    static Object yaml(Path p) throws IOException {
        try (Reader r = Files.newBufferedReader(p)) {
            return new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        }
    }

    @SuppressWarnings("unchecked")
    static List<Entry> entries() throws IOException {
        Path root = root();
        Map<String, Object> doc = (Map<String, Object>) yaml(root.resolve("corpus.yaml"));
        List<Entry> out = new ArrayList<>();
        for (Map<String, Object> e : (List<Map<String, Object>>) doc.get("programs")) {
            Object maps = e.get("maps");
            out.add(new Entry((String) e.get("name"), root.resolve((String) e.get("object")), (String) e.get("program"),
                    root.resolve((String) e.get("pcap")), maps == null ? null : root.resolve((String) maps),
                    (List<String>) e.getOrDefault("nondeterministic", List.of())));
        }
        return out;
    }

    static List<Expected> expected(String name) throws IOException {
        List<Expected> out = new ArrayList<>();
        for (String line : Files.readAllLines(root().resolve("expected/" + name + ".txt"))) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.trim().split("\\s+");
            out.add(new Expected(Integer.parseInt(f[0]), f[1], f[1].equals("EINVAL") ? null : f[2]));
        }
        return out;
    }

    /** map name -> (key hex -> value hex list), as the map YAML format describes. */
    @SuppressWarnings("unchecked")
    static Map<String, Map<String, List<String>>> maps(Path file) throws IOException {
        Map<String, Object> doc = (Map<String, Object>) yaml(file);
        Map<String, Map<String, List<String>>> out = new LinkedHashMap<>();
        Map<String, Object> maps = doc == null ? null : (Map<String, Object>) doc.get("maps");
        if (maps == null) {
            return out;
        }
        for (Map.Entry<String, Object> m : maps.entrySet()) {
            Map<String, List<String>> entries = new LinkedHashMap<>();
            for (Map<String, Object> e : (List<Map<String, Object>>) m.getValue()) {
                List<String> values = e.containsKey("values") ? (List<String>) e.get("values")
                        : List.of((String) e.get("value"));
                entries.put((String) e.get("key"), values);
            }
            out.put(m.getKey(), entries);
        }
        return out;
    }

    /** Preloads a map YAML into an engine. */
    static void preload(XdpEngine engine, Path file) throws IOException {
        for (var m : maps(file).entrySet()) {
            for (var e : m.getValue().entrySet()) {
                engine.updateMap(m.getKey(), HEX.parseHex(e.getKey()), e.getValue().stream().map(HEX::parseHex).toList());
            }
        }
    }

    /** An engine's maps in the YAML shape (entries sorted by key). */
    static Map<String, Map<String, List<String>>> dump(XdpEngine engine) {
        Map<String, Map<String, List<String>>> out = new LinkedHashMap<>();
        for (String name : engine.mapNames()) {
            Map<String, List<String>> entries = new java.util.TreeMap<>();
            for (var e : engine.dumpMap(name)) {
                entries.put(HEX.formatHex(e.key()), e.values().stream().map(HEX::formatHex).toList());
            }
            out.put(name, entries);
        }
        return out;
    }
}
