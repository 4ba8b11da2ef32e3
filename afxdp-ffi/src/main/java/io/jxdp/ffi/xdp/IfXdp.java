package io.jxdp.ffi.xdp;

/**
 * The AF_XDP user-space ABI, from {@code include/uapi/linux/if_xdp.h} (values checked against
 * Linux 6.x). Ring layouts are in the four ring descriptors; this class holds the socket options,
 * bind flags and mmap page offsets.
 */
final class IfXdp {
    private IfXdp() {}

    /** include/linux/socket.h: SOL_XDP. */
    static final int SOL_XDP = 283;

    // Socket options (if_xdp.h)
    static final int XDP_MMAP_OFFSETS = 1;
    static final int XDP_RX_RING = 2;
    static final int XDP_TX_RING = 3;
    static final int XDP_UMEM_REG = 4;
    static final int XDP_UMEM_FILL_RING = 5;
    static final int XDP_UMEM_COMPLETION_RING = 6;
    static final int XDP_STATISTICS = 7;
    static final int XDP_OPTIONS = 8;
    /** XDP_OPTIONS result bit: the socket runs in zero-copy mode. */
    static final int XDP_OPTIONS_ZEROCOPY = 1;

    // sxdp_flags of struct sockaddr_xdp
    static final int XDP_SHARED_UMEM = 1 << 0;
    static final int XDP_COPY = 1 << 1;
    static final int XDP_ZEROCOPY = 1 << 2;
    static final int XDP_USE_NEED_WAKEUP = 1 << 3;

    /** The flags word of a ring: the kernel asks to be woken (sendto/poll/recvfrom). */
    static final int XDP_RING_NEED_WAKEUP = 1;

    // mmap page offsets: which ring an mmap of the socket fd maps
    static final long XDP_PGOFF_RX_RING = 0;
    static final long XDP_PGOFF_TX_RING = 0x80000000L;
    static final long XDP_UMEM_PGOFF_FILL_RING = 0x100000000L;
    static final long XDP_UMEM_PGOFF_COMPLETION_RING = 0x180000000L;

    /**
     * struct sockaddr_xdp: {@code __u16 sxdp_family; __u16 sxdp_flags; __u32 sxdp_ifindex;
     * __u32 sxdp_queue_id; __u32 sxdp_shared_umem_fd;}.
     */
    static final int SOCKADDR_XDP_SIZE = 16;
    static final int SXDP_FAMILY = 0;
    static final int SXDP_FLAGS = 2;
    static final int SXDP_IFINDEX = 4;
    static final int SXDP_QUEUE_ID = 8;
    static final int SXDP_SHARED_UMEM_FD = 12;

    /**
     * struct xdp_umem_reg: {@code __u64 addr; __u64 len; __u32 chunk_size; __u32 headroom;
     * __u32 flags; __u32 tx_metadata_len;} (32 bytes; the kernel also accepts the older 24-byte form).
     */
    static final int UMEM_REG_SIZE = 32;
    static final int UMEM_REG_ADDR = 0;
    static final int UMEM_REG_LEN = 8;
    static final int UMEM_REG_CHUNK_SIZE = 16;
    static final int UMEM_REG_HEADROOM = 20;
    static final int UMEM_REG_FLAGS = 24;

    /**
     * struct xdp_statistics: six __u64: rx_dropped, rx_invalid_descs, tx_invalid_descs,
     * rx_ring_full, rx_fill_ring_empty_descs, tx_ring_empty_descs.
     */
    static final int STATISTICS_SIZE = 48;

    /** XDP_PACKET_HEADROOM (include/uapi/linux/bpf.h): what the kernel keeps before packet data. */
    static final int XDP_PACKET_HEADROOM = 256;
}
