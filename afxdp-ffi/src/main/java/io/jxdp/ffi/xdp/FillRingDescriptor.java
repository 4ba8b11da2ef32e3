package io.jxdp.ffi.xdp;

/**
 * The fill ring of an AF_XDP socket ({@code include/uapi/linux/if_xdp.h},
 * {@code Documentation/networking/af_xdp.rst}). Addresses of free UMEM frames the application gives the kernel to receive into.
 * Producer: user space. Consumer: kernel. User space is the producer here.
 *
 * <p>Sized with setsockopt(SOL_XDP, XDP_UMEM_FILL_RING, entries) (a power of two) and mapped with
 * mmap(fd, pgoff XDP_UMEM_PGOFF_FILL_RING). The offsets of the fields below inside the mapping come from
 * {@link MmapOffsetsDescriptor} at run time:
 *
 * <pre>
 *  producer: u32 index, written by user space with a release store, read by the other side with acquire
 *  consumer: u32 index, written by kernel with a release store, read by the other side with acquire
 *  flags:    u32, XDP_RING_NEED_WAKEUP set by the kernel when it wants a syscall to make progress
 *  desc:     entries[size]; index i lives at slot (i &amp; (size - 1)); indices are free-running u32
 *
 *  Each entry is one __u64 UMEM address (8 bytes).
 *
 *  desc + (i &amp; mask) * 8:
 *  +---------------------------------------------------------------+
 *  |                      UMEM address (u64)                       |
 *  +---------------------------------------------------------------+
 * </pre>
 */
final class FillRingDescriptor {
    private FillRingDescriptor() {}

    /** setsockopt option that sizes this ring. */
    static final int SOCKOPT = IfXdp.XDP_UMEM_FILL_RING;
    /** mmap page offset that maps this ring. */
    static final long PGOFF = IfXdp.XDP_UMEM_PGOFF_FILL_RING;
    /** Where this ring's struct xdp_ring_offset sits in struct xdp_mmap_offsets. */
    static final int MMAP_OFFSETS = MmapOffsetsDescriptor.FILL;

    /** One entry: a __u64 UMEM address. */
    static final int ENTRY_SIZE = 8;
}
