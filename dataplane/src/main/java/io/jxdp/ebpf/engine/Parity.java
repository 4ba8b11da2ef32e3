package io.jxdp.ebpf.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The differential check behind {@code jxdp parity} and the corpus tests: two engines loaded with
 * the same program and the same initial maps run the same packets in order, and after every packet
 * the verdict, the output frame (data_meta..data_end) and the full contents of every map must be
 * equal. Entries that depend on time, randomness or the CPU id are left out by name
 * ({@link Exclusions}).
 *
 * <p>A packet both engines refuse the same way counts as passed; maps are still compared after it.
 * Engines say so with a message starting with the errno name: {@code EINVAL} (the kernel's test run
 * refuses frames shorter than ETH_HLEN) or {@code ENOMEM} (more fragments than MAX_SKB_FRAGS).
 */
public final class Parity {
    private Parity() {}

    /** At most this many map differences are listed per packet; the rest are counted. */
    static final int MAX_MAP_DIFFS = 8;

    /**
     * Maps or single entries left out of the comparison, from {@code MAP} or {@code MAP/KEYHEX}
     * strings ({@code --exclude}, corpus.yaml {@code nondeterministic}).
     */
    public record Exclusions(Set<String> maps, Map<String, Set<String>> keys) {
        public static final Exclusions NONE = new Exclusions(Set.of(), Map.of());

        public Exclusions {
            maps = Set.copyOf(maps);
            keys = Map.copyOf(keys);
        }

        /**
         * Parses {@code MAP} and {@code MAP/KEYHEX} specs. The map name is everything before the last
         * '/', so global-data names like {@code .bss} work.
         */
        public static Exclusions parse(List<String> specs) {
            Set<String> maps = new LinkedHashSet<>();
            Map<String, Set<String>> keys = new TreeMap<>();
            for (String s : specs) {
                int slash = s.lastIndexOf('/');
                if (slash < 0) {
                    if (s.isEmpty()) {
                        throw new IllegalArgumentException("empty exclusion; want MAP or MAP/KEYHEX");
                    }
                    maps.add(s);
                    continue;
                }
                String map = s.substring(0, slash);
                String key = s.substring(slash + 1).toLowerCase(Locale.ROOT);
                if (map.isEmpty() || key.isEmpty() || key.length() % 2 != 0 || !key.chars().allMatch(HexFormat::isHexDigit)) {
                    throw new IllegalArgumentException("exclusion '" + s + "': want MAP or MAP/KEYHEX (hex bytes)");
                }
                keys.computeIfAbsent(map, k -> new LinkedHashSet<>()).add(key);
            }
            Map<String, Set<String>> frozen = new TreeMap<>();
            keys.forEach((k, v) -> frozen.put(k, Set.copyOf(v)));
            return new Exclusions(maps, frozen);
        }

        boolean excludesMap(String map) {
            return maps.contains(map);
        }

        boolean excludesKey(String map, String keyHex) {
            Set<String> k = keys.get(map);
            return k != null && k.contains(keyHex);
        }
    }

    /** One packet that differed, with every difference found. */
    public record Failure(int packet, int length, List<String> differences) {
        public Failure {
            differences = List.copyOf(differences);
        }

        /** {@code packet 3 (60 bytes): verdict ...; output ...; map ...}. */
        public String line() {
            return "packet " + packet + " (" + length + " bytes): " + String.join("; ", differences);
        }
    }

    /** The outcome over every packet. */
    public record Report(String engineA, String engineB, int passed, int failed, List<Failure> failures) {
        public Report {
            failures = List.copyOf(failures);
        }

        /** {@code N passed, M failed}. */
        public String summary() {
            return passed + " passed, " + failed + " failed";
        }

        /** One line per failing packet, then the summary line: what {@code jxdp parity} prints. */
        public String text() {
            StringBuilder sb = new StringBuilder();
            for (Failure f : failures) {
                sb.append(f.line()).append('\n');
            }
            return sb.append(summary()).append('\n').toString();
        }

        /** The same as one JSON object (what {@code jxdp parity --json} prints). */
        public String json() {
            StringBuilder sb = new StringBuilder("{\"engines\": [").append(quote(engineA)).append(", ")
                    .append(quote(engineB)).append("], \"passed\": ").append(passed).append(", \"failed\": ")
                    .append(failed).append(", \"failures\": [");
            for (int i = 0; i < failures.size(); i++) {
                Failure f = failures.get(i);
                sb.append(i == 0 ? "" : ", ").append("{\"packet\": ").append(f.packet()).append(", \"length\": ")
                        .append(f.length()).append(", \"differences\": [");
                for (int j = 0; j < f.differences().size(); j++) {
                    sb.append(j == 0 ? "" : ", ").append(quote(f.differences().get(j)));
                }
                sb.append("]}");
            }
            return sb.append("]}\n").toString();
        }
    }

    /**
     * Runs every packet through {@code a} and then {@code b} (each once) and compares after each.
     * Both engines must already hold the same initial maps.
     */
    public static Report compare(XdpEngine a, XdpEngine b, List<byte[]> packets, Exclusions excluded) {
        int passed = 0;
        List<Failure> failures = new ArrayList<>();
        for (int i = 0; i < packets.size(); i++) {
            byte[] pkt = packets.get(i);
            List<String> diffs = new ArrayList<>();
            Outcome ra = Outcome.of(a, pkt);
            Outcome rb = Outcome.of(b, pkt);
            compareRuns(a.name(), ra, b.name(), rb, diffs);
            compareMaps(a, b, excluded, diffs);
            if (diffs.isEmpty()) {
                passed++;
            } else {
                failures.add(new Failure(i, pkt.length, diffs));
            }
        }
        return new Report(a.name(), b.name(), passed, failures.size(), failures);
    }

    private record Outcome(XdpResult result, String error) {
        static Outcome of(XdpEngine e, byte[] pkt) {
            try {
                return new Outcome(e.run(pkt.clone(), 1), null);
            } catch (EngineException ex) {
                return new Outcome(null, String.valueOf(ex.getMessage()));
            }
        }

        /** EINVAL or ENOMEM: the frame was refused before the program ran; null otherwise. */
        String refusal() {
            if (error == null) {
                return null;
            }
            return error.startsWith("EINVAL") ? "EINVAL" : error.startsWith("ENOMEM") ? "ENOMEM" : null;
        }
    }

    private static void compareRuns(String na, Outcome a, String nb, Outcome b, List<String> diffs) {
        if (a.error() != null || b.error() != null) {
            if (a.refusal() != null && a.refusal().equals(b.refusal())) {
                return; // both refused the frame the same way, as the kernel's test run does below ETH_HLEN
            }
            diffs.add("run: " + na + " " + describe(a) + " vs " + nb + " " + describe(b));
            return;
        }
        if (a.result().action() != b.result().action()) {
            diffs.add("verdict " + na + " " + a.result().actionName() + " vs " + nb + " " + b.result().actionName());
        }
        String out = outputDifference(na, a.result().output(), nb, b.result().output());
        if (out != null) {
            diffs.add(out);
        }
    }

    private static String describe(Outcome o) {
        return o.error() != null ? "failed (" + o.error().lines().findFirst().orElse("") + ")"
                : "returned " + o.result().actionName();
    }

    /** Null when equal, else where the two frames first differ. */
    static String outputDifference(String na, byte[] a, String nb, byte[] b) {
        int m = Arrays.mismatch(a, b);
        if (m < 0) {
            return null;
        }
        String lengths = "lengths " + a.length + " and " + b.length;
        if (m >= a.length || m >= b.length) {
            return "output " + na + " " + a.length + " bytes vs " + nb + " " + b.length + " bytes, equal up to byte " + m;
        }
        return String.format(Locale.ROOT, "output first differs at byte %d: %s 0x%02x vs %s 0x%02x (%s)", m, na,
                a[m] & 0xff, nb, b[m] & 0xff, lengths);
    }

    private static void compareMaps(XdpEngine a, XdpEngine b, Exclusions excluded, List<String> diffs) {
        Set<String> names = new LinkedHashSet<>(a.mapNames());
        names.addAll(b.mapNames());
        List<String> mapDiffs = new ArrayList<>();
        for (String map : names) {
            if (excluded.excludesMap(map)) {
                continue;
            }
            boolean inA = a.mapNames().contains(map);
            boolean inB = b.mapNames().contains(map);
            if (!inA || !inB) {
                mapDiffs.add("map " + map + " only in " + (inA ? a.name() : b.name()));
                continue;
            }
            Map<String, List<byte[]>> ea = byKey(a.dumpMap(map));
            Map<String, List<byte[]>> eb = byKey(b.dumpMap(map));
            Set<String> keys = new java.util.TreeSet<>(ea.keySet());
            keys.addAll(eb.keySet());
            for (String key : keys) {
                if (excluded.excludesKey(map, key)) {
                    continue;
                }
                String d = valueDifference(a.name(), ea.get(key), b.name(), eb.get(key));
                if (d != null) {
                    mapDiffs.add("map " + map + " key " + key + ": " + d);
                }
            }
        }
        for (int i = 0; i < mapDiffs.size() && i < MAX_MAP_DIFFS; i++) {
            diffs.add(mapDiffs.get(i));
        }
        if (mapDiffs.size() > MAX_MAP_DIFFS) {
            diffs.add("and " + (mapDiffs.size() - MAX_MAP_DIFFS) + " more map differences");
        }
    }

    private static Map<String, List<byte[]>> byKey(List<MapEntry> entries) {
        Map<String, List<byte[]>> m = new TreeMap<>();
        HexFormat hex = HexFormat.of();
        for (MapEntry e : entries) {
            m.put(hex.formatHex(e.key()), e.values());
        }
        return m;
    }

    private static String valueDifference(String na, List<byte[]> a, String nb, List<byte[]> b) {
        HexFormat hex = HexFormat.of();
        if (a == null || b == null) {
            return na + " " + (a == null ? "absent" : values(a)) + " vs " + nb + " " + (b == null ? "absent" : values(b));
        }
        if (a.size() != b.size()) {
            return na + " " + a.size() + " values vs " + nb + " " + b.size() + " values";
        }
        for (int c = 0; c < a.size(); c++) {
            if (!Arrays.equals(a.get(c), b.get(c))) {
                return (a.size() > 1 ? "cpu " + c + " " : "") + na + " " + hex.formatHex(a.get(c)) + " vs " + nb + " "
                        + hex.formatHex(b.get(c));
            }
        }
        return null;
    }

    private static String values(List<byte[]> v) {
        HexFormat hex = HexFormat.of();
        return v.size() == 1 ? hex.formatHex(v.get(0)) : v.stream().map(hex::formatHex).toList().toString();
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
