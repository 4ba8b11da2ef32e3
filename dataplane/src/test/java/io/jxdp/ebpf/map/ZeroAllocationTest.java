package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The program-side path allocates nothing: a million lookups, updates (hash: replacements that
 * link new elements and retire old ones through RCU) and delete/insert pairs, measured with the
 * thread's allocation counter.
 */
class ZeroAllocationTest {
    private static final int OPS = 1_000_000;
    private static final long SLACK_BYTES = 4096; // the measuring calls themselves, not per operation

    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"ARRAY", "PERCPU_ARRAY", "HASH", "PERCPU_HASH", "LRU_HASH", "LRU_PERCPU_HASH"})
    void millionProgramSideOperationsAllocateNothing(MapType type) {
        AllocationCounter mx = new AllocationCounter();
        Rcu rcu = new Rcu(2);
        int worker = rcu.register();
        try (Arena a = Arena.ofConfined(); BpfMap m = Maps.create(MapDefinition.of("za", type, 4, 16, 1024), 2, rcu)) {
            MemorySegment key = a.allocate(4, 8);
            MemorySegment val = a.allocate(16, 8);
            long k = key.address();
            long v = val.address();
            run(m, rcu, worker, k, v, OPS / 4); // warm up: let the JIT compile the path
            long before = mx.allocatedBytes();
            long sum = run(m, rcu, worker, k, v, OPS);
            long grew = mx.allocatedBytes() - before;
            assertTrue(sum > 0, "sum " + sum);
            assertTrue(grew < SLACK_BYTES, type + ": " + OPS + " operations allocated " + grew + " bytes");
        }
    }

    private static long run(BpfMap m, Rcu rcu, int worker, long k, long v, int ops) {
        long sum = 0;
        boolean hash = m.supportsDelete();
        for (int i = 0; i < ops; i++) {
            Native.putInt(k, (i >>> 2) & 1023); // one update, then lookups (or a delete and insert) of that key
            Native.putLong(v, i);
            int cpu = i & 1;
            if ((i & 3) == 0) {
                assertEquals(0, m.update(k, v, MapFlags.BPF_ANY, cpu));
            } else if (hash && (i & 63) == 1) {
                m.delete(k, cpu);
                assertEquals(0, m.update(k, v, MapFlags.BPF_NOEXIST, cpu));
            } else {
                long addr = m.lookup(k, cpu);
                if (addr != 0) {
                    sum += Native.getLong(addr) + 1;
                }
            }
            if ((i & 15) == 0) {
                rcu.quiescent(worker); // between "packets"
            }
        }
        return sum;
    }

    /**
     * com.sun.management.ThreadMXBean.getThreadAllocatedBytes, reached reflectively: the test is
     * compiled inside module io.jxdp.dataplane, which does not read jdk.management, and runs on the
     * class path, where it is accessible.
     */
    static final class AllocationCounter {
        private final Object bean;
        private final Method allocated;

        AllocationCounter() {
            try {
                bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
                Class<?> itf = Class.forName("com.sun.management.ThreadMXBean");
                assertTrue((boolean) itf.getMethod("isThreadAllocatedMemorySupported").invoke(bean));
                itf.getMethod("setThreadAllocatedMemoryEnabled", boolean.class).invoke(bean, true);
                allocated = itf.getMethod("getThreadAllocatedBytes", long.class);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("no thread allocation counter in this JVM", e);
            }
        }

        long allocatedBytes() {
            try {
                return (long) allocated.invoke(bean, Thread.currentThread().threadId());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
