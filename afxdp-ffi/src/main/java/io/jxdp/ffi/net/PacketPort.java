package io.jxdp.ffi.net;

import java.lang.foreign.MemorySegment;

/**
 * One queue of one interface as a dataplane sees it, whichever kernel driver is underneath
 * (AF_XDP or AF_PACKET). Single-threaded: one thread drives a port. None of the methods
 * allocates per frame.
 */
public interface PacketPort extends AutoCloseable {
    /** Which driver and mode this port runs on, e.g. {@code af_xdp copy} or {@code af_packet tpacket_v3}. */
    String driver();

    /** The interface and queue this port is bound to. */
    String interfaceName();

    int queueId();

    /**
     * Hands up to {@code limit} received frames to {@code handler}, in arrival order, and returns
     * their number (0 when nothing is waiting; never blocks).
     */
    int receive(FrameHandler handler, int limit);

    /**
     * Copies {@code length} bytes at {@code offset} of {@code source} into a TX slot. Returns false,
     * copying nothing, when every TX slot is in flight; {@link #flush()} and try again.
     * The frame is queued, not yet visible to the kernel, until {@link #flush()}.
     */
    boolean send(MemorySegment source, long offset, int length);

    /**
     * Publishes the queued TX frames to the kernel, wakes it if needed, and reclaims slots the
     * kernel finished with. Returns the number of frames published by this call.
     */
    int flush();

    /** Frames handed to the kernel for TX whose slots have not come back yet. */
    int txInFlight();

    /**
     * Waits up to {@code timeoutMillis} for a frame to arrive (poll(2)); returns true if one may
     * be ready. For idle strategies, not for the busy path.
     */
    boolean awaitReceive(int timeoutMillis);

    @Override
    void close();
}
