package io.jxdp.ffi.xdp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.net.Frames;
import io.jxdp.ffi.net.Link;
import io.jxdp.ffi.net.NetNs;
import io.jxdp.ffi.net.RawSocket;
import io.jxdp.ffi.net.VethTopology;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The AF_XDP specific API around the generic port: UMEM address math and in-place TX. */
class XdpSocketApiTest {
    @Test
    void umemAddressMath() {
        try (Umem u = Umem.allocate(8, 4096, 128)) {
            assertEquals(8 * 4096L, u.memory().byteSize());
            assertEquals(3 * 4096L, u.frameAddress(3));
            assertEquals(3, u.frameIndex(3 * 4096L + 256 + 128 + 17));
            assertEquals(3 * 4096L, u.frameBase(3 * 4096L + 4095));
            assertEquals(4 * 4096L, u.frameBase(4 * 4096L));
            assertEquals(128, u.headroom());
            assertEquals(8, u.unclaimedFrames());
        }
    }

    @Test
    void framesWrittenInPlaceAreSentAndAccountedFor() {
        try (VethTopology t = VethTopology.create(1); Umem umem = Umem.allocate(256, 2048, 64)) {
            XdpSocket s;
            Link self;
            try (NetNs.Scope ignored = NetNs.enter(t.nsA)) {
                s = XdpSocket.open(umem, t.ifA, 0, XdpSocket.Config.defaults().withFrames(256).withRings(64, 64, 64));
                self = Link.byName(t.ifA);
            }
            RawSocket witness;
            Link peer;
            try (NetNs.Scope ignored = NetNs.enter(t.nsB)) {
                witness = new RawSocket(t.ifB, Frames.ETHERTYPE);
                peer = Link.byName(t.ifB);
            }
            try (s; witness) {
                assertEquals(2048 - 64, s.maxFrameLength());
                assertEquals(new XdpSocket.Accounting(256, 256 - 64, 64, 0, 0), s.accounting());
                Random random = new Random(8);
                MemorySegment mem = umem.memory();
                for (int i = 0; i < 100; i++) {
                    long addr = s.claimTxFrame();
                    assertTrue(addr >= 0);
                    assertEquals(64, addr - umem.frameBase(addr), "TX data starts after the headroom");
                    assertEquals(1, s.accounting().held());
                    byte[] f = Frames.frame(peer.mac(), self.mac(), i, Frames.length(i, random), random);
                    MemorySegment.copy(f, 0, mem, ValueLayout.JAVA_BYTE, addr, f.length);
                    assertTrue(s.submitFrame(addr, f.length));
                    assertEquals(1, s.flush());
                    byte[] got = witness.receive(5000);
                    assertNotNull(got, "frame " + i);
                    assertArrayEquals(f, got);
                    assertEquals(256, s.accounting().total(), s.accounting().toString());
                }
                long addr = s.claimTxFrame();
                assertThrows(IllegalArgumentException.class, () -> s.submitFrame(addr, 5000));
                assertEquals(0, s.accounting().held(), "a rejected frame is back on the free stack");
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (s.txInFlight() > 0 && System.nanoTime() < deadline) {
                    s.flush();
                }
                assertEquals(new XdpSocket.Accounting(256, 256 - 64, 64, 0, 0), s.accounting());
                assertTrue(s.txKicks() > 0);
                assertNull(witness.receive(200));
                assertEquals(0, s.statistics().txInvalidDescs());
            }
        }
    }
}
