package io.jxdp.port;

import io.jxdp.ffi.net.FrameHandler;
import io.jxdp.ffi.net.NetNs;
import io.jxdp.ffi.xdp.ForwardHandler;
import io.jxdp.ffi.xdp.Umem;
import io.jxdp.ffi.xdp.XdpSocket;
import io.jxdp.ffi.xdp.XskRedirect;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * jxdp's side of the AF_XDP speed comparison (perf/afxdp/run.sh), the same two loops as the C
 * reference perf/afxdp/xsk_ref.c with the same ring sizes, batch, frame size and copy mode:
 * <ul>
 *   <li>rxdrop: receive a batch, hand the frames back to the fill ring;</li>
 *   <li>l2fwd: receive a batch, swap the MAC addresses in the RX frame and put the same UMEM
 *       frame on the TX ring ({@link XdpSocket#forward}: no copy), flush; completed frames go back
 *       to the fill ring.</li>
 * </ul>
 * The XDP program is jxdp's {@link SteeringProgram}, unfiltered. Frames counted after a warm-up,
 * which both sides skip (JIT compilation for jxdp, page faults for both).
 *
 * <p>Two ways to wait, as in the C reference: busy-poll (the default: the loop spins on the rings)
 * or poll mode ({@code xsk_ref -p}, after the kernel's xdpsock sample's {@code -p}): when a turn
 * finds the RX ring empty, the loop blocks in poll(2) for POLLIN ({@link XdpSocket#awaitReceive})
 * up to {@link Config#pollMillis()}, except while l2fwd has frames out on TX (they must come back
 * through the completion ring before the fill ring can take more). A busy-polling receiver uses
 * all the CPU it gets; a polling one leaves what it does not need to whoever shares its CPU (on
 * perf/afxdp/run.sh's veth, the NAPI kthread that fills its RX ring), so there rxdrop's rate
 * follows the receiver's cost per frame (l2fwd, which pays for its transmits in its own thread,
 * seldom finds its RX ring empty there; perf/RESULTS.md, issue 7).
 */
public final class XskBench {
    /** Which loop. */
    public enum Mode { RXDROP, L2FWD }

    /**
     * @param ifname interface, resolved in {@code netns} (null: the caller's namespace)
     * @param seconds measured seconds, after {@code warmup} seconds
     * @param pollMillis 0: busy-poll; 1..1000: poll mode, waiting in poll(2) up to this long when the RX ring is empty
     */
    public record Config(String ifname, String netns, int queue, Mode mode, double seconds, double warmup, int batch,
                         int ring, int frames, int frameSize, int pollMillis) {
        public Config {
            if (pollMillis < 0 || pollMillis > 1000) {
                throw new IllegalArgumentException("--poll-timeout must be 1..1000 ms (0: busy-poll), got " + pollMillis);
            }
            if (!(seconds > 0 && seconds <= 600) || warmup < 0 || warmup > 60) {
                throw new IllegalArgumentException("--duration must be in (0, 600] and --warmup in [0, 60], got "
                        + seconds + ", " + warmup);
            }
            if (batch < 1 || batch > ring) {
                throw new IllegalArgumentException("--batch must be 1..ring size (" + ring + "), got " + batch);
            }
        }
    }

    /**
     * Frames received (rxdrop) or forwarded (l2fwd) over the measured seconds, and the CPU time the
     * loop's thread got in them: on a shared machine the share of its CPU the receiver got moves
     * the figures more than anything else, so both sides report it (xsk_ref.c: CLOCK_THREAD_CPUTIME_ID).
     * {@code waits}: poll(2) calls while measuring (0 when busy-polling).
     */
    public record Result(Mode mode, long packets, double seconds, double cpuSeconds, long waits, String driver,
                         boolean nativeXdp) {
        public double pps() {
            return packets / seconds;
        }

        @Override
        public String toString() {
            return String.format("jxdp %s pkts %d secs %.3f pps %.0f cpu %.1f%% waits %d (%s, %s XDP)",
                    mode.name().toLowerCase(), packets, seconds, pps(), 100 * cpuSeconds / seconds, waits, driver,
                    nativeXdp ? "native" : "generic");
        }
    }

    /** rxdrop's handler: nothing (the frame goes back to the fill ring). */
    public static final FrameHandler DROP = (memory, offset, length) -> { };

    /**
     * Swaps the MACs in the RX frame and forwards it as it is (the xdpsock l2fwd swap: two loads,
     * two stores, no byte loop). Frames shorter than an Ethernet header are dropped.
     */
    public static final ForwardHandler SWAP_MACS = (m, off, len) -> {
        if (len < 14) {
            return ForwardHandler.DROP;
        }
        long a = m.get(ValueLayout.JAVA_LONG_UNALIGNED, off);      // bytes 0..7 (little-endian)
        int b = m.get(ValueLayout.JAVA_INT_UNALIGNED, off + 8);    // bytes 8..11
        long dst = a & 0xffff_ffff_ffffL;
        long src = (a >>> 48) | ((b & 0xffff_ffffL) << 16);
        m.set(ValueLayout.JAVA_LONG_UNALIGNED, off, src | (dst << 48));
        m.set(ValueLayout.JAVA_INT_UNALIGNED, off + 8, (int) (dst >>> 16));
        return len;
    };

    private XskBench() {
    }

    public static Result run(Config c) {
        try (NetNs.Scope ignored = c.netns() == null ? null : NetNs.enter(c.netns());
             Umem umem = Umem.allocate(c.frames(), c.frameSize(), 0);
             XdpSocket socket = XdpSocket.open(umem, c.ifname(), c.queue(), new XdpSocket.Config(c.ring(), c.ring(),
                     c.ring(), c.frames(), XdpSocket.Mode.COPY, true));
             SteeringProgram program = SteeringProgram.load(c.queue() + 1, false, 1);
             XskRedirect attached = program.attach(c.ifname(), XskRedirect.AttachMode.AUTO)) {
            program.register(socket);
            socket.refill();
            boolean l2fwd = c.mode() == Mode.L2FWD;
            int batch = c.batch();
            int pollMillis = c.pollMillis();
            long t0 = System.nanoTime();
            long start = t0 + (long) (c.warmup() * 1e9);
            long end = start + (long) (c.seconds() * 1e9);
            long packets = 0;
            long countedFrom = 0;
            long droppedFrom = 0;
            long measuredStart = 0;
            long waits = 0;
            long waitsFrom = 0;
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long cpuStart = 0;
            boolean measuring = false;
            for (long iter = 0; ; iter++) {
                if ((iter & 1023) == 0) {
                    long t = System.nanoTime();
                    if (!measuring && t >= start) {
                        measuring = true;
                        countedFrom = packets;
                        droppedFrom = socket.forwardDropped();
                        waitsFrom = waits;
                        cpuStart = threads.getCurrentThreadCpuTime();
                        measuredStart = t;
                    }
                    if (t >= end) {
                        break;
                    }
                }
                int n;
                if (l2fwd) {
                    n = socket.forward(SWAP_MACS, batch);
                    if (n > 0 || socket.txInFlight() > 0) {
                        socket.flush();
                    }
                } else {
                    n = socket.receive(DROP, batch);
                }
                packets += n;
                // Poll mode: the same condition as xsk_wait_rx in perf/afxdp/xsk_loop.h.
                if (n == 0 && pollMillis > 0 && (!l2fwd || socket.txInFlight() == 0)) {
                    socket.awaitReceive(pollMillis);
                    waits++;
                    iter |= 1023; // a wait may have lasted pollMillis: read the clock on the next turn
                }
            }
            double secs = (System.nanoTime() - measuredStart) / 1e9;
            double cpu = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
            // l2fwd: the handler drops only runt frames; count what was forwarded.
            long dropped = socket.forwardDropped() - droppedFrom;
            return new Result(c.mode(), packets - countedFrom - dropped, secs, cpu, waits - waitsFrom, socket.driver(),
                    attached.isNative());
        }
    }
}
