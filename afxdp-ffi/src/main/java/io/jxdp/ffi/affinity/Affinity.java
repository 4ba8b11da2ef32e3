package io.jxdp.ffi.affinity;

import io.jxdp.ffi.sys.LibC;
import io.jxdp.ffi.sys.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.BitSet;

/**
 * CPU affinity of the calling OS thread via sched_setaffinity(2) / sched_getaffinity(2) with
 * pid 0, which Linux reads as "the calling thread" (not the whole process). Call it from the
 * platform thread that runs a dataplane worker, before its loop starts.
 */
public final class Affinity {
    private Affinity() {}

    /** sizeof(cpu_set_t) in glibc: 1024 CPUs. */
    static final int CPU_SET_BYTES = 128;

    private static final MethodHandle SET = LibC.downcallErrno("sched_setaffinity",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    private static final MethodHandle GET = LibC.downcallErrno("sched_getaffinity",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));

    /** Pins the calling thread to {@code cpu}. */
    public static void pinCurrentThread(int cpu) {
        BitSet set = new BitSet();
        set.set(cpu);
        setCurrentThread(set);
    }

    /** Restricts the calling thread to the CPUs in {@code cpus}. */
    public static void setCurrentThread(BitSet cpus) {
        if (cpus.isEmpty() || cpus.length() > CPU_SET_BYTES * 8) {
            throw new IllegalArgumentException("CPU set must name CPUs 0.." + (CPU_SET_BYTES * 8 - 1) + ": " + cpus);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(CPU_SET_BYTES, 8);
            byte[] bytes = cpus.toByteArray(); // little-endian bit order, as cpu_set_t on x86-64
            MemorySegment.copy(bytes, 0, mask, ValueLayout.JAVA_BYTE, 0, bytes.length);
            MemorySegment capture = LibC.newErrnoCapture(arena);
            int rc = (int) SET.invokeExact(capture, 0, (long) CPU_SET_BYTES, mask);
            if (rc != 0) {
                throw new NativeException("sched_setaffinity(calling thread, CPUs " + cpus
                        + ", online CPUs " + Runtime.getRuntime().availableProcessors() + ")", LibC.errno(capture));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The CPUs the calling thread may run on. */
    public static BitSet currentThread() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(CPU_SET_BYTES, 8);
            MemorySegment capture = LibC.newErrnoCapture(arena);
            int rc = (int) GET.invokeExact(capture, 0, (long) CPU_SET_BYTES, mask);
            if (rc != 0) {
                throw new NativeException("sched_getaffinity(calling thread)", LibC.errno(capture));
            }
            return BitSet.valueOf(mask.toArray(ValueLayout.JAVA_BYTE));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
