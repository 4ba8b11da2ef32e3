package io.jxdp.ffi.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.packet.PacketRingSocket;
import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.LibC;
import io.jxdp.ffi.sys.NativeException;
import io.jxdp.ffi.xdp.Umem;
import io.jxdp.ffi.xdp.XdpSocket;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Missing privilege gives a clear error. Linux capabilities are per thread, so a throwaway thread
 * drops CAP_NET_RAW from its effective set with capset(2) (include/uapi/linux/capability.h) and
 * tries to open each driver; the rest of the JVM keeps its privileges.
 */
class PrivilegeTest {
    private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    private static final int CAP_NET_RAW = 13;
    private static final MethodHandle CAPGET = LibC.downcallErrno("capget",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final MethodHandle CAPSET = LibC.downcallErrno("capset",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));

    /** Clears CAP_NET_RAW from the calling thread's effective set. */
    private static void dropNetRaw() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment header = arena.allocate(8, 4);
            header.set(ValueLayout.JAVA_INT, 0, LINUX_CAPABILITY_VERSION_3);
            header.set(ValueLayout.JAVA_INT, 4, 0); // pid 0: the calling thread
            MemorySegment data = arena.allocate(24, 4); // two {effective, permitted, inheritable}
            MemorySegment capture = LibC.newErrnoCapture(arena);
            if ((int) CAPGET.invokeExact(capture, header, data) != 0) {
                throw new NativeException("capget", LibC.errno(capture));
            }
            data.set(ValueLayout.JAVA_INT, 0, data.get(ValueLayout.JAVA_INT, 0) & ~(1 << CAP_NET_RAW));
            if ((int) CAPSET.invokeExact(capture, header, data) != 0) {
                throw new NativeException("capset", LibC.errno(capture));
            }
        }
    }

    @Test
    void withoutCapNetRawBothDriversFailSayingWhatIsMissing() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try (Umem umem = Umem.allocate(64, 2048, 0)) {
                dropNetRaw();
                NativeException p = assertThrows(NativeException.class,
                        () -> PacketRingSocket.open("lo", PacketRingSocket.Config.defaults()));
                assertEquals(Errno.EPERM, p.errno());
                assertTrue(p.getMessage().contains("\"lo\"") && p.getMessage().contains("CAP_NET_RAW"), p.getMessage());
                NativeException x = assertThrows(NativeException.class,
                        () -> XdpSocket.open(umem, "lo", 0, XdpSocket.Config.defaults().withFrames(32)));
                assertEquals(Errno.EPERM, x.errno());
                assertTrue(x.getMessage().contains("\"lo\"") && x.getMessage().contains("root"), x.getMessage());
                assertEquals(64, umem.unclaimedFrames());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.join(20_000);
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        // This thread still has the capability: the same open works (no interface touched).
        int fd = Sockets.socket(Sockets.AF_PACKET, Sockets.SOCK_RAW, 0, "control");
        io.jxdp.ffi.sys.FileDescriptors.close(fd);
        assertTrue(fd >= 0);
    }
}
