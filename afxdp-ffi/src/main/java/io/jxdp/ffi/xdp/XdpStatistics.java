package io.jxdp.ffi.xdp;

/**
 * struct xdp_statistics (getsockopt SOL_XDP/XDP_STATISTICS), counters since the socket was bound.
 *
 * @param rxDropped            frames dropped for reasons other than invalid descriptors
 * @param rxInvalidDescs       invalid fill descriptors
 * @param txInvalidDescs       invalid TX descriptors
 * @param rxRingFull           frames dropped because the RX ring was full
 * @param rxFillRingEmptyDescs times the fill ring was empty when a frame arrived
 * @param txRingEmptyDescs     times the kernel found the TX ring empty on a wakeup
 */
public record XdpStatistics(long rxDropped, long rxInvalidDescs, long txInvalidDescs, long rxRingFull,
        long rxFillRingEmptyDescs, long txRingEmptyDescs) {}
