package io.jxdp.ffi.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The one test suite every {@link PacketPort} driver passes, subclassed per driver (as Netty's
 * {@code SocketEchoTest} is per transport). Each test builds its own namespaces and veth pair
 * ({@link VethTopology}), drives the port under test in namespace A and checks what arrives with
 * an independent plain AF_PACKET socket ({@link RawSocket}) in namespace B. Every wait is bounded
 * by count and time.
 */
public abstract class AbstractPacketPortTest {
    /** Opens the ports under test on {@code ifname} (calling thread is inside its namespace). */
    protected abstract List<PacketPort> openPorts(VethTopology topology, String ifname, int queues);

    /** What {@link PacketPort#driver()} must start with. */
    protected abstract String driverPrefix();

    /** Makes the ports able to receive (e.g. attach the XSKMAP redirect program); called in namespace A. */
    protected abstract AutoCloseable prepareReceive(VethTopology topology, List<PacketPort> ports);

    /** Checks that no driver slot or UMEM frame leaked once all TX completed and RX drained. */
    protected void assertNoSlotLeaked(PacketPort port) {
        assertEquals(0, port.txInFlight(), port + ": TX slots still in flight");
    }

    private static final long TX_DRAIN_NANOS = 10_000_000_000L;

    private record Setup(VethTopology topology, List<PacketPort> ports, RawSocket witness, Link self, Link peer)
            implements AutoCloseable {
        @Override
        public void close() {
            try {
                for (PacketPort p : ports) {
                    p.close();
                }
                if (witness != null) {
                    witness.close();
                }
            } finally {
                topology.close();
            }
        }
    }

    private Setup setUp(int queues, boolean witness) {
        VethTopology t = VethTopology.create(queues);
        List<PacketPort> ports = new ArrayList<>();
        RawSocket w = null;
        try {
            Link self;
            Link peer;
            try (NetNs.Scope ignored = NetNs.enter(t.nsA)) {
                ports.addAll(openPorts(t, t.ifA, queues));
                self = Link.byName(t.ifA);
            }
            try (NetNs.Scope ignored = NetNs.enter(t.nsB)) {
                w = witness ? new RawSocket(t.ifB, Frames.ETHERTYPE) : null;
                peer = Link.byName(t.ifB);
            }
            return new Setup(t, ports, w, self, peer);
        } catch (RuntimeException | Error e) {
            new Setup(t, ports, w, null, null).close();
            throw e;
        }
    }

    private static void drainTx(PacketPort port) {
        long deadline = System.nanoTime() + TX_DRAIN_NANOS;
        while (port.txInFlight() > 0 && System.nanoTime() < deadline) {
            port.flush();
            Thread.onSpinWait();
        }
        assertEquals(0, port.txInFlight(), port + ": TX did not complete within 10 s");
    }

    /** Queues one frame, flushing (bounded) while the port has no free slot. */
    private static void sendOne(PacketPort port, MemorySegment buf, int length) {
        long deadline = System.nanoTime() + TX_DRAIN_NANOS;
        while (!port.send(buf, 0, length)) {
            port.flush();
            assertTrue(System.nanoTime() < deadline, port + ": no TX slot freed within 10 s");
        }
    }

    private void transmitAndWitness(Setup s, int frames, long seed) {
        Random random = new Random(seed);
        Map<Integer, byte[]> sent = new HashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(2048, 64);
            int seq = 0;
            while (seq < frames) {
                int batch = Math.min(32, frames - seq);
                for (int i = 0; i < batch; i++, seq++) {
                    PacketPort port = s.ports().get(seq % s.ports().size());
                    byte[] f = Frames.frame(s.peer().mac(), s.self().mac(), seq, Frames.length(seq, random), random);
                    sent.put(seq, f);
                    MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                    sendOne(port, buf, f.length);
                }
                for (PacketPort p : s.ports()) {
                    p.flush();
                }
                for (int i = 0; i < batch; i++) {
                    byte[] got = s.witness().receive(5000);
                    assertNotNull(got, "frame missing at the peer after " + (seq - batch + i) + " of " + frames);
                    int n = Frames.sequence(got);
                    byte[] want = sent.remove(n);
                    assertNotNull(want, "unexpected or duplicate frame seq " + n + " (" + got.length + " bytes)");
                    assertArrayEquals(want, got, "bytes of frame " + n);
                }
            }
        }
        assertNull(s.witness().receive(300), "an extra frame arrived at the peer");
        assertTrue(sent.isEmpty(), sent.size() + " frames never arrived");
        for (PacketPort p : s.ports()) {
            drainTx(p);
            assertNoSlotLeaked(p);
        }
    }

    @Test
    void transmitsExactlyNFramesOfVariousSizes() {
        try (Setup s = setUp(1, true)) {
            assertTrue(s.ports().getFirst().driver().startsWith(driverPrefix()), s.ports().getFirst().driver());
            transmitAndWitness(s, 2000, 42);
        }
    }

    @Test
    void transmitsFromEveryQueueOfAMultiQueueVeth() {
        try (Setup s = setUp(4, true)) {
            transmitAndWitness(s, 1000, 7);
        }
    }

    @Test
    void receivesExactlyNFramesSentByThePeer() throws Exception {
        try (Setup s = setUp(1, true)) {
            AutoCloseable rx;
            try (NetNs.Scope ignored = NetNs.enter(s.topology().nsA)) {
                rx = prepareReceive(s.topology(), s.ports());
            }
            try (rx) {
                PacketPort port = s.ports().getFirst();
                Random random = new Random(99);
                int frames = 1000;
                Map<Integer, byte[]> sent = new HashMap<>();
                List<byte[]> got = new ArrayList<>();
                List<byte[]> other = new ArrayList<>();
                FrameHandler collect = (mem, off, len) -> {
                    byte[] f = mem.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE);
                    (Frames.sequence(f) >= 0 ? got : other).add(f);
                };
                for (int seq = 0; seq < frames; seq++) {
                    byte[] f = Frames.frame(s.self().mac(), s.peer().mac(), seq, Frames.length(seq, random), random);
                    sent.put(seq, f);
                    s.witness().send(f);
                    if (seq % 32 == 31) {
                        port.receive(collect, 64);
                    }
                }
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (got.size() < frames && System.nanoTime() < deadline) {
                    if (port.receive(collect, 64) == 0) {
                        port.awaitReceive(20);
                    }
                }
                // Give stray extra frames a chance to show up before counting.
                long quiet = System.nanoTime() + 300_000_000L;
                while (System.nanoTime() < quiet) {
                    port.receive(collect, 64);
                    port.awaitReceive(10);
                }
                assertEquals(frames, got.size(), "frames received (non-test frames seen: " + other.size() + ")");
                for (byte[] f : got) {
                    byte[] want = sent.remove(Frames.sequence(f));
                    assertNotNull(want, "duplicate frame " + Frames.sequence(f));
                    assertArrayEquals(want, f, "bytes of frame " + Frames.sequence(f));
                }
                assertNoSlotLeaked(port);
            }
        }
    }

    /**
     * Four queues on each end, one port per queue where the driver has them (AF_XDP): the port on
     * B's TX queue q sends frames tagged q, veth delivers them on A's RX queue q, and A's port for
     * queue q must receive exactly those, byte for byte (the XSKMAP steering by rx_queue_index).
     */
    @Test
    void eachQueueReceivesExactlyWhatThePeersSameQueueSent() throws Exception {
        int queues = 4;
        VethTopology t = VethTopology.create(queues);
        List<PacketPort> a = new ArrayList<>();
        List<PacketPort> b = new ArrayList<>();
        AutoCloseable rxSetup = null;
        try (Arena arena = Arena.ofConfined()) {
            byte[] macA;
            byte[] macB;
            try (NetNs.Scope ignored = NetNs.enter(t.nsA)) {
                a.addAll(openPorts(t, t.ifA, queues));
                rxSetup = prepareReceive(t, a);
                macA = Link.byName(t.ifA).mac();
            }
            try (NetNs.Scope ignored = NetNs.enter(t.nsB)) {
                b.addAll(openPorts(t, t.ifB, queues));
                macB = Link.byName(t.ifB).mac();
            }
            assertEquals(a.size(), b.size());
            Random random = new Random(11);
            MemorySegment buf = arena.allocate(2048, 64);
            int perPort = 400;
            List<Map<Integer, byte[]>> expected = new ArrayList<>();
            for (int q = 0; q < b.size(); q++) {
                Map<Integer, byte[]> m = new HashMap<>();
                for (int i = 0; i < perPort; i++) {
                    int seq = q << 24 | i;
                    byte[] f = Frames.frame(macA, macB, seq, Frames.length(i, random), random);
                    m.put(seq, f);
                    MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                    sendOne(b.get(q), buf, f.length);
                    if (i % 32 == 31) {
                        b.get(q).flush();
                        drainTx(b.get(q));
                    }
                }
                b.get(q).flush();
                drainTx(b.get(q));
                expected.add(m);
            }
            for (int q = 0; q < a.size(); q++) {
                PacketPort port = a.get(q);
                List<byte[]> got = new ArrayList<>();
                FrameHandler collect = (mem, off, len) -> got.add(mem.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE));
                long quiet = System.nanoTime() + 300_000_000L;
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (System.nanoTime() < deadline && (got.size() < perPort * b.size() / a.size()
                        || System.nanoTime() < quiet)) {
                    if (port.receive(collect, 64) == 0) {
                        port.awaitReceive(5);
                    }
                }
                Map<Integer, byte[]> want = new HashMap<>();
                for (int src = 0; src < b.size(); src++) {
                    if (a.size() == 1 || src == q) {
                        want.putAll(expected.get(src));
                    }
                }
                assertEquals(want.size(), got.size(), port + " received");
                for (byte[] f : got) {
                    byte[] w = want.remove(Frames.sequence(f));
                    assertNotNull(w, port + ": frame 0x" + Integer.toHexString(Frames.sequence(f)) + " on the wrong queue");
                    assertArrayEquals(w, f);
                }
                assertNoSlotLeaked(port);
            }
        } finally {
            try {
                if (rxSetup != null) {
                    rxSetup.close();
                }
                for (PacketPort p : a) {
                    p.close();
                }
                for (PacketPort p : b) {
                    p.close();
                }
            } finally {
                t.close();
            }
        }
    }

    @Test
    void aThrowingHandlerLeaksNoSlotAndReceptionGoesOn() throws Exception {
        try (Setup s = setUp(1, true)) {
            AutoCloseable rx;
            try (NetNs.Scope ignored = NetNs.enter(s.topology().nsA)) {
                rx = prepareReceive(s.topology(), s.ports());
            }
            try (rx) {
                PacketPort port = s.ports().getFirst();
                Random random = new Random(5);
                for (int seq = 0; seq < 64; seq++) {
                    s.witness().send(Frames.frame(s.self().mac(), s.peer().mac(), seq, 100, random));
                }
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (!port.awaitReceive(20) && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertThrows(IllegalStateException.class, () -> port.receive((m, o, l) -> {
                    throw new IllegalStateException("handler failure");
                }, 64));
                int[] later = new int[1];
                FrameHandler count = (m, o, l) -> later[0]++;
                long quiet = System.nanoTime() + 300_000_000L;
                while (System.nanoTime() < quiet) {
                    port.receive(count, 64);
                    port.awaitReceive(10);
                }
                assertNoSlotLeaked(port);
                later[0] = 0;
                for (int seq = 100; seq < 110; seq++) {
                    s.witness().send(Frames.frame(s.self().mac(), s.peer().mac(), seq, 100, random));
                }
                deadline = System.nanoTime() + 5_000_000_000L;
                while (later[0] < 10 && System.nanoTime() < deadline) {
                    if (port.receive(count, 64) == 0) {
                        port.awaitReceive(10);
                    }
                }
                assertEquals(10, later[0], "frames received after the handler failure");
                assertNoSlotLeaked(port);
            }
        }
    }

    @Test
    void aMillionFramesLeaveNoSlotBehind() {
        try (Setup s = setUp(1, false); Arena arena = Arena.ofConfined()) {
            PacketPort port = s.ports().getFirst();
            MemorySegment buf = arena.allocate(2048, 64);
            byte[] f = Frames.frame(s.peer().mac(), s.self().mac(), 0, 60, new Random(1));
            MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
            int frames = 1_000_000;
            long deadline = System.nanoTime() + 240_000_000_000L;
            int sent = 0;
            while (sent < frames) {
                if (port.send(buf, 0, 60)) {
                    sent++;
                    if ((sent & 63) == 0) {
                        port.flush();
                    }
                } else {
                    port.flush();
                }
                if ((sent & 0xFFFF) == 0) {
                    assertTrue(System.nanoTime() < deadline, "1e6 frames not sent within 240 s: " + sent);
                }
            }
            port.flush();
            drainTx(port);
            assertNoSlotLeaked(port);
        }
    }

    /**
     * A million frames from a port on one veth end to a port of the same driver on the other,
     * paced by a window so that no queue on the way can overflow: every frame must arrive, in
     * order, and afterwards both ports must hold every slot (UMEM frame) they started with.
     */
    @Test
    void aMillionFramesDriverToDriverArriveInOrderAndLeaveNoSlotBehind() throws Exception {
        VethTopology t = VethTopology.create(1);
        List<PacketPort> a = new ArrayList<>();
        List<PacketPort> b = new ArrayList<>();
        AutoCloseable rxSetup = null;
        try (Arena arena = Arena.ofConfined()) {
            byte[] macA;
            byte[] macB;
            try (NetNs.Scope ignored = NetNs.enter(t.nsA)) {
                a.addAll(openPorts(t, t.ifA, 1));
                rxSetup = prepareReceive(t, a);
                macA = Link.byName(t.ifA).mac();
            }
            try (NetNs.Scope ignored = NetNs.enter(t.nsB)) {
                b.addAll(openPorts(t, t.ifB, 1));
                macB = Link.byName(t.ifB).mac();
            }
            PacketPort rx = a.getFirst();
            PacketPort tx = b.getFirst();
            MemorySegment buf = arena.allocate(2048, 64);
            byte[] f = Frames.frame(macA, macB, 0, 64, new Random(3));
            MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
            ValueLayout.OfInt seqLayout = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
            ValueLayout.OfShort typeLayout = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
            int frames = 1_000_000;
            int window = 512;
            int[] counts = new int[3]; // received in order, out of order, foreign
            FrameHandler check = (mem, off, len) -> {
                if (len != 64 || mem.get(typeLayout, off + 12) != (short) Frames.ETHERTYPE) {
                    counts[2]++;
                } else if (mem.get(seqLayout, off + 14) == counts[0]) {
                    counts[0]++;
                } else {
                    counts[1]++;
                }
            };
            int sent = 0;
            long deadline = System.nanoTime() + 240_000_000_000L;
            while (counts[0] + counts[1] < frames && System.nanoTime() < deadline) {
                while (sent < frames && sent - counts[0] - counts[1] < window) {
                    buf.set(seqLayout, 14, sent);
                    if (!tx.send(buf, 0, 64)) {
                        break;
                    }
                    sent++;
                }
                tx.flush();
                if (rx.receive(check, 256) == 0) {
                    rx.awaitReceive(1);
                }
            }
            assertEquals(0, counts[1], "frames out of order");
            assertEquals(0, counts[2], "foreign frames");
            assertEquals(frames, counts[0], "frames received in order (sent " + sent + ")");
            drainTx(tx);
            assertNoSlotLeaked(tx);
            assertNoSlotLeaked(rx);
        } finally {
            try {
                if (rxSetup != null) {
                    rxSetup.close();
                }
                for (PacketPort p : a) {
                    p.close();
                }
                for (PacketPort p : b) {
                    p.close();
                }
            } finally {
                t.close();
            }
        }
    }

    /**
     * Zero allocation per frame, measured: frames go from a port on B to a port on A (TX, kicks,
     * completions, RX, fill refills, wakeups) in rounds of 20,000, and once the JIT has compiled
     * the path a round must allocate nothing (a few hundred bytes of slack for the probe itself).
     * The first rounds run interpreted and do allocate; the test bounds how many it may take.
     */
    @Test
    void steadyStateTransmitAndReceiveAllocateNothing() throws Exception {
        VethTopology t = VethTopology.create(1);
        List<PacketPort> a = new ArrayList<>();
        List<PacketPort> b = new ArrayList<>();
        AutoCloseable rxSetup = null;
        try (Arena arena = Arena.ofConfined()) {
            byte[] macA;
            try (NetNs.Scope ignored = NetNs.enter(t.nsA)) {
                a.addAll(openPorts(t, t.ifA, 1));
                rxSetup = prepareReceive(t, a);
                macA = Link.byName(t.ifA).mac();
            }
            try (NetNs.Scope ignored = NetNs.enter(t.nsB)) {
                b.addAll(openPorts(t, t.ifB, 1));
            }
            PacketPort rx = a.getFirst();
            PacketPort tx = b.getFirst();
            MemorySegment buf = arena.allocate(2048, 64);
            byte[] f = Frames.frame(macA, macA, 0, 128, new Random(2));
            MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
            int[] received = new int[1];
            FrameHandler count = (mem, off, len) -> received[0]++;
            int perRound = 20_000;
            long allocated = Long.MAX_VALUE;
            int rounds = 0;
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (allocated > 256 && rounds < 60 && System.nanoTime() < deadline) {
                rounds++;
                long probe = allocatedBytes();
                long before = allocatedBytes();
                long probeCost = before - probe;
                int sent = 0;
                received[0] = 0;
                long roundDeadline = System.nanoTime() + 10_000_000_000L;
                while (received[0] < perRound && System.nanoTime() < roundDeadline) {
                    while (sent < perRound && sent - received[0] < 512 && tx.send(buf, 0, 128)) {
                        sent++;
                    }
                    tx.flush();
                    if (rx.receive(count, 64) == 0) {
                        rx.awaitReceive(1);
                    }
                }
                allocated = allocatedBytes() - before - probeCost;
                assertEquals(perRound, received[0], "round " + rounds + " lost frames");
            }
            assertTrue(allocated <= 256, "still allocating " + allocated + " bytes per " + perRound
                    + " frames after " + rounds + " rounds");
            drainTx(tx);
            assertNoSlotLeaked(tx);
            assertNoSlotLeaked(rx);
        } finally {
            try {
                if (rxSetup != null) {
                    rxSetup.close();
                }
                for (PacketPort p : a) {
                    p.close();
                }
                for (PacketPort p : b) {
                    p.close();
                }
            } finally {
                t.close();
            }
        }
    }

    /**
     * This thread's allocated bytes (com.sun.management.ThreadMXBean), by reflection because the
     * test classes are compiled into module io.jxdp.ffi, which does not read java.management.
     */
    private static long allocatedBytes() {
        try {
            Object mx = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            return (long) Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes")
                    .invoke(mx);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("thread allocation counter unavailable", e);
        }
    }

    @Test
    void missingInterfaceIsNamedInTheError() {
        try (VethTopology t = VethTopology.create(1); NetNs.Scope ignored = NetNs.enter(t.nsA)) {
            NativeException e = assertThrows(NativeException.class, () -> openPorts(t, "jxnosuch0", 1));
            assertTrue(e.getMessage().contains("jxnosuch0"), e.getMessage());
        }
    }

    @Test
    void oversizeFrameIsRejected() {
        try (Setup s = setUp(1, false); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(16384);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.ports().getFirst().send(buf, 0, 9000));
            assertTrue(e.getMessage().contains(s.topology().ifA), e.getMessage());
            assertEquals(0, s.ports().getFirst().txInFlight());
        }
    }
}
