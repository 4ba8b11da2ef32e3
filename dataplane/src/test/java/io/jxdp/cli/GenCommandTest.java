package io.jxdp.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.net.NetNs;
import io.jxdp.ffi.packet.PacketRingSocket;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code jxdp gen} from the command line: an exact count lands on a veth peer; bad options are named. */
class GenCommandTest {

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + String.join(" ", cmd));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"afpacket", "clone"})
    void sendsExactCountAndCountsOnThePeer(String mode) throws Exception {
        String tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
        String nsA = "jxdp-g" + tag + "-a";
        String nsB = "jxdp-g" + tag + "-b";
        try {
            run("ip", "netns", "add", nsA);
            run("ip", "netns", "add", nsB);
            run("ip", "-n", nsA, "link", "add", "g" + tag + "a", "type", "veth", "peer", "name", "g" + tag + "b",
                    "netns", nsB);
            run("ip", "-n", nsA, "link", "set", "g" + tag + "a", "up");
            run("ip", "-n", nsB, "link", "set", "g" + tag + "b", "up");
            try (NetNs.Scope ignored = NetNs.enter(nsB);
                 PacketRingSocket witness = PacketRingSocket.open("g" + tag + "b", PacketRingSocket.Config.defaults())) {
                PrintStream saved = System.out;
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                int rc;
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                try {
                    rc = Main.run("gen", "--dev", "g" + tag + "a", "--netns", nsA, "--udp", "--flows", "8", "--count",
                            "777", "--rate", "50000", "--duration", "10", "--mode", mode, "--quiet",
                            "--dst-ip", "198.18.1.2");
                } finally {
                    System.setOut(saved);
                }
                String text = out.toString(StandardCharsets.UTF_8);
                assertEquals(0, rc, text);
                assertTrue(text.contains("gen: sent 777 packets"), text);
                assertTrue(text.contains(mode.equals("clone") ? "tc clone_redirect)" : "af_packet tx ring)"), text);
                int[] frames = {0};
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (frames[0] < 777 && System.nanoTime() < deadline) {
                    witness.receive((mem, off, len) -> {
                        if (len == 60 && mem.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 33) == 2
                                && mem.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 32) == 1) {
                            frames[0]++;
                        }
                    }, 256);
                    witness.awaitReceive(50);
                }
                Thread.sleep(200);
                witness.receive((mem, off, len) -> {
                    if (len == 60 && mem.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 33) == 2) {
                        frames[0]++;
                    }
                }, 1024);
                assertEquals(777, frames[0], "UDP frames to 198.18.1.2 seen on the peer");
            }
        } finally {
            try {
                run("ip", "netns", "del", nsA);
            } finally {
                run("ip", "netns", "del", nsB);
            }
        }
    }

    @Test
    void badOptionsAreNamed() {
        PrintStream savedErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertNotEquals(0, Main.run("gen", "--dev", "lo", "--duration", "1", "--dst-ip", "300.1.1.1", "--src-mac", "02:00:00:00:00:01"));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("--dst-ip: '300.1.1.1'"), err.toString());
            assertNotEquals(0, Main.run("gen", "--dev", "lo", "--duration", "601", "--src-mac", "02:00:00:00:00:01"));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("--duration"), err.toString());
            assertNotEquals(0, Main.run("gen", "--dev", "lo"));
            assertNotEquals(0, Main.run("gen", "--dev", "lo", "--duration", "1", "--udp", "--tcp"));
            assertNotEquals(0, Main.run("gen", "--dev", "lo", "--duration", "1", "--burst", "0", "--src-mac", "02:00:00:00:00:01"));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("--burst must be 1..256, got 0"), err.toString());
            assertEquals(1, Main.run("gen", "--dev", "jxnosuch0", "--duration", "1"));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("\"jxnosuch0\" (no such interface"), err.toString());
            assertNotEquals(0, Main.run("gen", "--dev", "lo", "--duration", "1", "--template", "/nonexistent/x.pcap"));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("--template /nonexistent/x.pcap: no such file"),
                    err.toString());
        } finally {
            System.setErr(savedErr);
        }
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, (byte) 0xab}, GenCommand.mac("--src-mac", "02:00:00:00:00:ab"));
        assertThrows(IllegalArgumentException.class, () -> GenCommand.mac("--src-mac", "02:00:00:00:00"));
        assertArrayEquals(new byte[] {(byte) 198, 18, 0, 1}, GenCommand.ipv4("--src-ip", "198.18.0.1"));
    }
}
