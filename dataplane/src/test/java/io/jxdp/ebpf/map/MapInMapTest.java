package io.jxdp.ebpf.map;

import static io.jxdp.ebpf.map.MapConcurrencyTest.le32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.FileDescriptors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * ARRAY_OF_MAPS and HASH_OF_MAPS: the same user-side sequence as the kernel's (inner maps named by fd
 * there, by id here; lookups compared by which inner map they return), inner-map replacement while
 * programs look up, handles resolved without allocation.
 */
class MapInMapTest {
    private static final int INNERS = 4;

    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"ARRAY_OF_MAPS", "HASH_OF_MAPS"})
    void sameResultsAsKernel(MapType type) {
        MapDefinition template = MapDefinition.of("inner", MapType.HASH, 4, 8, 16);
        MapDefinition bigger = MapDefinition.of("inner", MapType.HASH, 4, 8, 32); // fine: hash max_entries may differ
        MapDefinition odd = MapDefinition.of("inner", MapType.HASH, 4, 16, 16); // value_size differs: refused
        // zero seed: the kernel's bucket order, hence get_next_key order, is reproducible
        MapDefinition def = new MapDefinition("outer", type, 4, 4, 8, type == MapType.HASH_OF_MAPS ? MapFlags.BPF_F_ZERO_SEED : 0);
        List<KernelMap> kInner = new ArrayList<>();
        List<BpfMap> jInner = new ArrayList<>();
        List<Integer> kIds = new ArrayList<>();
        try {
            for (int i = 0; i < INNERS; i++) {
                MapDefinition d = i == INNERS - 1 ? odd : i == INNERS - 2 ? bigger : template;
                kInner.add(KernelMap.create(d));
                kIds.add(kernelMapId(kInner.get(i).fd));
                jInner.add(Maps.create(d, 1));
            }
            long outerFd = createWithInner(def, kInner.get(0).fd);
            assertTrue(outerFd >= 0, "kernel outer map: errno " + -outerFd);
            Random rnd = new Random(type.id());
            try (KernelMap k = KernelMap.adopt((int) outerFd, 4, 4);
                    MapInMap j = Maps.createMapInMap(def, 1, new Rcu(1), template)) {
                for (int op = 0; op < 2000; op++) {
                    byte[] key = le32(rnd.nextInt(10));
                    String where = type + " op " + op;
                    switch (rnd.nextInt(4)) {
                        case 0 -> {
                            int which = rnd.nextInt(INNERS);
                            long fl = rnd.nextInt(6) == 0 ? rnd.nextInt(4) : 0;
                            long krc = k.update(key, le32(kInner.get(which).fd), fl);
                            long jrc = rc(() -> j.update(key, le32(MapHandles.id(jInner.get(which))), fl));
                            assertEquals(krc, jrc, where + " update with inner " + which + " flags " + fl);
                        }
                        case 1 -> assertEquals(k.delete(key), rc(() -> j.delete(key)), where + " delete");
                        case 2 -> {
                            byte[] kv = new byte[4];
                            long krc = k.lookup(key, kv);
                            Optional<BpfMap> jm = j.get(key);
                            assertEquals(krc, jm.isPresent() ? 0 : -Errno.ENOENT, where + " lookup");
                            if (krc == 0) {
                                int kWhich = kIds.indexOf(ByteBuffer.wrap(kv).order(ByteOrder.LITTLE_ENDIAN).getInt());
                                assertEquals(kWhich, jInner.indexOf(jm.get()), where + " inner map found");
                            }
                        }
                        default -> {
                            byte[] from = rnd.nextInt(4) == 0 ? null : key;
                            byte[] kn = new byte[4];
                            long krc = k.getNextKey(from, kn);
                            Optional<byte[]> jn = j.getNextKey(from);
                            assertEquals(krc, jn.isPresent() ? 0 : -Errno.ENOENT, where + " get_next_key");
                            if (krc == 0) {
                                org.junit.jupiter.api.Assertions.assertArrayEquals(kn, jn.get(), where + " next key");
                            }
                        }
                    }
                }
                assertEquals(Errno.EBADF, assertThrows(MapException.class, () -> j.update(le32(0), le32(0), 0)).errno());
            }
        } finally {
            kInner.forEach(KernelMap::close);
            jInner.forEach(BpfMap::close);
        }
    }

    /** Readers look up outer -> inner -> value while user space swaps inner maps: every value belongs to its map. */
    @Test
    void innerMapsReplacedWhileProgramsRun() throws Exception {
        int readers = 2;
        Rcu rcu = new Rcu(readers);
        MapDefinition template = new MapDefinition("inner", MapType.ARRAY, 4, 8, 4, MapFlags.BPF_F_INNER_MAP);
        List<BpfMap> inners = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        try (MapInMap outer = Maps.createMapInMap(MapDefinition.of("outer", MapType.ARRAY_OF_MAPS, 4, 4, 2), readers, rcu,
                template)) {
            for (int i = 0; i < 6; i++) {
                BpfMap m = Maps.create(new MapDefinition("inner" + i, MapType.ARRAY, 4, 8, 4 + i, MapFlags.BPF_F_INNER_MAP),
                        readers, rcu);
                long tag = MapHandles.id(m);
                for (int k = 0; k < 4; k++) {
                    m.update(le32(k), MapConcurrencyTest.le64(tag), MapFlags.BPF_ANY);
                }
                inners.add(m);
            }
            outer.set(le32(0), inners.get(0), MapFlags.BPF_ANY);
            List<Thread> threads = new ArrayList<>();
            for (int r = 0; r < readers; r++) {
                int id = r;
                Thread th = new Thread(() -> {
                    rcu.register(id);
                    try (Arena a = Arena.ofConfined()) {
                        MemorySegment key = a.allocate(4, 4);
                        for (int i = 0; i < 2_000_000 && !stop.get(); i++) {
                            key.set(ValueLayout.JAVA_INT, 0, 0);
                            long handle = outer.lookup(key.address(), id);
                            BpfMap inner = MapHandles.map(handle);
                            if (inner == null) {
                                throw new AssertionError("slot 0 is always set, handle " + handle);
                            }
                            key.set(ValueLayout.JAVA_INT, 0, i & 3);
                            long v = inner.lookup(key.address(), id);
                            if (Native.getLong(v) != MapHandles.id(inner)) {
                                throw new AssertionError("value " + Native.getLong(v) + " in map " + MapHandles.id(inner));
                            }
                            rcu.quiescent(id);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        rcu.unregister(id);
                    }
                });
                threads.add(th);
                th.start();
            }
            for (int i = 0; i < 20_000 && failure.get() == null; i++) {
                outer.set(le32(0), inners.get(i % inners.size()), MapFlags.BPF_ANY);
                outer.set(le32(1), inners.get((i + 1) % inners.size()), MapFlags.BPF_ANY);
                outer.delete(le32(1));
            }
            stop.set(true);
            for (Thread th : threads) {
                th.join(30_000);
                assertFalse(th.isAlive());
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(Errno.EINVAL, assertThrows(MapException.class, () -> outer.set(le32(1),
                    Maps.create(MapDefinition.of("plain", MapType.ARRAY, 4, 8, 4), 1), MapFlags.BPF_ANY)).errno(),
                    "flags differ from the template");
        } finally {
            inners.forEach(BpfMap::close);
        }
    }

    @Test
    void handlesResolveWithoutAllocationAndDieWithTheMap() {
        BpfMap m = Maps.create(MapDefinition.of("h", MapType.ARRAY, 4, 8, 1), 1);
        long h = MapHandles.handle(m);
        assertEquals(h, MapHandles.handle(m), "one handle per map");
        assertSame(m, MapHandles.map(h));
        assertNull(MapHandles.map(h + 1));
        assertNull(MapHandles.map(0));
        AllocationCounter mx = new AllocationCounter();
        long sum = 0;
        for (int round = 0; round < 2; round++) {
            long before = mx.allocatedBytes();
            for (int i = 0; i < 1_000_000; i++) {
                sum += MapHandles.map(h + (i & 8)) == null ? 0 : 1;
            }
            if (round == 1) {
                assertTrue(mx.allocatedBytes() - before < 4096);
            }
        }
        assertTrue(sum > 0);
        m.close();
        assertNull(MapHandles.map(h), "a closed map's handle resolves to nothing");
        assertEquals(Errno.EINVAL, assertThrows(MapException.class,
                () -> Maps.create(MapDefinition.of("o", MapType.ARRAY_OF_MAPS, 4, 4, 1), 1)).errno());
    }

    // ------------------------------------------------------------------ kernel side

    /** BPF_MAP_CREATE with inner_map_fd (union bpf_attr offset 20). */
    private static long createWithInner(MapDefinition d, int innerFd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(128, 8);
            attr.set(ValueLayout.JAVA_INT, 0, d.type().id());
            attr.set(ValueLayout.JAVA_INT, 4, d.keySize());
            attr.set(ValueLayout.JAVA_INT, 8, d.valueSize());
            attr.set(ValueLayout.JAVA_INT, 12, d.maxEntries());
            attr.set(ValueLayout.JAVA_INT, 16, d.flags());
            attr.set(ValueLayout.JAVA_INT, 20, innerFd);
            return KernelMap.bpf(0, attr);
        }
    }

    /** BPF_OBJ_GET_INFO_BY_FD (15): struct bpf_map_info.id at offset 4. */
    private static int kernelMapId(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment info = a.allocate(128, 8);
            MemorySegment attr = a.allocate(128, 8);
            attr.set(ValueLayout.JAVA_INT, 0, fd);
            attr.set(ValueLayout.JAVA_INT, 4, 128);
            attr.set(ValueLayout.JAVA_LONG, 8, info.address());
            long rc = KernelMap.bpf(15, attr);
            if (rc < 0) {
                FileDescriptors.close(fd);
                throw new IllegalStateException("BPF_OBJ_GET_INFO_BY_FD: errno " + -rc);
            }
            return info.get(ValueLayout.JAVA_INT, 4);
        }
    }

    private interface Op {
        void run();
    }

    private static long rc(Op op) {
        try {
            op.run();
            return 0;
        } catch (MapException e) {
            return -e.errno();
        }
    }
}
