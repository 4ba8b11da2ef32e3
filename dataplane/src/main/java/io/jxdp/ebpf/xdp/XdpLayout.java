package io.jxdp.ebpf.xdp;

/**
 * The frame and context layouts of one XDP run, as the kernel's {@code BPF_PROG_TEST_RUN} builds
 * them ({@code bpf_prog_test_run_xdp()} in net/bpf/test_run.c) and as jxdp's rewritten context
 * loads read them.
 *
 * <pre>
 * frame (FRAME_SIZE = 4096 bytes, one page, allocated once per engine and reused)
 * +--------------------+------------------------------------------+-----------------+
 * | headroom 256       | packet (at most MAX_PACKET = 3520 bytes)  | tailroom 320    |
 * | XDP_PACKET_HEADROOM| data_meta = data at start ... data_end    | skb_shared_info |
 * +--------------------+------------------------------------------+-----------------+
 * ^ data_hard_start    ^ data                                                       ^ +4096
 * a frame longer than MAX_PACKET continues in up to MAX_FRAGS page-sized fragments (skb_shared_info
 * frags, as the test run builds them), which only the helpers reach (xdp_get_buff_len, load/store
 * bytes, adjust_tail); the program's direct access sees the linear part.
 * the first XDP_FRAME_SIZE (40) bytes of headroom are reserved for struct xdp_frame:
 * adjust_head/adjust_meta may not move data/data_meta below hard_start + 40 (+ metalen).
 *
 * native context (CTX_SIZE = 40 bytes), what the program's r1 points to after the rewrite
 *   0  u64 data            8  u64 data_end      16 u64 data_meta
 *   24 u32 ingress_ifindex 28 u32 rx_queue_index 32 u32 egress_ifindex 36 pad
 * uapi struct xdp_md (include/uapi/linux/bpf.h), what the program was compiled against
 *   0 u32 data  4 data_end  8 data_meta  12 ingress_ifindex  16 rx_queue_index  20 egress_ifindex
 * </pre>
 */
final class XdpLayout {
    private XdpLayout() {
    }

    /** PAGE_SIZE: the test run's frame_sz. */
    static final int FRAME_SIZE = 4096;
    /** XDP_PACKET_HEADROOM, include/uapi/linux/bpf.h. */
    static final int HEADROOM = 256;
    /** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64 (320), reserved at the frame's end. */
    static final int TAILROOM = 320;
    /** The largest linear packet: PAGE_SIZE - headroom - tailroom (max_data_sz in test_run.c). */
    static final int MAX_PACKET = FRAME_SIZE - HEADROOM - TAILROOM;
    /** MAX_SKB_FRAGS (CONFIG_MAX_SKB_FRAGS default): fragments of one multi-buffer frame. */
    static final int MAX_FRAGS = 17;
    /** One fragment: a page (the test run's rxq frag_size). */
    static final int FRAG_SIZE = 4096;
    /** The largest frame a test run takes: the linear part plus MAX_FRAGS pages (ENOMEM beyond). */
    static final int MAX_FRAME = MAX_PACKET + MAX_FRAGS * FRAG_SIZE;
    /** sizeof(struct xdp_frame) on x86-64 (include/net/xdp.h), kept free at the start of the headroom. */
    static final int XDP_FRAME_STRUCT = 40;
    /** ETH_HLEN, include/uapi/linux/if_ether.h. */
    static final int ETH_HLEN = 14;
    /** The ingress ifindex of a test run: the network namespace's loopback device (1). */
    static final int TEST_RUN_IFINDEX = 1;

    // jxdp's native context, read by the rewritten loads and written by the adjust helpers.
    static final int CTX_DATA = 0;
    static final int CTX_DATA_END = 8;
    static final int CTX_DATA_META = 16;
    static final int CTX_INGRESS_IFINDEX = 24;
    static final int CTX_RX_QUEUE_INDEX = 28;
    static final int CTX_EGRESS_IFINDEX = 32;
    static final int CTX_SIZE = 40;

    // struct xdp_md, include/uapi/linux/bpf.h
    static final int MD_DATA = 0;
    static final int MD_DATA_END = 4;
    static final int MD_DATA_META = 8;
    static final int MD_INGRESS_IFINDEX = 12;
    static final int MD_RX_QUEUE_INDEX = 16;
    static final int MD_EGRESS_IFINDEX = 20;
    static final int MD_SIZE = 24;
}
