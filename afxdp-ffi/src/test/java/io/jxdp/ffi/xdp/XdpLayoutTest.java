package io.jxdp.ffi.xdp;

import static io.jxdp.ffi.net.KernelLayouts.check;

import org.junit.jupiter.api.Test;

/** The AF_XDP ABI constants and layouts against include/uapi/linux/if_xdp.h as compiled here. */
class XdpLayoutTest {
    @Test
    void socketOptionsFlagsAndPageOffsets() {
        check("SOL_XDP", IfXdp.SOL_XDP);
        check("XDP_MMAP_OFFSETS", IfXdp.XDP_MMAP_OFFSETS);
        check("XDP_RX_RING", RxRingDescriptor.SOCKOPT);
        check("XDP_TX_RING", TxRingDescriptor.SOCKOPT);
        check("XDP_UMEM_REG", IfXdp.XDP_UMEM_REG);
        check("XDP_UMEM_FILL_RING", FillRingDescriptor.SOCKOPT);
        check("XDP_UMEM_COMPLETION_RING", CompletionRingDescriptor.SOCKOPT);
        check("XDP_STATISTICS", IfXdp.XDP_STATISTICS);
        check("XDP_OPTIONS", IfXdp.XDP_OPTIONS);
        check("XDP_OPTIONS_ZEROCOPY", IfXdp.XDP_OPTIONS_ZEROCOPY);
        check("XDP_SHARED_UMEM", IfXdp.XDP_SHARED_UMEM);
        check("XDP_COPY", IfXdp.XDP_COPY);
        check("XDP_ZEROCOPY", IfXdp.XDP_ZEROCOPY);
        check("XDP_USE_NEED_WAKEUP", IfXdp.XDP_USE_NEED_WAKEUP);
        check("XDP_RING_NEED_WAKEUP", IfXdp.XDP_RING_NEED_WAKEUP);
        check("XDP_PGOFF_RX_RING", RxRingDescriptor.PGOFF);
        check("XDP_PGOFF_TX_RING", TxRingDescriptor.PGOFF);
        check("XDP_UMEM_PGOFF_FILL_RING", FillRingDescriptor.PGOFF);
        check("XDP_UMEM_PGOFF_COMPLETION_RING", CompletionRingDescriptor.PGOFF);
        check("XDP_PACKET_HEADROOM", IfXdp.XDP_PACKET_HEADROOM);
    }

    @Test
    void structLayouts() {
        check("sizeof sockaddr_xdp", IfXdp.SOCKADDR_XDP_SIZE);
        check("sockaddr_xdp.sxdp_family", IfXdp.SXDP_FAMILY);
        check("sockaddr_xdp.sxdp_flags", IfXdp.SXDP_FLAGS);
        check("sockaddr_xdp.sxdp_ifindex", IfXdp.SXDP_IFINDEX);
        check("sockaddr_xdp.sxdp_queue_id", IfXdp.SXDP_QUEUE_ID);
        check("sockaddr_xdp.sxdp_shared_umem_fd", IfXdp.SXDP_SHARED_UMEM_FD);
        check("sizeof xdp_umem_reg", IfXdp.UMEM_REG_SIZE);
        check("xdp_umem_reg.addr", IfXdp.UMEM_REG_ADDR);
        check("xdp_umem_reg.len", IfXdp.UMEM_REG_LEN);
        check("xdp_umem_reg.chunk_size", IfXdp.UMEM_REG_CHUNK_SIZE);
        check("xdp_umem_reg.headroom", IfXdp.UMEM_REG_HEADROOM);
        check("xdp_umem_reg.flags", IfXdp.UMEM_REG_FLAGS);
        check("sizeof xdp_mmap_offsets", MmapOffsetsDescriptor.SIZE);
        check("xdp_mmap_offsets.rx", RxRingDescriptor.MMAP_OFFSETS);
        check("xdp_mmap_offsets.tx", TxRingDescriptor.MMAP_OFFSETS);
        check("xdp_mmap_offsets.fr", FillRingDescriptor.MMAP_OFFSETS);
        check("xdp_mmap_offsets.cr", CompletionRingDescriptor.MMAP_OFFSETS);
        check("xdp_ring_offset.producer", MmapOffsetsDescriptor.PRODUCER);
        check("xdp_ring_offset.consumer", MmapOffsetsDescriptor.CONSUMER);
        check("xdp_ring_offset.desc", MmapOffsetsDescriptor.DESC);
        check("xdp_ring_offset.flags", MmapOffsetsDescriptor.FLAGS);
        check("sizeof xdp_desc", RxRingDescriptor.ENTRY_SIZE);
        check("sizeof xdp_desc", TxRingDescriptor.ENTRY_SIZE);
        check("xdp_desc.addr", TxRingDescriptor.DESC_ADDR);
        check("xdp_desc.len", RxRingDescriptor.DESC_LEN);
        check("xdp_desc.options", TxRingDescriptor.DESC_OPTIONS);
        check("sizeof xdp_statistics", IfXdp.STATISTICS_SIZE);
    }

    @Test
    void redirectProgramConstants() {
        check("xdp_md.rx_queue_index", XskRedirect.XDP_MD_RX_QUEUE_INDEX);
        check("BPF_FUNC_redirect_map", XskRedirect.BPF_FUNC_REDIRECT_MAP);
        check("XDP_PASS", XskRedirect.XDP_PASS);
        check("BPF_PSEUDO_MAP_FD", XskRedirect.BPF_PSEUDO_MAP_FD);
    }
}
