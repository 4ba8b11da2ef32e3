package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** The program-side (native address) API and its agreement with the user-side API. */
class MapApiTest {
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG;

    static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    static byte[] u64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    static long u64(byte[] b, int off) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(off);
    }

    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"ARRAY", "PERCPU_ARRAY", "HASH", "PERCPU_HASH"})
    void programSideUpdateLookupDeleteWithErrnos(MapType type) {
        boolean array = type == MapType.ARRAY || type == MapType.PERCPU_ARRAY;
        int nCpus = 3;
        try (Arena a = Arena.ofConfined(); BpfMap m = Maps.create(MapDefinition.of("prog", type, 4, 8, 4), nCpus)) {
            MemorySegment key = a.allocate(4, 8);
            MemorySegment val = a.allocate(8, 8);
            key.set(ValueLayout.JAVA_INT, 0, 2);
            val.set(U64, 0, 0x1234L);
            assertEquals(-Errno.EINVAL, m.update(key.address(), val.address(), 3, 1), "unknown flags");
            assertEquals(-Errno.EINVAL, m.update(key.address(), val.address(), 1L << 40, 1), "unknown high flag");
            assertEquals(-Errno.EINVAL, m.update(key.address(), val.address(), MapFlags.BPF_F_LOCK, 1), "F_LOCK");
            if (array) {
                assertEquals(-Errno.EEXIST, m.update(key.address(), val.address(), MapFlags.BPF_NOEXIST, 1));
                assertEquals(-Errno.EINVAL, m.delete(key.address(), 1));
                key.set(ValueLayout.JAVA_INT, 0, 4);
                assertEquals(-Errno.E2BIG, m.update(key.address(), val.address(), MapFlags.BPF_ANY, 1));
                assertEquals(0L, m.lookup(key.address(), 1));
                key.set(ValueLayout.JAVA_INT, 0, -1);
                assertEquals(0L, m.lookup(key.address(), 1), "index 0xffffffff is out of range, not negative");
                key.set(ValueLayout.JAVA_INT, 0, 2);
            } else {
                assertEquals(0L, m.lookup(key.address(), 1));
                assertEquals(-Errno.ENOENT, m.update(key.address(), val.address(), MapFlags.BPF_EXIST, 1));
                assertEquals(-Errno.ENOENT, m.delete(key.address(), 1));
            }
            assertEquals(0, m.update(key.address(), val.address(), MapFlags.BPF_ANY, 1));
            long v = m.lookup(key.address(), 1);
            assertNotEquals(0L, v);
            assertEquals(0, v & 7, "values are 8-aligned");
            assertEquals(0x1234L, MemorySegment.ofAddress(v).reinterpret(8).get(U64, 0));
            if (!array) {
                assertEquals(-Errno.EEXIST, m.update(key.address(), val.address(), MapFlags.BPF_NOEXIST, 1));
            }
            // The user side sees the program's write; per-CPU: only cpu 1's slot, each padded to 8.
            byte[] user = m.lookup(u32(2)).orElseThrow();
            if (type.perCpu()) {
                assertEquals(nCpus * 8, user.length);
                assertEquals(0L, u64(user, 0));
                assertEquals(0x1234L, u64(user, 8));
                assertEquals(0L, u64(user, 16));
                long v0 = m.lookup(key.address(), 0);
                assertNotEquals(v, v0, "each cpu has its own slot");
                assertEquals(0L, MemorySegment.ofAddress(v0).reinterpret(8).get(U64, 0));
            } else {
                assertArrayEquals(u64(0x1234L), user);
                assertEquals(v, m.lookup(key.address(), 0), "shared value, same address from any cpu");
            }
            if (!array) {
                assertEquals(0, m.delete(key.address(), 0));
                assertEquals(0L, m.lookup(key.address(), 1));
                assertTrue(m.lookup(u32(2)).isEmpty());
            }
        }
    }

    @Test
    void hashFillsToMaxEntriesThenE2bigAndReplacesWhenFull() {
        try (Arena a = Arena.ofConfined(); BpfMap m = Maps.create(MapDefinition.of("full", MapType.HASH, 8, 8, 100), 2)) {
            MemorySegment key = a.allocate(8, 8);
            MemorySegment val = a.allocate(8, 8);
            for (long k = 0; k < 100; k++) {
                key.set(U64, 0, k * 1_000_003L);
                val.set(U64, 0, k);
                assertEquals(0, m.update(key.address(), val.address(), MapFlags.BPF_NOEXIST, 0));
            }
            key.set(U64, 0, -5);
            assertEquals(-Errno.E2BIG, m.update(key.address(), val.address(), MapFlags.BPF_ANY, 0));
            // Replacing an existing key in a full map works (the kernel's extra_elems), many times over.
            for (int round = 0; round < 10_000; round++) {
                key.set(U64, 0, (round % 100) * 1_000_003L);
                val.set(U64, 0, round);
                assertEquals(0, m.update(key.address(), val.address(), MapFlags.BPF_EXIST, 0), "round " + round);
                assertEquals(round, MemorySegment.ofAddress(m.lookup(key.address(), 0)).reinterpret(8).get(U64, 0));
            }
            assertEquals(100, ((HashTab) m).count());
            key.set(U64, 0, 0);
            assertEquals(0, m.delete(key.address(), 0));
            key.set(U64, 0, -5);
            assertEquals(0, m.update(key.address(), val.address(), MapFlags.BPF_ANY, 0), "room after a delete");
            Set<Long> keys = new HashSet<>();
            for (byte[] k = m.getNextKey(null).orElse(null); k != null; k = m.getNextKey(k).orElse(null)) {
                assertTrue(keys.add(u64(k, 0)), "iteration repeats no key");
            }
            assertEquals(100, keys.size());
            assertTrue(keys.contains(-5L) && !keys.contains(0L));
        }
    }

    @Test
    void readOnlyProgramAndUserSideAccessFlags() {
        try (Arena a = Arena.ofConfined();
                BpfMap ro = Maps.create(new MapDefinition("ro", MapType.HASH, 4, 4, 4, MapFlags.BPF_F_RDONLY_PROG), 1);
                BpfMap rou = Maps.create(new MapDefinition("rou", MapType.ARRAY, 4, 4, 4, MapFlags.BPF_F_RDONLY), 1);
                BpfMap wo = Maps.create(new MapDefinition("wo", MapType.HASH, 4, 4, 4, MapFlags.BPF_F_WRONLY), 1)) {
            MemorySegment key = a.allocate(4, 8);
            MemorySegment val = a.allocate(4, 8);
            assertEquals(-Errno.EPERM, ro.update(key.address(), val.address(), 0, 0));
            assertEquals(-Errno.EPERM, ro.delete(key.address(), 0));
            ro.update(u32(0), u32(7), MapFlags.BPF_ANY); // user space may write a read-only-for-programs map
            assertNotEquals(0L, ro.lookup(key.address(), 0));

            assertEquals(Errno.EPERM, assertThrows(MapException.class, () -> rou.update(u32(0), u32(1), 0)).errno());
            assertTrue(rou.lookup(u32(0)).isPresent());
            assertEquals(0, rou.update(key.address(), val.address(), 0, 0), "programs may still write");

            wo.update(u32(1), u32(2), 0);
            MapException e = assertThrows(MapException.class, () -> wo.lookup(u32(1)));
            assertEquals(Errno.EPERM, e.errno());
            assertTrue(e.getMessage().contains("'wo'") && e.getMessage().contains("BPF_F_WRONLY"), e.getMessage());
            assertEquals(Errno.EPERM, assertThrows(MapException.class, () -> wo.getNextKey(null)).errno());
        }
    }

    @Test
    void freezeStopsUserWritesButNotPrograms() {
        try (Arena a = Arena.ofConfined(); BpfMap m = Maps.create(MapDefinition.of("rodata", MapType.ARRAY, 4, 16, 1), 1)) {
            m.update(u32(0), new byte[16], 0);
            m.freeze();
            assertTrue(m.isFrozen());
            assertEquals(Errno.EPERM, assertThrows(MapException.class, () -> m.update(u32(0), new byte[16], 0)).errno());
            MemorySegment key = a.allocate(4, 8);
            assertEquals(0, m.update(key.address(), a.allocate(16, 8).address(), 0, 0));
        }
    }

    @Test
    void userSideSizeChecksAndClosedMaps() {
        BpfMap m = Maps.create(MapDefinition.of("sizes", MapType.PERCPU_HASH, 4, 4, 4), 2);
        MapException e = assertThrows(MapException.class, () -> m.update(u32(1), new byte[4], 0));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("value must be 16 bytes"), e.getMessage());
        assertEquals(Errno.EINVAL, assertThrows(MapException.class, () -> m.lookup(new byte[3])).errno());
        assertEquals(Errno.EINVAL, assertThrows(MapException.class, () -> m.update(u32(1), new byte[16],
                MapFlags.BPF_F_LOCK)).errno());
        assertEquals(Errno.ENOENT, assertThrows(MapException.class, () -> m.delete(u32(9))).errno());
        m.close();
        m.close();
        assertEquals(Errno.EBADF, assertThrows(MapException.class, () -> m.lookup(u32(1))).errno());
    }

    @Test
    void arrayGetNextKeyAndDirectValueAndMmapRegion() {
        try (BpfMap m = Maps.create(new MapDefinition("data", MapType.ARRAY, 4, 8, 3, MapFlags.BPF_F_MMAPABLE), 1);
                BpfMap one = Maps.create(MapDefinition.of(".bss", MapType.ARRAY, 4, 24, 1), 1);
                BpfMap h = Maps.create(MapDefinition.of("h", MapType.HASH, 4, 4, 1), 1)) {
            assertArrayEquals(u32(0), m.getNextKey(null).orElseThrow());
            assertArrayEquals(u32(2), m.getNextKey(u32(1)).orElseThrow());
            assertTrue(m.getNextKey(u32(2)).isEmpty());
            assertArrayEquals(u32(0), m.getNextKey(u32(77)).orElseThrow(), "out of range restarts at 0");
            assertFalse(m.supportsDelete());
            MemorySegment region = m.mmapRegion().orElseThrow();
            m.update(u32(1), u64(99), 0);
            assertEquals(99L, region.get(U64, 8), "the mmap'd region is the values");
            assertTrue(one.mmapRegion().isEmpty());
            long d = one.directValueAddress(16);
            MemorySegment.ofAddress(d).reinterpret(8).set(U64, 0, 5L);
            assertEquals(5L, u64(one.lookup(u32(0)).orElseThrow(), 16));
            assertEquals(Errno.EINVAL, assertThrows(MapException.class, () -> one.directValueAddress(24)).errno());
            assertEquals(Errno.EOPNOTSUPP, assertThrows(MapException.class, () -> m.directValueAddress(0)).errno());
            assertEquals(Errno.EOPNOTSUPP, assertThrows(MapException.class, () -> h.directValueAddress(0)).errno());
        }
    }

    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"ARRAY", "PERCPU_ARRAY", "HASH", "PERCPU_HASH"})
    void batchesWalkEverythingOnce(MapType type) {
        boolean array = type == MapType.ARRAY || type == MapType.PERCPU_ARRAY;
        try (BpfMap m = Maps.create(MapDefinition.of("batch", type, 4, 8, 50), 2)) {
            int n = 37;
            byte[][] keys = new byte[n][];
            byte[][] values = new byte[n][];
            for (int i = 0; i < n; i++) {
                keys[i] = u32(i);
                values[i] = new byte[m.userValueSize()];
                values[i][0] = (byte) (i + 1);
            }
            assertEquals(n, m.updateBatch(keys, values, MapFlags.BPF_ANY));
            Set<Integer> seen = new HashSet<>();
            byte[] token = null;
            int pages = 0;
            do {
                BpfMap.Batch b = m.lookupBatch(token, 10);
                for (int i = 0; i < b.keys().size(); i++) {
                    int k = ByteBuffer.wrap(b.keys().get(i)).order(ByteOrder.LITTLE_ENDIAN).getInt();
                    assertTrue(seen.add(k), "key " + k + " once");
                    assertEquals(k < n ? k + 1 : 0, b.values().get(i)[0]);
                }
                token = b.next();
                pages++;
            } while (token != null && pages < 100);
            assertEquals(array ? 50 : n, seen.size());
            if (array) {
                assertEquals(Errno.EINVAL, assertThrows(MapException.class, () -> m.deleteBatch(keys)).errno());
            } else {
                assertEquals(n, m.deleteBatch(keys));
                assertTrue(m.getNextKey(null).isEmpty());
                MapException e = assertThrows(MapException.class, () -> m.deleteBatch(keys));
                assertTrue(e.getMessage().contains("after 0 of 37"), e.getMessage());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"ARRAY", "PERCPU_ARRAY", "HASH", "PERCPU_HASH"})
    void capabilitiesAndPerCpuLookup(MapType type) {
        try (Arena a = Arena.ofConfined(); BpfMap m = Maps.create(MapDefinition.of("caps", type, 4, 8, 4), 2)) {
            boolean array = type == MapType.ARRAY || type == MapType.PERCPU_ARRAY;
            assertTrue(m.supports(MapOp.LOOKUP) && m.supports(MapOp.UPDATE) && m.supports(MapOp.GET_NEXT_KEY));
            assertEquals(!array, m.supports(MapOp.DELETE));
            assertEquals(type.perCpu(), m.supports(MapOp.LOOKUP_PERCPU));
            assertFalse(m.supports(MapOp.PUSH) || m.supports(MapOp.POP) || m.supports(MapOp.PEEK)
                    || m.supports(MapOp.REDIRECT));
            MemorySegment key = a.allocate(4, 8);
            MemorySegment val = a.allocate(8, 8);
            assertEquals(-Errno.EOPNOTSUPP, m.push(val.address(), 0, 0));
            assertEquals(-Errno.EOPNOTSUPP, m.pop(val.address(), 0));
            assertEquals(-Errno.EOPNOTSUPP, m.peek(val.address(), 0));
            key.set(ValueLayout.JAVA_INT, 0, 1);
            val.set(U64, 0, 42L);
            assertEquals(0, m.update(key.address(), val.address(), 0, 0));
            if (type.perCpu()) {
                assertEquals(m.lookup(key.address(), 1), m.lookupPercpu(key.address(), 1));
                assertEquals(42L, Native.getLong(m.lookupPercpu(key.address(), 0)));
                assertEquals(0L, Native.getLong(m.lookupPercpu(key.address(), 1)));
                assertEquals(0L, m.lookupPercpu(key.address(), 2), "cpu beyond nCpus");
            } else {
                assertEquals(0L, m.lookupPercpu(key.address(), 0));
            }
        }
    }
}
