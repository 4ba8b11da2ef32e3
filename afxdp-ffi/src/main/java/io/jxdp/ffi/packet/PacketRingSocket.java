package io.jxdp.ffi.packet;

import io.jxdp.ffi.net.FrameHandler;
import io.jxdp.ffi.net.Link;
import io.jxdp.ffi.net.PacketPort;
import io.jxdp.ffi.net.Sockets;
import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.FileDescriptors;
import io.jxdp.ffi.sys.LibC;
import io.jxdp.ffi.sys.Mmap;
import io.jxdp.ffi.sys.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The AF_PACKET fallback driver: one packet socket bound to one interface (all of its queues) with
 * a TPACKET_V3 block RX ring and a TPACKET_V3 slot TX ring in one mapping
 * ({@code Documentation/networking/packet_mmap.rst}, {@code include/uapi/linux/if_packet.h}).
 *
 * <p>RX: blocks are owned by the kernel while their status is TP_STATUS_KERNEL; we read the
 * status with acquire, walk the block's frames, and return it with a release store of
 * TP_STATUS_KERNEL. PACKET_IGNORE_OUTGOING keeps our own transmissions out of the RX ring.
 *
 * <p>TX: slots are ours while TP_STATUS_AVAILABLE (read with acquire); we write the frame, then
 * store TP_STATUS_SEND_REQUEST with release, and a {@code sendto(MSG_DONTWAIT)} makes the kernel
 * send every requested slot. The kernel stores TP_STATUS_AVAILABLE again once the frame left
 * (skb destructor). PACKET_QDISC_BYPASS sends straight to the driver, as AF_XDP does.
 */
public final class PacketRingSocket implements PacketPort {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);

    /**
     * @param blockSize    RX block size (a multiple of the page size; holds several frames)
     * @param blockCount   RX blocks
     * @param retireMillis RX block retire timeout: a partly filled block is handed over after this
     * @param txFrameSize  TX slot size (multiple of 16; frames up to txFrameSize - 48 bytes)
     * @param txFrames     TX slots
     * @param qdiscBypass  PACKET_QDISC_BYPASS on the TX path
     */
    public record Config(int blockSize, int blockCount, int retireMillis, int txFrameSize, int txFrames,
            boolean qdiscBypass) {
        public Config {
            if (blockSize < 4096 || blockSize % 4096 != 0) {
                throw new IllegalArgumentException("TPACKET_V3 block size must be a positive multiple of 4096: " + blockSize);
            }
            if (blockCount <= 0 || txFrames <= 0 || retireMillis <= 0) {
                throw new IllegalArgumentException("block count, TX frames and retire timeout must be positive");
            }
            if (txFrameSize < 128 || txFrameSize % IfPacket.TPACKET_ALIGNMENT != 0 || txFrameSize > 65536) {
                throw new IllegalArgumentException("TX frame size must be a multiple of 16 in 128..65536: " + txFrameSize);
            }
        }

        /** 64 blocks of 64 KiB, 4 ms retire, 1024 TX slots of 2048 bytes, qdisc bypass on. */
        public static Config defaults() {
            return new Config(1 << 16, 64, 4, 2048, 1024, true);
        }
    }

    private final String ifname;
    private final int fd;
    private final Arena arena;
    private final MemorySegment capture;
    private final MemorySegment pollfd;
    private final MemorySegment map;
    private final MemorySegment rxRing;
    private final MemorySegment txRing;
    private final int blockSize;
    private final int blockCount;
    private final int txFrameSize;
    private final int txFrames;
    private final int txFramesPerBlock;
    private final int txBlockSize;
    private final int maxFrameLength;
    // RX position: the block being read and the next frame in it
    private int rxBlock;
    private int rxPacketsLeft = -1;
    private long rxPacketOffset;
    // TX: slots [txTail, txHead) are with the kernel or queued
    private int txHead;
    private int txTail;
    private int txQueued;
    private long txKicks;
    private boolean closed;

    private PacketRingSocket(String ifname, int fd, Arena arena, MemorySegment map, Config c, int txBlockSize) {
        this.ifname = ifname;
        this.fd = fd;
        this.arena = arena;
        this.capture = LibC.newErrnoCapture(arena);
        this.pollfd = arena.allocate(Sockets.POLLFD_SIZE, 8);
        this.map = map;
        long rxBytes = (long) c.blockSize() * c.blockCount();
        this.rxRing = map.asSlice(0, rxBytes);
        this.txRing = map.asSlice(rxBytes);
        this.blockSize = c.blockSize();
        this.blockCount = c.blockCount();
        this.txFrameSize = c.txFrameSize();
        this.txFrames = c.txFrames();
        this.txBlockSize = txBlockSize;
        this.txFramesPerBlock = txBlockSize / c.txFrameSize();
        this.maxFrameLength = c.txFrameSize() - FrameHeaderDescriptor.TX_DATA_OFFSET;
    }

    /** Opens a ring socket on {@code ifname} (looked up in the calling thread's namespace). */
    public static PacketRingSocket open(String ifname, Config config) {
        Link link = Link.byName(ifname);
        String where = "AF_PACKET socket on \"" + ifname + "\"";
        // Protocol 0 receives nothing until bind names the interface and ETH_P_ALL.
        int fd = Sockets.socket(Sockets.AF_PACKET, Sockets.SOCK_RAW, 0, where);
        Arena arena = Arena.ofShared();
        MemorySegment map = null;
        try {
            Sockets.setsockoptInt(fd, IfPacket.SOL_PACKET, IfPacket.PACKET_VERSION, IfPacket.TPACKET_V3,
                    "PACKET_VERSION TPACKET_V3, " + where);
            Sockets.setsockoptInt(fd, IfPacket.SOL_PACKET, IfPacket.PACKET_IGNORE_OUTGOING, 1,
                    "PACKET_IGNORE_OUTGOING, " + where);
            if (config.qdiscBypass()) {
                Sockets.setsockoptInt(fd, IfPacket.SOL_PACKET, IfPacket.PACKET_QDISC_BYPASS, 1,
                        "PACKET_QDISC_BYPASS, " + where);
            }
            // RX: frame_size is only a hint for V3 (frames are variable-sized inside blocks), but
            // frame_nr must equal blocks * (block_size / frame_size).
            int rxFrameHint = 2048;
            MemorySegment req = arena.allocate(IfPacket.TPACKET_REQ3_SIZE, 4);
            req.set(ValueLayout.JAVA_INT, 0, config.blockSize());
            req.set(ValueLayout.JAVA_INT, 4, config.blockCount());
            req.set(ValueLayout.JAVA_INT, 8, rxFrameHint);
            req.set(ValueLayout.JAVA_INT, 12, config.blockSize() / rxFrameHint * config.blockCount());
            req.set(ValueLayout.JAVA_INT, 16, config.retireMillis());
            Sockets.setsockopt(fd, IfPacket.SOL_PACKET, IfPacket.PACKET_RX_RING, req, "PACKET_RX_RING "
                    + config.blockCount() + " x " + config.blockSize() + ", " + where);
            // TX: fixed slots; a slot never spans a block, so blocks hold whole slots.
            int txBlockSize = Math.max(4096, config.txFrameSize());
            txBlockSize = (txBlockSize + 4095) & ~4095;
            int perBlock = txBlockSize / config.txFrameSize();
            int txBlocks = (config.txFrames() + perBlock - 1) / perBlock;
            int txFrames = txBlocks * perBlock;
            req.fill((byte) 0);
            req.set(ValueLayout.JAVA_INT, 0, txBlockSize);
            req.set(ValueLayout.JAVA_INT, 4, txBlocks);
            req.set(ValueLayout.JAVA_INT, 8, config.txFrameSize());
            req.set(ValueLayout.JAVA_INT, 12, txFrames);
            Sockets.setsockopt(fd, IfPacket.SOL_PACKET, IfPacket.PACKET_TX_RING, req, "PACKET_TX_RING "
                    + txFrames + " x " + config.txFrameSize() + ", " + where);
            long size = (long) config.blockSize() * config.blockCount() + (long) txBlockSize * txBlocks;
            try {
                map = Mmap.map(size, Mmap.PROT_READ | Mmap.PROT_WRITE, Mmap.MAP_SHARED | Mmap.MAP_POPULATE, fd, 0);
            } catch (NativeException e) {
                throw new NativeException("mmap(RX+TX rings, " + size + " bytes, " + where + ")", e.errno());
            }
            MemorySegment sll = arena.allocate(IfPacket.SOCKADDR_LL_SIZE, 4);
            sll.set(ValueLayout.JAVA_SHORT, IfPacket.SLL_FAMILY, (short) Sockets.AF_PACKET);
            sll.set(BE16, IfPacket.SLL_PROTOCOL, (short) IfPacket.ETH_P_ALL);
            sll.set(ValueLayout.JAVA_INT, IfPacket.SLL_IFINDEX, link.ifindex());
            Sockets.bind(fd, sll, where + ", ETH_P_ALL, ifindex " + link.ifindex());
            Config effective = new Config(config.blockSize(), config.blockCount(), config.retireMillis(),
                    config.txFrameSize(), txFrames, config.qdiscBypass());
            return new PacketRingSocket(ifname, fd, arena, map, effective, txBlockSize);
        } catch (RuntimeException e) {
            if (map != null) {
                Mmap.unmap(map);
            }
            arena.close();
            FileDescriptors.close(fd);
            throw e;
        }
    }

    @Override
    public String driver() {
        return "af_packet tpacket_v3";
    }

    @Override
    public String interfaceName() {
        return ifname;
    }

    /** AF_PACKET sees every queue of the interface; reported as queue 0. */
    @Override
    public int queueId() {
        return 0;
    }

    public int fd() {
        return fd;
    }

    public int maxFrameLength() {
        return maxFrameLength;
    }

    public int txSlots() {
        return txFrames;
    }

    public long txKicks() {
        return txKicks;
    }

    @Override
    public int receive(FrameHandler handler, int limit) {
        int delivered = 0;
        while (delivered < limit) {
            long block = (long) rxBlock * blockSize;
            if (rxPacketsLeft < 0) {
                int status = (int) INT.getAcquire(rxRing, block + BlockDescriptor.BLOCK_STATUS);
                if ((status & IfPacket.TP_STATUS_USER) == 0) {
                    break;
                }
                rxPacketsLeft = rxRing.get(ValueLayout.JAVA_INT, block + BlockDescriptor.NUM_PKTS);
                rxPacketOffset = block + Integer.toUnsignedLong(
                        rxRing.get(ValueLayout.JAVA_INT, block + BlockDescriptor.OFFSET_TO_FIRST_PKT));
            }
            if (rxPacketsLeft == 0) {
                INT.setRelease(rxRing, block + BlockDescriptor.BLOCK_STATUS, IfPacket.TP_STATUS_KERNEL);
                rxPacketsLeft = -1;
                rxBlock = rxBlock + 1 == blockCount ? 0 : rxBlock + 1;
                continue;
            }
            long hdr = rxPacketOffset;
            int snaplen = rxRing.get(ValueLayout.JAVA_INT, hdr + FrameHeaderDescriptor.TP_SNAPLEN);
            int mac = Short.toUnsignedInt(rxRing.get(ValueLayout.JAVA_SHORT, hdr + FrameHeaderDescriptor.TP_MAC));
            int next = rxRing.get(ValueLayout.JAVA_INT, hdr + FrameHeaderDescriptor.TP_NEXT_OFFSET);
            rxPacketsLeft--;
            rxPacketOffset = hdr + Integer.toUnsignedLong(next);
            delivered++;
            handler.onFrame(rxRing, hdr + mac, snaplen);
        }
        return delivered;
    }

    private long slot(int index) {
        int i = index % txFrames;
        return (long) (i / txFramesPerBlock) * txBlockSize + (long) (i % txFramesPerBlock) * txFrameSize;
    }

    @Override
    public boolean send(MemorySegment source, long offset, int length) {
        if (length <= 0 || length > maxFrameLength) {
            throw new IllegalArgumentException("AF_PACKET frame length " + length + " not in 1.." + maxFrameLength
                    + " on \"" + ifname + "\"");
        }
        if (txHead - txTail == txFrames && reclaim() == 0) {
            return false;
        }
        long s = slot(txHead);
        int status = (int) INT.getAcquire(txRing, s + FrameHeaderDescriptor.TP_STATUS);
        if (status != IfPacket.TP_STATUS_AVAILABLE) {
            return false;
        }
        MemorySegment.copy(source, offset, txRing, s + FrameHeaderDescriptor.TX_DATA_OFFSET, length);
        txRing.set(ValueLayout.JAVA_INT, s + FrameHeaderDescriptor.TP_NEXT_OFFSET, 0);
        txRing.set(ValueLayout.JAVA_INT, s + FrameHeaderDescriptor.TP_LEN, length);
        txRing.set(ValueLayout.JAVA_INT, s + FrameHeaderDescriptor.TP_SNAPLEN, length);
        INT.setRelease(txRing, s + FrameHeaderDescriptor.TP_STATUS, IfPacket.TP_STATUS_SEND_REQUEST);
        txHead++;
        txQueued++;
        return true;
    }

    @Override
    public int flush() {
        int published = txQueued;
        txQueued = 0;
        if (txHead != txTail) {
            txKicks++;
            long rc = Sockets.kick(fd, capture);
            if (rc < 0 && !Sockets.isTransient((int) -rc)) {
                throw new NativeException("sendto(TX kick, AF_PACKET \"" + ifname + "\")", (int) -rc);
            }
        }
        reclaim();
        return published;
    }

    /** Moves the TX tail past slots the kernel has finished with (TP_STATUS_AVAILABLE again). */
    private int reclaim() {
        int n = 0;
        while (txTail != txHead) {
            int status = (int) INT.getAcquire(txRing, slot(txTail) + FrameHeaderDescriptor.TP_STATUS);
            if (status == IfPacket.TP_STATUS_WRONG_FORMAT) {
                throw new IllegalStateException("AF_PACKET \"" + ifname + "\" rejected TX slot " + (txTail % txFrames)
                        + " (TP_STATUS_WRONG_FORMAT)");
            }
            if (status != IfPacket.TP_STATUS_AVAILABLE) {
                break;
            }
            txTail++;
            n++;
        }
        return n;
    }

    @Override
    public int txInFlight() {
        return txHead - txTail;
    }

    @Override
    public boolean awaitReceive(int timeoutMillis) {
        int rc = Sockets.poll(fd, Sockets.POLLIN, timeoutMillis, pollfd, capture);
        if (rc < 0 && rc != -Errno.EINTR) {
            throw new NativeException("poll(AF_PACKET \"" + ifname + "\")", -rc);
        }
        return rc > 0;
    }

    /** {packets, drops} since the last call (PACKET_STATISTICS resets on read). */
    public long[] statistics() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(IfPacket.TPACKET_STATS_V3_SIZE, 4);
            Sockets.getsockopt(fd, IfPacket.SOL_PACKET, IfPacket.PACKET_STATISTICS, s, "PACKET_STATISTICS on \"" + ifname + "\"");
            return new long[] {Integer.toUnsignedLong(s.get(ValueLayout.JAVA_INT, 0)),
                Integer.toUnsignedLong(s.get(ValueLayout.JAVA_INT, 4))};
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Mmap.unmap(map);
        } finally {
            FileDescriptors.close(fd);
            arena.close();
        }
    }

    @Override
    public String toString() {
        return driver() + " on " + ifname + " (fd " + fd + ")";
    }
}
