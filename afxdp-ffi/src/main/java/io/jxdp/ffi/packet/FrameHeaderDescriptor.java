package io.jxdp.ffi.packet;

/**
 * struct tpacket3_hdr ({@code include/uapi/linux/if_packet.h}): the header before every frame of
 * a TPACKET_V3 ring, RX (inside a block) and TX (one per fixed-size slot).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |        tp_next_offset         |            tp_sec             |  0
 *  +-------------------------------+-------------------------------+
 *  |           tp_nsec             |          tp_snaplen           |  8
 *  +-------------------------------+-------------------------------+
 *  |            tp_len             |          tp_status            |  16
 *  +---------------+---------------+-------------------------------+
 *  |    tp_mac     |    tp_net     |   hv1: rxhash, vlan_tci,       |  24
 *  +---------------+---------------+   vlan_tpid, padding (12)     |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                     tp_padding[8]                             |  40
 *  +---------------------------------------------------------------+  48
 * </pre>
 *
 * RX: the frame's bytes start at {@code tp_mac} from the header. TX (no PACKET_TX_HAS_OFF): the
 * kernel reads {@code tp_len} bytes at TPACKET3_HDRLEN - sizeof(sockaddr_ll) = 48 from the slot
 * start, requires {@code tp_next_offset == 0}, and owns the slot while tp_status is not
 * TP_STATUS_AVAILABLE (net/packet/af_packet.c, tpacket_parse_header).
 */
final class FrameHeaderDescriptor {
    private FrameHeaderDescriptor() {}

    static final int TP_NEXT_OFFSET = 0;
    static final int TP_SEC = 4;
    static final int TP_NSEC = 8;
    static final int TP_SNAPLEN = 12;
    static final int TP_LEN = 16;
    static final int TP_STATUS = 20;
    static final int TP_MAC = 24;
    static final int TP_NET = 26;
    static final int SIZE = 48;
    /** Where TX data starts in a slot: TPACKET_ALIGN(48) + 20 - 20. */
    static final int TX_DATA_OFFSET = 48;
}
