package io.jxdp.ffi.net;

import io.jxdp.ffi.sys.FileDescriptors;
import io.jxdp.ffi.sys.LibC;
import io.jxdp.ffi.sys.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A plain (unmapped) AF_PACKET socket for one EtherType on one interface: the independent
 * witness the driver tests send to and receive from, so a driver is never checked by itself.
 */
public final class RawSocket implements AutoCloseable {
    private final int fd;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment capture = LibC.newErrnoCapture(arena);
    private final MemorySegment pollfd = arena.allocate(Sockets.POLLFD_SIZE, 8);
    private final MemorySegment buffer = arena.allocate(65536, 64);

    /** Opens in the calling thread's namespace, bound to {@code ifname} and {@code etherType}. */
    public RawSocket(String ifname, int etherType) {
        int ifindex = Link.ifindex(ifname);
        int proto = Short.toUnsignedInt(Short.reverseBytes((short) etherType));
        fd = Sockets.socket(Sockets.AF_PACKET, Sockets.SOCK_RAW, proto, "test witness on " + ifname);
        try {
            Sockets.setsockoptInt(fd, Sockets.SOL_SOCKET, Sockets.SO_RCVBUF, 32 << 20, "SO_RCVBUF");
            MemorySegment sll = arena.allocate(20, 4);
            sll.set(ValueLayout.JAVA_SHORT, 0, (short) Sockets.AF_PACKET);
            sll.set(ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) etherType);
            sll.set(ValueLayout.JAVA_INT, 4, ifindex);
            Sockets.bind(fd, sll, "test witness on " + ifname);
        } catch (RuntimeException e) {
            FileDescriptors.close(fd);
            arena.close();
            throw e;
        }
    }

    /** Waits up to {@code timeoutMillis} for one frame; returns its bytes or null on timeout. */
    public byte[] receive(int timeoutMillis) {
        int rc = Sockets.poll(fd, Sockets.POLLIN, timeoutMillis, pollfd, capture);
        if (rc < 0) {
            throw new NativeException("poll(test witness)", -rc);
        }
        if (rc == 0) {
            return null;
        }
        long n = Sockets.recv(fd, buffer, Sockets.MSG_DONTWAIT, capture);
        if (n < 0) {
            throw new NativeException("recv(test witness)", (int) -n);
        }
        return buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Sends one frame (blocking); the frame's bytes are the full Ethernet frame. */
    public void send(byte[] frame) {
        MemorySegment.copy(frame, 0, buffer, ValueLayout.JAVA_BYTE, 0, frame.length);
        long n = Sockets.send(fd, buffer, frame.length, 0, capture);
        if (n != frame.length) {
            throw new NativeException("send(test witness, " + frame.length + " bytes) returned " + n, n < 0 ? (int) -n : 0);
        }
    }

    @Override
    public void close() {
        FileDescriptors.close(fd);
        arena.close();
    }
}
