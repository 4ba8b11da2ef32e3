package io.jxdp.ffi.xdp;

/**
 * The rx ring of an AF_XDP socket ({@code include/uapi/linux/if_xdp.h},
 * {@code Documentation/networking/af_xdp.rst}). Descriptors of received frames (UMEM address and length) the kernel hands to the application.
 * Producer: kernel. Consumer: user space. User space is the consumer here.
 *
 * <p>Sized with setsockopt(SOL_XDP, XDP_RX_RING, entries) (a power of two) and mapped with
 * mmap(fd, pgoff XDP_PGOFF_RX_RING). The offsets of the fields below inside the mapping come from
 * {@link MmapOffsetsDescriptor} at run time:
 *
 * <pre>
 *  producer: u32 index, written by kernel with a release store, read by the other side with acquire
 *  consumer: u32 index, written by user space with a release store, read by the other side with acquire
 *  flags:    u32, XDP_RING_NEED_WAKEUP set by the kernel when it wants a syscall to make progress
 *  desc:     entries[size]; index i lives at slot (i &amp; (size - 1)); indices are free-running u32
 *
 *  Each entry is one struct xdp_desc {__u64 addr; __u32 len; __u32 options;} (16 bytes).
 *
 *  desc + (i &amp; mask) * 16:
 *  +---------------------------------------------------------------+
 *  |                      UMEM address (u64)                       |
 *  +-------------------------------+-------------------------------+
 *  |          len (u32)            |        options (u32)          |
 *  +-------------------------------+-------------------------------+
 * </pre>
 */
final class RxRingDescriptor {
    private RxRingDescriptor() {}

    /** setsockopt option that sizes this ring. */
    static final int SOCKOPT = IfXdp.XDP_RX_RING;
    /** mmap page offset that maps this ring. */
    static final long PGOFF = IfXdp.XDP_PGOFF_RX_RING;
    /** Where this ring's struct xdp_ring_offset sits in struct xdp_mmap_offsets. */
    static final int MMAP_OFFSETS = MmapOffsetsDescriptor.RX;

    /** One entry: struct xdp_desc. */
    static final int ENTRY_SIZE = 16;
    static final int DESC_ADDR = 0;
    static final int DESC_LEN = 8;
    static final int DESC_OPTIONS = 12;
}
