package io.jxdp.ffi.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.net.FrameHandler;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * XdpSocket's data path against {@link MemoryKernel}, the in-memory kernel side: frames go round
 * fill → RX → (forward) TX → completion → fill many times over with ring sizes that make the
 * batches cross the ring ends, and every frame is accounted for; the kernel side checks that no
 * frame is handed to it while it holds it ({@link MemoryKernel#openChecked}).
 */
class MemoryKernelTest {
    private static final int FRAMES = 128;

    /** Swaps the MACs, keeps a frame in every 7th (by its first byte) to exercise the drop path. */
    private static final ForwardHandler SWAP_SOME = (m, a, len) -> {
        if ((m.get(ValueLayout.JAVA_BYTE, a + 12) & 7) == 0) {
            return ForwardHandler.DROP;
        }
        for (int i = 0; i < 6; i++) {
            byte x = m.get(ValueLayout.JAVA_BYTE, a + i);
            m.set(ValueLayout.JAVA_BYTE, a + i, m.get(ValueLayout.JAVA_BYTE, a + 6 + i));
            m.set(ValueLayout.JAVA_BYTE, a + 6 + i, x);
        }
        return len - 2;
    };

    private static XdpSocket.Config config(int ring) {
        return new XdpSocket.Config(ring, ring, ring, FRAMES, XdpSocket.Mode.COPY, true);
    }

    @Test
    void forwardedFramesGoRoundTheRingsInPlaceNoneLost() {
        try (Umem umem = Umem.allocate(FRAMES, 2048, 0); MemoryKernel k = MemoryKernel.openChecked(umem, config(32))) {
            XdpSocket s = k.socket();
            MemorySegment mem = umem.memory();
            long received = 0;
            long kept = 0;
            long dropped = 0;
            long expectedBytes = 0;
            for (int round = 0; round < 20_000; round++) {
                int len = 60 + round % 40;
                int wanted = 1 + round % 29;
                int n = k.receive(wanted, len);
                // stamp each received frame: MACs 0..5 / 6..11, and byte 12 decides drop or keep
                for (int i = 0; i < n; i++) {
                    long a = k.receivedAddress(n - i);
                    for (int b = 0; b < 12; b++) {
                        mem.set(ValueLayout.JAVA_BYTE, a + b, (byte) b);
                    }
                    byte tag = (byte) (received + i);
                    mem.set(ValueLayout.JAVA_BYTE, a + 12, tag);
                    if ((tag & 7) == 0) {
                        dropped++;
                    } else {
                        kept++;
                        expectedBytes += len - 2;
                    }
                }
                received += n;
                int taken = 0;
                while (taken < n) {
                    int got = s.forward(SWAP_SOME, 1 + round % 17);
                    taken += got;
                    s.flush();
                    k.transmit();
                }
                s.flush(); // reap the last completions
            }
            assertTrue(received > 20_000 * 5, "frames received: " + received);
            assertEquals(kept, s.forwarded());
            assertEquals(dropped, s.forwardDropped());
            assertEquals(expectedBytes, k.transmittedBytes(), "forwarded lengths reach the TX ring");
            XdpSocket.Accounting acc = s.accounting();
            assertEquals(FRAMES, acc.total(), acc.toString());
            assertEquals(0, acc.tx(), acc.toString());
        }
    }

    @Test
    void forwardedBytesAreTheHandlersRewriteAtTheRxAddress() {
        try (Umem umem = Umem.allocate(FRAMES, 2048, 64); MemoryKernel k = MemoryKernel.openChecked(umem, config(16))) {
            XdpSocket s = k.socket();
            MemorySegment mem = umem.memory();
            assertEquals(1, k.receive(1, 64));
            long a = k.receivedAddress(1);
            assertEquals(IfXdp.XDP_PACKET_HEADROOM + 64, a - umem.frameBase(a), "copy-mode RX offset");
            for (int b = 0; b < 13; b++) {
                mem.set(ValueLayout.JAVA_BYTE, a + b, (byte) (b + 1));
            }
            assertEquals(1, s.forward(SWAP_SOME, 8));
            s.flush();
            assertEquals(1, k.transmit());
            assertEquals(62, k.transmittedBytes());
            for (int b = 0; b < 6; b++) {
                assertEquals(b + 7, mem.get(ValueLayout.JAVA_BYTE, a + b));
                assertEquals(b + 1, mem.get(ValueLayout.JAVA_BYTE, a + 6 + b));
            }
        }
    }

    @Test
    void rxdropReturnsEveryFrameToTheFillRing() {
        try (Umem umem = Umem.allocate(FRAMES, 2048, 0); MemoryKernel k = MemoryKernel.openChecked(umem, config(64))) {
            XdpSocket s = k.socket();
            long[] bytes = new long[1];
            FrameHandler count = (m, off, len) -> bytes[0] += len;
            long received = 0;
            long handled = 0;
            for (int round = 0; round < 20_000; round++) {
                received += k.receive(1 + round % 50, 100);
                handled += s.receive(count, 1 + round % 23);
            }
            while (handled < received) {
                handled += s.receive(count, 64);
            }
            assertTrue(received > 20_000 * 10, "frames received: " + received);
            assertEquals(received * 100, bytes[0]);
            assertEquals(FRAMES, s.accounting().total(), s.accounting().toString());
            assertEquals(s.accounting().free() + s.accounting().fill(), FRAMES, s.accounting().toString());
        }
    }

    /**
     * A handler that throws mid-batch loses no frame, in receive and in forward: the frames it
     * handled, the one it threw on and the ones it never saw all return, and the loop goes on.
     */
    @Test
    void aThrowingHandlerLeaksNoFrame() {
        try (Umem umem = Umem.allocate(FRAMES, 2048, 0); MemoryKernel k = MemoryKernel.openChecked(umem, config(32))) {
            XdpSocket s = k.socket();
            int[] seen = new int[1];
            FrameHandler third = (m, off, len) -> {
                if (++seen[0] % 3 == 0) {
                    throw new IllegalStateException("frame " + seen[0]);
                }
            };
            ForwardHandler fifth = (m, off, len) -> {
                if (++seen[0] % 5 == 0) {
                    throw new IllegalStateException("frame " + seen[0]);
                }
                return len;
            };
            int thrown = 0;
            for (int round = 0; round < 2_000; round++) {
                assertEquals(8, k.receive(8, 60), s.accounting().toString());
                try {
                    if (round % 2 == 0) {
                        s.receive(third, 8);
                    } else {
                        s.forward(fifth, 8);
                    }
                } catch (IllegalStateException e) {
                    thrown++;
                }
                for (int tries = 0; tries < 100; tries++) { // drain what a throw left on the RX ring
                    try {
                        if (s.receive(third, 64) == 0) {
                            break;
                        }
                    } catch (IllegalStateException e) {
                        thrown++;
                    }
                }
                s.flush();
                k.transmit();
                s.flush();
                assertEquals(FRAMES, s.accounting().total(), s.accounting().toString());
            }
            assertTrue(thrown > 1_000, "throws: " + thrown);
            assertEquals(0, s.accounting().tx() + s.accounting().held(), s.accounting().toString());
        }
    }

    /**
     * A receive handler that reaps completions (into the fill ring, in the middle of the batch) and
     * sends a reply on the same socket. (Had receive held fill slots reserved across its handlers,
     * the reap would publish them unwritten; a kernel running concurrently could take stale
     * addresses. This single-threaded kernel side writes nothing in between, so it checks the
     * outcome, not that window.) Every frame stays in exactly one
     * place: the accounting adds up, the kernel side is never handed a frame it holds, and the fill
     * ring never carries one frame twice.
     */
    @Test
    void aReceiveHandlerMayReapIntoTheFillRingAndSend() {
        // fill ring (128) larger than the fill target (FRAMES / 2 = 64): the ring has room for the reap
        XdpSocket.Config config = new XdpSocket.Config(64, 128, 64, FRAMES, XdpSocket.Mode.COPY, true);
        try (Umem umem = Umem.allocate(FRAMES, 2048, 0); MemoryKernel k = MemoryKernel.openChecked(umem, config)) {
            XdpSocket s = k.socket();
            MemorySegment reply = java.lang.foreign.Arena.global().allocate(60);
            int[] sent = new int[1];
            int[] reaped = new int[1];
            FrameHandler reflect = (m, off, len) -> {
                reaped[0] += s.reap(); // completions go to the fill ring while it is below its target
                if (s.send(reply, 0, 60)) {
                    sent[0]++;
                }
            };
            for (int round = 0; round < 2_000; round++) {
                for (int i = 0; i < 8 && s.send(reply, 0, 60); i++) {
                    sent[0]++;
                }
                s.flush();
                k.transmit(); // completions wait to be reaped
                int got = k.receive(8, 60);
                assertEquals(got, s.receive(reflect, 64));
                s.flush();
                assertEquals(FRAMES, s.accounting().total(), s.accounting().toString());
            }
            k.transmit();
            s.flush();
            assertTrue(sent[0] > 1_000 && reaped[0] > 1_000, "sent: " + sent[0] + ", reaped in handlers: " + reaped[0]);
            // what the fill ring carries: distinct frames, as many as the accounting says
            java.util.Set<Long> frames = new java.util.HashSet<>();
            int fill = s.accounting().fill();
            int got = k.receive(64, 60); // the RX ring is empty: the fill ring holds all "fill" frames
            assertEquals(fill, got, s.accounting().toString());
            for (int b = got; b >= 1; b--) {
                assertTrue(frames.add(umem.frameBase(k.receivedAddress(b))), "a frame given twice to the fill ring");
            }
            assertTrue(fill > 0, s.accounting().toString());
        }
    }
    /**
     * receive's one pass (fill slots reserved before the handlers, each frame's address written
     * once its handler returned, published after the batch) puts exactly the batch's frames back
     * on the fill ring, in order, whether the handler only looks at the frames or sends and flushes
     * on the same socket meanwhile (its completions then go to the free stack, not the fill ring);
     * handlers see each frame at the address the kernel wrote, in either access mode.
     */
    @Test
    void receiveReturnsTheBatchToTheFillRingInOrderWhileHandlersSend() {
        XdpSocket.Config config = new XdpSocket.Config(64, 64, 64, FRAMES, XdpSocket.Mode.COPY, true);
        try (Umem umem = Umem.allocate(FRAMES, 2048, 0); MemoryKernel k = MemoryKernel.openChecked(umem, config)) {
            XdpSocket s = k.socket();
            long umemBase = umem.memory().address();
            MemorySegment reply = java.lang.foreign.Arena.global().allocate(60);
            long[] seen = new long[64];
            int[] count = new int[1];
            boolean[] sending = new boolean[1];
            int[] sent = new int[1];
            FrameHandler handler = (m, off, len) -> {
                seen[count[0]++] = m.address() + off - umemBase; // the UMEM address, whichever segment
                assertEquals(100, len);
                if (sending[0] && s.send(reply, 0, 60)) {
                    sent[0]++;
                    s.flush();
                    k.transmit();
                    s.flush(); // reaps: to the free stack while the batch holds the fill slots
                }
            };
            long transmitted = 0;
            for (int round = 0; round < 400; round++) {
                sending[0] = round % 2 == 1;
                int n = k.receive(64, 100);
                long[] batch = new long[n];
                for (int i = 0; i < n; i++) {
                    batch[i] = k.receivedAddress(n - i);
                }
                count[0] = 0;
                assertEquals(n, s.receive(handler, 64));
                assertEquals(n, count[0]);
                for (int i = 0; i < n; i++) {
                    assertEquals(batch[i], seen[i], "frame " + i + " of round " + round);
                }
                XdpSocket.Accounting a = s.accounting();
                assertEquals(FRAMES, a.total(), a.toString());
                assertEquals(64, a.fill(), "the batch went back to the fill ring, up to its target: " + a);
                // the fill ring now ends with the batch: drain it and find the same frames in order
                int all = k.receive(64, 100);
                assertEquals(64, all, s.accounting().toString());
                for (int i = 0; i < n; i++) {
                    assertEquals(umem.frameBase(batch[i]), umem.frameBase(k.receivedAddress(n - i)), "fill ring order");
                }
                assertEquals(64, s.receive((m, off, len) -> { }, 64));
                transmitted = k.transmittedBytes();
            }
            assertTrue(sent[0] > 1_000, "sent from handlers: " + sent[0]);
            assertEquals(sent[0] * 60L, transmitted);
        }
    }

    /**
     * A receive handler may not take frames off the RX ring itself (the batch's RX entries are not
     * released yet): receive and forward from it throw, and the batch is recycled like any throw.
     */
    @Test
    void aReceiveHandlerMayNotReceiveOrForward() {
        try (Umem umem = Umem.allocate(FRAMES, 2048, 0); MemoryKernel k = MemoryKernel.openChecked(umem, config(32))) {
            XdpSocket s = k.socket();
            FrameHandler nested = (m, off, len) -> s.receive((m2, o2, l2) -> { }, 8);
            FrameHandler nestedForward = (m, off, len) -> s.forward((m2, o2, l2) -> l2, 8);
            for (FrameHandler h : new FrameHandler[] {nested, nestedForward}) {
                assertEquals(8, k.receive(8, 60));
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.receive(h, 8));
                assertTrue(e.getMessage().contains("called from a receive handler"), e.getMessage());
                assertEquals(FRAMES, s.accounting().total(), s.accounting().toString());
                assertEquals(0, s.receive((m, off, len) -> { }, 8), "the batch was released");
            }
        }
    }

    /**
     * An RX descriptor outside the UMEM (or longer than a frame) is refused before a handler sees
     * it, with its ring index, address and length; the frames of the batch are not leaked.
     */
    @Test
    void aDescriptorOutsideTheUmemIsRefusedBeforeAHandlerSeesIt() {
        try (Umem umem = Umem.allocate(FRAMES, 2048, 0); MemoryKernel k = MemoryKernel.openChecked(umem, config(32))) {
            XdpSocket s = k.socket();
            int[] seen = new int[1];
            FrameHandler count = (m, off, len) -> seen[0]++;
            assertEquals(4, k.receive(4, 60));
            long third = k.receivedAddress(2);
            k.corruptReceived(2, third, 2049); // longer than a frame
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.receive(count, 8));
            assertEquals(2, seen[0], "the two frames before it were handled");
            assertTrue(e.getMessage().contains("length 2049 not inside the UMEM"), e.getMessage());
            assertEquals(FRAMES, s.accounting().total(), s.accounting().toString());

            assertEquals(4, k.receive(4, 60));
            k.corruptReceived(4, (long) FRAMES * 2048 - 30, 60); // runs past the UMEM's end
            seen[0] = 0;
            e = assertThrows(IllegalStateException.class, () -> s.forward((m, off, len) -> {
                seen[0]++;
                return len;
            }, 8));
            assertEquals(0, seen[0]);
            assertTrue(e.getMessage().contains("UMEM address " + ((long) FRAMES * 2048 - 30) + ", length 60"),
                    e.getMessage());
        }
    }

    /** A closed socket's rings are unmapped: its data path refuses to run instead of touching them. */
    @Test
    void aClosedSocketRefusesToReceiveForwardOrFlush() {
        try (Umem umem = Umem.allocate(FRAMES, 2048, 0)) {
            MemoryKernel k = MemoryKernel.open(umem, config(32));
            XdpSocket s = k.socket();
            k.close();
            assertThrows(IllegalStateException.class, () -> s.receive((m, off, len) -> { }, 8));
            assertThrows(IllegalStateException.class, () -> s.forward((m, off, len) -> len, 8));
            assertThrows(IllegalStateException.class, s::flush);
        }
    }
}
