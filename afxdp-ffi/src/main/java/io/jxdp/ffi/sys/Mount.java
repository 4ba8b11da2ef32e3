package io.jxdp.ffi.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * mount(2) and umount2(2), for the private bpffs instances that pinning needs (this machine does
 * not mount {@code /sys/fs/bpf}; tests mount one on a temporary directory and unmount it after).
 */
public final class Mount {
    private Mount() {}

    /** umount2(2) flag, include/linux/fs.h: detach now, clean up when no longer busy. */
    public static final int MNT_DETACH = 2;

    private static final MethodHandle MOUNT = LibC.downcallErrno("mount", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    private static final MethodHandle UMOUNT2 = LibC.downcallErrno("umount2", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    /** mount(2) of a filesystem without a backing device, e.g. {@code mount("bpffs", dir, "bpf", 0)}. */
    public static void mount(String source, String target, String fsType, long flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.newErrnoCapture(arena);
            int rc = (int) MOUNT.invokeExact(capture, arena.allocateFrom(source), arena.allocateFrom(target),
                    arena.allocateFrom(fsType), flags, MemorySegment.NULL);
            if (rc != 0) {
                throw new NativeException("mount(" + fsType + " on " + target + ")", LibC.errno(capture));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** umount2(2) of {@code target} with {@code flags} (0 or {@link #MNT_DETACH}). */
    public static void unmount(String target, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.newErrnoCapture(arena);
            int rc = (int) UMOUNT2.invokeExact(capture, arena.allocateFrom(target), flags);
            if (rc != 0) {
                throw new NativeException("umount2(" + target + ")", LibC.errno(capture));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
