package io.jxdp.ffi.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.NativeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Link facts read over ioctl, checked against what {@code ip} reports for the same interface. */
class LinkTest {
    @Test
    void factsMatchWhatIpReports() throws InterruptedException {
        try (VethTopology t = VethTopology.create(3)) {
            VethTopology.ip("-n", t.nsA, "link", "set", t.ifA, "mtu", "1400");
            String shown = VethTopology.ip("-n", t.nsA, "-o", "link", "show", t.ifA);
            Matcher index = Pattern.compile("^(\\d+):").matcher(shown);
            Matcher mac = Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(shown);
            assertTrue(index.find() && mac.find(), shown);
            Link link;
            try (NetNs.Scope ignored = NetNs.enter(t.nsA)) {
                link = Link.byName(t.ifA);
            }
            assertEquals(t.ifA, link.name());
            assertEquals(Integer.parseInt(index.group(1)), link.ifindex());
            assertEquals(mac.group(1), link.macString());
            assertEquals(1400, link.mtu());
            assertTrue(link.isUp(), link.toString());
            assertTrue(link.isRunning(), link.toString());
            assertEquals(3, link.rxQueues(), link.toString());
            assertEquals(3, link.txQueues(), link.toString());

            VethTopology.ip("-n", t.nsB, "link", "set", t.ifB, "down");
            try (NetNs.Scope ignored = NetNs.enter(t.nsA)) {
                // The operational state follows the carrier through linkwatch, asynchronously.
                long deadline = System.nanoTime() + 5_000_000_000L;
                Link down = Link.byName(t.ifA);
                while (down.isRunning() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                    down = Link.byName(t.ifA);
                }
                assertTrue(down.isUp(), "A itself is still administratively up");
                assertFalse(down.isRunning(), "carrier must drop when the peer goes down: " + down);
            }
        }
    }

    @Test
    void missingInterfaceNamesTheInterface() {
        NativeException e = assertThrows(NativeException.class, () -> Link.byName("jxnosuch9"));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("\"jxnosuch9\""), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Link.byName("a-name-longer-than-15"));
        assertThrows(IllegalArgumentException.class, () -> Link.byName(""));
    }

    @Test
    void namespaceScopeMovesOnlyTheCallingThreadAndComesBack() throws Exception {
        Path self = Path.of("/proc/thread-self/ns/net");
        String before = Files.readSymbolicLink(self).toString();
        try (VethTopology t = VethTopology.create(1)) {
            // /var/run/netns/NAME is a bind mount of the nsfs inode that names the namespace.
            String target = "net:[" + Files.getAttribute(Path.of("/var/run/netns", t.nsA), "unix:ino") + "]";
            // A thread that already runs stays where it is; one started inside would inherit
            // the namespace (clone(2) copies the creating thread's namespaces).
            java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
            String[] other = new String[1];
            Thread th = Thread.ofPlatform().start(() -> {
                try {
                    entered.await(10, java.util.concurrent.TimeUnit.SECONDS);
                    other[0] = Files.readSymbolicLink(self).toString();
                } catch (Exception e) {
                    other[0] = e.toString();
                }
            });
            try (NetNs.Scope ignored = NetNs.enter(t.nsA)) {
                String inside = Files.readSymbolicLink(self).toString();
                assertNotEquals(before, inside);
                assertEquals(target, inside);
                entered.countDown();
                th.join(10_000);
                assertEquals(before, other[0]);
                // The interface exists only inside.
                assertEquals(t.ifA, Link.byName(t.ifA).name());
            }
            assertEquals(before, Files.readSymbolicLink(self).toString());
            assertThrows(NativeException.class, () -> Link.byName(t.ifA));
        }
        NativeException e = assertThrows(NativeException.class, () -> NetNs.enter("jxdp-no-such-ns"));
        assertTrue(e.getMessage().contains("jxdp-no-such-ns"), e.getMessage());
        assertEquals(before, Files.readSymbolicLink(self).toString());
        assertEquals(6, HexFormat.ofDelimiter(":").parseHex("02:00:00:00:00:01").length);
    }
}
