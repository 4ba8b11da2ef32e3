package io.jxdp.ffi.net;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.LibC;
import io.jxdp.ffi.sys.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * socket(2), bind(2), setsockopt/getsockopt, ioctl and the non-blocking wakeups the drivers need.
 *
 * <p>Control-plane calls throw {@link NativeException} naming what failed; the data-path calls
 * ({@link #kick}, {@link #poll}) take a caller-owned errno capture and pollfd segment, allocate
 * nothing, and return {@code -errno} instead of throwing, as Netty's {@code Errors.ioResult} does,
 * because EAGAIN and friends are flow control there, not failures.
 */
public final class Sockets {
    private Sockets() {}

    // include/linux/socket.h, include/linux/net.h
    public static final int AF_INET = 2;
    public static final int AF_PACKET = 17;
    public static final int AF_XDP = 44;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_RCVBUF = 8;
    public static final int SO_SNDBUF = 7;
    public static final int MSG_DONTWAIT = 0x40;
    // include/uapi/asm-generic/poll.h
    public static final short POLLIN = 0x1;
    public static final short POLLOUT = 0x4;
    // errno values that mean "try again later" on the data path
    public static final int ENOBUFS = 105;
    public static final int ENETDOWN = 100;
    public static final int ENXIO = 6;

    private static final MethodHandle SOCKET = LibC.downcallErrno("socket",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle BIND = LibC.downcallErrno("bind",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle SETSOCKOPT = LibC.downcallErrno("setsockopt",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle GETSOCKOPT = LibC.downcallErrno("getsockopt",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final MethodHandle IOCTL = LibC.downcallErrno("ioctl",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    private static final MethodHandle SENDTO = LibC.downcallErrno("sendto",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle RECVFROM = LibC.downcallErrno("recvfrom",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final MethodHandle POLL = LibC.downcallErrno("poll",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));

    /** struct pollfd {int fd; short events; short revents;} — 8 bytes. */
    public static final long POLLFD_SIZE = 8;

    /** socket(2) with SOCK_CLOEXEC; {@code what} names the socket in the error. */
    public static int socket(int domain, int type, int protocol, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.newErrnoCapture(arena);
            int fd = (int) SOCKET.invokeExact(capture, domain, type | SOCK_CLOEXEC, protocol);
            if (fd < 0) {
                int errno = LibC.errno(capture);
                throw new NativeException("socket(" + what + ")" + privilegeHint(errno), errno);
            }
            return fd;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** bind(2) to the sockaddr in {@code addr}. */
    public static void bind(int fd, MemorySegment addr, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.newErrnoCapture(arena);
            int rc = (int) BIND.invokeExact(capture, fd, addr, (int) addr.byteSize());
            if (rc != 0) {
                throw new NativeException("bind(" + what + ")", LibC.errno(capture));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** setsockopt(2) with the whole of {@code value} as the option. */
    public static void setsockopt(int fd, int level, int name, MemorySegment value, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.newErrnoCapture(arena);
            int rc = (int) SETSOCKOPT.invokeExact(capture, fd, level, name, value, (int) value.byteSize());
            if (rc != 0) {
                throw new NativeException("setsockopt(" + what + ")", LibC.errno(capture));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** setsockopt(2) of one int. */
    public static void setsockoptInt(int fd, int level, int name, int value, String what) {
        try (Arena arena = Arena.ofConfined()) {
            setsockopt(fd, level, name, arena.allocateFrom(ValueLayout.JAVA_INT, value), what);
        }
    }

    /** getsockopt(2) into {@code out}; returns the length the kernel wrote. */
    public static int getsockopt(int fd, int level, int name, MemorySegment out, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.newErrnoCapture(arena);
            MemorySegment len = arena.allocateFrom(ValueLayout.JAVA_INT, (int) out.byteSize());
            int rc = (int) GETSOCKOPT.invokeExact(capture, fd, level, name, out, len);
            if (rc != 0) {
                throw new NativeException("getsockopt(" + what + ")", LibC.errno(capture));
            }
            return len.get(ValueLayout.JAVA_INT, 0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** ioctl(2) with a pointer argument; returns 0 or {@code -errno}. */
    public static int ioctl(int fd, long request, MemorySegment arg) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.newErrnoCapture(arena);
            int rc = (int) IOCTL.invokeExact(capture, fd, request, arg);
            return rc < 0 ? -LibC.errno(capture) : rc;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * {@code sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0)}: the TX kick of AF_XDP and of an AF_PACKET
     * TX ring. Returns the syscall result or {@code -errno}; allocates nothing.
     */
    public static long kick(int fd, MemorySegment capture) {
        try {
            long rc = (long) SENDTO.invokeExact(capture, fd, MemorySegment.NULL, 0L, MSG_DONTWAIT, MemorySegment.NULL, 0);
            return rc < 0 ? -LibC.errno(capture) : rc;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code send(fd, buf, len, flags)} of bytes in {@code buf}; returns bytes sent or {@code -errno}. */
    public static long send(int fd, MemorySegment buf, long len, int flags, MemorySegment capture) {
        try {
            long rc = (long) SENDTO.invokeExact(capture, fd, buf, len, flags, MemorySegment.NULL, 0);
            return rc < 0 ? -LibC.errno(capture) : rc;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code recv(fd, buf, buf.byteSize(), flags)}; returns the length or {@code -errno}. */
    public static long recv(int fd, MemorySegment buf, int flags, MemorySegment capture) {
        try {
            long rc = (long) RECVFROM.invokeExact(capture, fd, buf, buf.byteSize(), flags, MemorySegment.NULL, MemorySegment.NULL);
            return rc < 0 ? -LibC.errno(capture) : rc;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * poll(2) on one descriptor using the caller's 8-byte {@code pollfd}; returns the number of
     * ready descriptors (0 on timeout) or {@code -errno}.
     */
    public static int poll(int fd, short events, int timeoutMillis, MemorySegment pollfd, MemorySegment capture) {
        pollfd.set(ValueLayout.JAVA_INT, 0, fd);
        pollfd.set(ValueLayout.JAVA_SHORT, 4, events);
        pollfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
        try {
            int rc = (int) POLL.invokeExact(capture, pollfd, 1L, timeoutMillis);
            return rc < 0 ? -LibC.errno(capture) : rc;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** True for the errno values a data-path wakeup may return that only mean "later". */
    public static boolean isTransient(int errno) {
        return errno == Errno.EAGAIN || errno == Errno.EBUSY || errno == ENOBUFS || errno == Errno.EINTR
                || errno == ENETDOWN;
    }

    /** A short explanation appended to errors a missing capability causes. */
    public static String privilegeHint(int errno) {
        return errno == Errno.EPERM || errno == Errno.EACCES
                ? " [needs CAP_NET_RAW/CAP_NET_ADMIN (and CAP_BPF for AF_XDP programs): run as root]"
                : "";
    }
}
