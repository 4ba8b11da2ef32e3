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
        assertEquals(Errno.EOPNOTSUPP, assertThrows(MapException.class, () -> Maps.createPinned(
                MapDefinition.of("q", MapType.QUEUE, 0, 8, 4), 1, new Rcu(1), pinDir)).errno());
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
