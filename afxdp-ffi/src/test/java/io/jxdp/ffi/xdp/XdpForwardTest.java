package io.jxdp.ffi.xdp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jxdp.ffi.net.Frames;
import io.jxdp.ffi.net.Link;
import io.jxdp.ffi.net.NetNs;
import io.jxdp.ffi.net.RawSocket;
import io.jxdp.ffi.net.Sockets;
import io.jxdp.ffi.net.VethTopology;
import io.jxdp.ffi.sys.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link XdpSocket#forward}: XDP_TX from user space without a copy. The socket under test sits in
 * namespace A behind the redirect program; an independent plain AF_PACKET socket in namespace B
 * sends test frames and checks that each comes back with its MAC addresses swapped and every
 * other byte intact. Every wait is bounded in time and count.
 */
class XdpForwardTest {
    private static final int FRAMES = 512;

    /** Swaps destination and source MAC in place and transmits the frame as it is. */
    private static final ForwardHandler SWAP = (m, off, len) -> {
        for (int i = 0; i < 6; i++) {
            byte d = m.get(ValueLayout.JAVA_BYTE, off + i);
            m.set(ValueLayout.JAVA_BYTE, off + i, m.get(ValueLayout.JAVA_BYTE, off + 6 + i));
            m.set(ValueLayout.JAVA_BYTE, off + 6 + i, d);
        }
        return len;
    };

    private record Setup(VethTopology topology, XdpSocket socket, XskRedirect redirect, RawSocket peer, byte[] macA,
            byte[] macB) implements AutoCloseable {
        @Override
        public void close() {
            try {
                if (socket != null) {
                    socket.close();
                }
                if (redirect != null) {
                    redirect.close();
                }
                if (peer != null) {
                    peer.close();
                }
            } finally {
                topology.close();
            }
        }
    }

    private static Setup setUp(Umem umem, int ring) {
        VethTopology t = VethTopology.create(1);
        XdpSocket s = null;
        XskRedirect r = null;
        RawSocket w = null;
        try {
            byte[] macA;
            try (NetNs.Scope ignored = NetNs.enter(t.nsA)) {
                s = XdpSocket.open(umem, t.ifA, 0, XdpSocket.Config.defaults().withFrames(FRAMES)
                        .withRings(ring, ring, ring).withMode(XdpSocket.Mode.COPY));
                r = XskRedirect.attach(t.ifA, 1, XskRedirect.AttachMode.AUTO);
                r.register(s);
                macA = Link.byName(t.ifA).mac();
            }
            byte[] macB;
            try (NetNs.Scope ignored = NetNs.enter(t.nsB)) {
                w = new RawSocket(t.ifB, Frames.ETHERTYPE);
                macB = Link.byName(t.ifB).mac();
            }
            return new Setup(t, s, r, w, macA, macB);
        } catch (RuntimeException | Error e) {
            new Setup(t, s, r, w, null, null).close();
            throw e;
        }
    }

    private static byte[] swapped(byte[] f) {
        byte[] e = f.clone();
        System.arraycopy(f, 0, e, 6, 6);
        System.arraycopy(f, 6, e, 0, 6);
        return e;
    }

    /** Bytes allocated so far by thread {@code id} (com.sun.management.ThreadMXBean, reflectively). */
    private static MethodHandle allocatedBytes() throws ReflectiveOperationException {
        Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        return MethodHandles.publicLookup().findVirtual(Class.forName("com.sun.management.ThreadMXBean"),
                "getThreadAllocatedBytes", MethodType.methodType(long.class, long.class)).bindTo(bean);
    }

    /**
     * 100,000 frames through 512 UMEM frames (each frame reused ~200 times, so a frame lost per
     * round trip would stall the loop within a few hundred frames): every frame comes back once,
     * in order, MAC-swapped, byte for byte; the socket needs no free frame to forward (the test
     * holds every free frame throughout); the accounting adds up after the drain; and the
     * forwarding thread allocates less than one byte per frame once warm.
     */
    /**
     * Kicks an empty TX ring 30,000 times so that {@link Sockets#kick} is compiled by C2 before the
     * allocation windows: the test makes only ~3,000 kicks of its own, too few for C2, and the
     * downcall's errno capture allocates ~40 bytes per call until it is compiled (JFR), which would
     * read as per-frame garbage though the compiled data path allocates nothing.
     */
    private static void warmUpKicks(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = LibC.newErrnoCapture(arena);
            for (int i = 0; i < 30_000; i++) {
                long rc = Sockets.kick(fd, capture);
                if (rc < 0 && !Sockets.isTransient((int) -rc)) {
                    throw new IllegalStateException("TX kick failed: errno " + -rc);
                }
            }
        }
    }

    @Test
    void hundredThousandFramesForwardedInPlaceNoneLeaked() throws Throwable {
        int n = 100_000;
        int window = 96;
        try (Umem umem = Umem.allocate(FRAMES, 2048, 0); Setup s = setUp(umem, 256)) {
            XdpSocket x = s.socket();
            // Take every free frame: a forward that copied into a free frame could not send at all.
            long[] held = new long[FRAMES];
            int heldCount = 0;
            for (long a; (a = x.claimTxFrame()) >= 0; ) {
                held[heldCount++] = a;
            }
            assertEquals(FRAMES - 256, heldCount, x.accounting().toString());
            assertEquals(new XdpSocket.Accounting(FRAMES, 0, 256, 0, heldCount), x.accounting());

            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread forwarder = Thread.ofPlatform().name("forwarder").start(() -> {
                try {
                    warmUpKicks(x.fd());
                    long deadline = System.nanoTime() + 120_000_000_000L;
                    while (!stop.get() && System.nanoTime() < deadline) {
                        int got = x.forward(SWAP, 64);
                        if (got > 0 || x.txInFlight() > 0) {
                            x.flush();
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            MethodHandle allocated = allocatedBytes();
            // Allocation read every 10,000 frames after a 20,000-frame warm-up; the quietest window
            // counts (a JIT recompilation may allocate in one window, an object per frame in all).
            int measuredFrom = 20_000;
            int windowFrames = 10_000;
            long[] allocs = new long[(n - measuredFrom) / windowFrames + 1];
            Random random = new Random(7);
            byte[][] inFlight = new byte[window][];
            int sent = 0;
            int received = 0;
            long deadline = System.nanoTime() + 100_000_000_000L;
            try {
                while (received < n) {
                    while (sent < n && sent - received < window) {
                        byte[] f = Frames.frame(s.macA(), s.macB(), sent, sent % 4 == 0 ? Frames.length(sent, random) : 60,
                                random);
                        inFlight[sent % window] = f;
                        s.peer().send(f);
                        sent++;
                    }
                    byte[] got = s.peer().receive(3000);
                    if (got == null) {
                        fail("no frame back within 3 s: sent " + sent + ", received " + received + ", " + x.accounting()
                                + ", " + failure.get());
                    }
                    assertEquals(received, Frames.sequence(got), "frames come back once each, in order");
                    assertArrayEquals(swapped(inFlight[received % window]), got, "frame " + received);
                    received++;
                    if (received >= measuredFrom && (received - measuredFrom) % windowFrames == 0) {
                        allocs[(received - measuredFrom) / windowFrames] = (long) allocated.invoke(forwarder.threadId());
                    }
                    assertTrue(System.nanoTime() < deadline, "100 s deadline: received " + received);
                }
            } finally {
                stop.set(true);
                forwarder.join(10_000);
            }
            if (failure.get() != null) {
                throw new AssertionError("forwarder failed", failure.get());
            }
            assertNull(s.peer().receive(200), "no extra frame");

            long drain = System.nanoTime() + 5_000_000_000L;
            while (x.txInFlight() > 0 && System.nanoTime() < drain) {
                x.flush();
            }
            assertEquals(n, x.forwarded());
            assertEquals(0, x.forwardDropped());
            XdpSocket.Accounting a = x.accounting();
            assertEquals(FRAMES, a.total(), "UMEM frame accounting " + a);
            assertEquals(0, a.tx(), "frames still in TX " + a);
            assertEquals(heldCount, a.held(), a.toString());
            for (int i = 0; i < heldCount; i++) {
                x.releaseFrame(held[i]);
            }
            x.refill();
            assertEquals(new XdpSocket.Accounting(FRAMES, FRAMES - 256, 256, 0, 0), x.accounting());
            XdpStatistics st = x.statistics();
            assertEquals(0, st.txInvalidDescs(), st.toString());
            assertEquals(0, st.rxInvalidDescs(), st.toString());
            assertEquals(0, st.rxDropped(), st.toString());

            long[] windows = new long[allocs.length - 1];
            for (int i = 0; i < windows.length; i++) {
                windows[i] = allocs[i + 1] - allocs[i];
            }
            long quietest = Arrays.stream(windows).min().orElseThrow();
            // under one byte per frame: no object per frame (the smallest is 16 bytes), none per kick
            // either (there were nearly as many TX kicks as frames)
            assertTrue(quietest < windowFrames, "bytes the forwarding thread allocated per " + windowFrames
                    + " frames: " + Arrays.toString(windows) + " (" + x.txKicks() + " TX kicks)");
        }
    }

    /**
     * A full TX ring holds frames back on the RX ring (counted as a stall, nothing dropped); after
     * a flush they are forwarded, and every frame arrives exactly once.
     */
    @Test
    void fullTxRingKeepsFramesOnTheRxRing() throws Exception {
        try (Umem umem = Umem.allocate(FRAMES, 2048, 0); Setup s = setUp(umem, 64)) {
            XdpSocket x = s.socket();
            Random random = new Random(11);
            byte[][] frames = new byte[64 + 10][];
            for (int i = 0; i < frames.length; i++) {
                frames[i] = Frames.frame(s.macA(), s.macB(), i, Frames.length(i, random), random);
            }
            for (int i = 0; i < 64; i++) {
                s.peer().send(frames[i]);
            }
            int taken = 0;
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (taken < 64 && System.nanoTime() < deadline) {
                taken += x.forward(SWAP, 64);  // no flush: the TX ring fills up
            }
            assertEquals(64, taken);
            assertEquals(64, x.txInFlight());
            for (int i = 64; i < frames.length; i++) {
                s.peer().send(frames[i]);
            }
            assertTrue(x.awaitReceive(5000), "frames wait on the RX ring");
            assertEquals(0, x.forward(SWAP, 64), "TX ring full: nothing taken");
            assertEquals(1, x.txFullStalls());
            assertEquals(FRAMES, x.accounting().total(), x.accounting().toString());

            deadline = System.nanoTime() + 5_000_000_000L;
            while (taken < frames.length && System.nanoTime() < deadline) {
                x.flush();
                taken += x.forward(SWAP, 64);
            }
            assertEquals(frames.length, taken);
            for (int i = 0; i < frames.length; i++) {
                x.flush();
                byte[] got = s.peer().receive(3000);
                assertNotNull(got, "frame " + i);
                assertArrayEquals(swapped(frames[i]), got, "frame " + i);
            }
            assertNull(s.peer().receive(200));
            assertEquals(0, x.statistics().rxDropped());
            assertEquals(frames.length, x.forwarded());
        }
    }

    /**
     * Frames the handler drops go back to receive; a bad length or a throwing handler costs the
     * rest of the batch but no frame; a handler may not queue TX itself.
     */
    @Test
    void droppedRejectedAndThrowingFramesAreNotLeaked() throws Exception {
        try (Umem umem = Umem.allocate(FRAMES, 2048, 0); Setup s = setUp(umem, 256)) {
            XdpSocket x = s.socket();
            Random random = new Random(5);
            int n = 40;
            byte[][] frames = new byte[n][];
            for (int i = 0; i < n; i++) {
                frames[i] = Frames.frame(s.macA(), s.macB(), i, 60 + random.nextInt(200), random);
                s.peer().send(frames[i]);
            }
            // even sequence numbers dropped, odd ones forwarded and shortened to 60 bytes
            ForwardHandler oddOnly = (m, off, len) -> {
                int seq = m.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), off + 14);
                if (seq % 2 == 0) {
                    return ForwardHandler.DROP;
                }
                SWAP.onFrame(m, off, len);
                return 60;
            };
            int taken = 0;
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (taken < n && System.nanoTime() < deadline) {
                taken += x.forward(oddOnly, 7);
                x.flush();
            }
            assertEquals(n, taken);
            for (int i = 1; i < n; i += 2) {
                byte[] got = null;
                for (long end = System.nanoTime() + 3_000_000_000L; got == null && System.nanoTime() < end; ) {
                    x.flush();
                    got = s.peer().receive(50);
                }
                assertNotNull(got, "frame " + i);
                assertArrayEquals(swapped(Arrays.copyOf(frames[i], 60)), got, "frame " + i);
            }
            assertNull(s.peer().receive(200), "dropped frames are not sent");
            assertEquals(n / 2, x.forwardDropped());
            assertEquals(n / 2, x.forwarded());

            // Bad length, a throwing handler, a handler calling send: each throws, no frame is lost.
            ForwardHandler tooLong = (m, off, len) -> x.forwardRoom(off) + 1;
            ForwardHandler throwing = (m, off, len) -> {
                throw new IllegalStateException("handler failure");
            };
            ForwardHandler sending = (m, off, len) -> x.send(m, off, len) ? len : len;
            for (ForwardHandler h : new ForwardHandler[] {tooLong, throwing, sending}) {
                for (int i = 0; i < 5; i++) {
                    s.peer().send(frames[i]);
                }
                assertTrue(x.awaitReceive(5000));
                RuntimeException e = assertThrows(RuntimeException.class, () -> {
                    for (long end = System.nanoTime() + 5_000_000_000L; System.nanoTime() < end; ) {
                        x.forward(h, 64);
                    }
                });
                assertTrue(e instanceof IllegalArgumentException || e instanceof IllegalStateException, e.toString());
                XdpSocket.Accounting a = x.accounting();
                assertEquals(FRAMES, a.total(), "after " + e + ": " + a);
                assertEquals(0, a.held(), a.toString());
                // drain what is left of the five, so the next round starts empty
                for (long end = System.nanoTime() + 200_000_000L; System.nanoTime() < end; ) {
                    x.forward((m, off, len) -> ForwardHandler.DROP, 64);
                }
            }
            assertTrue(x.forwardRoom(0) == 2048 && x.forwardRoom(256) == 2048 - 256);
            assertThrows(IllegalArgumentException.class, () -> x.forward(SWAP, 0));
            long drain = System.nanoTime() + 5_000_000_000L;
            while (x.txInFlight() > 0 && System.nanoTime() < drain) {
                x.flush();
            }
            assertNull(s.peer().receive(200), "nothing from the failed batches was sent");
            assertEquals(new XdpSocket.Accounting(FRAMES, FRAMES - 256, 256, 0, 0), x.accounting());
            assertEquals(0, x.statistics().txInvalidDescs());
        }
    }
}
