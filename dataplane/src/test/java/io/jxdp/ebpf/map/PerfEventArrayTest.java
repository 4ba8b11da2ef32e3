package io.jxdp.ebpf.map;

import static io.jxdp.ebpf.map.MapConcurrencyTest.le32;
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
import org.junit.jupiter.api.Test;

/**
 * PERF_EVENT_ARRAY: user-side results as the kernel's (no events attached), helper errors and sample
 * layout, and producers on two CPUs with a concurrent consumer.
 */
class PerfEventArrayTest {

    @Test
    void userSideAsTheKernel() {
        MapDefinition def = MapDefinition.of("events", MapType.PERF_EVENT_ARRAY, 4, 4, 4);
        Random rnd = new Random(4);
        try (KernelMap k = KernelMap.create(def); BpfMap j = Maps.create(def, 2)) {
            for (int op = 0; op < 300; op++) {
                byte[] key = le32(rnd.nextInt(6));
                switch (rnd.nextInt(3)) {
                    case 0 -> {
                        long krc = k.lookup(key, new byte[4]);
                        long jrc;
                        try {
                            jrc = j.lookup(key).isPresent() ? 0 : -Errno.ENOENT;
                        } catch (MapException e) {
                            jrc = -e.errno();
                        }
                        assertEquals(krc, jrc, "lookup " + op);
                    }
                    case 1 -> {
                        long jrc;
                        try {
                            j.delete(key);
                            jrc = 0;
                        } catch (MapException e) {
                            jrc = -e.errno();
                        }
                        assertEquals(k.delete(key), jrc, "delete " + op);
                    }
                    default -> {
                        byte[] kn = new byte[4];
                        long krc = k.getNextKey(key, kn);
                        Optional<byte[]> jn = j.getNextKey(key);
                        assertEquals(krc == 0, jn.isPresent(), "get_next_key " + op);
                        if (krc == 0) {
                            assertArrayEquals(kn, jn.get());
                        }
                    }
                }
            }
        }
    }

    @Test
    void outputErrorsAndSamples() {
        try (Arena a = Arena.ofConfined();
                PerfEventArray m = (PerfEventArray) Maps.create(MapDefinition.of("events", MapType.PERF_EVENT_ARRAY, 4, 4, 0), 2)) {
            assertEquals(2, m.maxEntries(), "max_entries 0 means one per CPU");
            MemorySegment data = a.allocate(64, 8);
            MemorySegment pkt = a.allocate(100, 8);
            for (int i = 0; i < 64; i++) {
                data.set(ValueLayout.JAVA_BYTE, i, (byte) i);
            }
            for (int i = 0; i < 100; i++) {
                pkt.set(ValueLayout.JAVA_BYTE, i, (byte) (200 + i));
            }
            long cur = PerfEventArray.BPF_F_CURRENT_CPU;
            assertEquals(-Errno.ENOENT, m.output(cur, data.address(), 8, pkt.address(), 100, 1), "nobody opened cpu 1");
            m.open(1, 4096);
            assertEquals(-Errno.EINVAL, m.output(cur | 1L << 60, data.address(), 8, pkt.address(), 100, 1));
            assertEquals(-Errno.EFAULT, m.output(cur | 101L << 32, data.address(), 8, pkt.address(), 100, 1));
            assertEquals(-Errno.E2BIG, m.output(2, data.address(), 8, pkt.address(), 100, 1));
            assertEquals(-Errno.EOPNOTSUPP, m.output(1, data.address(), 8, pkt.address(), 100, 0), "index 1 from cpu 0");
            assertEquals(0, m.output(cur | 5L << 32, data.address(), 7, pkt.address(), 100, 1));
            assertEquals(0, m.output(1, data.address(), 0, pkt.address(), 100, 1));
            List<byte[]> got = new ArrayList<>();
            assertEquals(2, m.poll(1, (addr, len) -> got.add(Native.ALL.asSlice(addr, len).toArray(ValueLayout.JAVA_BYTE)), 10));
            // 7 data + 5 packet bytes: raw + 4 is already a multiple of 8; an empty sample pads to 4
            assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 5, 6, (byte) 200, (byte) 201, (byte) 202, (byte) 203, (byte) 204},
                    got.get(0));
            assertArrayEquals(new byte[4], got.get(1));
            int n = 0;
            while (m.output(cur, data.address(), 64, pkt.address(), 100, 1) == 0 && n < 1000) {
                n++;
            }
            assertEquals(-Errno.ENOSPC, m.output(cur, data.address(), 64, pkt.address(), 100, 1), "a full buffer loses the sample");
            assertTrue(n > 40 && n < 64, "samples that fit 4096 bytes: " + n);
            m.delete(le32(1));
            assertEquals(-Errno.ENOENT, m.output(cur, data.address(), 8, pkt.address(), 100, 1));
        }
    }

    /**
     * Two workers (CPUs 0 and 1) output sequence-numbered samples to their own index while one
     * consumer polls both: every sample is either delivered, in order, or refused with ENOSPC (the
     * kernel's lost sample), never torn, duplicated or reordered.
     */
    @Test
    void producersOnTwoCpusAndAConcurrentConsumerLoseNothingSilently() throws Exception {
        int perCpu = 200_000;
        try (PerfEventArray m = (PerfEventArray) Maps.create(MapDefinition.of("events", MapType.PERF_EVENT_ARRAY, 4, 4, 0), 2)) {
            m.open(0, 4096);
            m.open(1, 4096);
            long[] refused = new long[2];
            java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger(2);
            Thread[] producers = new Thread[2];
            for (int c = 0; c < 2; c++) {
                int cpu = c;
                producers[c] = Thread.ofPlatform().start(() -> {
                    try (Arena a = Arena.ofConfined()) {
                        MemorySegment data = a.allocate(16, 8);
                        long deadline = System.nanoTime() + 30_000_000_000L;
                        for (long seq = 0; seq < perCpu && System.nanoTime() < deadline; seq++) {
                            data.set(ValueLayout.JAVA_LONG, 0, seq);
                            data.set(ValueLayout.JAVA_LONG, 8, ~seq);
                            int rc = m.output(PerfEventArray.BPF_F_CURRENT_CPU, data.address(), 16, 0, 0, cpu);
                            if (rc == -Errno.ENOSPC) {
                                refused[cpu]++;
                            } else if (rc != 0) {
                                throw new AssertionError("output on cpu " + cpu + ": " + rc);
                            }
                        }
                    } finally {
                        running.decrementAndGet();
                    }
                });
            }
            long[] next = new long[2];
            long[] delivered = new long[2];
            List<String> errors = new ArrayList<>();
            long deadline = System.nanoTime() + 40_000_000_000L;
            boolean drained = false;
            while (!drained && System.nanoTime() < deadline) {
                boolean producing = running.get() > 0; // read before polling: a final poll sees everything
                int got = 0;
                for (int c = 0; c < 2; c++) {
                    int cpu = c;
                    got += m.poll(cpu, (addr, len) -> {
                        long seq = Native.getLong(addr);
                        if (len != 20 || Native.getLong(addr + 8) != ~seq || seq < next[cpu]) {
                            errors.add("cpu " + cpu + ": sample " + seq + " (len " + len + ") after " + next[cpu]);
                        }
                        next[cpu] = seq + 1;
                        delivered[cpu]++;
                    }, 1_000);
                }
                drained = !producing && got == 0;
            }
            for (Thread t : producers) {
                t.join(5_000);
            }
            assertTrue(drained, "consumer drained both buffers in time");
            assertEquals(List.of(), errors);
            for (int c = 0; c < 2; c++) {
                assertEquals(perCpu, delivered[c] + refused[c], "cpu " + c + ": delivered " + delivered[c] + " + lost " + refused[c]);
                assertTrue(delivered[c] > 0, "cpu " + c + " delivered samples");
            }
        }
    }
}
