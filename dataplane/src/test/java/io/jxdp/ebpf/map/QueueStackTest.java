package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** QUEUE and STACK: kernel parity of user-side sequences, exactly-once delivery under concurrency, no allocation. */
class QueueStackTest {
    private static final byte[] NO_KEY = new byte[0];

    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"QUEUE", "STACK"})
    void sameResultsAsKernel(MapType type) {
        for (long seed = 1; seed <= 3; seed++) {
            int valueSize = (int) (4 + seed * 3);
            MapDefinition def = MapDefinition.of("qs_parity", type, 0, valueSize, 17);
            Random rnd = new Random(seed);
            try (KernelMap k = KernelMap.create(def); BpfMap j = Maps.create(def, 1)) {
                for (int op = 0; op < 5000; op++) {
                    String where = type + " seed " + seed + " op " + op;
                    // bias towards pushes, then towards pops, so the map is full and empty in turn
                    boolean filling = (op / 200) % 2 == 0;
                    int choice = rnd.nextInt(10);
                    if (choice < (filling ? 6 : 2)) {
                        byte[] v = new byte[valueSize];
                        rnd.nextBytes(v);
                        long fl = rnd.nextInt(10) == 0 ? rnd.nextInt(6) : rnd.nextInt(4) == 0 ? MapFlags.BPF_EXIST : 0;
                        assertEquals(k.update(null, v, fl), rc(() -> j.update(NO_KEY, v, fl)), where + " push " + fl);
                    } else if (choice < 7) {
                        byte[] kv = new byte[valueSize];
                        long krc = k.lookupAndDelete(null, kv);
                        Optional<byte[]> jv = j.lookupAndDelete(NO_KEY);
                        assertEquals(krc, jv.isPresent() ? 0 : -Errno.ENOENT, where + " pop");
                        if (krc == 0) {
                            assertArrayEquals(kv, jv.get(), where + " popped value");
                        }
                    } else if (choice < 9) {
                        byte[] kv = new byte[valueSize];
                        long krc = k.lookup(null, kv);
                        Optional<byte[]> jv = j.lookup(NO_KEY);
                        assertEquals(krc, jv.isPresent() ? 0 : -Errno.ENOENT, where + " peek");
                        if (krc == 0) {
                            assertArrayEquals(kv, jv.get(), where + " peeked value");
                        }
                    } else {
                        assertEquals(k.delete(null), rc(() -> j.delete(NO_KEY)), where + " delete");
                        assertEquals(k.getNextKey(null, new byte[0]), rc(() -> j.getNextKey(null)), where + " get_next_key");
                    }
                }
            }
        }
    }

    /**
     * Two producers push numbered values and two consumers pop them at once (program side): every
     * value arrives exactly once; from a QUEUE each consumer sees each producer's values in order.
     */
    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"QUEUE", "STACK"})
    void concurrentProducersAndConsumersDeliverExactlyOnce(MapType type) throws Exception {
        int perProducer = 100_000;
        boolean[][] seen = new boolean[2][perProducer];
        AtomicLong popped = new AtomicLong();
        AtomicLong full = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (BpfMap m = Maps.create(MapDefinition.of("qs_mt", type, 0, 8, 256), 4)) {
            List<Thread> all = new ArrayList<>();
            long deadline = System.nanoTime() + 60_000_000_000L;
            for (int t = 0; t < 4; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    try (Arena a = Arena.ofConfined()) {
                        MemorySegment v = a.allocate(8, 8);
                        if (id < 2) {
                            for (int i = 0; i < perProducer && System.nanoTime() < deadline; ) {
                                v.set(ValueLayout.JAVA_LONG, 0, (long) id << 32 | i);
                                int rc = m.push(v.address(), 0, id);
                                if (rc == 0) {
                                    i++;
                                } else if (rc == -Errno.E2BIG) {
                                    full.incrementAndGet();
                                    Thread.onSpinWait();
                                } else {
                                    throw new AssertionError("push " + rc);
                                }
                            }
                        } else {
                            long[] last = {-1, -1};
                            while (popped.get() < 2L * perProducer && System.nanoTime() < deadline) {
                                int rc = m.pop(v.address(), id);
                                if (rc == -Errno.ENOENT) {
                                    assertEquals(0, v.get(ValueLayout.JAVA_LONG, 0), "empty pop zeroes the value");
                                    Thread.onSpinWait();
                                    continue;
                                }
                                assertEquals(0, rc);
                                long x = v.get(ValueLayout.JAVA_LONG, 0);
                                int producer = (int) (x >>> 32);
                                int n = (int) x;
                                synchronized (seen) {
                                    assertFalse(seen[producer][n], "value " + Long.toHexString(x) + " popped twice");
                                    seen[producer][n] = true;
                                }
                                if (type == MapType.QUEUE) {
                                    assertTrue(n > last[producer], "FIFO order of producer " + producer);
                                    last[producer] = n;
                                }
                                popped.incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "qs-" + t);
                all.add(th);
                th.start();
            }
            for (Thread th : all) {
                th.join(70_000);
                assertFalse(th.isAlive(), th.getName() + " did not finish");
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(2L * perProducer, popped.get());
            assertEquals(0, ((QueueStack) m).count());
        }
    }

    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"QUEUE", "STACK"})
    void pushWithExistOverwritesTheOldest(MapType type) {
        try (BpfMap m = Maps.create(MapDefinition.of("ring", type, 0, 4, 3), 1)) {
            for (int i = 1; i <= 5; i++) {
                m.update(NO_KEY, MapConcurrencyTest.le32(i), MapFlags.BPF_EXIST);
            }
            List<Integer> out = new ArrayList<>();
            for (Optional<byte[]> v = m.lookupAndDelete(NO_KEY); v.isPresent(); v = m.lookupAndDelete(NO_KEY)) {
                out.add(java.nio.ByteBuffer.wrap(v.get()).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt());
            }
            assertEquals(type == MapType.QUEUE ? List.of(3, 4, 5) : List.of(5, 4, 3), out);
        }
    }

    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"QUEUE", "STACK"})
    void programSideAllocatesNothing(MapType type) {
        AllocationCounter mx = new AllocationCounter();
        try (Arena a = Arena.ofConfined(); BpfMap m = Maps.create(MapDefinition.of("qs_za", type, 0, 16, 64), 1)) {
            MemorySegment v = a.allocate(16, 8);
            long sum = 0;
            for (int round = 0; round < 2; round++) {
                long before = mx.allocatedBytes();
                for (int i = 0; i < 500_000; i++) {
                    v.set(ValueLayout.JAVA_LONG, 0, i);
                    switch (i % 3) {
                        case 0 -> m.push(v.address(), (i & 8) == 0 ? 0 : MapFlags.BPF_EXIST, 0);
                        case 1 -> {
                            if (m.peek(v.address(), 0) == 0) {
                                sum += v.get(ValueLayout.JAVA_LONG, 0);
                            }
                        }
                        default -> {
                            if ((i & 4) == 0 && m.pop(v.address(), 0) == 0) {
                                sum += 1;
                            }
                        }
                    }
                }
                long grew = mx.allocatedBytes() - before;
                if (round == 1) {
                    assertTrue(grew < 4096, "500000 queue operations allocated " + grew + " bytes");
                }
            }
            assertTrue(sum > 0);
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
