package io.jxdp.ffi.bpf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.junit.jupiter.api.Test;

/**
 * {@link MapAccess} is the path a dataplane may call per packet (for parity checks): after JIT
 * warm-up, lookups and updates allocate nothing on the Java heap, measured with the thread's
 * allocation counter rather than asserted in prose.
 *
 * <p>The counter is {@code com.sun.management.ThreadMXBean.getThreadAllocatedBytes}, reached
 * reflectively because the module under test does not read java.management (the tests run on
 * the class path, where it is readable).
 */
class MapAccessAllocationTest {

    @Test
    void lookupAndUpdateAllocateNothingOnceWarm() throws Throwable {
        Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        MethodHandle allocatedBytes = MethodHandles.publicLookup()
                .findVirtual(Class.forName("com.sun.management.ThreadMXBean"), "getThreadAllocatedBytes",
                        MethodType.methodType(long.class, long.class))
                .bindTo(threads);
        long tid = Thread.currentThread().threadId();
        int fd = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_HASH, 4, 8, 1024));
        try (MapAccess m = MapAccess.of(fd)) {
            long sum = 0;
            // Warm up, then measure windows of 40,000 calls until one is quiet: a window may catch a
            // JIT (re)compilation on a loaded machine, per-call allocation would show in every window.
            long best = Long.MAX_VALUE;
            for (int round = 0; round < 40 && best >= 1024; round++) {
                long before = (long) allocatedBytes.invoke(tid);
                for (int i = 0; i < 20_000; i++) {
                    m.key().set(ValueLayout.JAVA_INT, 0, i & 511);
                    m.value().set(ValueLayout.JAVA_LONG, 0, i);
                    m.update(BpfFlags.BPF_ANY);
                    if (m.lookup()) {
                        sum += m.value().get(ValueLayout.JAVA_LONG, 0);
                    }
                }
                long allocated = (long) allocatedBytes.invoke(tid) - before;
                if (round >= 2) { // rounds 0 and 1 warm up the JIT
                    best = Math.min(best, allocated);
                }
            }
            // a few hundred bytes of slack for the measurement itself; one object per call would be >= 640,000
            assertTrue(best < 1024, "the quietest window of 40000 map calls allocated " + best + " bytes");
            assertTrue(sum > 0);
            assertEquals(512, countKeys(m));
        } finally {
            Bpf.close(fd);
        }
    }

    private static int countKeys(MapAccess m) {
        int n = 0;
        boolean first = true;
        while (m.nextKey(first) && n < 10_000) {
            first = false;
            java.lang.foreign.MemorySegment.copy(m.nextKeyBuffer(), 0, m.key(), 0, 4);
            n++;
        }
        return n;
    }
}
