package io.jxdp.ffi.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.net.NetNs;
import io.jxdp.ffi.net.VethTopology;
import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.NativeException;
import org.junit.jupiter.api.Test;

/** AF_XDP failure modes: each a clear error naming the interface and what failed. */
class XdpErrorsTest {
    @Test
    void zeroCopyOnVethFailsNamingTheInterfaceAndAutoFallsBack() {
        try (VethTopology t = VethTopology.create(1); NetNs.Scope ignored = NetNs.enter(t.nsA);
                Umem umem = Umem.allocate(256, 4096, 0)) {
            NativeException e = assertThrows(NativeException.class,
                    () -> XdpSocket.open(umem, t.ifA, 0, XdpSocket.Config.defaults().withFrames(64)
                            .withMode(XdpSocket.Mode.ZEROCOPY)));
            assertEquals(Errno.EOPNOTSUPP, e.errno());
            assertTrue(e.getMessage().contains(t.ifA) && e.getMessage().contains("zero-copy"), e.getMessage());
            assertEquals(256, umem.unclaimedFrames(), "a failed open gives its frames back");
            try (XdpSocket s = XdpSocket.open(umem, t.ifA, 0, XdpSocket.Config.defaults().withFrames(64))) {
                assertFalse(s.isZeroCopy());
                assertEquals("af_xdp copy", s.driver());
                assertEquals(new XdpStatistics(0, 0, 0, 0, 0, 0), s.statistics());
            }
        }
    }

    @Test
    void secondSocketOnTheSameQueueIsBusy() {
        try (VethTopology t = VethTopology.create(2); NetNs.Scope ignored = NetNs.enter(t.nsA);
                Umem umem = Umem.allocate(512, 2048, 0);
                XdpSocket first = XdpSocket.open(umem, t.ifA, 0, XdpSocket.Config.defaults().withFrames(128))) {
            try (Umem other = Umem.allocate(256, 2048, 0)) {
                NativeException e = assertThrows(NativeException.class, () -> XdpSocket.open(other, t.ifA, 0,
                        XdpSocket.Config.defaults().withFrames(128).withMode(XdpSocket.Mode.COPY)));
                assertEquals(Errno.EBUSY, e.errno());
                assertTrue(e.getMessage().contains(t.ifA) && e.getMessage().contains("queue 0"), e.getMessage());
            }
            IllegalArgumentException q = assertThrows(IllegalArgumentException.class,
                    () -> XdpSocket.open(umem, t.ifA, 5, XdpSocket.Config.defaults().withFrames(128)));
            assertTrue(q.getMessage().contains(t.ifA) && q.getMessage().contains("queue 5"), q.getMessage());
            try (XdpSocket second = XdpSocket.open(umem, t.ifA, 1, XdpSocket.Config.defaults().withFrames(128))) {
                assertEquals(1, second.queueId());
                assertEquals(first.driver(), second.driver());
            }
            assertThrows(IllegalStateException.class, umem::close, "UMEM still in use");
        }
    }

    @Test
    void aProgramAttachedBySomeoneElseIsReportedAsBusy() {
        try (VethTopology t = VethTopology.create(1); NetNs.Scope ignored = NetNs.enter(t.nsA);
                XskRedirect mine = XskRedirect.attach(t.ifA, 1, XskRedirect.AttachMode.AUTO)) {
            assertTrue(mine.isNative(), "veth supports native XDP");
            assertTrue(VethTopology.ip("-n", t.nsA, "link", "show", t.ifA).contains("prog/xdp"));
            NativeException e = assertThrows(NativeException.class,
                    () -> XskRedirect.attach(t.ifA, 1, XskRedirect.AttachMode.AUTO));
            assertTrue(e.errno() == Errno.EBUSY || e.errno() == Errno.EEXIST, e.getMessage());
            assertTrue(e.getMessage().contains(t.ifA) && e.getMessage().contains("someone else"), e.getMessage());
            mine.close();
            assertFalse(VethTopology.ip("-n", t.nsA, "link", "show", t.ifA).contains("prog/xdp"),
                    "closing the link detaches the program");
        }
    }

    @Test
    void genericModeAttachWorksToo() {
        try (VethTopology t = VethTopology.create(1); NetNs.Scope ignored = NetNs.enter(t.nsA);
                XskRedirect r = XskRedirect.attach(t.ifA, 1, XskRedirect.AttachMode.GENERIC)) {
            assertFalse(r.isNative());
            assertTrue(VethTopology.ip("-n", t.nsA, "link", "show", t.ifA).contains("xdpgeneric"));
        }
    }

    @Test
    void badConfigurationsAreRejectedBeforeAnySyscall() {
        assertThrows(IllegalArgumentException.class, () -> Umem.allocate(16, 3000, 0));
        assertThrows(IllegalArgumentException.class, () -> Umem.allocate(16, 2048, 2000));
        assertThrows(IllegalArgumentException.class, () -> Umem.allocate(0, 2048, 0));
        assertThrows(IllegalArgumentException.class, () -> new XdpSocket.Config(1000, 2048, 2048, 64,
                XdpSocket.Mode.AUTO, true));
        try (Umem u = Umem.allocate(16, 2048, 0)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> XdpSocket.open(u, "lo", 0, XdpSocket.Config.defaults().withFrames(32)));
            assertTrue(e.getMessage().contains("32"), e.getMessage());
        }
    }
}
