package io.jxdp.ffi.packet;

/**
 * One block of a TPACKET_V3 RX ring: struct tpacket_block_desc with its struct tpacket_hdr_v1
 * ({@code include/uapi/linux/if_packet.h}). The kernel fills a block with several frames, then
 * retires it (full, or after tp_retire_blk_tov ms) by storing TP_STATUS_USER into
 * {@code block_status} with release semantics ({@code smp_wmb} then the store); user space reads
 * the status with acquire, walks the frames, and hands the block back by storing
 * TP_STATUS_KERNEL with release.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |          version              |        offset_to_priv         |  0
 *  +-------------------------------+-------------------------------+
 *  |        block_status           |           num_pkts            |  8
 *  +-------------------------------+-------------------------------+
 *  |     offset_to_first_pkt       |            blk_len            |  16
 *  +-------------------------------+-------------------------------+
 *  |                         seq_num (u64)                         |  24
 *  +---------------------------------------------------------------+
 *  |            ts_first_pkt {u32 sec, u32 nsec}                   |  32
 *  +---------------------------------------------------------------+
 *  |            ts_last_pkt {u32 sec, u32 nsec}                    |  40
 *  +---------------------------------------------------------------+  48
 *  |  frames: struct tpacket3_hdr + data, chained by tp_next_offset |
 * </pre>
 */
final class BlockDescriptor {
    private BlockDescriptor() {}

    static final int VERSION = 0;
    static final int OFFSET_TO_PRIV = 4;
    static final int BLOCK_STATUS = 8;
    static final int NUM_PKTS = 12;
    static final int OFFSET_TO_FIRST_PKT = 16;
    static final int BLK_LEN = 20;
    static final int SEQ_NUM = 24;
    static final int SIZE = 48;
}
