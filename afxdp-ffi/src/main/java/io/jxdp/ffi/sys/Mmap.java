package io.jxdp.ffi.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Anonymous and file-backed memory mappings. Anonymous mappings cost nothing until a page is
 * touched, which is why large eBPF maps (a Katran ring of 512 x 65537 u32 is 134 MB) are backed by
 * them rather than by {@code Arena.allocate}, which zeroes, and so touches, every page.
 */
public final class Mmap {
    private Mmap() {}

    // include/uapi/asm-generic/mman-common.h
    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MAP_POPULATE = 0x8000;
    private static final long MAP_FAILED = -1L;

    private static final MethodHandle MMAP = LibC.downcallErrno("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle MUNMAP = LibC.downcallErrno("munmap", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));

    /**
     * Maps {@code size} bytes of zeroed, private, anonymous memory, reserved lazily (pages are
     * unmapped until first touched). Free it with {@link #unmap(MemorySegment)}.
     */
    public static MemorySegment anonymous(long size) {
        return map(size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    }

    /** mmap(2) of a file descriptor or anonymous memory; throws {@link NativeException} on failure. */
    public static MemorySegment map(long size, int prot, int flags, int fd, long offset) {
        if (size <= 0) {
            throw new IllegalArgumentException("mmap size must be positive: " + size);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.newErrnoCapture(arena);
            MemorySegment addr = (MemorySegment) MMAP.invokeExact(capture, MemorySegment.NULL, size, prot, flags, fd, offset);
            if (addr.address() == MAP_FAILED) {
                throw new NativeException("mmap(" + size + " bytes)", LibC.errno(capture));
            }
            return addr.reinterpret(size);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** munmap(2) of a segment returned by this class. */
    public static void unmap(MemorySegment segment) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.newErrnoCapture(arena);
            int rc = (int) MUNMAP.invokeExact(capture, segment, segment.byteSize());
            if (rc != 0) {
                throw new NativeException("munmap(" + segment.byteSize() + " bytes)", LibC.errno(capture));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
