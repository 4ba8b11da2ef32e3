package io.jxdp.ebpf.xdp;

import io.jxdp.ffi.sys.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The kernel clocks the time helpers read, through {@code clock_gettime(2)} into a buffer owned by
 * the caller (one per engine, so a read allocates nothing).
 */
final class Clocks {
    /** CLOCK_MONOTONIC: ktime_get_ns(). */
    static final int MONOTONIC = 1;
    /** CLOCK_MONOTONIC_COARSE: its resolution is one jiffy (TICK_NSEC). */
    static final int MONOTONIC_COARSE = 6;
    /** CLOCK_BOOTTIME: ktime_get_boot_ns(). */
    static final int BOOTTIME = 7;

    private static final MethodHandle CLOCK_GETTIME = LibC.downcall("clock_gettime",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    private static final MethodHandle CLOCK_GETRES = LibC.downcall("clock_getres",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));

    /** CONFIG_HZ of the running kernel: 1 s / the resolution of CLOCK_MONOTONIC_COARSE (one tick). */
    static final long HZ = hz();
    /**
     * INITIAL_JIFFIES (include/linux/jiffies.h): jiffies start 300 s before the 32-bit wrap, so
     * jiffies_64 = 2^32 - 300 * HZ + ticks since boot.
     */
    static final long INITIAL_JIFFIES = (1L << 32) - 300 * HZ;

    private Clocks() {
    }

    /** Nanoseconds of {@code clock}, using {@code timespec} (16 bytes) as the out buffer. */
    static long nanos(int clock, MemorySegment timespec) {
        int rc;
        try {
            rc = (int) CLOCK_GETTIME.invokeExact(clock, timespec);
        } catch (Throwable t) {
            throw new IllegalStateException("clock_gettime(" + clock + ") failed", t);
        }
        if (rc != 0) {
            throw new IllegalStateException("clock_gettime(" + clock + ") returned " + rc);
        }
        return timespec.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + timespec.get(ValueLayout.JAVA_LONG, 8);
    }

    /** bpf_jiffies64(): jiffies_64 derived from CLOCK_MONOTONIC and the kernel's HZ. */
    static long jiffies64(MemorySegment timespec) {
        return INITIAL_JIFFIES + nanos(MONOTONIC, timespec) / (1_000_000_000L / HZ);
    }

    private static long hz() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ts = a.allocate(16, 8);
            int rc = (int) CLOCK_GETRES.invokeExact(MONOTONIC_COARSE, ts);
            long res = ts.get(ValueLayout.JAVA_LONG, 8) + ts.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L;
            if (rc != 0 || res <= 0 || res > 1_000_000_000L) {
                return 250; // a common CONFIG_HZ; only the jiffies64 helper uses it
            }
            return Math.max(1, 1_000_000_000L / res);
        } catch (Throwable t) {
            return 250;
        }
    }
}
