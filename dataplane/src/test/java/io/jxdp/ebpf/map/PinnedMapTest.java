package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Pinned maps: contents written through both sides survive closing and reopening (a restart), and a
 * copy of the file taken while the map is open (a crash) reopens too; a file describing another
 * map is refused naming each difference; a second opener is refused.
 */
class PinnedMapTest {
    private static final int NCPUS = 3;

    @TempDir
    Path pinDir;

    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"ARRAY", "PERCPU_ARRAY", "HASH", "PERCPU_HASH", "LRU_HASH", "LRU_PERCPU_HASH"})
    void contentsSurviveRestarts(MapType type) throws Exception {
        boolean array = type == MapType.ARRAY || type == MapType.PERCPU_ARRAY;
        MapDefinition def = MapDefinition.of("conn_" + type.name().toLowerCase(), type, array ? 4 : 12, 20, 500);
        Random rnd = new Random(type.id());
        Map<String, byte[]> model = new HashMap<>();
        for (int run = 0; run < 4; run++) {
            try (BpfMap m = Maps.createPinned(def, NCPUS, new Rcu(1), pinDir)) {
                assertEquals(array ? def.maxEntries() : model.size(), contents(m, array).size(), "run " + run + " entries");
                for (Map.Entry<String, byte[]> e : model.entrySet()) {
                    assertArrayEquals(e.getValue(), m.lookup(HexFormat.of().parseHex(e.getKey())).orElseThrow(),
                            "run " + run + " key " + e.getKey());
                }
                if (array) {
                    assertEquals(def.maxEntries(), contents(m, true).size());
                }
                mutate(m, model, rnd, array, run);
            }
            assertTrue(Files.size(pinDir.resolve(def.name())) > 4096);
        }
    }

    /**
     * LPM_TRIE: prefixes inserted, replaced and deleted from both sides over several runs survive
     * each restart; the reopened trie answers exact and longest-prefix lookups as before and walks
     * (get_next_key) in the same order as a trie built in memory from the same prefixes, since the
     * trie's shape depends only on its set of prefixes. IPv4-sized and IPv6-sized keys.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {4, 16})
    void lpmTriePrefixesSurviveRestarts(int dataSize) throws Exception {
        MapDefinition def = new MapDefinition("deny" + dataSize, MapType.LPM_TRIE, 4 + dataSize, 8, 400,
                MapFlags.BPF_F_NO_PREALLOC);
        Random rnd = new Random(dataSize);
        Map<String, byte[]> model = new java.util.LinkedHashMap<>();
        byte[] probe = new byte[4 + dataSize];
        for (int run = 0; run < 4; run++) {
            List<byte[]> probes = new java.util.ArrayList<>();
            try (BpfMap m = Maps.createPinned(def, NCPUS, new Rcu(1), pinDir);
                    BpfMap fresh = Maps.create(def, NCPUS)) {
                for (Map.Entry<String, byte[]> e : model.entrySet()) {
                    byte[] key = HexFormat.of().parseHex(e.getKey());
                    assertArrayEquals(e.getValue(), m.lookup(key).orElseThrow(), "run " + run + " prefix " + e.getKey());
                    fresh.update(key, e.getValue(), MapFlags.BPF_ANY);
                }
                assertEquals(walk(fresh), walk(m), "run " + run + ": get_next_key order");
                for (int i = 0; i < 200; i++) { // longest-prefix matches of full-length addresses agree
                    rnd.nextBytes(probe);
                    probe[0] = (byte) (8 * dataSize);
                    probe[1] = probe[2] = probe[3] = 0;
                    probe[4] = (byte) (rnd.nextInt(4) * 64); // near the prefixes below
                    assertEquals(fresh.lookup(probe).map(HexFormat.of()::formatHex),
                            m.lookup(probe).map(HexFormat.of()::formatHex), "run " + run + " probe");
                }
                for (int op = 0; op < 150; op++) {
                    byte[] key = new byte[4 + dataSize];
                    int plen = 1 + rnd.nextInt(8 * dataSize);
                    key[0] = (byte) plen;
                    byte[] data = new byte[dataSize];
                    rnd.nextBytes(data);
                    data[0] = (byte) (rnd.nextInt(4) * 64 + (data[0] & 0x07)); // clustered: shared prefixes
                    for (int b = plen; b < 8 * dataSize; b++) { // a canonical prefix: bits past plen zero
                        data[b >>> 3] &= (byte) ~(0x80 >>> (b & 7));
                    }
                    System.arraycopy(data, 0, key, 4, dataSize);
                    String hex = HexFormat.of().formatHex(key);
                    if (rnd.nextInt(4) == 0 && !model.isEmpty()) {
                        String victim = model.keySet().iterator().next();
                        m.delete(HexFormat.of().parseHex(victim));
                        model.remove(victim);
                    } else if (model.size() < def.maxEntries() - 1) {
                        byte[] val = new byte[8];
                        rnd.nextBytes(val);
                        m.update(key, val, MapFlags.BPF_ANY);
                        model.remove(hex);
                        model.put(hex, val);
                    }
                }
            }
        }
        try (BpfMap m = Maps.createPinned(def, NCPUS, new Rcu(1), pinDir)) {
            assertEquals(model.size(), walk(m).size());
        }
    }

    /**
     * An LPM trie's file copied while open (a crash: no close), after replacements and deletions
     * that turned value nodes intermediate and retired others, reopens with exactly the live prefixes.
     */
    @Test
    void lpmTrieCopyTakenWhileOpenReopens() throws Exception {
        MapDefinition def = new MapDefinition("deny", MapType.LPM_TRIE, 8, 4, 64, MapFlags.BPF_F_NO_PREALLOC);
        Path crashDir = Files.createDirectory(pinDir.resolve("crash"));
        List<String> expected;
        try (BpfMap m = Maps.createPinned(def, 1, new Rcu(1), pinDir);
                BpfMap model = Maps.create(def, 1)) {
            for (BpfMap t : List.of(m, model)) {
                for (String k : List.of("10000000c6120000", "18000000c6120000", "18000000c6120100", "20000000c6120042",
                        "08000000c6000000", "18000000c6120200")) {
                    t.update(HexFormat.of().parseHex(k), new byte[] {1, 0, 0, 0}, MapFlags.BPF_ANY);
                }
                t.update(HexFormat.of().parseHex("18000000c6120000"), new byte[] {2, 0, 0, 0}, MapFlags.BPF_EXIST);
                t.delete(HexFormat.of().parseHex("10000000c6120000")); // two children: becomes intermediate
                t.delete(HexFormat.of().parseHex("20000000c6120042")); // a leaf: retired
            }
            expected = walk(model);
            assertEquals(4, expected.size());
            Files.copy(pinDir.resolve("deny"), crashDir.resolve("deny"));
        }
        try (BpfMap m = Maps.createPinned(def, 1, new Rcu(1), crashDir)) {
            assertEquals(expected, walk(m));
            assertArrayEquals(new byte[] {2, 0, 0, 0}, m.lookup(HexFormat.of().parseHex("20000000c6120007")).orElseThrow());
            assertTrue(m.lookup(HexFormat.of().parseHex("20000000c6123007")).get()[0] == 1); // the /8
        }
    }

    private static List<String> walk(BpfMap m) {
        List<String> keys = new java.util.ArrayList<>();
        for (Optional<byte[]> k = m.getNextKey(null); k.isPresent() && keys.size() <= m.maxEntries(); k = m.getNextKey(k.get())) {
            keys.add(HexFormat.of().formatHex(k.get()));
        }
        return keys;
    }

    /** A copy of the file taken while the map is open, as after a crash, reopens with the same contents. */
    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"ARRAY", "HASH", "LRU_PERCPU_HASH"})
    void aCopyTakenWhileOpenReopens(MapType type) throws Exception {
        boolean array = type == MapType.ARRAY;
        MapDefinition def = MapDefinition.of("flows", type, array ? 4 : 8, 16, 300);
        Map<String, byte[]> model = new HashMap<>();
        Path crashDir = Files.createDirectory(pinDir.resolve("crash"));
        try (BpfMap m = Maps.createPinned(def, NCPUS, new Rcu(1), pinDir)) {
            mutate(m, model, new Random(9), array, 0);
            Files.copy(pinDir.resolve("flows"), crashDir.resolve("flows"));
        }
        try (BpfMap m = Maps.createPinned(def, NCPUS, new Rcu(1), crashDir)) {
            for (Map.Entry<String, byte[]> e : model.entrySet()) {
                assertArrayEquals(e.getValue(), m.lookup(HexFormat.of().parseHex(e.getKey())).orElseThrow());
            }
            assertEquals(array ? def.maxEntries() : model.size(), contents(m, array).size());
        }
    }

    @Test
    void aDifferentDefinitionIsRefusedNamingTheDifference() {
        MapDefinition def = MapDefinition.of("ct", MapType.HASH, 16, 32, 1000);
        try (BpfMap m = Maps.createPinned(def, NCPUS, new Rcu(1), pinDir)) {
            m.update(new byte[16], new byte[32], MapFlags.BPF_ANY);
        }
        MapException e = assertThrows(MapException.class,
                () -> Maps.createPinned(MapDefinition.of("ct", MapType.HASH, 16, 32, 2000), NCPUS, new Rcu(1), pinDir));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("max_entries 1000 != 2000") && e.getMessage().contains("ct"), e.getMessage());
        e = assertThrows(MapException.class,
                () -> Maps.createPinned(MapDefinition.of("ct", MapType.LRU_HASH, 16, 24, 1000), NCPUS, new Rcu(1), pinDir));
        assertTrue(e.getMessage().contains("type 1 != 9") && e.getMessage().contains("value_size 32 != 24"), e.getMessage());
        e = assertThrows(MapException.class, () -> Maps.createPinned(def, NCPUS + 1, new Rcu(1), pinDir));
        assertTrue(e.getMessage().contains("nCpus 3 != 4"), e.getMessage());
        // the refused opens left the file alone
        try (BpfMap m = Maps.createPinned(def, NCPUS, new Rcu(1), pinDir)) {
            assertTrue(m.lookup(new byte[16]).isPresent());
        }
    }

    @Test
    void oneOwnerAtATimeAndClearRefusals() throws Exception {
        MapDefinition def = MapDefinition.of("owned", MapType.ARRAY, 4, 8, 4);
        try (BpfMap m = Maps.createPinned(def, 1, new Rcu(1), pinDir)) {
            MapException e = assertThrows(MapException.class, () -> Maps.createPinned(def, 1, new Rcu(1), pinDir));
            assertEquals(Errno.EBUSY, e.errno());
        }
        Maps.createPinned(def, 1, new Rcu(1), pinDir).close(); // free again after close
        MapException q = assertThrows(MapException.class, () -> Maps.createPinned(
                MapDefinition.of("q", MapType.QUEUE, 0, 8, 4), 1, new Rcu(1), pinDir));
        assertEquals(Errno.EOPNOTSUPP, q.errno());
        assertTrue(q.getMessage().contains("pinnable: HASH, ARRAY, PERCPU_HASH, PERCPU_ARRAY, LRU_HASH, LRU_PERCPU_HASH,"
                + " LPM_TRIE"), q.getMessage());
        assertTrue(!Files.exists(pinDir.resolve("q")), "an unpinnable type creates no file");
        assertEquals(Errno.EINVAL, assertThrows(MapException.class, () -> Maps.createPinned(
                MapDefinition.of("../x", MapType.ARRAY, 4, 8, 4), 1, new Rcu(1), pinDir)).errno());
        assertEquals(Errno.ENOENT, assertThrows(MapException.class, () -> Maps.createPinned(
                def, 1, new Rcu(1), pinDir.resolve("missing"))).errno());
        assertEquals(Errno.EINVAL, assertThrows(MapException.class, () -> Maps.createPinned(
                MapDefinition.of("bad", MapType.ARRAY, 8, 8, 4), 1, new Rcu(1), pinDir)).errno());
        assertTrue(!Files.exists(pinDir.resolve("bad")), "an invalid definition creates no file");
        Files.writeString(pinDir.resolve("junk"), "x".repeat(5000));
        MapException e = assertThrows(MapException.class, () -> Maps.createPinned(
                MapDefinition.of("junk", MapType.ARRAY, 4, 8, 4), 1, new Rcu(1), pinDir));
        assertTrue(e.getMessage().contains("not a jxdp map file"), e.getMessage());
        assertTrue(Maps.unpin(pinDir, "owned"));
        assertTrue(!Maps.unpin(pinDir, "owned"));
    }

    /** Random user-side and program-side writes and deletes, mirrored in the model. */
    private static void mutate(BpfMap m, Map<String, byte[]> model, Random rnd, boolean array, int run) {
        int keySize = m.keySize();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(keySize, 8);
            MemorySegment v = a.allocate(m.valueSize(), 8);
            for (int op = 0; op < 400; op++) {
                byte[] key = new byte[keySize];
                if (array) {
                    int index = rnd.nextInt(m.maxEntries());
                    key[0] = (byte) index;
                    key[1] = (byte) (index >> 8);
                } else { // at most 100 keys per run: four runs stay within max_entries
                    key[0] = (byte) rnd.nextInt(100);
                    key[keySize - 1] = (byte) run;
                }
                String hex = HexFormat.of().formatHex(key);
                int choice = rnd.nextInt(4);
                if (choice == 0 && !array && model.containsKey(hex)) {
                    m.delete(key);
                    model.remove(hex);
                } else if (choice == 1 && !m.isPerCpu()) { // program side: in place, or a new element
                    byte[] val = new byte[m.valueSize()];
                    rnd.nextBytes(val);
                    MemorySegment.copy(key, 0, k, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, keySize);
                    MemorySegment.copy(val, 0, v, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, val.length);
                    assertEquals(0, m.update(k.address(), v.address(), MapFlags.BPF_ANY, 0));
                    model.put(hex, val);
                } else {
                    byte[] val = new byte[m.userValueSize()];
                    rnd.nextBytes(val);
                    if (m.isPerCpu()) { // padding of per-CPU slots is stored as given: keep it zero to compare
                        int stride = (m.valueSize() + 7) & ~7;
                        for (int c = 0; c < m.nCpus(); c++) {
                            java.util.Arrays.fill(val, c * stride + m.valueSize(), (c + 1) * stride, (byte) 0);
                        }
                    }
                    m.update(key, val, MapFlags.BPF_ANY);
                    model.put(hex, val);
                }
            }
        }
    }

    private static Map<String, byte[]> contents(BpfMap m, boolean array) {
        Map<String, byte[]> out = new HashMap<>();
        for (Optional<byte[]> k = m.getNextKey(null); k.isPresent() && out.size() <= m.maxEntries(); k = m.getNextKey(k.get())) {
            out.put(HexFormat.of().formatHex(k.get()), m.lookup(k.get()).orElseThrow());
        }
        return out;
    }
}
