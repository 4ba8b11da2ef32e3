package io.jxdp.ffi.xdp;

import java.lang.foreign.MemorySegment;

/**
 * Decides, for one received frame, whether {@link XdpSocket#forward} transmits it in place (the
 * XDP_TX of an AF_XDP dataplane): the handler may rewrite the {@code length} bytes at
 * {@code address} of {@code umem} (the RX frame itself, no copy) and returns how many bytes from
 * {@code address} to transmit, or {@link #DROP} to give the frame back to the kernel for receive.
 * Primitives and a long-lived segment only, so that forwarding allocates nothing.
 *
 * <p>{@code umem} is the whole address space and {@code address} absolute (plain loads and stores
 * once inlined), unless the JVM runs with {@code -Djxdp.afxdp.checked=true}: then the UMEM's
 * bounded segment and the UMEM address. The socket has checked that {@code [address, address +
 * length)} is inside the UMEM; up to {@link XdpSocket#forwardRoom(long)} bytes from {@code address}
 * are the frame's; anything else is another frame's or not the UMEM at all.
 */
@FunctionalInterface
public interface ForwardHandler {
    /** The verdict that returns the frame to the fill ring instead of transmitting it. */
    int DROP = 0;

    /**
     * @return bytes to transmit, 1..{@link XdpSocket#forwardRoom(long)} of this frame, or {@link #DROP}
     */
    int onFrame(MemorySegment umem, long address, int length);
}
