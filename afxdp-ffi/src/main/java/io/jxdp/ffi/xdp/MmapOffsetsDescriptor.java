package io.jxdp.ffi.xdp;

/**
 * struct xdp_mmap_offsets, returned by getsockopt(SOL_XDP, XDP_MMAP_OFFSETS): where in each
 * mapped ring the kernel put the producer index, consumer index, descriptor array and flags word.
 * The kernel chooses these (each index on its own cache line), so rings read them at run time.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  rx: struct xdp_ring_offset {u64 producer, consumer, desc,    |  0
 *  |      flags}                                     (32 bytes)    |
 *  +---------------------------------------------------------------+
 *  |  tx: struct xdp_ring_offset                                   |  32
 *  +---------------------------------------------------------------+
 *  |  fr: struct xdp_ring_offset (fill)                            |  64
 *  +---------------------------------------------------------------+
 *  |  cr: struct xdp_ring_offset (completion)                      |  96
 *  +---------------------------------------------------------------+  128
 * </pre>
 */
final class MmapOffsetsDescriptor {
    private MmapOffsetsDescriptor() {}

    static final int SIZE = 128;
    static final int RX = 0;
    static final int TX = 32;
    static final int FILL = 64;
    static final int COMPLETION = 96;

    // struct xdp_ring_offset
    static final int PRODUCER = 0;
    static final int CONSUMER = 8;
    static final int DESC = 16;
    static final int FLAGS = 24;
}
