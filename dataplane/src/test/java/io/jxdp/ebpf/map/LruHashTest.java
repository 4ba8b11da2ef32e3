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
 * LRU_HASH and LRU_PERCPU_HASH: what is deterministic about the kernel's approximate LRU
 * ({@code kernel/bpf/bpf_lru_list.c}) — no update fails for lack of room, the map never holds more
 * than max_entries, a key used since the last sweep survives — checked against jxdp and, for the
 * user-side rules, against this machine's kernel with the same operation sequence.
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

    /** A key a program looked up since the clock last passed survives the next eviction. */
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
     * The same random sequence on the kernel's map and jxdp's. Victims may differ (both LRUs are
     * approximate), so each side is checked against its own contents: updates succeed or fail as
     * the key's presence on that side demands, never for lack of room; a key present on both sides
     * has the same value; neither side ever holds more than max_entries.
     */
    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"LRU_HASH", "LRU_PERCPU_HASH"})
    void sameRulesAsKernel(MapType type) throws Exception {
        int nCpus = MapOpsParityTest.possibleCpus();
        int max = 256;
        for (int flagsCase = 0; flagsCase < 2; flagsCase++) {
            int flags = flagsCase == 0 ? 0 : MapFlags.BPF_F_NO_COMMON_LRU;
            MapDefinition def = new MapDefinition("lru_parity", type, 8, 12, max, flags);
            Random rnd = new Random(42 + flagsCase);
            try (KernelMap k = KernelMap.create(def); BpfMap j = Maps.create(def, nCpus)) {
                int vlen = j.userValueSize();
                int both = 0;
                // Keys whose histories diverged (evicted on one side, then written on the other only):
                // their values may differ until a BPF_ANY update writes both.
                java.util.Set<Long> diverged = new java.util.HashSet<>();
                for (int op = 0; op < 6000; op++) {
                    long kn = rnd.nextInt(3 * max);
                    byte[] key = le64(kn);
                    String where = type + " flags " + flags + " op " + op;
                    byte[] kv = new byte[vlen];
                    boolean kHas = k.lookup(key, kv) == 0;
                    Optional<byte[]> jv = j.lookup(key);
                    if (kHas != jv.isPresent()) {
                        diverged.add(kn);
                    } else if (kHas && !diverged.contains(kn)) {
                        both++;
                        assertArrayEquals(kv, jv.get(), where + " value");
                    }
                    int choice = rnd.nextInt(5);
                    if (choice <= 2) {
                        byte[] v = new byte[vlen];
                        rnd.nextBytes(v);
                        long fl = rnd.nextInt(20) == 0 ? 3 + rnd.nextInt(3) : rnd.nextInt(3);
                        // The kernel takes a free node (evicting, maybe this very key) before it looks
                        // the key up (htab_lru_map_update_elem), so a present key may count as absent.
                        long krc = k.update(key, v, fl);
                        if (krc != expectedUpdate(kHas, fl)) {
                            assertEquals(expectedUpdate(false, fl), krc, where + " kernel update " + fl);
                            diverged.add(kn);
                        }
                        assertEquals(expectedUpdate(jv.isPresent(), fl), rc(() -> j.update(key, v, fl)),
                                where + " jxdp update " + fl);
                        if (fl == MapFlags.BPF_ANY) {
                            diverged.remove(kn);
                        }
                    } else if (choice == 3) {
                        assertEquals(kHas ? 0 : -Errno.ENOENT, k.delete(key), where + " kernel delete");
                        assertEquals(jv.isPresent() ? 0 : -Errno.ENOENT, rc(() -> j.delete(key)), where + " jxdp delete");
                    } else {
                        byte[] kd = new byte[vlen];
                        assertEquals(kHas ? 0 : -Errno.ENOENT, k.lookupAndDelete(key, kd), where + " kernel lookup_and_delete");
                        Optional<byte[]> jd = j.lookupAndDelete(key);
                        assertEquals(jv.isPresent(), jd.isPresent(), where + " jxdp lookup_and_delete");
                    }
                }
                assertTrue(both > 500, "keys present on both sides " + both);
                assertTrue(iterate(j).size() <= max);
                int kernelCount = 0;
                byte[] cur = null;
                byte[] next = new byte[8];
                while (k.getNextKey(cur, next) == 0 && kernelCount <= 2 * max) {
                    kernelCount++;
                    cur = next.clone();
                }
                assertTrue(kernelCount <= max + nCpus, "kernel count " + kernelCount); // NO_COMMON_LRU rounds up
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

    private static long expectedUpdate(boolean present, long flags) {
        if (flags > MapFlags.BPF_EXIST) {
            return -Errno.EINVAL;
        }
        if (present && flags == MapFlags.BPF_NOEXIST) {
            return -Errno.EEXIST;
        }
        if (!present && flags == MapFlags.BPF_EXIST) {
            return -Errno.ENOENT;
        }
        return 0;
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
