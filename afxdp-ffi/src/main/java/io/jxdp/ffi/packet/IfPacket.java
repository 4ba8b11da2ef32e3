package io.jxdp.ffi.packet;

/**
 * The AF_PACKET user-space ABI jxdp uses, from {@code include/uapi/linux/if_packet.h} and
 * {@code include/uapi/linux/if_ether.h}.
 */
final class IfPacket {
    private IfPacket() {}

    /** include/linux/socket.h */
    static final int SOL_PACKET = 263;
    static final int PACKET_RX_RING = 5;
    static final int PACKET_STATISTICS = 6;
    static final int PACKET_VERSION = 10;
    static final int PACKET_TX_RING = 13;
    static final int PACKET_QDISC_BYPASS = 20;
    static final int PACKET_IGNORE_OUTGOING = 23;
    /** enum tpacket_versions */
    static final int TPACKET_V3 = 2;
    /** if_ether.h: every protocol. */
    static final int ETH_P_ALL = 0x0003;

    // tp_status values
    static final int TP_STATUS_KERNEL = 0;
    static final int TP_STATUS_USER = 1;
    static final int TP_STATUS_AVAILABLE = 0;
    static final int TP_STATUS_SEND_REQUEST = 1;
    static final int TP_STATUS_SENDING = 2;
    static final int TP_STATUS_WRONG_FORMAT = 4;

    /**
     * struct sockaddr_ll: {@code u16 sll_family; be16 sll_protocol; s32 sll_ifindex; u16 sll_hatype;
     * u8 sll_pkttype; u8 sll_halen; u8 sll_addr[8];} (20 bytes).
     */
    static final int SOCKADDR_LL_SIZE = 20;
    static final int SLL_FAMILY = 0;
    static final int SLL_PROTOCOL = 2;
    static final int SLL_IFINDEX = 4;

    /**
     * struct tpacket_req3: {@code u32 tp_block_size, tp_block_nr, tp_frame_size, tp_frame_nr,
     * tp_retire_blk_tov, tp_sizeof_priv, tp_feature_req_word;} (28 bytes).
     */
    static final int TPACKET_REQ3_SIZE = 28;

    /** struct tpacket_stats: {@code u32 tp_packets, tp_drops;} (tpacket_stats_v3 adds tp_freeze_q_cnt). */
    static final int TPACKET_STATS_V3_SIZE = 12;

    /** TPACKET_ALIGNMENT: frames and headers are 16-byte aligned. */
    static final int TPACKET_ALIGNMENT = 16;
}
