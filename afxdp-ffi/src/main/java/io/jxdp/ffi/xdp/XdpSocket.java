package io.jxdp.ffi.xdp;

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

/**
 * One AF_XDP socket bound to one queue of one interface, with its fill, completion, RX and TX
 * rings, driven by one thread ({@code Documentation/networking/af_xdp.rst}).
 *
 * <p>Frame ownership. The socket owns a slice of its {@link Umem}'s frames; each frame is at any
 * time in exactly one place, which {@link #accounting()} counts:
 * <ul>
 *   <li><b>free</b>: on this socket's free stack;
 *   <li><b>fill</b>: with the kernel for receive: on the fill ring, or on the RX ring not yet
 *       released by us;
 *   <li><b>tx</b>: with the kernel for transmit: queued or published on the TX ring, or on the
 *       completion ring not yet reaped;
 *   <li><b>held</b>: with the caller, between {@link #claimTxFrame()} and {@link #submitFrame} or
 *       {@link #releaseFrame}.
 * </ul>
 * Which ring of a pair a frame is on is the kernel's business and not observable exactly (the
 * kernel publishes its fill-ring consumer index lazily), so the pairs are counted together.
 * A frame received by {@link #receive} is handed to the {@link FrameHandler} and is free again
 * when it returns. A frame received by {@link #forward} goes to the TX ring as it is (the
 * same UMEM address: XDP_TX without a copy) or, dropped, to the free stack; once transmitted,
 * {@link #reap()} hands it straight back to the fill ring while that is below its target.
 *
 * <p>Wakeups (need-wakeup protocol): bound with XDP_USE_NEED_WAKEUP, the kernel sets the flag
 * on the fill ring when it ran out of fill entries and on the TX ring when it will not look at
 * the TX ring by itself; only then do we make a syscall (recvfrom for RX, sendto for TX).
 */
public final class XdpSocket implements PacketPort {
    private static final System.Logger LOG = System.getLogger(XdpSocket.class.getName());
    /** log2 of the RX/TX entry size (struct xdp_desc, 16) and of the fill/completion one (u64, 8);
     *  TX and completion entries are the same as RX and fill ones. */
    private static final int RX_SHIFT = Integer.numberOfTrailingZeros(RxRingDescriptor.ENTRY_SIZE);
    private static final int TX_SHIFT = Integer.numberOfTrailingZeros(TxRingDescriptor.ENTRY_SIZE);
    private static final int ADDR_SHIFT = Integer.numberOfTrailingZeros(FillRingDescriptor.ENTRY_SIZE);
    private static final boolean LITTLE_ENDIAN = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;
    /**
     * Checked mode ({@code -Djxdp.afxdp.checked=true}): {@link #receive} and {@link #forward}
     * handlers get the UMEM's own bounded segment and UMEM addresses, so a handler's access
     * outside the UMEM throws. By default they get {@link RawMemory#ALL}, the whole address space,
     * and absolute addresses: the JIT folds that segment to constants and the handler's accesses
     * are plain loads and stores. Either way the socket first checks that the descriptor's
     * {@code [address, address + length)} lies inside the UMEM (else {@link #badDescriptor}).
     */
    private static final boolean CHECKED = Boolean.getBoolean("jxdp.afxdp.checked");

    /** How to ask the driver for zero copy. */
    public enum Mode {
        /** Try XDP_ZEROCOPY; if the driver refuses, log why and bind with XDP_COPY. */
        AUTO,
        /** XDP_COPY: works on every driver (the kernel copies frames to/from the UMEM). */
        COPY,
        /** XDP_ZEROCOPY or fail. */
        ZEROCOPY
    }

    /**
     * @param ringSize   entries of the RX and TX rings (power of two)
     * @param fillSize   entries of the fill ring (power of two)
     * @param completionSize entries of the completion ring (power of two)
     * @param frames     UMEM frames this socket takes from its UMEM
     * @param mode       copy / zero-copy policy
     * @param needWakeup bind with XDP_USE_NEED_WAKEUP
     */
    public record Config(int ringSize, int fillSize, int completionSize, int frames, Mode mode, boolean needWakeup) {
        public Config {
            requirePowerOfTwo("ring size", ringSize);
            requirePowerOfTwo("fill ring size", fillSize);
            requirePowerOfTwo("completion ring size", completionSize);
            if (frames < 2) {
                throw new IllegalArgumentException("an AF_XDP socket needs at least 2 UMEM frames: " + frames);
            }
        }

        /** 2048-entry rings, 4096 frames, AUTO mode, need-wakeup on. */
        public static Config defaults() {
            return new Config(2048, 2048, 2048, 4096, Mode.AUTO, true);
        }

        public Config withFrames(int n) {
            return new Config(ringSize, fillSize, completionSize, n, mode, needWakeup);
        }

        public Config withMode(Mode m) {
            return new Config(ringSize, fillSize, completionSize, frames, m, needWakeup);
        }

        public Config withRings(int ring, int fill, int completion) {
            return new Config(ring, fill, completion, frames, mode, needWakeup);
        }

        private static void requirePowerOfTwo(String what, int n) {
            if (n <= 0 || Integer.bitCount(n) != 1) {
                throw new IllegalArgumentException(what + " must be a positive power of two: " + n);
            }
        }
    }

    /**
     * Where the socket's frames are right now; {@code free + fill + tx + held == frames}.
     * {@code held} counts frames taken with {@link #claimTxFrame()} and not yet submitted.
     */
    public record Accounting(int frames, int free, int fill, int tx, int held) {
        public int total() {
            return free + fill + tx + held;
        }
    }

    private final Umem umem;
    private final String ifname;
    private final int ifindex;
    private final int queueId;
    private final int fd;
    private final boolean zeroCopy;
    private final boolean needWakeup;
    private final Arena arena;
    private final MemorySegment capture;
    private final MemorySegment pollfd;
    private final MemorySegment[] maps;
    private final ProducerRing fill;
    private final ConsumerRing completion;
    private final ConsumerRing rx;
    private final ProducerRing tx;
    private final MemorySegment umemMemory;
    /** Absolute address of UMEM address 0, and the UMEM's size in bytes. */
    private final long umemBase;
    private final long umemSize;
    private final int headroom;
    private final int maxFrameLength;
    private final int frameSize;
    /** {@code address & frameMask}: the start of the address's frame (Umem.frameBase). */
    private final long frameMask;
    private final int frameCount;
    private final int fillTarget;
    private final long[] freeStack;
    private int freeTop;
    private int fillOutstanding;
    private int txQueued;
    private int held;
    private int txOutstanding;
    private long forwarded;
    private long forwardDropped;
    private long txFullStalls;
    private boolean inForward;
    /** A {@link #receive} handler is running: the fill ring's reserved slots are the batch's. */
    private boolean inReceive;
    private long txKicks;
    private long rxWakeups;
    private boolean closed;

    private XdpSocket(Umem umem, String ifname, int ifindex, int queueId, int fd, boolean zeroCopy, boolean needWakeup,
            Arena arena, MemorySegment[] maps, ProducerRing fill, ConsumerRing completion, ConsumerRing rx,
            ProducerRing tx, int firstFrame, int frames) {
        this.umem = umem;
        this.ifname = ifname;
        this.ifindex = ifindex;
        this.queueId = queueId;
        this.fd = fd;
        this.zeroCopy = zeroCopy;
        this.needWakeup = needWakeup;
        this.arena = arena;
        this.capture = LibC.newErrnoCapture(arena);
        this.pollfd = arena.allocate(Sockets.POLLFD_SIZE, 8);
        this.maps = maps;
        this.fill = fill;
        this.completion = completion;
        this.rx = rx;
        this.tx = tx;
        this.umemMemory = umem.memory();
        this.umemBase = umemMemory.address();
        this.umemSize = umemMemory.byteSize();
        if ((umemBase & (umem.frameSize() - 1)) != 0) { // mmap'd: page-aligned; forwardRoom relies on it
            throw new IllegalArgumentException("UMEM at " + umemBase + " is not aligned to its frame size " + umem.frameSize());
        }
        this.headroom = umem.headroom();
        // TX frames start at the headroom; the kernel keeps XDP_PACKET_HEADROOM + headroom on RX.
        this.maxFrameLength = umem.frameSize() - umem.headroom();
        this.frameSize = umem.frameSize();
        this.frameMask = ~((long) frameSize - 1);
        this.frameCount = frames;
        this.fillTarget = Math.min(fill.size(), frames / 2);
        this.freeStack = new long[frames];
        for (int i = frames - 1; i >= 0; i--) {
            freeStack[freeTop++] = umem.frameAddress(firstFrame + i);
        }
        refill();
    }

    /**
     * Opens a socket on queue {@code queueId} of interface {@code ifname} (looked up in the calling
     * thread's network namespace). The first socket on {@code umem} registers it; later ones share it.
     */
    public static XdpSocket open(Umem umem, String ifname, int queueId, Config config) {
        Link link = Link.byName(ifname);
        if (queueId < 0 || queueId >= link.rxQueues() && queueId >= link.txQueues()) {
            throw new IllegalArgumentException("interface \"" + ifname + "\" has " + link.rxQueues() + " RX / "
                    + link.txQueues() + " TX queues; no queue " + queueId);
        }
        int firstFrame = umem.claim(config.frames());
        try {
            return switch (config.mode()) {
                case COPY -> attempt(umem, link, queueId, config, IfXdp.XDP_COPY, firstFrame);
                case ZEROCOPY -> attempt(umem, link, queueId, config, IfXdp.XDP_ZEROCOPY, firstFrame);
                case AUTO -> {
                    if (umem.ownerFd() >= 0) { // sharing: the registering socket already chose the mode
                        yield attempt(umem, link, queueId, config, 0, firstFrame);
                    }
                    try {
                        yield attempt(umem, link, queueId, config, IfXdp.XDP_ZEROCOPY, firstFrame);
                    } catch (NativeException e) {
                        LOG.log(System.Logger.Level.INFO, "AF_XDP zero-copy unavailable on " + ifname + " queue "
                                + queueId + " (" + e.getMessage() + "); falling back to copy mode");
                        yield attempt(umem, link, queueId, config, IfXdp.XDP_COPY, firstFrame);
                    }
                }
            };
        } catch (RuntimeException e) {
            umem.unclaim(firstFrame, config.frames());
            throw e;
        }
    }

    private static XdpSocket attempt(Umem umem, Link link, int queueId, Config config, int modeFlag, int firstFrame) {
        String where = "AF_XDP socket on \"" + link.name() + "\" queue " + queueId;
        int fd = Sockets.socket(Sockets.AF_XDP, Sockets.SOCK_RAW, 0, where);
        Arena arena = Arena.ofShared();
        MemorySegment[] maps = new MemorySegment[4];
        try {
            int owner = umem.ownerFd();
            if (owner < 0) {
                umem.register(fd, where);
            }
            Sockets.setsockoptInt(fd, IfXdp.SOL_XDP, FillRingDescriptor.SOCKOPT, config.fillSize(), "XDP_UMEM_FILL_RING, " + where);
            Sockets.setsockoptInt(fd, IfXdp.SOL_XDP, CompletionRingDescriptor.SOCKOPT, config.completionSize(),
                    "XDP_UMEM_COMPLETION_RING, " + where);
            Sockets.setsockoptInt(fd, IfXdp.SOL_XDP, RxRingDescriptor.SOCKOPT, config.ringSize(), "XDP_RX_RING, " + where);
            Sockets.setsockoptInt(fd, IfXdp.SOL_XDP, TxRingDescriptor.SOCKOPT, config.ringSize(), "XDP_TX_RING, " + where);
            MemorySegment off = arena.allocate(MmapOffsetsDescriptor.SIZE, 8);
            Sockets.getsockopt(fd, IfXdp.SOL_XDP, IfXdp.XDP_MMAP_OFFSETS, off, "XDP_MMAP_OFFSETS, " + where);

            maps[0] = mapRing(fd, off, FillRingDescriptor.MMAP_OFFSETS, FillRingDescriptor.PGOFF, config.fillSize(),
                    FillRingDescriptor.ENTRY_SIZE, "fill ring, " + where);
            maps[1] = mapRing(fd, off, CompletionRingDescriptor.MMAP_OFFSETS, CompletionRingDescriptor.PGOFF,
                    config.completionSize(), CompletionRingDescriptor.ENTRY_SIZE, "completion ring, " + where);
            maps[2] = mapRing(fd, off, RxRingDescriptor.MMAP_OFFSETS, RxRingDescriptor.PGOFF, config.ringSize(),
                    RxRingDescriptor.ENTRY_SIZE, "RX ring, " + where);
            maps[3] = mapRing(fd, off, TxRingDescriptor.MMAP_OFFSETS, TxRingDescriptor.PGOFF, config.ringSize(),
                    TxRingDescriptor.ENTRY_SIZE, "TX ring, " + where);

            MemorySegment sa = arena.allocate(IfXdp.SOCKADDR_XDP_SIZE, 4);
            int flags = modeFlag | (config.needWakeup() ? IfXdp.XDP_USE_NEED_WAKEUP : 0);
            boolean needWakeup = config.needWakeup();
            if (owner >= 0) {
                // A sharing socket may name no other flag (net/xdp/xsk.c, xsk_bind: EINVAL); it
                // inherits copy/zero-copy and need-wakeup from the socket that registered the UMEM.
                flags = IfXdp.XDP_SHARED_UMEM;
                needWakeup = umem.ownerNeedsWakeup();
                sa.set(ValueLayout.JAVA_INT, IfXdp.SXDP_SHARED_UMEM_FD, owner);
            }
            sa.set(ValueLayout.JAVA_SHORT, IfXdp.SXDP_FAMILY, (short) Sockets.AF_XDP);
            sa.set(ValueLayout.JAVA_SHORT, IfXdp.SXDP_FLAGS, (short) flags);
            sa.set(ValueLayout.JAVA_INT, IfXdp.SXDP_IFINDEX, link.ifindex());
            sa.set(ValueLayout.JAVA_INT, IfXdp.SXDP_QUEUE_ID, queueId);
            try {
                Sockets.bind(fd, sa, where + " (" + flagNames(flags) + ")");
            } catch (NativeException e) {
                throw bindError(e, where, flags);
            }
            MemorySegment opts = arena.allocate(ValueLayout.JAVA_INT);
            Sockets.getsockopt(fd, IfXdp.SOL_XDP, IfXdp.XDP_OPTIONS, opts, "XDP_OPTIONS, " + where);
            boolean zc = (opts.get(ValueLayout.JAVA_INT, 0) & IfXdp.XDP_OPTIONS_ZEROCOPY) != 0;
            if (owner < 0) {
                umem.owner(fd, needWakeup);
            }
            return new XdpSocket(umem, link.name(), link.ifindex(), queueId, fd, zc, needWakeup, arena, maps,
                    producer(maps[0], off, FillRingDescriptor.MMAP_OFFSETS, FillRingDescriptor.ENTRY_SIZE, config.fillSize()),
                    consumer(maps[1], off, CompletionRingDescriptor.MMAP_OFFSETS, CompletionRingDescriptor.ENTRY_SIZE,
                            config.completionSize()),
                    consumer(maps[2], off, RxRingDescriptor.MMAP_OFFSETS, RxRingDescriptor.ENTRY_SIZE, config.ringSize()),
                    producer(maps[3], off, TxRingDescriptor.MMAP_OFFSETS, TxRingDescriptor.ENTRY_SIZE, config.ringSize()),
                    firstFrame, config.frames());
        } catch (RuntimeException e) {
            for (MemorySegment m : maps) {
                if (m != null) {
                    Mmap.unmap(m);
                }
            }
            arena.close();
            FileDescriptors.close(fd);
            throw e;
        }
    }

    /**
     * A socket over rings in ordinary memory whose kernel side {@link MemoryKernel} plays (fd -1,
     * need-wakeup on, copy mode): the data path runs exactly as on a real socket, no syscall is made
     * while the kernel side leaves the need-wakeup flags clear.
     */
    static XdpSocket overMemory(Umem umem, String name, Config config, MemorySegment[] maps, ProducerRing fill,
            ConsumerRing completion, ConsumerRing rx, ProducerRing tx) {
        int firstFrame = umem.claim(config.frames());
        return new XdpSocket(umem, name, 0, 0, -1, false, true, Arena.ofShared(), maps, fill, completion, rx, tx,
                firstFrame, config.frames());
    }

    private static NativeException bindError(NativeException e, String where, int flags) {
        String why = switch (e.errno()) {
            case Errno.EBUSY -> " (queue already has an AF_XDP socket, or another UMEM is bound to it)";
            case Errno.EOPNOTSUPP -> (flags & IfXdp.XDP_ZEROCOPY) != 0
                    ? " (driver does not support AF_XDP zero-copy)" : " (mode not supported by the driver)";
            case Errno.EINVAL -> " (queue id out of range, or bad ring/UMEM setup)";
            case Errno.ENODEV -> " (no such interface in this network namespace)";
            default -> Sockets.privilegeHint(e.errno());
        };
        return new NativeException("bind(" + where + ", " + flagNames(flags) + ")" + why, e.errno());
    }

    private static String flagNames(int flags) {
        StringBuilder b = new StringBuilder();
        if ((flags & IfXdp.XDP_SHARED_UMEM) != 0) {
            b.append("XDP_SHARED_UMEM|");
        }
        if ((flags & IfXdp.XDP_COPY) != 0) {
            b.append("XDP_COPY|");
        }
        if ((flags & IfXdp.XDP_ZEROCOPY) != 0) {
            b.append("XDP_ZEROCOPY|");
        }
        if ((flags & IfXdp.XDP_USE_NEED_WAKEUP) != 0) {
            b.append("XDP_USE_NEED_WAKEUP|");
        }
        return b.isEmpty() ? "0" : b.substring(0, b.length() - 1);
    }

    private static MemorySegment mapRing(int fd, MemorySegment off, int ring, long pgoff, int entries, int entrySize,
            String what) {
        long desc = off.get(ValueLayout.JAVA_LONG, ring + MmapOffsetsDescriptor.DESC);
        long size = desc + (long) entries * entrySize;
        try {
            return Mmap.map(size, Mmap.PROT_READ | Mmap.PROT_WRITE, Mmap.MAP_SHARED | Mmap.MAP_POPULATE, fd, pgoff);
        } catch (NativeException e) {
            throw new NativeException("mmap(" + what + ")", e.errno());
        }
    }

    private static ProducerRing producer(MemorySegment m, MemorySegment off, int ring, int entrySize, int entries) {
        return new ProducerRing(m, off.get(ValueLayout.JAVA_LONG, ring + MmapOffsetsDescriptor.PRODUCER),
                off.get(ValueLayout.JAVA_LONG, ring + MmapOffsetsDescriptor.CONSUMER),
                off.get(ValueLayout.JAVA_LONG, ring + MmapOffsetsDescriptor.FLAGS),
                off.get(ValueLayout.JAVA_LONG, ring + MmapOffsetsDescriptor.DESC), entrySize, entries);
    }

    private static ConsumerRing consumer(MemorySegment m, MemorySegment off, int ring, int entrySize, int entries) {
        return new ConsumerRing(m, off.get(ValueLayout.JAVA_LONG, ring + MmapOffsetsDescriptor.PRODUCER),
                off.get(ValueLayout.JAVA_LONG, ring + MmapOffsetsDescriptor.CONSUMER),
                off.get(ValueLayout.JAVA_LONG, ring + MmapOffsetsDescriptor.FLAGS),
                off.get(ValueLayout.JAVA_LONG, ring + MmapOffsetsDescriptor.DESC), entrySize, entries);
    }

    // ---------------------------------------------------------------------------------- facts

    /** The socket's fd: the value to store in an XSKMAP at this queue's index. */
    public int fd() {
        return fd;
    }

    public boolean isZeroCopy() {
        return zeroCopy;
    }

    @Override
    public String driver() {
        return zeroCopy ? "af_xdp zero-copy" : "af_xdp copy";
    }

    @Override
    public String interfaceName() {
        return ifname;
    }

    public int ifindex() {
        return ifindex;
    }

    @Override
    public int queueId() {
        return queueId;
    }

    public Umem umem() {
        return umem;
    }

    /**
     * Bytes {@link #forward} may transmit from the RX address {@code address}: from there to the
     * end of its frame (the kernel put the data after XDP_PACKET_HEADROOM + the UMEM headroom).
     * {@code address} may be the UMEM address or the absolute one a handler gets (the UMEM is
     * aligned to its frame size, so both have the same offset in their frame).
     */
    public int forwardRoom(long address) {
        return frameSize - (int) (address - umem.frameBase(address));
    }

    /** Largest frame {@link #send} accepts: the frame size minus the UMEM headroom. */
    public int maxFrameLength() {
        return maxFrameLength;
    }

    public Accounting accounting() {
        return new Accounting(frameCount, freeTop, fillOutstanding, txOutstanding + txQueued, held);
    }

    /** Frames {@link #forward} put on the TX ring (in place). */
    public long forwarded() {
        return forwarded;
    }

    /** Frames {@link #forward}'s handler dropped ({@link ForwardHandler#DROP}): back to receive. */
    public long forwardDropped() {
        return forwardDropped;
    }

    /**
     * {@link #forward} calls that found the TX ring full while frames waited on the RX ring: the
     * back-pressure events (those frames stayed on the RX ring; none was dropped by us).
     */
    public long txFullStalls() {
        return txFullStalls;
    }

    /** sendto wakeups made for TX. */
    public long txKicks() {
        return txKicks;
    }

    /** recvfrom wakeups made for the fill ring. */
    public long rxWakeups() {
        return rxWakeups;
    }

    public XdpStatistics statistics() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(IfXdp.STATISTICS_SIZE, 8);
            Sockets.getsockopt(fd, IfXdp.SOL_XDP, IfXdp.XDP_STATISTICS, s, "XDP_STATISTICS on \"" + ifname + "\" queue " + queueId);
            return new XdpStatistics(s.get(ValueLayout.JAVA_LONG, 0), s.get(ValueLayout.JAVA_LONG, 8),
                    s.get(ValueLayout.JAVA_LONG, 16), s.get(ValueLayout.JAVA_LONG, 24), s.get(ValueLayout.JAVA_LONG, 32),
                    s.get(ValueLayout.JAVA_LONG, 40));
        }
    }

    // ------------------------------------------------------------------------------ data path

    /** Tops the fill ring up from the free stack to its target; returns frames given. */
    public int refill() {
        int want = Math.min(fillTarget - fillOutstanding, freeTop);
        if (want <= 0) {
            return 0;
        }
        if (inReceive) {
            return 0; // the batch holds fill slots reserved; receive refills after its handlers
        }
        int start = fill.nextIndex();
        int n = fill.reserve(want);
        for (int i = 0; i < n; i++) {
            RawMemory.putLong(fill.slot(start + i), freeStack[--freeTop]);
        }
        if (n > 0) {
            fill.submit(n);
            fillOutstanding += n;
        }
        return n;
    }

    /**
     * Hands up to {@code limit} received frames to {@code handler}; each is free again when the
     * handler returns. One pass over the batch, as the C reference's rxdrop: the batch's fill
     * slots (up to the fill ring's target) are reserved first, each frame's address goes into its
     * slot once its handler returned (beyond the target: to the free stack), and the slots are
     * published after the batch. A handler may {@link #send}, {@link #claimTxFrame} and
     * {@link #flush} on this socket: while it runs, {@link #reap()} gives completions to the free
     * stack and {@link #refill()} waits for the batch's end, so nothing else writes the fill ring.
     * It may not {@link #receive} or {@link #forward} (IllegalStateException: the RX ring's
     * consumer index is the batch's). A handler that throws drops the rest of the batch; its
     * frames are recycled the same way, none leaks.
     */
    @Override
    public int receive(FrameHandler handler, int limit) {
        requireNotInHandler("receive");
        int start = rx.nextIndex();
        int n = rx.peek(limit);
        if (n == 0) {
            refill();
            wakeRxIfAsked();
            return 0;
        }
        // Ring geometry in locals: the loop's raw-memory accesses would make the JIT reload fields.
        long rxEntries = rx.entries;
        int rxMask = rx.mask;
        long fillEntries = fill.entries;
        int fillMask = fill.mask;
        long frameMask = this.frameMask;
        MemorySegment frames = CHECKED ? umemMemory : RawMemory.ALL;
        long frameBase = CHECKED ? 0 : umemBase;
        long umemSize = this.umemSize;
        int frameSize = this.frameSize;
        int fillStart = fill.nextIndex();
        // The batch's frames count as "fill" (fill ring + RX ring) until they go back.
        int toFill = fill.reserve(Math.max(0, Math.min(n, fillTarget - (fillOutstanding - n))));
        int i = 0;
        inReceive = true;
        try {
            // Runs that end where either ring wraps, so that within one the entry addresses
            // simply advance by the entry size (at most three runs per batch).
            while (i < toFill) {
                int r = (start + i) & rxMask;
                int f = (fillStart + i) & fillMask;
                int end = i + Math.min(toFill - i, Math.min(rxMask + 1 - r, fillMask + 1 - f));
                long rxAt = rxEntries + ((long) r << RX_SHIFT);
                long fillAt = fillEntries + ((long) f << ADDR_SHIFT);
                for (; i < end; i++) {
                    long addr = RawMemory.getLong(rxAt);
                    int len = RawMemory.getInt(rxAt + RxRingDescriptor.DESC_LEN);
                    if (outsideUmem(addr, len, umemSize, frameSize)) {
                        throw badDescriptor(start + i, addr, len);
                    }
                    handler.onFrame(frames, frameBase + addr, len);
                    RawMemory.putLong(fillAt, addr & frameMask);
                    rxAt += RxRingDescriptor.ENTRY_SIZE;
                    fillAt += FillRingDescriptor.ENTRY_SIZE;
                }
            }
            // Beyond the fill target (rare: a handler sent, or the fill ring is smaller): free stack.
            for (; i < n; i++) {
                long at = rx.slot(start + i);
                long addr = RawMemory.getLong(at);
                int len = RawMemory.getInt(at + RxRingDescriptor.DESC_LEN);
                if (outsideUmem(addr, len, umemSize, frameSize)) {
                    throw badDescriptor(start + i, addr, len);
                }
                handler.onFrame(frames, frameBase + addr, len);
                freeStack[freeTop++] = addr & frameMask;
            }
        } catch (Throwable t) {
            // A handler threw on frame i (cold and out of line: a finally would be copied into
            // both exits and grow what the JIT inlines): it and the frames after it go back too.
            recycleReceived(start, i, n, fillStart, toFill);
            endReceive(n, toFill);
            throw t;
        }
        endReceive(n, toFill);
        refill();
        return n;
    }

    /** Frames {@code from..n-1} of a receive batch back as the loop would have put them. */
    private void recycleReceived(int start, int from, int n, int fillStart, int toFill) {
        for (int i = from; i < n; i++) {
            long addr = RawMemory.getLong(rx.slot(start + i)) & frameMask;
            if (i < toFill) {
                RawMemory.putLong(fill.slot(fillStart + i), addr);
            } else {
                freeStack[freeTop++] = addr;
            }
        }
    }

    /** Releases a receive batch's RX entries and publishes its fill slots. */
    private void endReceive(int n, int toFill) {
        rx.release(n);
        if (toFill > 0) {
            fill.submit(toFill);
        }
        fillOutstanding += toFill - n;
        inReceive = false;
    }

    /**
     * Whether an RX descriptor's frame {@code [addr, addr + len)} is not inside the UMEM or longer
     * than a frame (unsigned; two compares, never true for what the kernel writes).
     */
    private static boolean outsideUmem(long addr, int len, long umemSize, int frameSize) {
        return Long.compareUnsigned(addr, umemSize - len) > 0 | Integer.compareUnsigned(len, frameSize) > 0;
    }

    /**
     * An RX descriptor whose frame is not inside the UMEM (or longer than a frame): the kernel
     * never writes one, so the ring or the mapping is corrupt. Thrown before any handler sees it;
     * the batch's frames are recycled as after a throwing handler.
     */
    private IllegalStateException badDescriptor(int index, long address, int length) {
        return new IllegalStateException("RX descriptor at ring index " + Integer.toUnsignedString(index) + " on \""
                + ifname + "\" queue " + queueId + ": UMEM address " + Long.toUnsignedString(address) + ", length "
                + Integer.toUnsignedString(length) + " not inside the UMEM (" + umemSize + " bytes, frames of "
                + frameSize + ")");
    }

    /**
     * The kernel flags the fill ring when it found it empty and stopped; a recvfrom restarts it.
     * Checked only when the RX ring is empty (as libxdp's xdpsock and the C reference do): a kernel
     * that stopped stops filling the RX ring, so the loop sees it empty and asks again on every
     * call until the flag shows; a busy RX ring needs no check (nor its store-load fence).
     */
    private void wakeRxIfAsked() {
        if (needWakeup && fill.needsWakeup()) {
            rxWakeups++;
            Sockets.recv(fd, MemorySegment.NULL, Sockets.MSG_DONTWAIT, capture);
        }
    }

    @Override
    public boolean send(MemorySegment source, long offset, int length) {
        requireNotForwarding("send");
        if (length <= 0 || length > maxFrameLength) {
            throw new IllegalArgumentException("AF_XDP frame length " + length + " not in 1.." + maxFrameLength
                    + " on \"" + ifname + "\" queue " + queueId);
        }
        if (freeTop == 0) {
            reap(); // completions may all go to the fill ring: check the stack again
            if (freeTop == 0) {
                return false;
            }
        }
        int index = tx.nextIndex();
        if (tx.reserve(1) == 0) {
            return false;
        }
        long frame = freeStack[--freeTop];
        long addr = frame + headroom;
        MemorySegment.copy(source, offset, umemMemory, addr, length);
        tx.putDescriptor(index, addr, length, 0);
        txQueued++;
        return true;
    }

    /**
     * Low-level TX of bytes already written into a free frame: takes a frame from the free stack
     * and returns its UMEM address (after the headroom), or -1 when none is free. Follow with
     * {@link #submitFrame(long, int)}.
     */
    public long claimTxFrame() {
        requireNotForwarding("claimTxFrame");
        if (freeTop == 0) {
            reap();
            if (freeTop == 0) {
                return -1;
            }
        }
        held++;
        return freeStack[--freeTop] + headroom;
    }

    /**
     * Queues a frame from {@link #claimTxFrame()} for TX with {@code length} bytes at {@code address};
     * returns false (the frame goes back to the free stack) when the TX ring is full. Either way
     * the caller no longer holds the frame.
     */
    public boolean submitFrame(long address, int length) {
        requireNotForwarding("submitFrame");
        held--;
        if (length <= 0 || length > maxFrameLength) {
            freeStack[freeTop++] = umem.frameBase(address);
            throw new IllegalArgumentException("AF_XDP frame length " + length + " not in 1.." + maxFrameLength);
        }
        int index = tx.nextIndex();
        if (tx.reserve(1) == 0) {
            freeStack[freeTop++] = umem.frameBase(address);
            return false;
        }
        tx.putDescriptor(index, address, length, 0);
        txQueued++;
        return true;
    }

    /**
     * Returns a frame taken with {@link #claimTxFrame()} to the free stack unsent.
     */
    public void releaseFrame(long address) {
        if (held == 0) {
            throw new IllegalStateException("releaseFrame(" + address + ") on \"" + ifname + "\" queue " + queueId
                    + ": no frame is held");
        }
        held--;
        freeStack[freeTop++] = umem.frameBase(address);
    }

    /**
     * XDP_TX in user space: hands up to {@code limit} received frames to {@code handler}, which may
     * rewrite each in the UMEM, and queues the ones it does not drop on the TX ring at the same
     * UMEM address, without a copy; {@link #flush()} publishes them (as after {@link #send}).
     * Returns the number of frames taken off the RX ring.
     *
     * <p>Back-pressure: TX slots are reserved before the RX ring is read, so at most as many
     * frames are taken as the TX ring has room for; the others stay on the RX ring, owned by the
     * kernel, which drops new arrivals (counted in {@link XdpStatistics#rxRingFull()}) if it fills.
     * Nothing is dropped in user space, and completions are reaped first so that a full TX ring
     * is a real one. A call that finds the TX ring full while frames wait counts in
     * {@link #txFullStalls()} and returns 0: {@link #flush()} (which kicks the kernel) and call again.
     *
     * <p>Frames: a forwarded frame goes fill/RX → TX → completion → (via {@link #reap()}) the fill
     * ring while it is below its target, else the free stack; a dropped one goes to the free stack
     * and is refilled at the end of the call. Frames that a throwing handler did not get to, and
     * the one it threw on, go to the free stack; the frames queued before it stay queued. A length
     * outside 1..{@link #forwardRoom(long)} throws IllegalArgumentException the same way.
     */
    public int forward(ForwardHandler handler, int limit) {
        requireNotInHandler("forward");
        if (limit < 1) {
            throw new IllegalArgumentException("forward limit must be at least 1: " + limit);
        }
        if (txOutstanding > 0) {
            reap();
        }
        int txStart = tx.nextIndex();
        int room = tx.reserve(limit);
        int start = rx.nextIndex();
        int n = room == 0 ? 0 : rx.peek(room);
        if (n == 0) {
            if (room == 0 && rx.available() > 0) {
                txFullStalls++;
            }
            tx.cancel(room);
            refill();
            wakeRxIfAsked();
            return 0;
        }
        // Ring geometry in locals: the loop's raw-memory stores would make the JIT reload fields.
        long rxEntries = rx.entries;
        int rxMask = rx.mask;
        long txEntries = tx.entries;
        int txMask = tx.mask;
        MemorySegment frames = CHECKED ? umemMemory : RawMemory.ALL;
        long frameBase = CHECKED ? 0 : umemBase;
        long umemSize = this.umemSize;
        int frameSize = this.frameSize;
        long frameOffset = ~frameMask;
        int queued = 0;
        int dropped = 0;
        int i = 0;
        inForward = true;
        try {
            // Runs that end before either ring wraps (a run queues at most as many TX entries as
            // it takes RX ones), so that within one the entry addresses simply advance.
            while (i < n) {
                int r = (start + i) & rxMask;
                int t = (txStart + queued) & txMask;
                int end = i + Math.min(n - i, Math.min(rxMask + 1 - r, txMask + 1 - t));
                long rxAt = rxEntries + ((long) r << RX_SHIFT);
                long txAt = txEntries + ((long) t << TX_SHIFT);
                for (; i < end; i++) {
                    long addr = RawMemory.getLong(rxAt);
                    int len = RawMemory.getInt(rxAt + RxRingDescriptor.DESC_LEN);
                    if (outsideUmem(addr, len, umemSize, frameSize)) {
                        throw badDescriptor(start + i, addr, len);
                    }
                    int out = handler.onFrame(frames, frameBase + addr, len);
                    rxAt += RxRingDescriptor.ENTRY_SIZE;
                    if (out > 0 && out <= frameSize - (int) (addr & frameOffset)) {
                        RawMemory.putLong(txAt + TxRingDescriptor.DESC_ADDR, addr);
                        // len, options = 0: one 8-byte store in native byte order
                        RawMemory.putLong(txAt + TxRingDescriptor.DESC_LEN, LITTLE_ENDIAN ? out : (long) out << 32);
                        txAt += TxRingDescriptor.ENTRY_SIZE;
                        queued++;
                        } else if (out == ForwardHandler.DROP) {
                        freeStack[freeTop++] = addr & frameMask;
                        dropped++;
                    } else {
                        throw badLength(out, addr);
                    }
                }
            }
        } catch (Throwable t) {
            // A handler that throws (or a bad length) drops the rest of the batch; their frames
            // must not leak. Out of line, as in receive.
            for (int j = i; j < n; j++) {
                freeStack[freeTop++] = RawMemory.getLong(rx.slot(start + j)) & frameMask;
            }
            endForward(n, room, queued, dropped);
            throw t;
        }
        endForward(n, room, queued, dropped);
        refill();
        return n;
    }

    private IllegalArgumentException badLength(int out, long addr) {
        return new IllegalArgumentException("forward handler returned length " + out + " for the frame at UMEM " + addr
                + "; must be 0 (drop) or 1.." + forwardRoom(addr) + " on \"" + ifname + "\" queue " + queueId);
    }

    /** Releases a forward batch's RX entries and un-reserves the TX slots it did not use. */
    private void endForward(int n, int room, int queued, int dropped) {
        rx.release(n);
        fillOutstanding -= n;
        tx.cancel(room - queued);
        txQueued += queued;
        forwarded += queued;
        forwardDropped += dropped;
        inForward = false;
    }

    /**
     * A handler may not take frames off the RX ring itself (its batch's entries are not yet
     * released), and a closed socket's rings are unmapped.
     */
    private void requireNotInHandler(String what) {
        if (inForward | inReceive | closed) {
            throw new IllegalStateException(what + (closed ? " on a closed socket" : " called from a "
                    + (inForward ? "forward" : "receive") + " handler") + " on \"" + ifname + "\" queue " + queueId);
        }
    }

    /**
     * A forward handler that queues TX itself would interleave its slots with the batch's
     * reserved ones (the ring is single-producer), so that is refused.
     */
    private void requireNotForwarding(String what) {
        if (inForward) {
            throw new IllegalStateException(what + " called from a forward handler on \"" + ifname + "\" queue "
                    + queueId + ": the handler decides by its return value");
        }
    }

    @Override
    public int flush() {
        if (closed) {
            throw new IllegalStateException("flush on a closed socket on \"" + ifname + "\" queue " + queueId);
        }
        int published = txQueued;
        if (published > 0) {
            tx.submit(published);
            txOutstanding += published;
            txQueued = 0;
        }
        // Copy mode sends at most a budget (32) of descriptors per sendto, so kick while the
        // kernel has not consumed everything; with need-wakeup only when it asks to be kicked.
        if (tx.outstanding() > 0 && (!needWakeup || tx.needsWakeup())) {
            txKicks++;
            long rc = Sockets.kick(fd, capture);
            if (rc < 0 && !Sockets.isTransient((int) -rc)) {
                throw new NativeException("sendto(TX kick, AF_XDP \"" + ifname + "\" queue " + queueId + ")", (int) -rc);
            }
        }
        reap();
        return published;
    }

    /**
     * Reaps the completion ring: transmitted frames go straight back to the fill ring while it is
     * below its target (as the kernel's xdpsock l2fwd recycles completions), the rest to the free
     * stack. Returns the number reaped.
     */
    public int reap() {
        int start = completion.nextIndex();
        int n = completion.peek(completion.size());
        if (n == 0) {
            return 0;
        }
        int i = 0;
        // While a receive handler runs, the fill ring's reserved slots are the batch's: free stack only.
        int want = inReceive ? 0 : Math.min(n, fillTarget - fillOutstanding);
        if (want > 0) {
            int fillStart = fill.nextIndex();
            int m = fill.reserve(want);
            long completionEntries = completion.entries;
            int completionMask = completion.mask;
            long fillEntries = fill.entries;
            int fillMask = fill.mask;
            long frameMask = this.frameMask;
            while (i < m) { // runs up to the next wrap of either ring, as in receive
                int c = (start + i) & completionMask;
                int f = (fillStart + i) & fillMask;
                int end = i + Math.min(m - i, Math.min(completionMask + 1 - c, fillMask + 1 - f));
                long completionAt = completionEntries + ((long) c << ADDR_SHIFT);
                long fillAt = fillEntries + ((long) f << ADDR_SHIFT);
                for (; i < end; i++) {
                    RawMemory.putLong(fillAt, RawMemory.getLong(completionAt) & frameMask);
                    completionAt += CompletionRingDescriptor.ENTRY_SIZE;
                    fillAt += FillRingDescriptor.ENTRY_SIZE;
                }
            }
            if (m > 0) {
                fill.submit(m);
                fillOutstanding += m;
            }
        }
        for (; i < n; i++) {
            freeStack[freeTop++] = RawMemory.getLong(completion.slot(start + i)) & frameMask;
        }
        completion.release(n);
        txOutstanding -= n;
        return n;
    }

    @Override
    public int txInFlight() {
        return txOutstanding + txQueued;
    }

    @Override
    public boolean awaitReceive(int timeoutMillis) {
        int rc = Sockets.poll(fd, Sockets.POLLIN, timeoutMillis, pollfd, capture);
        if (rc < 0 && rc != -Errno.EINTR) {
            throw new NativeException("poll(AF_XDP \"" + ifname + "\" queue " + queueId + ")", -rc);
        }
        return rc > 0;
    }

    /** Unmaps the rings and closes the socket; its UMEM frames stay with the UMEM. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (MemorySegment m : maps) {
                Mmap.unmap(m);
            }
        } finally {
            FileDescriptors.close(fd);
            umem.released(fd);
            arena.close();
        }
    }

    @Override
    public String toString() {
        return driver() + " on " + ifname + " queue " + queueId + " (fd " + fd + ")";
    }
}
