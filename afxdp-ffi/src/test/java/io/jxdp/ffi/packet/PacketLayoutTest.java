package io.jxdp.ffi.packet;

import static io.jxdp.ffi.net.KernelLayouts.check;

import org.junit.jupiter.api.Test;

/** The AF_PACKET ABI constants and layouts against include/uapi/linux/if_packet.h as compiled here. */
class PacketLayoutTest {
    @Test
    void constants() {
        check("SOL_PACKET", IfPacket.SOL_PACKET);
        check("PACKET_RX_RING", IfPacket.PACKET_RX_RING);
        check("PACKET_STATISTICS", IfPacket.PACKET_STATISTICS);
        check("PACKET_VERSION", IfPacket.PACKET_VERSION);
        check("PACKET_TX_RING", IfPacket.PACKET_TX_RING);
        check("PACKET_QDISC_BYPASS", IfPacket.PACKET_QDISC_BYPASS);
        check("PACKET_IGNORE_OUTGOING", IfPacket.PACKET_IGNORE_OUTGOING);
        check("TPACKET_V3", IfPacket.TPACKET_V3);
        check("ETH_P_ALL", IfPacket.ETH_P_ALL);
        check("TP_STATUS_KERNEL", IfPacket.TP_STATUS_KERNEL);
        check("TP_STATUS_USER", IfPacket.TP_STATUS_USER);
        check("TP_STATUS_AVAILABLE", IfPacket.TP_STATUS_AVAILABLE);
        check("TP_STATUS_SEND_REQUEST", IfPacket.TP_STATUS_SEND_REQUEST);
        check("TP_STATUS_SENDING", IfPacket.TP_STATUS_SENDING);
        check("TP_STATUS_WRONG_FORMAT", IfPacket.TP_STATUS_WRONG_FORMAT);
        check("TPACKET_ALIGNMENT", IfPacket.TPACKET_ALIGNMENT);
    }

    @Test
    void structLayouts() {
        check("sizeof sockaddr_ll", IfPacket.SOCKADDR_LL_SIZE);
        check("sockaddr_ll.sll_family", IfPacket.SLL_FAMILY);
        check("sockaddr_ll.sll_protocol", IfPacket.SLL_PROTOCOL);
        check("sockaddr_ll.sll_ifindex", IfPacket.SLL_IFINDEX);
        check("sizeof tpacket_req3", IfPacket.TPACKET_REQ3_SIZE);
        check("sizeof tpacket_stats_v3", IfPacket.TPACKET_STATS_V3_SIZE);
        check("sizeof tpacket_block_desc", BlockDescriptor.SIZE);
        check("tpacket_block_desc.version", BlockDescriptor.VERSION);
        check("tpacket_block_desc.offset_to_priv", BlockDescriptor.OFFSET_TO_PRIV);
        check("tpacket_block_desc.block_status", BlockDescriptor.BLOCK_STATUS);
        check("tpacket_block_desc.num_pkts", BlockDescriptor.NUM_PKTS);
        check("tpacket_block_desc.offset_to_first_pkt", BlockDescriptor.OFFSET_TO_FIRST_PKT);
        check("tpacket_block_desc.blk_len", BlockDescriptor.BLK_LEN);
        check("tpacket_block_desc.seq_num", BlockDescriptor.SEQ_NUM);
        check("sizeof tpacket3_hdr", FrameHeaderDescriptor.SIZE);
        check("tpacket3_hdr.tp_next_offset", FrameHeaderDescriptor.TP_NEXT_OFFSET);
        check("tpacket3_hdr.tp_sec", FrameHeaderDescriptor.TP_SEC);
        check("tpacket3_hdr.tp_nsec", FrameHeaderDescriptor.TP_NSEC);
        check("tpacket3_hdr.tp_snaplen", FrameHeaderDescriptor.TP_SNAPLEN);
        check("tpacket3_hdr.tp_len", FrameHeaderDescriptor.TP_LEN);
        check("tpacket3_hdr.tp_status", FrameHeaderDescriptor.TP_STATUS);
        check("tpacket3_hdr.tp_mac", FrameHeaderDescriptor.TP_MAC);
        check("tpacket3_hdr.tp_net", FrameHeaderDescriptor.TP_NET);
        check("TPACKET3_HDRLEN - sizeof(struct sockaddr_ll)", FrameHeaderDescriptor.TX_DATA_OFFSET);
    }
}
