package io.jxdp.port;

import io.jxdp.ffi.affinity.Affinity;
import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.BpfFlags;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import io.jxdp.ffi.bpf.TestRunAttr;
import io.jxdp.ffi.net.Link;
import io.jxdp.ffi.net.NetNs;
import io.jxdp.ffi.packet.PacketRingSocket;
import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The engine of {@code jxdp gen}: transmits a template frame out of one interface as fast as
 * asked, for a bounded time and an optional exact count, varying the TCP/UDP source port over
 * {@code flows} values.
 *
 * <p>Live frames (preferred): each thread runs {@link GenProgram} with BPF_PROG_TEST_RUN and
 * BPF_F_TEST_XDP_LIVE_FRAMES, {@code repeat} = frames in this chunk, and an {@code xdp_md} context
 * whose {@code ingress_ifindex} is the interface: the kernel builds the frames in a page pool and
 * the program's XDP_TX sends them through the interface's ndo_xdp_xmit (net/bpf/test_run.c). A veth
 * accepts ndo_xdp_xmit only when its peer runs NAPI, i.e. has an XDP program attached or GRO on;
 * otherwise frames are dropped silently, as they are when a peer RX ring (256 frames) overflows:
 * veth picks the peer ring by sending CPU, so give the veth at least as many queues as threads.
 * Counted packets are frames handed to the driver.
 *
 * <p>Clones (where live frames are refused): each thread runs {@link CloneProgram}, a sched_cls
 * program, with plain BPF_PROG_TEST_RUN, {@code repeat} runs of {@code burst} (cb[0])
 * {@code bpf_clone_redirect} calls each; every clone goes through the interface's
 * {@code dev_queue_xmit}. Counted packets are clones the helper accepted, read back from the
 * program's counter map after each call (failed clones are counted apart and sent again), so an
 * exact {@code count} is exact in frames handed to the device. The flow changes once per run: runs
 * of {@code burst} frames share a source port ({@code burst = 1}: a new port per frame, at the cost
 * of one skb head copy per frame).
 *
 * <p>AF_PACKET (fallback, or forced): each thread has a {@link PacketRingSocket} TX ring and varies
 * the port itself. Pacing: a thread sleeps until its next frame is due ({@code start + sent / rate}),
 * then sends all frames due by now (at most 50 ms of traffic), so sleeps that overshoot and slow
 * calls do not lower the rate.
 */
public final class TrafficGenerator {
    private static final System.Logger LOG = System.getLogger(TrafficGenerator.class.getName());
    /** Upper bound on --duration. */
    public static final int MAX_SECONDS = 600;
    /** Most frames per BPF_PROG_TEST_RUN. */
    static final int MAX_CALL = 1 << 24;
    /** sizeof(struct xdp_md): data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex. */
    static final int XDP_MD_SIZE = 24;

    /** How frames are transmitted. */
    public enum Mode {
        /** Live frames, else clones, else AF_PACKET, with the reason for each skipped one logged. */
        AUTO,
        /** BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES or fail. */
        LIVE,
        /** BPF_PROG_TEST_RUN of a sched_cls program that calls bpf_clone_redirect, or fail. */
        CLONE,
        /** An AF_PACKET TPACKET_V3 TX ring. */
        AFPACKET
    }

    /**
     * @param ifname the interface to send out of
     * @param netns namespace to resolve {@code ifname} in (threads enter it), or null
     * @param template the frame
     * @param flows distinct source ports, from the template's own source port upwards (1: no variation)
     * @param ratePps packets per second over all threads, 0 for as fast as possible
     * @param seconds time bound, 1..{@link #MAX_SECONDS}
     * @param count exact number of packets to send, 0 for no count bound
     * @param threads sending threads (each pinned to one allowed CPU, queue = thread % RX queues)
     * @param mode the transmit path
     * @param burst clone mode: frames per program run, all of one flow (1..{@link CloneProgram#MAX_BURST})
     */
    public record Config(String ifname, String netns, PacketTemplate template, int flows, long ratePps, double seconds,
                         long count, int threads, Mode mode, int burst) {
        /** Frames per program run in clone mode unless asked otherwise. */
        public static final int DEFAULT_BURST = 64;

        public Config(String ifname, String netns, PacketTemplate template, int flows, long ratePps, double seconds,
                      long count, int threads, Mode mode) {
            this(ifname, netns, template, flows, ratePps, seconds, count, threads, mode, DEFAULT_BURST);
        }

        public Config {
            if (ifname == null || ifname.isEmpty()) {
                throw new IllegalArgumentException("an interface is required (--dev)");
            }
            if (flows < 1 || flows > 65536) {
                throw new IllegalArgumentException("--flows must be 1..65536, got " + flows);
            }
            if (ratePps < 0) {
                throw new IllegalArgumentException("--rate must be >= 0 (0 or 'max': as fast as possible), got " + ratePps);
            }
            if (!(seconds > 0 && seconds <= MAX_SECONDS)) {
                throw new IllegalArgumentException("--duration must be in (0, " + MAX_SECONDS + "] seconds, got " + seconds);
            }
            if (count < 0) {
                throw new IllegalArgumentException("--count must be >= 0, got " + count);
            }
            if (threads < 1 || threads > 256) {
                throw new IllegalArgumentException("--threads must be 1..256, got " + threads);
            }
            if (burst < 1 || burst > CloneProgram.MAX_BURST) {
                throw new IllegalArgumentException("--burst must be 1.." + CloneProgram.MAX_BURST + ", got " + burst);
            }
        }
    }

    /** What was sent: packets, over seconds, of frameBytes each (without FCS). */
    public record Report(long packets, double seconds, int frameBytes, String path) {
        public double pps() {
            return seconds > 0 ? packets / seconds : 0;
        }

        /** Megabits per second of frame bytes (Ethernet header to payload end, no FCS/preamble/gap). */
        public double mbps() {
            return pps() * frameBytes * 8 / 1e6;
        }

        @Override
        public String toString() {
            return String.format("%d packets in %.3f s: %.0f pps, %.1f Mbit/s (%d-byte frames, %s)", packets, seconds,
                    pps(), mbps(), frameBytes, path);
        }
    }

    private TrafficGenerator() {
    }

    /**
     * Sends as configured; calls {@code progress} about every second from the calling thread with
     * what was sent since the previous call, and returns the whole run's report.
     */
    public static Report run(Config c, Consumer<Report> progress) throws InterruptedException {
        int ifindex;
        int rxQueues;
        try (NetNs.Scope ignored = c.netns() == null ? null : NetNs.enter(c.netns())) {
            Link link = Link.byName(c.ifname());
            ifindex = link.ifindex();
            rxQueues = Math.max(1, link.rxQueues());
        }
        int port = c.template().l4Offset() < 0 ? 0 : Short.toUnsignedInt(be16(c.template().frame(),
                c.template().l4Offset()));
        Mode mode = c.mode();
        GenProgram prog = null;
        CloneProgram clone = null;
        if (mode == Mode.AUTO || mode == Mode.LIVE) {
            String why = null;
            try {
                prog = GenProgram.load(c.template(), c.flows(), port);
                why = liveFramesUnavailable(c, ifindex);
            } catch (NativeException e) {
                why = e.getMessage();
            }
            if (why != null) {
                if (prog != null) {
                    prog.close();
                    prog = null;
                }
                if (mode == Mode.LIVE) {
                    throw new IllegalStateException("live frames unavailable on " + c.ifname() + ": " + why);
                }
                LOG.log(System.Logger.Level.WARNING, "live frames unavailable on " + c.ifname() + " (" + why
                        + "); trying clones (bpf_clone_redirect)");
            } else {
                mode = Mode.LIVE;
            }
        }
        if (mode == Mode.AUTO || mode == Mode.CLONE) {
            String why;
            try {
                clone = CloneProgram.load(c.template(), ifindex, c.flows(), port, c.threads());
                why = clone.probe(c.template().frame(), c.netns(), 0);
            } catch (NativeException e) {
                why = e.getMessage();
            }
            if (why != null) {
                if (clone != null) {
                    clone.close();
                    clone = null;
                }
                if (mode == Mode.CLONE) {
                    throw new IllegalStateException("clone mode unavailable on " + c.ifname() + ": " + why);
                }
                LOG.log(System.Logger.Level.WARNING, "clones unavailable on " + c.ifname() + " (" + why
                        + "); falling back to AF_PACKET");
                mode = Mode.AFPACKET;
            } else {
                mode = Mode.CLONE;
            }
        }
        String path = switch (mode) {
            case LIVE -> "xdp live frames";
            case CLONE -> "tc clone_redirect";
            default -> "af_packet tx ring";
        };
        try {
            return drive(c, prog, clone, ifindex, rxQueues, port, path, progress);
        } finally {
            if (prog != null) {
                prog.close();
            }
            if (clone != null) {
                clone.close();
            }
        }
    }

    /**
     * Why live frames cannot be sent out of {@code c}'s interface (the kernel's refusal, e.g. EPERM
     * on a kernel that forbids them), or null when they can: the probe {@link #run} makes first.
     */
    static String liveFramesUnavailable(Config c) {
        int ifindex;
        try (NetNs.Scope ignored = c.netns() == null ? null : NetNs.enter(c.netns())) {
            ifindex = Link.byName(c.ifname()).ifindex();
        }
        try {
            return liveFramesUnavailable(c, ifindex);
        } catch (NativeException e) {
            return e.getMessage();
        }
    }

    /** Runs a one-instruction XDP_DROP program once over live frames on the device; null when that works. */
    private static String liveFramesUnavailable(Config c, int ifindex) {
        long[] drop = {0x0000_0001_0000_00b7L, 0x95L}; // mov64 r0, XDP_DROP; exit
        int fd = Bpf.progLoad(ProgLoadAttr.xdp(drop).withName("jxdp_gen_probe"));
        try (NetNs.Scope ignored = c.netns() == null ? null : NetNs.enter(c.netns())) {
            Bpf.progTestRun(fd, liveAttr(c.template().frame(), ifindex, 0, 1));
            return null;
        } catch (NativeException e) {
            return e.getMessage() + (e.errno() == Errno.EINVAL ? " (kernel before 5.18, or a device without XDP)" : "");
        } finally {
            Bpf.close(fd);
        }
    }

    static TestRunAttr liveAttr(byte[] frame, int ifindex, int queue, int repeat) {
        MemorySegment ctx = MemorySegment.ofArray(new byte[XDP_MD_SIZE]);
        ctx.set(ValueLayout.JAVA_INT_UNALIGNED, 4, frame.length);  // data_end = size (required)
        ctx.set(ValueLayout.JAVA_INT_UNALIGNED, 12, ifindex);      // ingress_ifindex
        ctx.set(ValueLayout.JAVA_INT_UNALIGNED, 16, queue);        // rx_queue_index
        return new TestRunAttr(frame, 0, ctx.toArray(ValueLayout.JAVA_BYTE), 0, repeat,
                BpfFlags.BPF_F_TEST_XDP_LIVE_FRAMES, 0, 0);
    }

    private static Report drive(Config c, GenProgram prog, CloneProgram clone, int ifindex, int rxQueues, int basePort, String path,
                                Consumer<Report> progress) throws InterruptedException {
        int threads = c.threads();
        AtomicLongArray sent = new AtomicLongArray(threads * 16); // one padded slot per thread
        AtomicReference<Throwable> failure = new AtomicReference<>();
        BitSet allowed = Affinity.currentThread();
        // Threads set up (namespace, pinning, sockets) first; the clock starts when all are ready,
        // so set-up time neither counts against --duration nor lowers the reported rate.
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        long[] clock = new long[1]; // the deadline, written before go opens (happens-before via the latch)
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int idx = i;
            int cpu = nthSetBit(allowed, i);
            long quota = c.count() == 0 ? Long.MAX_VALUE : c.count() / threads + (i < c.count() % threads ? 1 : 0);
            double rate = c.ratePps() == 0 ? 0 : (double) c.ratePps() / threads;
            Start gate = () -> {
                ready.countDown();
                go.await();
                return clock[0];
            };
            Runnable body = () -> {
                try (NetNs.Scope ignored = c.netns() == null ? null : NetNs.enter(c.netns())) {
                    Affinity.pinCurrentThread(cpu);
                    if (clone != null) {
                        cloned(clone, c.template().frame(), c.burst(), idx, quota, rate, gate, sent, idx * 16);
                    } else if (prog != null) {
                        live(prog.progFd, c.template().frame(), ifindex, idx % rxQueues, quota, rate, gate, sent,
                                idx * 16);
                    } else {
                        afPacket(c, basePort, quota, rate, gate, sent, idx * 16, idx);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (go.getCount() > 0) {
                        ready.countDown(); // failed in set-up: do not hold the others back
                    }
                }
            };
            Thread t = Thread.ofPlatform().name("jxdp-gen-" + i).daemon().unstarted(body);
            workers.add(t);
            t.start();
        }
        if (!ready.await(30, TimeUnit.SECONDS)) {
            go.countDown();
            throw new IllegalStateException("sender threads not ready after 30 s");
        }
        long start = System.nanoTime();
        long deadline = start + (long) (c.seconds() * 1e9);
        clock[0] = deadline;
        go.countDown();
        long nextReport = start + 1_000_000_000L;
        long lastTotal = 0;
        long lastTime = start;
        boolean alive = true;
        while (alive) {
            alive = false;
            for (Thread t : workers) {
                t.join(Math.max(1, (nextReport - System.nanoTime()) / 1_000_000));
                alive |= t.isAlive();
                if (System.nanoTime() >= nextReport) {
                    break;
                }
            }
            long now = System.nanoTime();
            if (alive && now >= nextReport && progress != null) {
                long total = total(sent, threads);
                progress.accept(new Report(total - lastTotal, (now - lastTime) / 1e9, c.template().length(), path));
                lastTotal = total;
                lastTime = now;
                nextReport += 1_000_000_000L;
            }
            if (now > deadline + 10_000_000_000L) {
                throw new IllegalStateException("sender threads still running 10 s after --duration; giving up");
            }
        }
        long end = System.nanoTime();
        Throwable t = failure.get();
        if (t != null) {
            throw new IllegalStateException("sending on " + c.ifname() + " failed: " + t.getMessage(), t);
        }
        long failed = 0;
        for (int i = 0; i < threads; i++) {
            failed += sent.get(i * 16 + 1);
        }
        if (failed > 0) {
            LOG.log(System.Logger.Level.WARNING, failed + " clones refused by " + c.ifname() + " (sent again)");
            path += ", " + failed + " clones refused";
        }
        return new Report(total(sent, threads), (end - start) / 1e9, c.template().length(), path);
    }

    private static long total(AtomicLongArray sent, int threads) {
        long s = 0;
        for (int i = 0; i < threads; i++) {
            s += sent.get(i * 16);
        }
        return s;
    }

    private static int nthSetBit(BitSet set, int n) {
        int count = set.cardinality();
        int want = n % count;
        int bit = set.nextSetBit(0);
        for (int i = 0; i < want; i++) {
            bit = set.nextSetBit(bit + 1);
        }
        return bit;
    }

    /** Sleeps until the chunk that starts after {@code done} frames is due; false past the deadline. */
    private static boolean pace(double rate, long start, long done, long deadline) {
        if (rate == 0) {
            return System.nanoTime() < deadline;
        }
        long due = start + (long) (done * 1e9 / rate);
        while (true) {
            long now = System.nanoTime();
            if (now >= deadline) {
                return false;
            }
            if (now >= due) {
                return true;
            }
            LockSupport.parkNanos(Math.min(due, deadline) - now);
        }
    }

    /** A sender's set-up is done: wait for the common start and return the deadline. */
    @FunctionalInterface
    private interface Start {
        long await() throws InterruptedException;
    }

    private static void live(int progFd, byte[] frame, int ifindex, int queue, long quota, double rate, Start gate,
                             AtomicLongArray sent, int slot) throws InterruptedException {
        // Each BPF_PROG_TEST_RUN sets up and tears down a page pool (tens of ms, an RCU grace period
        // on this machine), so calls are sized by time, not count: ~0.2 s of traffic at the speed the
        // last call reached, or what is due at --rate, never past the deadline.
        TestRunAttr attr = liveAttr(frame, ifindex, queue, 1);
        long deadline = gate.await();
        long done = 0;
        double measured = 0;
        long paceFrom = System.nanoTime(); // after this thread's set-up, so it does not start with a burst
        long maxBurst = Math.max(1, (long) (rate * 0.05));
        while (done < quota && pace(rate, paceFrom, done, deadline)) {
            long now = System.nanoTime();
            long n;
            if (rate > 0) {
                // What is due by now, at most 50 ms of traffic: a late thread catches up in steps.
                n = Math.min(maxBurst, Math.max(1, (long) ((now - paceFrom) * rate / 1e9) - done));
            } else if (measured == 0) {
                n = 4096;
            } else {
                n = (long) (measured * Math.min(0.2, (deadline - now) / 1e9));
            }
            n = Math.max(1, Math.min(Math.min(n, MAX_CALL), quota - done));
            Bpf.progTestRun(progFd, attr.withRepeat((int) n));
            long took = System.nanoTime() - now;
            measured = n * 1e9 / Math.max(1, took);
            done += n;
            sent.lazySet(slot, done);
        }
    }

    /**
     * Clone mode's sender: calls of {@code repeat} runs of {@code burst} clones, sized like live
     * mode's (by time, or what is due at --rate), the last one cut to the quota; what was sent is
     * what the program counted in this thread's slot (the probe's frame included).
     */
    private static void cloned(CloneProgram p, byte[] frame, int burst, int idx, long quota, double rate, Start gate,
                               AtomicLongArray sent, int slot) throws InterruptedException {
        long[] counted = p.counters(idx);
        long done = counted[0];
        sent.lazySet(slot, done);
        long deadline = gate.await();
        double measured = 0;
        long paceFrom = System.nanoTime();
        long start = done;
        long maxBurst = Math.max(1, (long) (rate * 0.05));
        while (done < quota && pace(rate, paceFrom, done - start, deadline)) {
            long now = System.nanoTime();
            long n;
            if (rate > 0) {
                n = Math.min(maxBurst, Math.max(1, (long) ((now - paceFrom) * rate / 1e9) - (done - start)));
            } else if (measured == 0) {
                n = 4096;
            } else {
                n = (long) (measured * Math.min(0.2, (deadline - now) / 1e9));
            }
            n = Math.max(1, Math.min(Math.min(n, MAX_CALL), quota - done));
            int b = (int) Math.min(burst, n);
            Bpf.progTestRun(p.progFd, CloneProgram.attr(frame, b, idx, (int) (n / b)));
            long took = System.nanoTime() - now;
            counted = p.counters(idx);
            measured = (counted[0] - done) * 1e9 / Math.max(1, took);
            done = counted[0];
            sent.lazySet(slot, done);
            sent.lazySet(slot + 1, counted[1]);
        }
    }

    private static void afPacket(Config c, int basePort, long quota, double rate, Start gate, AtomicLongArray sent,
                                 int slot, int thread) throws InterruptedException {
        PacketTemplate t = c.template();
        byte[] bytes = t.frame();
        try (Arena arena = Arena.ofConfined();
             PacketRingSocket sock = PacketRingSocket.open(c.ifname(), PacketRingSocket.Config.defaults())) {
            MemorySegment frame = arena.allocate(bytes.length, 64);
            MemorySegment.copy(bytes, 0, frame, ValueLayout.JAVA_BYTE, 0, bytes.length);
            boolean vary = t.l4Offset() >= 0 && c.flows() > 1;
            int l4 = t.l4Offset();
            int csumAt = t.checksumOffset();
            long deadline = gate.await();
            long done = 0;
            long paceFrom = System.nanoTime();
            long maxBurst = Math.max(1, (long) (rate * 0.05));
            long counter = thread; // threads interleave flows so together they cover all of them
            while (done < quota && pace(rate, paceFrom, done, deadline)) {
                // As fast as possible: 256 per flush; paced: what is due by now (sleeps overshoot), <= 50 ms.
                long due = rate == 0 ? 256
                        : Math.min(maxBurst, Math.max(1, (long) ((System.nanoTime() - paceFrom) * rate / 1e9) - done));
                int n = (int) Math.min(due, quota - done);
                for (int i = 0; i < n; i++) {
                    if (vary) {
                        int newPort = (int) ((basePort + counter % c.flows()) & 0xffff);
                        counter += c.threads();
                        rewritePort(frame, l4, csumAt, t.protocol() == PacketTemplate.IPPROTO_UDP, newPort);
                    }
                    while (!sock.send(frame, 0, bytes.length)) {
                        sock.flush();
                        if (System.nanoTime() >= deadline) {
                            sent.lazySet(slot, done + i);
                            return;
                        }
                        Thread.onSpinWait();
                    }
                }
                sock.flush();
                done += n;
                sent.lazySet(slot, done);
            }
            long drain = System.nanoTime() + 1_000_000_000L;
            while (sock.txInFlight() > 0 && System.nanoTime() < drain) {
                sock.flush();
                Thread.onSpinWait();
            }
        }
    }

    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** Sets the source port and fixes the checksum incrementally (RFC 1624 eqn. 3). */
    static void rewritePort(MemorySegment f, int l4, int csumAt, boolean udp, int newPort) {
        int old = Short.toUnsignedInt(f.get(BE16, l4));
        f.set(BE16, l4, (short) newPort);
        int hc = Short.toUnsignedInt(f.get(BE16, csumAt));
        if (udp && hc == 0) {
            return;
        }
        int s = (~hc & 0xffff) + (~old & 0xffff) + newPort;
        s = (s & 0xffff) + (s >>> 16);
        s = (s & 0xffff) + (s >>> 16);
        int c = ~s & 0xffff;
        if (udp && c == 0) {
            c = 0xffff;
        }
        f.set(BE16, csumAt, (short) c);
    }

    private static short be16(byte[] b, int off) {
        return (short) (((b[off] & 0xff) << 8) | (b[off + 1] & 0xff));
    }
}
