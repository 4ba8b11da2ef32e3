package io.jxdp.ffi.bpf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Maps against this machine's kernel (the tests run as root). */
class BpfMapTest {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private static MemorySegment u32(int v) {
        MemorySegment s = MemorySegment.ofArray(new byte[4]);
        s.set(U32, 0, v);
        return s;
    }

    private static MemorySegment u64(long v) {
        MemorySegment s = MemorySegment.ofArray(new byte[8]);
        s.set(U64, 0, v);
        return s;
    }

    @Test
    void arrayMapUpdateLookupIterate() {
        int fd = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_ARRAY, 4, 8, 4).withName("jxdp_arr"));
        try {
            Bpf.mapUpdate(fd, u32(1), u64(42), BpfFlags.BPF_ANY);
            MemorySegment out = MemorySegment.ofArray(new byte[8]);
            assertTrue(Bpf.mapLookup(fd, u32(1), out));
            assertEquals(42L, out.get(U64, 0));
            assertTrue(Bpf.mapLookup(fd, u32(2), out)); // array elements always exist, zeroed
            assertEquals(0L, out.get(U64, 0));
            assertFalse(Bpf.mapLookup(fd, u32(4), out)); // beyond max_entries: ENOENT

            // array elements cannot be deleted: the kernel says EINVAL (kernel/bpf/arraymap.c)
            NativeException e = assertThrows(NativeException.class, () -> Bpf.mapDelete(fd, u32(1)));
            assertEquals(Errno.EINVAL, e.errno());
            // BPF_NOEXIST on an array is EEXIST: every index exists
            assertEquals(Errno.EEXIST, assertThrows(NativeException.class,
                    () -> Bpf.mapUpdate(fd, u32(0), u64(1), BpfFlags.BPF_NOEXIST)).errno());

            int expected = 0;
            MemorySegment key = null;
            MemorySegment next = MemorySegment.ofArray(new byte[4]);
            while (Bpf.mapGetNextKey(fd, key, next)) {
                assertEquals(expected++, next.get(U32, 0));
                key = MemorySegment.ofArray(next.toArray(ValueLayout.JAVA_BYTE));
            }
            assertEquals(4, expected);

            BpfInfo.MapInfo info = Bpf.mapInfo(fd);
            assertEquals(MapType.BPF_MAP_TYPE_ARRAY, info.type());
            assertEquals(4, info.keySize());
            assertEquals(8, info.valueSize());
            assertEquals(4, info.maxEntries());
            assertEquals("jxdp_arr", info.name());
            assertTrue(info.id() > 0);
            assertEquals(info, Bpf.objInfo(fd));

            // a second descriptor for the same map, by its id, sees the same element
            int byId = Bpf.mapGetFdById(info.id());
            try {
                assertTrue(byId != fd);
                assertTrue(Bpf.mapLookup(byId, u32(1), out));
                assertEquals(42L, out.get(U64, 0));
            } finally {
                Bpf.close(byId);
            }
        } finally {
            Bpf.close(fd);
        }
    }

    @ParameterizedTest
    @CsvSource({"1, 5", "2, 64", "3, 200"})
    void hashMapAgreesWithAJavaMap(long seed, int entries) {
        Random random = new Random(seed);
        int fd = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_HASH, 4, 8, 256));
        try {
            Map<Integer, Long> model = new HashMap<>();
            for (int i = 0; i < entries; i++) {
                int k = random.nextInt(1000);
                long v = random.nextLong();
                Bpf.mapUpdate(fd, u32(k), u64(v), BpfFlags.BPF_ANY);
                model.put(k, v);
            }
            // iteration visits every key exactly once
            Set<Integer> seen = new HashSet<>();
            MemorySegment key = null;
            MemorySegment next = MemorySegment.ofArray(new byte[4]);
            int guard = 0;
            while (Bpf.mapGetNextKey(fd, key, next) && guard++ < 10_000) {
                assertTrue(seen.add(next.get(U32, 0)), "key visited twice");
                key = MemorySegment.ofArray(next.toArray(ValueLayout.JAVA_BYTE));
            }
            assertEquals(model.keySet(), seen);

            MemorySegment out = MemorySegment.ofArray(new byte[8]);
            for (Map.Entry<Integer, Long> en : model.entrySet()) {
                assertTrue(Bpf.mapLookup(fd, u32(en.getKey()), out));
                assertEquals(en.getValue(), out.get(U64, 0));
            }
            int victim = model.keySet().iterator().next();
            assertTrue(Bpf.mapDelete(fd, u32(victim)));
            assertFalse(Bpf.mapDelete(fd, u32(victim)));
            assertFalse(Bpf.mapLookup(fd, u32(victim), out));
            assertEquals(Errno.ENOENT, assertThrows(NativeException.class,
                    () -> Bpf.mapUpdate(fd, u32(victim), u64(1), BpfFlags.BPF_EXIST)).errno());
            Bpf.mapUpdate(fd, u32(victim), u64(7), BpfFlags.BPF_NOEXIST);
            assertEquals(Errno.EEXIST, assertThrows(NativeException.class,
                    () -> Bpf.mapUpdate(fd, u32(victim), u64(8), BpfFlags.BPF_NOEXIST)).errno());
        } finally {
            Bpf.close(fd);
        }
    }

    @Test
    void perCpuArrayValuesHaveOneEightByteSlotPerPossibleCpu() {
        int cpus = Bpf.numPossibleCpus();
        assertTrue(cpus >= Runtime.getRuntime().availableProcessors());
        // a 4-byte value is rounded up to an 8-byte slot per CPU (kernel bpf_map_value_size)
        int fd = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 2));
        try {
            assertEquals(cpus * 8, Bpf.mapInfo(fd).userValueSize());
            MemorySegment in = MemorySegment.ofArray(new byte[cpus * 8]);
            for (int cpu = 0; cpu < cpus; cpu++) {
                in.set(U32, cpu * 8L, 100 * cpu + 1);
                in.set(U32, cpu * 8L + 4, 0xdeadbeef + cpu); // the padding of the 8-byte slot
            }
            Bpf.mapUpdate(fd, u32(1), in, BpfFlags.BPF_ANY);
            MemorySegment out = MemorySegment.ofArray(new byte[cpus * 8]);
            assertTrue(Bpf.mapLookup(fd, u32(1), out));
            for (int cpu = 0; cpu < cpus; cpu++) {
                assertEquals(100 * cpu + 1, out.get(U32, cpu * 8L), "cpu " + cpu);
                // the kernel stores and returns whole 8-byte slots (bpf_percpu_array_copy copies
                // round_up(value_size, 8)), so the padding written comes back
                assertEquals(0xdeadbeef + cpu, out.get(U32, cpu * 8L + 4), "padding of cpu " + cpu);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Bpf.mapLookup(fd, u32(1), MemorySegment.ofArray(new byte[4])));
            assertTrue(e.getMessage().contains("needs " + cpus * 8 + " bytes"), e.getMessage());
        } finally {
            Bpf.close(fd);
        }
    }

    @Test
    void cpuListsAreCountedAsTheKernelWritesThem() {
        assertEquals(1, Bpf.parseCpuList("0\n"));
        assertEquals(4, Bpf.parseCpuList("0-3"));
        assertEquals(7, Bpf.parseCpuList("0-3,8,10-11"));
        assertThrows(IllegalArgumentException.class, () -> Bpf.parseCpuList("3-1"));
        assertThrows(IllegalArgumentException.class, () -> Bpf.parseCpuList("x"));
    }

    @Test
    void queuePopsInFifoOrderThenReportsEmpty() {
        int fd = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_QUEUE, 0, 4, 8));
        try {
            for (int v : new int[] {10, 20, 30}) {
                Bpf.mapUpdate(fd, null, u32(v), BpfFlags.BPF_ANY);
            }
            MemorySegment out = MemorySegment.ofArray(new byte[4]);
            for (int v : new int[] {10, 20, 30}) {
                assertTrue(Bpf.mapLookupAndDelete(fd, null, out));
                assertEquals(v, out.get(U32, 0));
            }
            assertFalse(Bpf.mapLookupAndDelete(fd, null, out));
        } finally {
            Bpf.close(fd);
        }
    }

    @Test
    void frozenMapRejectsUserSpaceWrites() {
        int fd = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_ARRAY, 4, 8, 1));
        try {
            Bpf.mapUpdate(fd, u32(0), u64(5), BpfFlags.BPF_ANY);
            Bpf.mapFreeze(fd);
            assertEquals(Errno.EPERM, assertThrows(NativeException.class,
                    () -> Bpf.mapUpdate(fd, u32(0), u64(6), BpfFlags.BPF_ANY)).errno());
            MemorySegment out = MemorySegment.ofArray(new byte[8]);
            assertTrue(Bpf.mapLookup(fd, u32(0), out));
            assertEquals(5L, out.get(U64, 0));
        } finally {
            Bpf.close(fd);
        }
    }

    @Test
    void shortKeyIsRejectedBeforeTheKernelSeesIt() {
        int fd = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_HASH, 8, 8, 4));
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Bpf.mapLookup(fd, u32(1), MemorySegment.ofArray(new byte[8])));
            assertTrue(e.getMessage().contains("8-byte keys"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_HASH, 4, 4, 1).withName("bad name!")));
            NativeException bad = assertThrows(NativeException.class,
                    () -> Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_ARRAY, 3, 8, 1)));
            assertEquals(Errno.EINVAL, bad.errno()); // array keys must be 4 bytes
            assertTrue(bad.getMessage().contains("BPF_MAP_CREATE"), bad.getMessage());
        } finally {
            Bpf.close(fd);
        }
    }

    @Test
    void mapAccessReusesItsBuffers() {
        int fd = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_HASH, 4, 8, 64));
        try (MapAccess m = MapAccess.of(fd)) {
            MemorySegment keyBuf = m.key();
            MemorySegment valueBuf = m.value();
            for (int k = 0; k < 10; k++) {
                m.key().set(U32, 0, k);
                m.value().set(U64, 0, k * 1000L);
                m.update(BpfFlags.BPF_NOEXIST);
            }
            m.key().set(U32, 0, 7);
            assertTrue(m.lookup());
            assertEquals(7000L, m.value().get(U64, 0));
            assertTrue(m.delete());
            assertFalse(m.lookup());
            int count = 0;
            boolean first = true;
            while (m.nextKey(first) && count < 100) {
                first = false;
                MemorySegment.copy(m.nextKeyBuffer(), 0, m.key(), 0, 4);
                count++;
            }
            assertEquals(9, count);
            assertTrue(keyBuf == m.key() && valueBuf == m.value());
            // the copying path agrees with the static one
            MemorySegment out = MemorySegment.ofArray(new byte[8]);
            assertTrue(m.lookup(u32(3), out));
            assertEquals(3000L, out.get(U64, 0));
            assertTrue(Bpf.mapLookup(fd, u32(3), out));
            assertEquals(3000L, out.get(U64, 0));
        } finally {
            Bpf.close(fd);
        }
    }

    @Test
    void closedMapFdIsGone() {
        int fd = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_ARRAY, 4, 4, 1));
        Path link = Path.of("/proc/self/fd/" + fd);
        assertTrue(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
        Bpf.close(fd);
        assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
        assertEquals(Errno.EBADF, assertThrows(NativeException.class, () -> Bpf.objInfo(fd)).errno());
    }

    @Test
    void nativeSegmentsAreUsedInPlace() {
        int fd = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_ARRAY, 4, 8, 2));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate(4);
            MemorySegment v = arena.allocate(8);
            k.set(U32, 0, 1);
            v.set(U64, 0, -5L);
            Bpf.mapUpdate(fd, k, v, BpfFlags.BPF_ANY);
            MemorySegment out = arena.allocate(8);
            assertTrue(Bpf.mapLookup(fd, k, out));
            assertArrayEquals(v.toArray(ValueLayout.JAVA_BYTE), out.toArray(ValueLayout.JAVA_BYTE));
        } finally {
            Bpf.close(fd);
        }
    }
}
