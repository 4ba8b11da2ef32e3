package io.jxdp.ebpf.kernel;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.LibC;
import io.jxdp.ffi.sys.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The calling thread's CPU affinity, through glibc's {@code sched_getaffinity} /
 * {@code sched_setaffinity} (sched_setaffinity(2): pid 0 is the calling thread). The kernel engine
 * pins its thread to CPU 0 for each test run so per-CPU map slots land where jxdp's engines put
 * them. A minimal private copy: when {@code io.jxdp.ffi.affinity} reaches main, use that instead.
 */
final class CpuAffinity {
    private CpuAffinity() {}

    /** sizeof(cpu_set_t) in glibc: CPU_SETSIZE 1024 bits (bits/cpu-set.h). */
    static final int CPU_SET_BYTES = 128;

    private static final MethodHandle GET = LibC.downcallErrno("sched_getaffinity",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    private static final MethodHandle SET = LibC.downcallErrno("sched_setaffinity",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));

    /** The calling thread's current mask, {@link #CPU_SET_BYTES} bytes, bit n = CPU n. */
    static byte[] get() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(CPU_SET_BYTES, 8);
            MemorySegment capture = LibC.newErrnoCapture(arena);
            int rc = (int) GET.invokeExact(capture, 0, (long) CPU_SET_BYTES, mask);
            if (rc != 0) {
                throw new NativeException("sched_getaffinity(calling thread)", LibC.errno(capture));
            }
            return mask.toArray(ValueLayout.JAVA_BYTE);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sets the calling thread's mask ({@link #CPU_SET_BYTES} bytes or fewer). */
    static void set(byte[] mask) {
        if (mask.length == 0 || mask.length > CPU_SET_BYTES) {
            throw new IllegalArgumentException("cpu mask of " + mask.length + " bytes, want 1.." + CPU_SET_BYTES);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(CPU_SET_BYTES, 8);
            MemorySegment.copy(mask, 0, m, ValueLayout.JAVA_BYTE, 0, mask.length);
            MemorySegment capture = LibC.newErrnoCapture(arena);
            int rc = (int) SET.invokeExact(capture, 0, (long) CPU_SET_BYTES, m);
            if (rc != 0) {
                int errno = LibC.errno(capture);
                throw new NativeException("sched_setaffinity(calling thread" + (errno == Errno.EINVAL
                        ? ", no allowed CPU in the mask" : "") + ")", errno);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A mask holding only {@code cpu}. */
    static byte[] only(int cpu) {
        if (cpu < 0 || cpu >= CPU_SET_BYTES * 8) {
            throw new IllegalArgumentException("cpu " + cpu + " outside 0.." + (CPU_SET_BYTES * 8 - 1));
        }
        byte[] mask = new byte[CPU_SET_BYTES];
        mask[cpu >>> 3] = (byte) (1 << (cpu & 7));
        return mask;
    }

    /** The CPU the calling thread runs on now (sched_getcpu(3)). */
    static int current() {
        try {
            return (int) GETCPU.invokeExact();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static final MethodHandle GETCPU = LibC.downcall("sched_getcpu", FunctionDescriptor.of(ValueLayout.JAVA_INT));
}
