package io.jxdp.ffi.xdp;

import io.jxdp.ffi.net.Sockets;
import io.jxdp.ffi.sys.Mmap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An AF_XDP UMEM: one mmap'd area cut into equal frames (aligned mode: {@code frameSize} is 2048
 * or 4096 and a frame's base is its address with the low bits cleared). It is registered with
 * XDP_UMEM_REG on the first {@link XdpSocket} opened on it; later sockets (other queues) bind
 * with XDP_SHARED_UMEM to that socket and take their own contiguous slice of frames, so each
 * socket's thread owns its frames and no frame is shared between threads.
 *
 * <p>UMEM addresses are byte offsets into {@link #memory()}. {@code headroom} bytes at the start
 * of every frame are kept free by the kernel on receive (after its own XDP_PACKET_HEADROOM) and
 * by {@link XdpSocket#send} on transmit, so a program can grow the frame at the front.
 */
public final class Umem implements AutoCloseable {
    private final MemorySegment memory;
    private final int frameSize;
    private final int frameCount;
    private final int headroom;
    private final long frameMask;
    private int nextFreeFrame;
    private int openSockets;
    /** The socket that registered the UMEM; -1 until one did. */
    private int ownerFd = -1;
    private boolean ownerNeedsWakeup;
    private boolean closed;

    private Umem(MemorySegment memory, int frameSize, int frameCount, int headroom) {
        this.memory = memory;
        this.frameSize = frameSize;
        this.frameCount = frameCount;
        this.headroom = headroom;
        this.frameMask = ~((long) frameSize - 1);
    }

    /**
     * Maps {@code frameCount * frameSize} bytes (populated, so the data path takes no page fault).
     *
     * @param frameSize 2048 or 4096 (aligned chunk mode)
     * @param headroom  bytes kept free before frame data; at most frameSize - 256 - 128
     */
    public static Umem allocate(int frameCount, int frameSize, int headroom) {
        if (frameSize != 2048 && frameSize != 4096) {
            throw new IllegalArgumentException("UMEM frame size must be 2048 or 4096 (aligned mode): " + frameSize);
        }
        if (frameCount <= 0) {
            throw new IllegalArgumentException("UMEM frame count must be positive: " + frameCount);
        }
        if (headroom < 0 || headroom > frameSize - IfXdp.XDP_PACKET_HEADROOM - 128) {
            throw new IllegalArgumentException("UMEM headroom " + headroom + " leaves no room in a " + frameSize
                    + "-byte frame (the kernel keeps " + IfXdp.XDP_PACKET_HEADROOM + " more)");
        }
        long size = (long) frameCount * frameSize;
        MemorySegment memory = Mmap.map(size, Mmap.PROT_READ | Mmap.PROT_WRITE,
                Mmap.MAP_PRIVATE | Mmap.MAP_ANONYMOUS | Mmap.MAP_POPULATE, -1, 0);
        return new Umem(memory, frameSize, frameCount, headroom);
    }

    /** The whole UMEM; frame data lives at the UMEM addresses the rings carry. */
    public MemorySegment memory() {
        return memory;
    }

    public int frameSize() {
        return frameSize;
    }

    public int frameCount() {
        return frameCount;
    }

    public int headroom() {
        return headroom;
    }

    /** UMEM address of the start of frame {@code frameIndex}. */
    public long frameAddress(int frameIndex) {
        return (long) frameIndex * frameSize;
    }

    /** Which frame a UMEM address (e.g. from an RX descriptor) falls in. */
    public int frameIndex(long address) {
        return (int) (address / frameSize);
    }

    /** The start of the frame that contains {@code address}. */
    public long frameBase(long address) {
        return address & frameMask;
    }

    /** Frames not yet given to any socket. */
    public synchronized int unclaimedFrames() {
        return frameCount - nextFreeFrame;
    }

    /** Gives a socket {@code n} frames; returns the first frame index of the slice. */
    synchronized int claim(int n) {
        if (closed) {
            throw new IllegalStateException("UMEM closed");
        }
        if (n <= 0 || n > frameCount - nextFreeFrame) {
            throw new IllegalArgumentException("socket asks for " + n + " UMEM frames, " + (frameCount - nextFreeFrame)
                    + " of " + frameCount + " left");
        }
        int first = nextFreeFrame;
        nextFreeFrame += n;
        openSockets++;
        return first;
    }

    /** Undoes {@link #claim} of a socket that failed to open. */
    synchronized void unclaim(int first, int n) {
        if (first + n == nextFreeFrame) {
            nextFreeFrame = first;
        }
        openSockets--;
    }

    /** Socket close: the frames stay with the UMEM, unusable until the UMEM is closed. */
    synchronized void released(int fd) {
        openSockets--;
        if (fd >= 0 && fd == ownerFd) { // fd -1: a MemoryKernel socket, never the owner
            ownerFd = -2; // the registration died with its socket; no more sockets may share it
        }
    }

    /** The registering socket's fd, or -1 if the next socket must register. */
    synchronized int ownerFd() {
        if (ownerFd == -2) {
            throw new IllegalStateException("the socket that registered this UMEM is closed; allocate a new UMEM");
        }
        return ownerFd;
    }

    /** XDP_UMEM_REG on {@code fd}. */
    synchronized void register(int fd, String where) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment reg = arena.allocate(IfXdp.UMEM_REG_SIZE, 8);
            reg.set(ValueLayout.JAVA_LONG, IfXdp.UMEM_REG_ADDR, memory.address());
            reg.set(ValueLayout.JAVA_LONG, IfXdp.UMEM_REG_LEN, memory.byteSize());
            reg.set(ValueLayout.JAVA_INT, IfXdp.UMEM_REG_CHUNK_SIZE, frameSize);
            reg.set(ValueLayout.JAVA_INT, IfXdp.UMEM_REG_HEADROOM, headroom);
            Sockets.setsockopt(fd, IfXdp.SOL_XDP, IfXdp.XDP_UMEM_REG, reg, "XDP_UMEM_REG " + memory.byteSize()
                    + " bytes, frame " + frameSize + ", headroom " + headroom + ", " + where);
        }
    }

    synchronized void owner(int fd, boolean needWakeup) {
        ownerFd = fd;
        ownerNeedsWakeup = needWakeup;
    }

    /** Whether the registering socket bound with XDP_USE_NEED_WAKEUP (sharing sockets inherit it). */
    synchronized boolean ownerNeedsWakeup() {
        return ownerNeedsWakeup;
    }

    /** Unmaps the UMEM; every socket on it must be closed first. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (openSockets > 0) {
            throw new IllegalStateException(openSockets + " AF_XDP socket(s) still use this UMEM; close them first");
        }
        closed = true;
        Mmap.unmap(memory);
    }
}
