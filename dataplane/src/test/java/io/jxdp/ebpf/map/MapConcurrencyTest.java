package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Several program-side writers and readers at once, each a registered {@link Rcu} worker with its own
 * cpu index. Every loop is bounded in count and every thread joined with a timeout.
 */
class MapConcurrencyTest {
    private static final int THREADS = 4;
    private static final long JOIN_MS = 60_000;
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    /** Runs {@code body(threadIndex)} on THREADS threads started together; rethrows the first failure. */
    private static void runThreads(int n, ThreadBody body) throws Exception {
        CyclicBarrier start = new CyclicBarrier(n);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    start.await(10, TimeUnit.SECONDS);
                    body.run(id);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "map-worker-" + t);
            threads.add(th);
            th.start();
        }
        long deadline = System.currentTimeMillis() + JOIN_MS;
        for (Thread th : threads) {
            th.join(Math.max(1, deadline - System.currentTimeMillis()));
            assertTrue(!th.isAlive(), th.getName() + " did not finish in time");
        }
        if (failure.get() != null) {
            throw new AssertionError("worker failed", failure.get());
        }
    }

    private interface ThreadBody {
        void run(int id) throws Exception;
    }

    /** Atomic per-key increments by CAS on the shared value: the totals are exact. */
    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"ARRAY", "HASH", "LRU_HASH"})
    void casIncrementsOnSharedValuesAreExact(MapType type) throws Exception {
        int keys = 16;
        int perThread = 200_000;
        Rcu rcu = new Rcu(THREADS);
        long[][] counts = new long[THREADS][keys];
        AtomicLong inserted = new AtomicLong();
        // An LRU map as small as its key set may evict one even so: a NOEXIST update that loses takes
        // a node first (the kernel's htab_lru_map_update_elem()), which may shrink the LRU list.
        int max = type == MapType.LRU_HASH ? keys * 8 : keys;
        try (BpfMap m = Maps.create(MapDefinition.of("cas", type, 4, 8, max), THREADS, rcu)) {
            runThreads(THREADS, id -> {
                rcu.register(id);
                Random rnd = new Random(id);
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment key = a.allocate(4, 8);
                    MemorySegment zero = a.allocate(8, 8);
                    // Everybody races to create every key: exactly one NOEXIST insert per key wins.
                    for (int k = 0; k < keys; k++) {
                        key.set(ValueLayout.JAVA_INT, 0, k);
                        int rc = m.update(key.address(), zero.address(), MapFlags.BPF_NOEXIST, id);
                        if (rc == 0) {
                            inserted.incrementAndGet();
                        } else {
                            assertEquals(-Errno.EEXIST, rc);
                        }
                    }
                    for (int i = 0; i < perThread; i++) {
                        int k = rnd.nextInt(keys);
                        key.set(ValueLayout.JAVA_INT, 0, k);
                        long v = m.lookup(key.address(), id);
                        assertTrue(v != 0, "key " + k + " present");
                        LONG.getAndAdd(Native.ALL, v, 1L);
                        counts[id][k]++;
                        if ((i & 31) == 0) {
                            rcu.quiescent(id);
                        }
                    }
                } finally {
                    rcu.unregister(id);
                }
            });
            assertEquals(type == MapType.ARRAY ? 0 : keys, inserted.get(), "inserts that won");
            long total = 0;
            for (int k = 0; k < keys; k++) {
                long expected = 0;
                for (int t = 0; t < THREADS; t++) {
                    expected += counts[t][k];
                }
                total += expected;
                assertEquals(expected, le64(m.lookup(le32(k)).orElseThrow(), 0), "key " + k);
            }
            assertEquals((long) THREADS * perThread, total);
        }
    }

    /** Per-CPU maps: each worker updates only its own slot, user space sees every slot exactly. */
    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"PERCPU_ARRAY", "PERCPU_HASH", "LRU_PERCPU_HASH"})
    void perCpuSlotsAreIndependent(MapType type) throws Exception {
        int keys = 8;
        int perThread = 200_000;
        Rcu rcu = new Rcu(THREADS);
        long[][] counts = new long[THREADS][keys];
        try (BpfMap m = Maps.create(MapDefinition.of("pcpu", type, 4, 8, keys), THREADS, rcu)) {
            if (type != MapType.PERCPU_ARRAY) {
                for (int k = 0; k < keys; k++) {
                    m.update(le32(k), new byte[m.userValueSize()], MapFlags.BPF_NOEXIST);
                }
            }
            runThreads(THREADS, id -> {
                rcu.register(id);
                Random rnd = new Random(100 + id);
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment key = a.allocate(4, 8);
                    MemorySegment val = a.allocate(8, 8);
                    for (int i = 0; i < perThread; i++) {
                        int k = rnd.nextInt(keys);
                        key.set(ValueLayout.JAVA_INT, 0, k);
                        long v = m.lookup(key.address(), id);
                        if ((i & 7) == 0) { // through update: in place on the worker's own slot
                            val.set(ValueLayout.JAVA_LONG, 0, Native.getLong(v) + 1);
                            assertEquals(0, m.update(key.address(), val.address(), MapFlags.BPF_EXIST, id));
                        } else { // through the value pointer, as a program does
                            Native.putLong(v, Native.getLong(v) + 1);
                        }
                        counts[id][k]++;
                        if ((i & 31) == 0) {
                            rcu.quiescent(id);
                        }
                    }
                } finally {
                    rcu.unregister(id);
                }
            });
            for (int k = 0; k < keys; k++) {
                byte[] all = m.lookup(le32(k)).orElseThrow();
                assertEquals(THREADS * 8, all.length);
                for (int c = 0; c < THREADS; c++) {
                    assertEquals(counts[c][k], le64(all, c * 8), "key " + k + " cpu " + c);
                }
            }
        }
    }

    /**
     * Writers replace and delete/re-insert values stamped with one 64-bit stamp in all eight words;
     * readers check a value is never torn and, held across a pause inside their read-side section,
     * never changes: a HASH value is never written in place, so a change means the element was
     * reclaimed and reused before the grace period ended.
     */
    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"HASH", "LRU_HASH"})
    void readersNeverSeeTornOrReclaimedValues(MapType type) throws Exception {
        int keys = 64;
        int writerOps = 150_000;
        int readerOps = 150_000;
        Rcu rcu = new Rcu(THREADS);
        AtomicLong hits = new AtomicLong();
        AtomicLong enomem = new AtomicLong();
        try (BpfMap m = Maps.create(MapDefinition.of("stamps", type, 4, 64, keys), THREADS, rcu)) {
            for (int k = 0; k < keys; k++) {
                m.update(le32(k), new byte[64], MapFlags.BPF_NOEXIST);
            }
            runThreads(THREADS, id -> {
                rcu.register(id);
                boolean writer = id < 2;
                Random rnd = new Random(7 * id + 1);
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment key = a.allocate(4, 8);
                    MemorySegment val = a.allocate(64, 8);
                    long stamp = ((long) id << 48);
                    for (int i = 0; i < (writer ? writerOps : readerOps); i++) {
                        key.set(ValueLayout.JAVA_INT, 0, rnd.nextInt(keys));
                        if (writer) {
                            if (rnd.nextInt(4) == 0) {
                                int rc = m.delete(key.address(), id);
                                assertTrue(rc == 0 || rc == -Errno.ENOENT, "delete " + rc);
                            } else {
                                stamp++;
                                for (int w = 0; w < 8; w++) {
                                    val.set(ValueLayout.JAVA_LONG, w * 8, stamp);
                                }
                                int rc = m.update(key.address(), val.address(), MapFlags.BPF_ANY, id);
                                if (rc == -Errno.ENOMEM) {
                                    enomem.incrementAndGet(); // reserve spent while readers are in sections
                                } else {
                                    assertEquals(0, rc, "update");
                                }
                            }
                        } else {
                            long v = m.lookup(key.address(), id);
                            if (v != 0) {
                                hits.incrementAndGet();
                                long s = Native.getLong(v);
                                for (int w = 1; w < 8; w++) {
                                    assertEquals(s, Native.getLong(v + w * 8), "torn value word " + w);
                                }
                                for (int spin = 0; spin < 200; spin++) {
                                    Thread.onSpinWait();
                                }
                                if ((i & 15) == 0) {
                                    Thread.yield(); // let writers run while this reader holds the value
                                }
                                for (int w = 0; w < 8; w++) {
                                    assertEquals(s, Native.getLong(v + w * 8),
                                            "value changed under a reader: element reused before its grace period");
                                }
                            }
                        }
                        rcu.quiescent(id);
                    }
                } finally {
                    rcu.unregister(id);
                }
            });
            // Liveness only (the point is that no read is torn or reclaimed): on a loaded machine the
            // writers' deletes can leave most keys missing while the readers run.
            assertTrue(hits.get() > readerOps / 100, "readers found values " + hits.get() + " times");
            assertTrue(enomem.get() < writerOps / 10, "ENOMEM " + enomem.get() + " times");
            // Iteration sees each live key once and count matches.
            int n = 0;
            for (byte[] k = m.getNextKey(null).orElse(null); k != null && n <= keys; k = m.getNextKey(k).orElse(null)) {
                n++;
            }
            assertEquals(((HashTab) m).count(), n);
        }
    }

    /** Concurrent inserts of disjoint keys are all kept, up to exactly max_entries; deletes race lookups. */
    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"HASH", "PERCPU_HASH"})
    void insertsAreNotLostAndDeletesRaceLookups(MapType type) throws Exception {
        int perThread = 5_000;
        int max = THREADS * perThread;
        Rcu rcu = new Rcu(THREADS);
        try (BpfMap m = Maps.create(MapDefinition.of("flows", type, 8, 16, max), THREADS, rcu)) {
            runThreads(THREADS, id -> {
                rcu.register(id);
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment key = a.allocate(8, 8);
                    MemorySegment val = a.allocate(16, 8);
                    for (int i = 0; i < perThread; i++) {
                        key.set(ValueLayout.JAVA_LONG, 0, (long) id * 1_000_000_007L + i);
                        val.set(ValueLayout.JAVA_LONG, 0, key.get(ValueLayout.JAVA_LONG, 0));
                        assertEquals(0, m.update(key.address(), val.address(), MapFlags.BPF_NOEXIST, id));
                        rcu.quiescent(id);
                    }
                } finally {
                    rcu.unregister(id);
                }
            });
            assertEquals(max, ((HashTab) m).count());
            assertEquals(Errno.E2BIG, org.junit.jupiter.api.Assertions.assertThrows(MapException.class,
                    () -> m.update(le64(-1L), new byte[m.userValueSize()], MapFlags.BPF_ANY)).errno());
            // Half the threads delete their keys, the other half look up everyone's keys meanwhile.
            runThreads(THREADS, id -> {
                rcu.register(id);
                Random rnd = new Random(id);
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment key = a.allocate(8, 8);
                    for (int i = 0; i < perThread * 2; i++) {
                        if (id % 2 == 0) {
                            for (int owner : new int[] {id, id + 1}) {
                                if (i < perThread) {
                                    key.set(ValueLayout.JAVA_LONG, 0, (long) owner * 1_000_000_007L + i);
                                    assertEquals(0, m.delete(key.address(), id));
                                }
                            }
                        } else {
                            long k = (long) rnd.nextInt(THREADS) * 1_000_000_007L + rnd.nextInt(perThread);
                            key.set(ValueLayout.JAVA_LONG, 0, k);
                            long v = m.lookup(key.address(), id);
                            if (v != 0 && type == MapType.HASH) {
                                assertEquals(k, Native.getLong(v), "value belongs to its key");
                            }
                        }
                        rcu.quiescent(id);
                    }
                } finally {
                    rcu.unregister(id);
                }
            });
            assertEquals(0, ((HashTab) m).count());
            assertTrue(m.getNextKey(null).isEmpty());
        }
    }

    static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    static long le64(byte[] b, int off) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(off);
    }
}
