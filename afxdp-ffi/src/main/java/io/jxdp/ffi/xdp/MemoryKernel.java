package io.jxdp.ffi.xdp;

import io.jxdp.ffi.sys.Mmap;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Plays the kernel's side of an {@link XdpSocket}'s four rings in ordinary memory, so that the
 * socket's data path ({@link XdpSocket#receive}, {@link XdpSocket#forward}, {@link XdpSocket#flush},
 * {@link XdpSocket#reap}) can be tested and timed without a network device or a syscall:
 * {@link #receive} is the driver's copy-mode receive (fill ring → RX ring), {@link #transmit} its
 * transmit (TX ring → completion ring). Each side reads the other's index with acquire and
 * publishes its own with release, as {@code net/xdp/xsk_queue.h} does; the rings are laid out as
 * the kernel lays them out (producer, consumer and flags on their own cache lines, then the
 * entries). The need-wakeup flags stay clear, so the socket never makes a syscall (its fd is -1).
 * Single-threaded: the caller alternates the two sides.
 */
public final class MemoryKernel implements AutoCloseable {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final long PROD = 0;
    private static final long CONS = 64;
    private static final long FLAGS = 128;
    private static final long DESC = 192;
    private static final boolean LITTLE_ENDIAN = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;

    private final Umem umem;
    private final XdpSocket socket;
    private final MemorySegment fillMem;
    private final MemorySegment completionMem;
    private final MemorySegment rxMem;
    private final MemorySegment txMem;
    private final int fillMask;
    private final int completionMask;
    private final int ringMask;
    private final long rxOffset;
    /** The frame-base mask of the UMEM's addresses ({@link Umem#frameBase}). */
    private final long frameMask;
    // Absolute addresses (RawMemory, as the socket's side): the four rings' entries and indices.
    private final long fillEntries;
    private final long completionEntries;
    private final long rxEntries;
    private final long txEntries;
    private int fillCons;
    private int completionProd;
    private int rxProd;
    private int txCons;
    private long transmittedBytes;
    /** Ownership checking: which frames the kernel holds now (null: not checking). */
    private final boolean[] held;
    private int rxSeen;
    private int completionSeen;

    private MemoryKernel(Umem umem, XdpSocket.Config config, boolean checkOwnership) {
        if (!config.needWakeup()) {
            throw new IllegalArgumentException("MemoryKernel needs a need-wakeup socket (it never kicks: fd -1)");
        }
        this.umem = umem;
        this.fillMem = map(config.fillSize(), FillRingDescriptor.ENTRY_SIZE);
        this.completionMem = map(config.completionSize(), CompletionRingDescriptor.ENTRY_SIZE);
        this.rxMem = map(config.ringSize(), RxRingDescriptor.ENTRY_SIZE);
        this.txMem = map(config.ringSize(), TxRingDescriptor.ENTRY_SIZE);
        this.fillMask = config.fillSize() - 1;
        this.completionMask = config.completionSize() - 1;
        this.ringMask = config.ringSize() - 1;
        this.rxOffset = IfXdp.XDP_PACKET_HEADROOM + umem.headroom();
        this.frameMask = ~((long) umem.frameSize() - 1);
        this.fillEntries = fillMem.address() + DESC;
        this.completionEntries = completionMem.address() + DESC;
        this.rxEntries = rxMem.address() + DESC;
        this.txEntries = txMem.address() + DESC;
        this.held = checkOwnership ? new boolean[umem.frameCount()] : null;
        MemorySegment[] maps = {fillMem, completionMem, rxMem, txMem};
        this.socket = XdpSocket.overMemory(umem, "memory", config, maps,
                new ProducerRing(fillMem, PROD, CONS, FLAGS, DESC, FillRingDescriptor.ENTRY_SIZE, config.fillSize()),
                new ConsumerRing(completionMem, PROD, CONS, FLAGS, DESC, CompletionRingDescriptor.ENTRY_SIZE,
                        config.completionSize()),
                new ConsumerRing(rxMem, PROD, CONS, FLAGS, DESC, RxRingDescriptor.ENTRY_SIZE, config.ringSize()),
                new ProducerRing(txMem, PROD, CONS, FLAGS, DESC, TxRingDescriptor.ENTRY_SIZE, config.ringSize()));
    }

    /**
     * A socket on {@code umem} (which must not be registered with a real socket) whose rings this
     * kernel side serves; ring sizes and frames from {@code config}, need-wakeup must be on.
     */
    public static MemoryKernel open(Umem umem, XdpSocket.Config config) {
        return new MemoryKernel(umem, config, false);
    }

    /**
     * As {@link #open}, and checks frame ownership as it goes: a frame is the kernel's from the
     * moment it takes it off the fill ring (or the TX ring) until user space releases its RX entry
     * (or its completion entry); a frame handed to the kernel while it holds it already (a frame
     * twice on the rings, or a stale ring slot published) throws IllegalStateException naming it.
     */
    public static MemoryKernel openChecked(Umem umem, XdpSocket.Config config) {
        return new MemoryKernel(umem, config, true);
    }

    /** Ownership: frames whose RX or completion entries user space released are no longer held. */
    private void reclaim() {
        int rxReleased = (int) INT.getAcquire(rxMem, CONS);
        for (; rxSeen != rxReleased; rxSeen++) {
            held[umem.frameIndex(rxMem.get(ValueLayout.JAVA_LONG, DESC + (long) (rxSeen & ringMask) * 16))] = false;
        }
        int completionReleased = (int) INT.getAcquire(completionMem, CONS);
        for (; completionSeen != completionReleased; completionSeen++) {
            held[umem.frameIndex(completionMem.get(ValueLayout.JAVA_LONG,
                    DESC + (long) (completionSeen & completionMask) * 8))] = false;
        }
    }

    private void take(long addr, String ring, int index) {
        int frame = umem.frameIndex(addr);
        if (held[frame]) {
            throw new IllegalStateException("frame " + frame + " (UMEM " + addr + ") on the " + ring + " ring at index "
                    + index + " while the kernel holds it already");
        }
        held[frame] = true;
    }

    private static MemorySegment map(int entries, int entrySize) {
        return Mmap.map(DESC + (long) entries * entrySize, Mmap.PROT_READ | Mmap.PROT_WRITE,
                Mmap.MAP_PRIVATE | Mmap.MAP_ANONYMOUS | Mmap.MAP_POPULATE, -1, 0);
    }

    public XdpSocket socket() {
        return socket;
    }

    /**
     * Receives up to {@code n} frames of {@code length} bytes: takes fill-ring addresses and puts RX
     * descriptors at address + XDP_PACKET_HEADROOM + the UMEM headroom, as copy mode does (the frame
     * bytes are left as they are). Stops when the fill ring is empty or the RX ring full; returns
     * how many it received.
     */
    public int receive(int n, int length) {
        if (held != null) {
            reclaim();
        }
        int fillCons = this.fillCons;
        int rxProd = this.rxProd;
        int filled = (int) INT.getAcquire(fillMem, PROD) - fillCons;
        int rxFree = ringMask + 1 - (rxProd - (int) INT.getAcquire(rxMem, CONS));
        int m = Math.min(n, Math.min(filled, rxFree));
        // Entries through absolute addresses (masked indices: inside the rings), geometry in locals.
        long fillEntries = this.fillEntries;
        long rxEntries = this.rxEntries;
        int fillMask = this.fillMask;
        int ringMask = this.ringMask;
        long frameMask = this.frameMask;
        long rxOffset = this.rxOffset;
        // xdp_desc.len and .options (0) as one 8-byte store in native byte order
        long lenOptions = LITTLE_ENDIAN ? length & 0xffff_ffffL : (long) length << 32;
        boolean checking = held != null;
        for (int i = 0; i < m; ) { // runs up to the next wrap of either ring: addresses advance
            int f = (fillCons + i) & fillMask;
            int r = (rxProd + i) & ringMask;
            int end = i + Math.min(m - i, Math.min(fillMask + 1 - f, ringMask + 1 - r));
            long fillAt = fillEntries + ((long) f << 3);
            long rxAt = rxEntries + ((long) r << 4);
            for (; i < end; i++) {
                long addr = RawMemory.getLong(fillAt);
                if (checking) {
                    take(addr, "fill", fillCons + i);
                }
                RawMemory.putLong(rxAt, (addr & frameMask) + rxOffset);
                RawMemory.putLong(rxAt + 8, lenOptions);
                fillAt += 8;
                rxAt += 16;
            }
        }
        this.fillCons = fillCons + m;
        this.rxProd = rxProd + m;
        INT.setRelease(fillMem, CONS, fillCons + m);
        INT.setRelease(rxMem, PROD, rxProd + m);
        return m;
    }

    /** The UMEM address of the {@code back}-th most recent RX descriptor (1: the last one). */
    long receivedAddress(int back) {
        return rxMem.get(ValueLayout.JAVA_LONG, DESC + (long) ((rxProd - back) & ringMask) * 16);
    }

    /** Tests: overwrites the {@code back}-th most recent RX descriptor (a kernel gone wrong). */
    void corruptReceived(int back, long address, int length) {
        long at = rxEntries + ((long) ((rxProd - back) & ringMask) << 4);
        RawMemory.putLong(at, address);
        RawMemory.putInt(at + 8, length);
    }

    /**
     * Transmits every published TX descriptor the completion ring has room for: puts its address
     * on the completion ring. Returns how many; their lengths add to {@link #transmittedBytes()}.
     */
    public int transmit() {
        if (held != null) {
            reclaim();
        }
        int txCons = this.txCons;
        int completionProd = this.completionProd;
        int queued = (int) INT.getAcquire(txMem, PROD) - txCons;
        int completionFree = completionMask + 1 - (completionProd - (int) INT.getAcquire(completionMem, CONS));
        int m = Math.min(queued, completionFree);
        long txEntries = this.txEntries;
        long completionEntries = this.completionEntries;
        int ringMask = this.ringMask;
        int completionMask = this.completionMask;
        long bytes = 0;
        boolean checking = held != null;
        for (int i = 0; i < m; ) { // runs up to the next wrap of either ring, as in receive
            int t = (txCons + i) & ringMask;
            int c = (completionProd + i) & completionMask;
            int end = i + Math.min(m - i, Math.min(ringMask + 1 - t, completionMask + 1 - c));
            long txAt = txEntries + ((long) t << 4);
            long completionAt = completionEntries + ((long) c << 3);
            for (; i < end; i++) {
                long addr = RawMemory.getLong(txAt);
                bytes += RawMemory.getInt(txAt + 8);
                if (checking) {
                    take(addr, "TX", txCons + i);
                }
                RawMemory.putLong(completionAt, addr);
                txAt += 16;
                completionAt += 8;
            }
        }
        transmittedBytes += bytes;
        this.txCons = txCons + m;
        this.completionProd = completionProd + m;
        INT.setRelease(txMem, CONS, txCons + m);
        INT.setRelease(completionMem, PROD, completionProd + m);
        return m;
    }

    /** Sum of the lengths of the descriptors {@link #transmit} consumed. */
    public long transmittedBytes() {
        return transmittedBytes;
    }

    /** Closes the socket and unmaps the rings (the socket's close does). */
    @Override
    public void close() {
        socket.close();
    }
}
