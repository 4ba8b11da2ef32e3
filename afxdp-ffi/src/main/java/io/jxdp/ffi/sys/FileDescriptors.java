package io.jxdp.ffi.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** close(2) and friends for the raw file descriptors that bpf(2), AF_XDP and AF_PACKET hand out. */
public final class FileDescriptors {
    private FileDescriptors() {}

    private static final MethodHandle CLOSE = LibC.downcallErrno("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    /** Closes {@code fd}; EINTR is not retried (Linux releases the descriptor anyway). */
    public static void close(int fd) {
        if (fd < 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.newErrnoCapture(arena);
            int rc = (int) CLOSE.invokeExact(capture, fd);
            if (rc != 0 && LibC.errno(capture) != Errno.EINTR) {
                throw new NativeException("close(" + fd + ")", LibC.errno(capture));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
