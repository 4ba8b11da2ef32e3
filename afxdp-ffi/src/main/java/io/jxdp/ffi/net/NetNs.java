package io.jxdp.ffi.net;

import io.jxdp.ffi.sys.FileDescriptors;
import io.jxdp.ffi.sys.LibC;
import io.jxdp.ffi.sys.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Moves the calling thread into a network namespace with setns(2), as {@code ip netns exec} does,
 * and back again on {@link Scope#close()}. Only the calling OS thread moves: the rest of the JVM
 * stays where it is. Sockets keep the namespace they were created in, so a driver may open its
 * sockets inside a scope and use them from any thread afterwards.
 *
 * <p>Use from platform threads only: a virtual thread may change carrier between enter and close.
 * Threads started while inside a scope inherit the namespace (clone(2) copies the creating
 * thread's namespaces), which is how a driver thread can be born inside one.
 */
public final class NetNs {
    private NetNs() {}

    // include/uapi/linux/sched.h
    static final int CLONE_NEWNET = 0x40000000;
    // include/uapi/asm-generic/fcntl.h
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;

    private static final MethodHandle OPEN = LibC.downcallErrno("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle SETNS = LibC.downcallErrno("setns",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    /** The calling thread's stay in a namespace; closing returns it to where it was. */
    public static final class Scope implements AutoCloseable {
        private final Thread owner = Thread.currentThread();
        private int previous;

        Scope(int previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            if (previous < 0) {
                return;
            }
            if (Thread.currentThread() != owner) {
                throw new IllegalStateException("netns scope closed on " + Thread.currentThread() + ", entered on " + owner);
            }
            int fd = previous;
            previous = -1;
            try {
                setns(fd, "the previous network namespace");
            } finally {
                FileDescriptors.close(fd);
            }
        }
    }

    /** Enters the namespace {@code ip netns add NAME} made (/var/run/netns/NAME). */
    public static Scope enter(String name) {
        return enter(Path.of("/var/run/netns", name));
    }

    /** Enters the namespace whose nsfs file is {@code path} (e.g. /proc/PID/ns/net). */
    public static Scope enter(Path path) {
        int previous = open(Path.of("/proc/thread-self/ns/net"));
        try {
            int target = open(path);
            try {
                setns(target, path.toString());
            } finally {
                FileDescriptors.close(target);
            }
            return new Scope(previous);
        } catch (RuntimeException e) {
            FileDescriptors.close(previous);
            throw e;
        }
    }

    private static int open(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.newErrnoCapture(arena);
            int fd = (int) OPEN.invokeExact(capture, arena.allocateFrom(path.toString()), O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                throw new NativeException("open(network namespace " + path + ")", LibC.errno(capture));
            }
            return fd;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void setns(int fd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.newErrnoCapture(arena);
            int rc = (int) SETNS.invokeExact(capture, fd, CLONE_NEWNET);
            if (rc != 0) {
                int errno = LibC.errno(capture);
                throw new NativeException("setns(" + what + ")" + Sockets.privilegeHint(errno), errno);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
