package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;

/**
 * com.sun.management.ThreadMXBean.getThreadAllocatedBytes, reached reflectively: the test is
 * compiled inside module io.jxdp.dataplane, which does not read jdk.management, and runs on the
 * class path, where it is accessible.
 */
public final class AllocationCounter {
    private final Object bean;
    private final Method allocated;

    public AllocationCounter() {
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

    /** Bytes the calling thread has allocated so far. */
    public long allocatedBytes() {
        return allocatedBytes(Thread.currentThread().threadId());
    }

    /** Bytes the thread with this id has allocated so far. */
    public long allocatedBytes(long threadId) {
        try {
            return (long) allocated.invoke(bean, threadId);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
