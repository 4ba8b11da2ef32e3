package io.jxdp.ebpf.map;

import static io.jxdp.ebpf.map.MapConcurrencyTest.le64;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * LRU_HASH and LRU_PERCPU_HASH, common LRU and BPF_F_NO_COMMON_LRU: jxdp follows the kernel's
 * {@code kernel/bpf/bpf_lru_list.c}, so for the same operations on the same CPUs the same keys
 * survive; checked against this machine's kernel with threads pinned to each CPU. Also the
 * properties that hold under any interleaving: no update fails for lack of room, the map never holds
 * more than max_entries, a key kept in use survives a stream of cold inserts.
 */
class LruHashTest {

    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"LRU_HASH", "LRU_PERCPU_HASH"})
    void updatesNeverFailAndSizeStaysBounded(MapType type) {
        int max = 100;
        try (BpfMap m = Maps.create(MapDefinition.of("lru", type, 8, 8, max), 2)) {
            for (long k = 0; k < 10 * max; k++) {
                m.update(le64(k), value(m, k), MapFlags.BPF_NOEXIST);
                assertTrue(((HashTab) m).count() <= max, "count after key " + k);
                assertArrayEquals(value(m, k), m.lookup(le64(k)).orElseThrow(), "just inserted key " + k);
            }
            assertEquals(max, ((HashTab) m).count());
            assertEquals(max, iterate(m).size());
        }
    }

    /** A key a program keeps looking up (its reference bit set) survives a stream of cold inserts. */
    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"LRU_HASH", "LRU_PERCPU_HASH"})
    void hotKeysSurviveAStreamOfColdInserts(MapType type) {
        int max = 64;
        long[] hot = {3, 17, 40, 63};
        try (Arena a = Arena.ofConfined(); BpfMap m = Maps.create(MapDefinition.of("lru", type, 8, 8, max), 2)) {
            MemorySegment key = a.allocate(8, 8);
            MemorySegment val = a.allocate(8, 8);
            for (long k = 0; k < max; k++) {
                key.set(ValueLayout.JAVA_LONG, 0, k);
                val.set(ValueLayout.JAVA_LONG, 0, k);
                assertEquals(0, m.update(key.address(), val.address(), MapFlags.BPF_NOEXIST, 0));
            }
            for (long cold = 1000; cold < 1000 + 20 * max; cold++) {
                for (long h : hot) { // the program keeps using these
                    key.set(ValueLayout.JAVA_LONG, 0, h);
                    long v = m.lookup(key.address(), 0); // the CPU that wrote it (per-CPU slots)
                    assertTrue(v != 0, "hot key " + h + " evicted before cold key " + cold);
                    assertEquals(h, Native.getLong(v));
                }
                key.set(ValueLayout.JAVA_LONG, 0, cold);
                val.set(ValueLayout.JAVA_LONG, 0, cold);
                assertEquals(0, m.update(key.address(), val.address(), MapFlags.BPF_ANY, 0), "cold insert " + cold);
                assertTrue(((HashTab) m).count() <= max);
            }
            // The newest cold keys are there; the oldest ones were evicted.
            assertTrue(m.lookup(le64(1000 + 20 * max - 1)).isPresent());
            assertTrue(m.lookup(le64(1000)).isEmpty());
        }
    }

    @Test
    void noPreallocIsRefusedAsTheKernelDoes() {
        MapDefinition d = new MapDefinition("lru", MapType.LRU_HASH, 4, 4, 16, MapFlags.BPF_F_NO_PREALLOC);
        MapException e = org.junit.jupiter.api.Assertions.assertThrows(MapException.class, () -> Maps.create(d, 1));
        assertEquals(BpfMap.ENOTSUPP, e.errno());
        assertEquals(-BpfMap.ENOTSUPP, KernelMap.createRaw(d));
    }

    /**
     * NO_COMMON_LRU driven from one CPU: that CPU's list holds max_entries / nCpus nodes and evicts
     * from itself while the other lists are empty, so the map starts evicting long before it is
     * full; the survivors are the kernel's.
     */
    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"LRU_HASH", "LRU_PERCPU_HASH"})
    void noCommonLruEvictsFromTheCpusOwnListBeforeTheMapIsFull(MapType type) throws Exception {
        int nCpus = MapOpsParityTest.possibleCpus();
        assertTrue(nCpus >= 2, "this test drives two CPUs; the machine has " + nCpus);
        int max = 8 * nCpus;
        onPinnedThread(() -> {
            try (Twin t = new Twin(new MapDefinition("lru_nc", type, 8, 8, max, MapFlags.BPF_F_NO_COMMON_LRU), nCpus)) {
                for (long k = 0; k < 12; k++) {
                    t.update(0, k, MapFlags.BPF_NOEXIST, true);
                }
                // CPU 0's list has 8 nodes: 12 inserts evicted the 4 oldest, every other list is untouched.
                assertEquals(java.util.stream.LongStream.range(4, 12).boxed().collect(java.util.stream.Collectors.toSet()),
                        t.kernelKeys(), "the kernel's survivors");
                t.assertSame("after 12 inserts on CPU 0");
                for (long k = 100; k < 104; k++) {
                    t.update(1, k, MapFlags.BPF_NOEXIST, true); // CPU 1's list has room: nothing evicted
                }
                assertEquals(12, t.kernelKeys().size());
                t.assertSame("after 4 inserts on CPU 1");
            }
        });
    }

    /**
     * The same random operations on the kernel's map and jxdp's, each op on a chosen CPU (the thread
     * pinned there, so the kernel's syscalls and test runs use that CPU's lists, and jxdp's program
     * and user sides get the same CPU): program-side lookups (which set reference bits), user- and
     * program-side updates with every flag, deletes. Every result and, at checkpoints, the whole
     * contents are the kernel's: the same keys survive, with the same values.
     */
    @ParameterizedTest(name = "{0} flags {1} cpus {2}")
    @org.junit.jupiter.params.provider.CsvSource({
        "LRU_HASH, 0, 1", "LRU_HASH, 0, 2", "LRU_HASH, 2, 1", "LRU_HASH, 2, 2",
        "LRU_PERCPU_HASH, 0, 1", "LRU_PERCPU_HASH, 0, 2", "LRU_PERCPU_HASH, 2, 1", "LRU_PERCPU_HASH, 2, 2"})
    void sameOperationsOnTheSameCpusLeaveTheKernelsSurvivors(MapType type, int flags, int cpus) throws Exception {
        int nCpus = MapOpsParityTest.possibleCpus();
        assertTrue(nCpus >= cpus, "this case drives " + cpus + " CPUs; the machine has " + nCpus);
        for (int max : new int[] {63, 300}) {
            onPinnedThread(() -> {
                try (Twin t = new Twin(new MapDefinition("lru_twin", type, 8, 8, max, flags), nCpus)) {
                    Random rnd = new Random(max * 31 + flags * 7 + cpus);
                    long[] hot = {1, 2, 3, 5, 8};
                    for (int op = 0; op < 4000; op++) {
                        int cpu = rnd.nextInt(cpus);
                        String where = type + " flags " + flags + " max " + max + " op " + op + " cpu " + cpu;
                        long key = rnd.nextInt(4) == 0 ? hot[rnd.nextInt(hot.length)] : rnd.nextInt(3 * max);
                        int choice = rnd.nextInt(10);
                        if (choice < 3) {
                            t.lookup(cpu, key, where);
                        } else if (choice < 8) {
                            long fl = rnd.nextInt(3);
                            t.update(cpu, key, fl, choice < 6, where);
                        } else {
                            t.delete(cpu, key, where);
                        }
                        if (op % 250 == 249) {
                            t.assertSame(where);
                        }
                    }
                    t.assertSame(type + " flags " + flags + " max " + max + " at the end");
                }
            });
        }
    }

    /**
     * A for_each_map_elem walk (firstElem/nextElem, what the helper uses) reads every element without
     * setting its reference bit, as the kernel's bpf_for_each_hash_elem(); a program-side lookup sets it.
     * Per-CPU lists of 4 nodes, driven on CPU 0: the 5th insert evicts the 4 unreferenced ones.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aWalkLeavesReferenceBitsAlone(boolean lookUp) {
        MapDefinition def = new MapDefinition("lru_walk", MapType.LRU_HASH, 8, 8, 8, MapFlags.BPF_F_NO_COMMON_LRU);
        try (Arena a = Arena.ofConfined(); BpfMap m = Maps.create(def, 2)) {
            MemorySegment key = a.allocate(8, 8);
            MemorySegment val = a.allocate(8, 8);
            for (long k = 0; k < 4; k++) {
                key.set(ValueLayout.JAVA_LONG, 0, k);
                assertEquals(0, m.update(key.address(), val.address(), MapFlags.BPF_NOEXIST, 0));
            }
            int walked = 0;
            for (long e = m.firstElem(); e != 0; e = m.nextElem(e)) {
                walked++;
                if (lookUp) {
                    assertTrue(m.lookup(m.elemKey(e), 0) == m.elemValue(e, 0));
                }
            }
            assertEquals(4, walked);
            key.set(ValueLayout.JAVA_LONG, 0, 99);
            assertEquals(0, m.update(key.address(), val.address(), MapFlags.BPF_NOEXIST, 0));
            // Unreferenced: the shrink takes all four (PERCPU_FREE_TARGET); referenced: they go to the
            // active list and the forced shrink takes only the oldest one.
            assertEquals(lookUp ? 4 : 1, iterate(m).size(), lookUp ? "looked-up keys kept" : "walked keys evicted");
        }
    }

    /**
     * A pinned BPF_F_NO_COMMON_LRU map full on both CPUs' lists reopens whole: each element goes back
     * on the list it came from (the CPU is kept with the element), so none is evicted by the reopen,
     * and afterwards CPU 1 evicts from its own share only.
     */
    @Test
    void aReopenedNoCommonLruMapKeepsEachElementOnItsCpusList(@org.junit.jupiter.api.io.TempDir java.nio.file.Path pinDir) {
        MapDefinition def = new MapDefinition("lru_pin", MapType.LRU_HASH, 8, 8, 16, MapFlags.BPF_F_NO_COMMON_LRU);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment key = a.allocate(8, 8);
            MemorySegment val = a.allocate(8, 8);
            try (BpfMap m = Maps.createPinned(def, 2, new Rcu(1), pinDir)) {
                for (long k = 0; k < 16; k++) {
                    key.set(ValueLayout.JAVA_LONG, 0, k);
                    val.set(ValueLayout.JAVA_LONG, 0, k * 10);
                    assertEquals(0, m.update(key.address(), val.address(), MapFlags.BPF_NOEXIST, (int) (k / 8)));
                }
                assertEquals(16, iterate(m).size(), "8 nodes per CPU, all used");
            }
            try (BpfMap m = Maps.createPinned(def, 2, new Rcu(1), pinDir)) {
                assertEquals(16, iterate(m).size(), "every element back after the reopen");
                for (long k = 0; k < 16; k++) {
                    assertArrayEquals(le64(k * 10), m.lookup(le64(k)).orElseThrow(), "key " + k);
                }
                key.set(ValueLayout.JAVA_LONG, 0, 99);
                assertEquals(0, m.update(key.address(), val.address(), MapFlags.BPF_NOEXIST, 1));
                for (long k = 0; k < 8; k++) {
                    assertTrue(m.lookup(le64(k)).isPresent(), "CPU 0's key " + k + " untouched by CPU 1's eviction");
                }
                assertEquals(13, iterate(m).size(), "CPU 1 evicted 4 of its own (PERCPU_FREE_TARGET) for one insert");
            }
        }
    }

    /** Runs {@code body} on a fresh platform thread (which {@link Twin} pins), rethrowing its failure. */
    private static void onPinnedThread(ThrowingBody body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread th = Thread.ofPlatform().start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        th.join(120_000);
        assertTrue(!th.isAlive(), "the pinned thread finished");
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    private interface ThrowingBody {
        void run() throws Exception;
    }

    /** A kernel LRU map and jxdp's, driven op by op from a thread pinned to the op's CPU. */
    private static final class Twin implements AutoCloseable {
        final KernelMap k;
        final KernelProgram prog;
        final BpfMap j;
        final int nCpus;
        final Arena arena = Arena.ofConfined();
        final MemorySegment key = arena.allocate(8, 8);
        final MemorySegment val = arena.allocate(8, 8);
        int pinned = -1;
        long seq = 1;

        Twin(MapDefinition def, int nCpus) {
            this.nCpus = nCpus;
            this.k = KernelMap.create(def);
            this.prog = new KernelProgram(k);
            this.j = Maps.create(def, nCpus);
        }

        void on(int cpu) {
            if (cpu != pinned) {
                io.jxdp.ffi.affinity.Affinity.pinCurrentThread(cpu);
                pinned = cpu;
            }
        }

        /** A program-side lookup on {@code cpu} (sets the reference bit in both). */
        void lookup(int cpu, long kn, String where) {
            on(cpu);
            int kr = prog.run(2, 0, kn, 0);
            key.set(ValueLayout.JAVA_LONG, 0, kn);
            long v = j.lookup(key.address(), cpu);
            assertEquals(kr == -1, v == 0, where + " lookup of " + kn + " present");
            if (v != 0) {
                assertEquals(kr, (int) Native.getLong(v), where + " lookup of " + kn + " value");
            }
        }

        void update(int cpu, long kn, long flags, boolean userSide) {
            update(cpu, kn, flags, userSide, "update of " + kn + " on cpu " + cpu);
        }

        /** An update on {@code cpu}: user side (bpf(2) on that CPU; every CPU's slot) or program side. */
        void update(int cpu, long kn, long flags, boolean userSide, String where) {
            on(cpu);
            long v = seq++;
            long kr;
            long jr;
            if (userSide) {
                byte[] value = new byte[j.userValueSize()];
                for (int c = 0; c < value.length / 8; c++) {
                    System.arraycopy(le64(v + c * 1000), 0, value, c * 8, 8);
                }
                kr = k.update(le64(kn), value, flags);
                jr = rc(() -> j.update(le64(kn), value, flags));
            } else {
                kr = prog.run(0, flags, kn, v);
                key.set(ValueLayout.JAVA_LONG, 0, kn);
                val.set(ValueLayout.JAVA_LONG, 0, v);
                jr = j.update(key.address(), val.address(), flags, cpu);
            }
            assertEquals(kr, jr, where + (userSide ? " user" : " program") + " update flags " + flags);
        }

        void delete(int cpu, long kn, String where) {
            on(cpu);
            assertEquals(k.delete(le64(kn)), rc(() -> j.delete(le64(kn))), where + " delete of " + kn);
        }

        java.util.Set<Long> kernelKeys() {
            java.util.Set<Long> keys = new java.util.TreeSet<>();
            byte[] cur = null;
            byte[] next = new byte[8];
            while (k.getNextKey(cur, next) == 0 && keys.size() <= 2 * j.maxEntries() + nCpus) {
                keys.add(MapConcurrencyTest.le64(next, 0));
                cur = next.clone();
            }
            return keys;
        }

        java.util.Set<Long> jxdpKeys() {
            java.util.Set<Long> keys = new java.util.TreeSet<>();
            for (byte[] kb : iterate(j)) {
                keys.add(MapConcurrencyTest.le64(kb, 0));
            }
            return keys;
        }

        /** The same keys with the same (every CPU's) values; jxdp's count agrees with its walk. */
        void assertSame(String where) {
            java.util.Set<Long> keys = kernelKeys();
            assertEquals(keys, jxdpKeys(), where + ": surviving keys");
            for (long kn : keys) {
                byte[] kv = new byte[j.userValueSize()];
                assertEquals(0, k.lookup(le64(kn), kv));
                assertArrayEquals(kv, j.lookup(le64(kn)).orElseThrow(), where + ": value of " + kn);
            }
            assertEquals(keys.size(), ((HashTab) j).count(), where + ": count");
        }

        @Override
        public void close() {
            try (arena; k; prog; j) {
                // all closed
            }
        }
    }

    /** Writers overflow a small LRU from several threads: no update fails, no value is torn or misplaced. */
    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"LRU_HASH", "LRU_PERCPU_HASH"})
    void concurrentOverflowingInsertsNeverFail(MapType type) throws Exception {
        int threads = 4;
        int max = 512;
        int perThread = 50_000;
        Rcu rcu = new Rcu(threads);
        boolean percpu = type.perCpu(); // a new element's other CPU slots are zero (pcpu_init_value)
        try (BpfMap m = Maps.create(MapDefinition.of("lru_mt", type, 8, 16, max), threads, rcu)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Thread> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    rcu.register(id);
                    Random rnd = new Random(id);
                    try (Arena a = Arena.ofConfined()) {
                        start.await(10, TimeUnit.SECONDS);
                        MemorySegment key = a.allocate(8, 8);
                        MemorySegment val = a.allocate(16, 8);
                        for (int i = 0; i < perThread; i++) {
                            long k = rnd.nextInt(4) == 0 ? rnd.nextInt(64) : (long) id << 40 | i;
                            key.set(ValueLayout.JAVA_LONG, 0, k);
                            if (rnd.nextBoolean()) {
                                val.set(ValueLayout.JAVA_LONG, 0, k);
                                val.set(ValueLayout.JAVA_LONG, 8, ~k);
                                int rc = m.update(key.address(), val.address(), MapFlags.BPF_ANY, id);
                                if (rc != 0) {
                                    throw new AssertionError("update of " + k + " failed: " + rc);
                                }
                            } else {
                                long v = m.lookup(key.address(), id);
                                boolean zero = v != 0 && percpu && Native.getLong(v) == 0 && Native.getLong(v + 8) == 0;
                                if (v != 0 && !zero && (Native.getLong(v) != k || Native.getLong(v + 8) != ~k)) {
                                    throw new AssertionError("value of " + k + " is " + Native.getLong(v));
                                }
                            }
                            rcu.quiescent(id);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        rcu.unregister(id);
                    }
                });
                all.add(th);
                th.start();
            }
            for (Thread th : all) {
                th.join(60_000);
                assertTrue(!th.isAlive(), "thread did not finish");
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertTrue(((HashTab) m).count() <= max);
            assertEquals(((HashTab) m).count(), iterate(m).size());
        }
    }

    private static byte[] value(BpfMap m, long k) {
        byte[] v = new byte[m.userValueSize()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (byte) (k * 7 + i);
        }
        return v; // 8-byte values: per-CPU slots have no padding to keep zero
    }

    private static List<byte[]> iterate(BpfMap m) {
        List<byte[]> keys = new ArrayList<>();
        for (Optional<byte[]> k = m.getNextKey(null); k.isPresent() && keys.size() <= m.maxEntries() * 2;
                k = m.getNextKey(k.get())) {
            keys.add(k.get());
        }
        return keys;
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
