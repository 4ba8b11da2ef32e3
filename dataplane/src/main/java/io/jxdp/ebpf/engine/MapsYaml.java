package io.jxdp.ebpf.engine;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Map contents as YAML, the format of {@code programs/maps/*.yaml} and
 * {@code programs/expected/*.maps.yaml} (programs/README.md, "Map YAML"):
 *
 * <pre>
 * maps:
 *   NAME:                           # as in the object; global data as .rodata, .data, .bss
 *     - key: "c6120042"             # hex bytes as in memory
 *       value: "01000000"
 *     - key: "01000000"             # per-CPU maps: one value per possible CPU
 *       values: ["0a00...", "0a00..."]
 * </pre>
 *
 * Parsing goes through snakeyaml's node graph (never its object constructor), so every scalar stays
 * a string and every error can name the source, the map, the entry and its line.
 */
public final class MapsYaml {
    /** One entry as written: {@code perCpu} when it used {@code values:}, and its 1-based line (0 if unknown). */
    public record Entry(byte[] key, List<byte[]> values, boolean perCpu, int line) {
        public Entry {
            values = List.copyOf(values);
        }

        public MapEntry toMapEntry() {
            return new MapEntry(key, values);
        }
    }

    private final String source;
    private final Map<String, List<Entry>> maps;

    private MapsYaml(String source, Map<String, List<Entry>> maps) {
        this.source = source;
        this.maps = Collections.unmodifiableMap(maps);
    }

    /** The file name or description the errors name. */
    public String source() {
        return source;
    }

    /** The maps in file order, each with its entries in file order. */
    public Map<String, List<Entry>> maps() {
        return maps;
    }

    /** Reads {@code file}; every error, a missing or unreadable file included, is an IllegalArgumentException naming it. */
    public static MapsYaml parse(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the maps YAML ("
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.toString()) + ")", e);
        }
        return parse(text, file.toString());
    }

    /**
     * Parses YAML text.
     *
     * @throws IllegalArgumentException naming {@code source}, the map, the entry index and the line
     */
    public static MapsYaml parse(String text, String source) {
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            root = new Yaml(options).compose(new StringReader(text));
        } catch (YAMLException e) {
            throw new IllegalArgumentException(source + ": not valid YAML: " + e.getMessage(), e);
        }
        Map<String, List<Entry>> maps = new LinkedHashMap<>();
        if (root == null) {
            throw new IllegalArgumentException(source + ": empty; want a top-level 'maps:' mapping");
        }
        MappingNode top = mapping(root, source + ": the document");
        Node mapsNode = null;
        for (NodeTuple t : top.getValue()) {
            String k = scalar(t.getKeyNode(), source + ": a top-level key");
            if (!k.equals("maps")) {
                throw new IllegalArgumentException(at(source, t.getKeyNode()) + ": unknown top-level key '" + k
                        + "'; want 'maps'");
            }
            mapsNode = t.getValueNode();
        }
        if (mapsNode == null) {
            throw new IllegalArgumentException(source + ": no top-level 'maps:' mapping");
        }
        if (mapsNode instanceof ScalarNode s && (s.getValue().isEmpty() || s.getValue().equals("null"))) {
            return new MapsYaml(source, maps); // "maps:" with nothing under it
        }
        for (NodeTuple t : mapping(mapsNode, at(source, mapsNode) + ": 'maps'").getValue()) {
            String mapName = scalar(t.getKeyNode(), at(source, t.getKeyNode()) + ": a map name");
            String where = at(source, t.getKeyNode()) + ": map '" + mapName + "'";
            if (maps.containsKey(mapName)) {
                throw new IllegalArgumentException(where + ": listed twice");
            }
            List<Entry> entries = new ArrayList<>();
            Node list = t.getValueNode();
            if (!(list instanceof ScalarNode s && (s.getValue().isEmpty() || s.getValue().equals("null")))) {
                if (!(list instanceof SequenceNode seq)) {
                    throw new IllegalArgumentException(where + ": want a list of entries");
                }
                int i = 0;
                for (Node e : seq.getValue()) {
                    entries.add(entry(e, source + ": map '" + mapName + "' entry " + i + " (line " + line(e) + ")"));
                    i++;
                }
            }
            maps.put(mapName, List.copyOf(entries));
        }
        return new MapsYaml(source, maps);
    }

    private static Entry entry(Node node, String where) {
        MappingNode m = mapping(node, where);
        byte[] key = null;
        List<byte[]> values = null;
        boolean perCpu = false;
        for (NodeTuple t : m.getValue()) {
            String k = scalar(t.getKeyNode(), where + ": a field name");
            switch (k) {
                case "key" -> key = hex(t.getValueNode(), where + ": key");
                case "value" -> {
                    if (values != null) {
                        throw new IllegalArgumentException(where + ": has both 'value' and 'values'");
                    }
                    values = List.of(hex(t.getValueNode(), where + ": value"));
                }
                case "values" -> {
                    if (values != null) {
                        throw new IllegalArgumentException(where + ": has both 'value' and 'values'");
                    }
                    if (!(t.getValueNode() instanceof SequenceNode seq) || seq.getValue().isEmpty()) {
                        throw new IllegalArgumentException(where + ": 'values' wants a non-empty list of hex strings");
                    }
                    List<byte[]> vs = new ArrayList<>();
                    for (int c = 0; c < seq.getValue().size(); c++) {
                        vs.add(hex(seq.getValue().get(c), where + ": values[" + c + "]"));
                    }
                    int len = vs.get(0).length;
                    for (int c = 1; c < vs.size(); c++) {
                        if (vs.get(c).length != len) {
                            throw new IllegalArgumentException(where + ": values[" + c + "] has " + vs.get(c).length
                                    + " bytes, values[0] has " + len);
                        }
                    }
                    values = vs;
                    perCpu = true;
                }
                default -> throw new IllegalArgumentException(where + ": unknown field '" + k
                        + "'; want key and value or values");
            }
        }
        if (key == null) {
            throw new IllegalArgumentException(where + ": no 'key'");
        }
        if (values == null) {
            throw new IllegalArgumentException(where + ": no 'value' or 'values'");
        }
        return new Entry(key, values, perCpu, line(node));
    }

    private static MappingNode mapping(Node node, String where) {
        if (node instanceof MappingNode m) {
            return m;
        }
        throw new IllegalArgumentException(where + ": want a mapping (line " + line(node) + ")");
    }

    private static String scalar(Node node, String where) {
        if (node instanceof ScalarNode s) {
            return s.getValue();
        }
        throw new IllegalArgumentException(where + ": want a string (line " + line(node) + ")");
    }

    private static byte[] hex(Node node, String where) {
        String s = scalar(node, where).replace(" ", "");
        if (s.isEmpty() || s.length() % 2 != 0) {
            throw new IllegalArgumentException(where + ": '" + s + "' is not an even, non-empty number of hex digits");
        }
        try {
            return HexFormat.of().parseHex(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": '" + s + "' is not hex", e);
        }
    }

    private static int line(Node node) {
        return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    private static String at(String source, Node node) {
        return source + " line " + line(node);
    }

    /**
     * Writes every entry into {@code engine} (BPF_ANY), map by map in file order. An entry written
     * with {@code values:} must hold exactly {@code engine.cpus()} values.
     *
     * @throws IllegalArgumentException naming the source, map and entry when a map is absent, a
     *     per-CPU count differs, or the engine refuses the entry
     */
    public void preload(XdpEngine engine) {
        List<String> names = engine.mapNames();
        for (Map.Entry<String, List<Entry>> m : maps.entrySet()) {
            if (!names.contains(m.getKey())) {
                throw new IllegalArgumentException(source + ": map '" + m.getKey() + "' is not in the program (it has "
                        + names + ")");
            }
            List<Entry> entries = m.getValue();
            for (int i = 0; i < entries.size(); i++) {
                Entry e = entries.get(i);
                String where = source + ": map '" + m.getKey() + "' entry " + i + " (line " + e.line() + ")";
                if (e.perCpu() && e.values().size() != engine.cpus()) {
                    throw new IllegalArgumentException(where + ": " + e.values().size()
                            + " per-CPU values, the " + engine.name() + " engine has " + engine.cpus() + " CPUs");
                }
                try {
                    engine.updateMap(m.getKey(), e.key(), e.values());
                } catch (EngineException ex) {
                    throw new IllegalArgumentException(where + ": " + ex.getMessage(), ex);
                }
            }
        }
    }

    /** Every map of {@code engine} except {@code skipMaps}, entries sorted by key, as {@link #write} takes them. */
    public static Map<String, List<MapEntry>> snapshot(XdpEngine engine, java.util.Set<String> skipMaps) {
        Map<String, List<MapEntry>> out = new java.util.TreeMap<>();
        for (String name : engine.mapNames()) {
            if (!skipMaps.contains(name)) {
                List<MapEntry> entries = new ArrayList<>(engine.dumpMap(name));
                entries.sort((a, b) -> Arrays.compareUnsigned(a.key(), b.key()));
                out.put(name, entries);
            }
        }
        return out;
    }

    /**
     * The YAML text for {@code maps}, in the layout of {@code expected/*.maps.yaml}: map names and
     * hex quoted, lowercase hex, {@code value:} for one value and {@code values: [...]} for several
     * (so a per-CPU map on a one-CPU machine is written as {@code value:}).
     */
    public static String write(Map<String, List<MapEntry>> maps) {
        StringBuilder sb = new StringBuilder("maps:\n");
        HexFormat hex = HexFormat.of();
        for (Map.Entry<String, List<MapEntry>> m : maps.entrySet()) {
            sb.append("  \"").append(m.getKey()).append("\":");
            if (m.getValue().isEmpty()) {
                sb.append(" []\n");
                continue;
            }
            sb.append('\n');
            for (MapEntry e : m.getValue()) {
                sb.append("    - key: \"").append(hex.formatHex(e.key())).append("\"\n");
                if (e.values().size() == 1) {
                    sb.append("      value: \"").append(hex.formatHex(e.values().get(0))).append("\"\n");
                } else {
                    sb.append("      values: [");
                    for (int c = 0; c < e.values().size(); c++) {
                        sb.append(c == 0 ? "\"" : ", \"").append(hex.formatHex(e.values().get(c))).append('"');
                    }
                    sb.append("]\n");
                }
            }
        }
        return sb.toString();
    }
}
