package io.jxdp.port;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.affinity.Affinity;
import io.jxdp.ffi.bpf.AttachType;
import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import io.jxdp.ffi.bpf.TestRunAttr;
import io.jxdp.ffi.bpf.TestRunResult;
import io.jxdp.ffi.bpf.XdpAction;
import io.jxdp.ffi.bpf.XdpFlags;
import io.jxdp.ffi.net.Link;
import io.jxdp.ffi.net.NetNs;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code jxdp gen}'s engine: exact counts on a veth peer, flows, checksums, pacing, bad input. */
class TrafficGeneratorTest {
    static final byte[] IP_A = {(byte) 198, 18, 0, 1};
    static final byte[] IP_B = {(byte) 198, 18, 0, 2};

    /** One valid-checksum check of a frame built or rewritten: IPv4 header and TCP/UDP pseudo-header sums. */
    static void assertChecksumsValid(byte[] f, int l4, int proto, String what) {
        assertEquals(0xffff, PacketTemplate.sum(f, 14, 20, 0), what + ": IPv4 header checksum");
        int l4Len = f.length - l4;
        int csum = ((f[l4 + (proto == 17 ? 6 : 16)] & 0xff) << 8) | (f[l4 + (proto == 17 ? 7 : 17)] & 0xff);
        if (proto == 17 && csum == 0) {
            return;
        }
        int pseudo = PacketTemplate.sum(f, 26, 8, 0) + proto + l4Len;
        assertEquals(0xffff, PacketTemplate.sum(f, l4, l4Len, pseudo), what + ": L4 checksum");
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4})
    void programVariesPortsAndKeepsChecksumsValid(long seed) {
        // The counter is per CPU: stay on one CPU so consecutive runs see consecutive counts.
        java.util.BitSet saved = Affinity.currentThread();
        Affinity.pinCurrentThread(saved.nextSetBit(0));
        try {
            checkVariation(new Random(seed));
        } finally {
            Affinity.setCurrentThread(saved);
        }
    }

    private static void checkVariation(Random r) {
        for (int round = 0; round < 6; round++) {
            boolean udp = r.nextBoolean();
            int flows = 2 + r.nextInt(300);
            int base = r.nextInt(65536);
            int size = 60 + r.nextInt(1400);
            byte[] sm = new byte[6];
            byte[] dm = new byte[6];
            r.nextBytes(sm);
            r.nextBytes(dm);
            PacketTemplate t = udp ? PacketTemplate.udp(sm, dm, IP_A, IP_B, base, r.nextInt(65536), size)
                    : PacketTemplate.tcp(sm, dm, IP_A, IP_B, base, r.nextInt(65536), size);
            assertChecksumsValid(t.frame(), t.l4Offset(), t.protocol(), "template");
            try (GenProgram p = GenProgram.load(t, flows, base)) {
                Set<Integer> ports = new TreeSet<>();
                for (int i = 0; i < flows + 5; i++) {
                    TestRunResult res = Bpf.progTestRun(p.progFd, TestRunAttr.of(t.frame()));
                    assertEquals(XdpAction.XDP_TX, res.retval());
                    byte[] out = res.dataOut();
                    int sport = ((out[t.l4Offset()] & 0xff) << 8) | (out[t.l4Offset() + 1] & 0xff);
                    int flow = (sport - base) & 0xffff;
                    assertTrue(flow < flows, "port " + sport + " outside base " + base + " + " + flows);
                    ports.add(sport);
                    assertChecksumsValid(out, t.l4Offset(), t.protocol(), (udp ? "UDP" : "TCP") + " run " + i);
                }
                assertEquals(flows, ports.size(), "every flow seen once the counter wrapped");
            }
        }
    }

    @Test
    void javaRewriteMatchesAFullChecksum() {
        Random r = new Random(7);
        for (int i = 0; i < 500; i++) {
            boolean udp = r.nextBoolean();
            PacketTemplate t = udp ? PacketTemplate.udp(new byte[6], new byte[6], IP_A, IP_B, r.nextInt(65536), 9, 60 + r.nextInt(100))
                    : PacketTemplate.tcp(new byte[6], new byte[6], IP_A, IP_B, r.nextInt(65536), 9, 60 + r.nextInt(100));
            MemorySegment f = MemorySegment.ofArray(t.frame());
            TrafficGenerator.rewritePort(f, t.l4Offset(), t.checksumOffset(), udp, r.nextInt(65536));
            assertChecksumsValid(f.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), t.l4Offset(), t.protocol(), "rewrite " + i);
        }
    }

    @Test
    void parseFindsTheFlowFields() {
        PacketTemplate t = PacketTemplate.tcp(new byte[6], new byte[6], IP_A, IP_B, 1, 2, 80);
        assertEquals(t, PacketTemplate.parse(t.frame()));
        byte[] arp = t.frame();
        arp[13] = 0x06;
        assertEquals(-1, PacketTemplate.parse(arp).l4Offset());
        byte[] frag = t.frame();
        frag[21] = 1;
        assertEquals(-1, PacketTemplate.parse(frag).l4Offset());
    }

    /**
     * Clone mode's program varies the source port once per run and keeps the L4 checksum valid;
     * with cb[0] = 0 it clones nothing, so the runs only rewrite and data_out shows each result.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void cloneProgramVariesPortsPerRunAndKeepsChecksumsValid(long seed) {
        Random r = new Random(seed);
        for (int round = 0; round < 6; round++) {
            boolean udp = r.nextBoolean();
            int flows = 2 + r.nextInt(300);
            int threads = 1 + r.nextInt(3);
            int base = r.nextInt(65536);
            PacketTemplate t = udp ? PacketTemplate.udp(new byte[6], new byte[6], IP_A, IP_B, base, r.nextInt(65536), 60 + r.nextInt(1400))
                    : PacketTemplate.tcp(new byte[6], new byte[6], IP_A, IP_B, base, r.nextInt(65536), 60 + r.nextInt(1400));
            int slot = r.nextInt(threads);
            try (CloneProgram p = CloneProgram.load(t, 1, flows, base, threads)) {
                Set<Integer> ports = new TreeSet<>();
                for (int i = 0; i < flows + 5; i++) {
                    TestRunAttr a = CloneProgram.attr(t.frame(), 0, slot, 1).withDataOutCapacity(t.length() + 64);
                    TestRunResult res = Bpf.progTestRun(p.progFd, a);
                    assertEquals(CloneProgram.TC_ACT_SHOT, res.retval());
                    byte[] out = res.dataOut();
                    assertEquals(t.length(), out.length);
                    int sport = ((out[t.l4Offset()] & 0xff) << 8) | (out[t.l4Offset() + 1] & 0xff);
                    // Slot s starts at flow s and steps by the thread count, as the AF_PACKET path does.
                    assertEquals((base + (slot + (long) i * threads) % flows) & 0xffff, sport, "run " + i);
                    ports.add(sport);
                    assertChecksumsValid(out, t.l4Offset(), t.protocol(), (udp ? "UDP" : "TCP") + " run " + i);
                }
                assertEquals(java.util.stream.IntStream.range(0, flows).filter(f -> f % gcd(threads, flows) == slot % gcd(threads, flows)).count(),
                        ports.size(), "flows this slot covers");
                assertArrayEquals(new long[] {0, 0}, p.counters(slot), "no clones asked for, none counted");
            }
        }
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    @Test
    void cloneModeOnADownInterfaceIsRefusedByName() throws Exception {
        try (Topology t = Topology.create(1)) {
            Topology.run("ip", "-n", t.nsA, "link", "set", t.ifA, "down");
            PacketTemplate tpl = PacketTemplate.udp(new byte[6], new byte[6], IP_A, IP_B, 1, 9, 60);
            TrafficGenerator.Config c = new TrafficGenerator.Config(t.ifA, t.nsA, tpl, 1, 0, 1, 10, 1,
                    TrafficGenerator.Mode.CLONE);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> TrafficGenerator.run(c, null));
            assertEquals("clone mode unavailable on " + t.ifA + ": bpf_clone_redirect failed on the probe frame"
                    + " (is the interface up?)", e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"LIVE", "AFPACKET", "CLONE", "CLONE:1", "CLONE:7"})
    void sendsExactlyNIntoAVethPeer(String modeName) throws Exception {
        TrafficGenerator.Mode mode = TrafficGenerator.Mode.valueOf(modeName.split(":")[0]);
        int burst = modeName.contains(":") ? Integer.parseInt(modeName.split(":")[1]) : TrafficGenerator.Config.DEFAULT_BURST;
        int n = 3000;
        int flows = 16;
        // Two sender threads, two queues: veth picks the peer's RX ring by sending CPU
        // (veth_select_rxq), so each thread fills its own 256-entry ring, drained by its own NAPI.
        try (Topology t = Topology.create(2)) {
            DatagramChannel rx;
            int link = -1;
            int prog = Bpf.progLoad(ProgLoadAttr.xdp(new long[] {0x0000_0002_0000_00b7L, 0x95L}));
            byte[] macA;
            byte[] macB;
            try {
                try (NetNs.Scope ignored = NetNs.enter(t.nsB)) {
                    rx = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(Topology.ADDR_B, 9));
                    Link b = Link.byName(t.ifB);
                    macB = b.mac();
                    // veth's ndo_xdp_xmit needs NAPI on the receiving end: an XDP program (XDP_PASS) gives it.
                    link = Bpf.linkCreate(prog, b.ifindex(), AttachType.BPF_XDP, XdpFlags.XDP_FLAGS_DRV_MODE);
                }
                try (NetNs.Scope ignored = NetNs.enter(t.nsA)) {
                    macA = Link.byName(t.ifA).mac();
                }
                PacketTemplate tpl = PacketTemplate.udp(macA, macB, IP_A, IP_B, 20000, 9, 60);
                TrafficGenerator.Config c = effective(new TrafficGenerator.Config(t.ifA, t.nsA, tpl, flows, 10_000, 20, n, 2, mode, burst));
                AtomicReference<Object> result = new AtomicReference<>();
                Thread gen = Thread.ofPlatform().start(() -> {
                    try {
                        result.set(TrafficGenerator.run(c, null));
                    } catch (Throwable e) {
                        result.set(e);
                    }
                });
                Set<Integer> ports = new TreeSet<>();
                byte[] payload = java.util.Arrays.copyOfRange(tpl.frame(), tpl.l4Offset() + 8, tpl.length());
                int received = 0;
                try (rx) {
                    rx.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
                    rx.configureBlocking(false);
                    ByteBuffer buf = ByteBuffer.allocate(2048);
                    long deadline = System.nanoTime() + 20_000_000_000L;
                    long quietSince = System.nanoTime();
                    while (System.nanoTime() < deadline) {
                        buf.clear();
                        InetSocketAddress from = (InetSocketAddress) rx.receive(buf);
                        if (from != null) {
                            buf.flip();
                            byte[] got = new byte[buf.remaining()];
                            buf.get(got);
                            assertArrayEquals(payload, got, "payload of datagram " + received);
                            received++;
                            ports.add(from.getPort());
                            quietSince = System.nanoTime();
                        } else if (!gen.isAlive() && System.nanoTime() - quietSince > 500_000_000L) {
                            break;
                        } else {
                            Thread.sleep(0, 50_000);
                        }
                    }
                }
                gen.join(30_000);
                Object r = result.get();
                if (r instanceof Throwable e) {
                    throw new AssertionError("generator failed", e);
                }
                TrafficGenerator.Report report = (TrafficGenerator.Report) r;
                assertEquals(n, report.packets(), "packets the generator reports");
                assertEquals(expectedPath(c), report.path());
                if (received != n) {
                    String stats = Topology.run("ip", "-n", t.nsB, "-s", "link", "show", t.ifB)
                            + Topology.run("ip", "netns", "exec", t.nsB, "grep", "Udp:", "/proc/net/snmp");
                    assertEquals(n, received, "datagrams the peer's UDP socket received (" + report + ")\n" + stats);
                }
                assertEquals(flows, ports.size(), "distinct source ports: " + ports);
                assertEquals(20000, ports.iterator().next());
            } finally {
                if (link >= 0) {
                    Bpf.close(link);
                }
                Bpf.close(prog);
            }
        }
    }

    /**
     * Clone mode at full speed into a peer whose XDP program counts every frame: what the peer
     * counted is exactly --count, and so is what the generator reports, although the veth refuses
     * clones whenever its peer's 256-frame ring is full (threaded NAPI on another CPU than the
     * sender lets the sender outrun it): refused clones are counted apart and sent again.
     */
    @Test
    void cloneModeAtFullSpeedDeliversExactlyNDespiteRefusals() throws Exception {
        long n = 300_000;
        try (Topology t = Topology.create(1)) {
            int counter = Bpf.mapCreate(io.jxdp.ffi.bpf.MapCreateAttr.of(io.jxdp.ffi.bpf.MapType.BPF_MAP_TYPE_ARRAY, 4, 8, 1));
            int prog = -1;
            int link = -1;
            try {
                prog = Bpf.progLoad(ProgLoadAttr.xdp(GenProgram.assemble("""
                        stw [%r10-4], 0
                        lddw %r1, 0x6e000001
                        mov %r2, %r10
                        add %r2, -4
                        call 1
                        jeq %r0, 0, out
                        mov %r1, 1
                        lock add [%r0+0], %r1
                    out:
                        mov %r0, 1
                        exit
                    """, counter).slots()));
                try (NetNs.Scope ignored = NetNs.enter(t.nsB)) {
                    link = Bpf.linkCreate(prog, Link.byName(t.ifB).ifindex(), AttachType.BPF_XDP, XdpFlags.XDP_FLAGS_DRV_MODE);
                }
                // veth has a NAPI once XDP is attached; move it to a kthread on a CPU the sender
                // (pinned to the first allowed CPU) does not use, when there is one.
                Topology.run("ip", "netns", "exec", t.nsB, "sh", "-c", "echo 1 > /sys/class/net/" + t.ifB + "/threaded");
                java.util.BitSet cpus = Affinity.currentThread();
                int other = cpus.nextSetBit(cpus.nextSetBit(0) + 1);
                if (other >= 0) {
                    String pid = Topology.run("pgrep", "^napi/" + t.ifB).strip().split("\\s+")[0];
                    Topology.run("taskset", "-pc", Integer.toString(other), pid);
                }
                PacketTemplate tpl = PacketTemplate.udp(new byte[6], new byte[] {-1, -1, -1, -1, -1, -1}, IP_A, IP_B, 1, 9, 60);
                TrafficGenerator.Report r = TrafficGenerator.run(new TrafficGenerator.Config(t.ifA, t.nsA, tpl, 4, 0, 60, n,
                        1, TrafficGenerator.Mode.CLONE), null);
                assertEquals(n, r.packets(), r.toString());
                try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                    MemorySegment key = arena.allocate(4);
                    MemorySegment value = arena.allocate(8);
                    long seen = -1;
                    long deadline = System.nanoTime() + 5_000_000_000L;
                    while (seen != n && System.nanoTime() < deadline) { // the kthread may still be draining
                        Bpf.mapLookup(counter, key, value);
                        seen = value.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
                        Thread.sleep(10);
                    }
                    assertEquals(n, seen, "frames the peer's XDP program counted (" + r + ")");
                }
            } finally {
                if (link >= 0) {
                    Bpf.close(link);
                }
                if (prog >= 0) {
                    Bpf.close(prog);
                }
                Bpf.close(counter);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"LIVE", "AFPACKET", "CLONE"})
    void ratePacingBoundsThePacketCount(String modeName) throws Exception {
        try (Topology t = Topology.create(1)) {
            PacketTemplate tpl = PacketTemplate.udp(new byte[6], new byte[] {-1, -1, -1, -1, -1, -1}, IP_A, IP_B, 1, 9, 60);
            TrafficGenerator.Config c = effective(new TrafficGenerator.Config(t.ifA, t.nsA, tpl, 1, 5000, 2.5, 0, 1,
                    TrafficGenerator.Mode.valueOf(modeName)));
            java.util.List<TrafficGenerator.Report> seconds = new java.util.ArrayList<>();
            TrafficGenerator.Report r = TrafficGenerator.run(c, seconds::add);
            assertEquals(expectedPath(c), r.path());
            assertTrue(r.packets() <= 5000 * r.seconds() + 50, r.toString());
            // The bound is the upper one (pacing never sends ahead); the lower ones only show that it
            // sends at all, loosely, because a loaded 2-CPU machine may starve the sender for a while.
            assertTrue(r.packets() >= 5000 * 2.5 * 0.5, r.toString());
            // It stops at the deadline, plus up to the AF_PACKET ring's 1 s drain; the upper bound is
            // loose because a loaded 2-CPU machine has delayed the sender's threads by seconds (5.58 s
            // once at load 8). Running on toward the generator's own 10 s give-up would fail it.
            assertTrue(r.seconds() >= 2.49 && r.seconds() < 8, r.toString());
            assertEquals(2, seconds.size(), "one progress report per whole second: " + seconds);
            for (TrafficGenerator.Report s : seconds) {
                assertTrue(s.seconds() > 0.5 && s.seconds() < 1.5 && s.pps() > 500 && s.pps() < 8000, s.toString());
            }
        }
    }

    /**
     * {@code c} itself, unless it asks for LIVE on a kernel that refuses live frames (the kernel of
     * this machine kind answers every live-frames run with EPERM since 2026-12): then LIVE must fail
     * at once, naming the device and the kernel's refusal, and the test goes on with AUTO, which must
     * fall back to the AF_PACKET ring (what `jxdp gen` does by default).
     */
    private static TrafficGenerator.Config effective(TrafficGenerator.Config c) {
        if (c.mode() != TrafficGenerator.Mode.LIVE) {
            return c;
        }
        String why = TrafficGenerator.liveFramesUnavailable(c);
        if (why == null) {
            return c;
        }
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> TrafficGenerator.run(c, null));
        // The same refusal, up to the probe program's fd number.
        assertEquals(("live frames unavailable on " + c.ifname() + ": " + why).replaceAll("prog fd \\d+", "prog fd N"),
                refused.getMessage().replaceAll("prog fd \\d+", "prog fd N"));
        return new TrafficGenerator.Config(c.ifname(), c.netns(), c.template(), c.flows(), c.ratePps(), c.seconds(),
                c.count(), c.threads(), TrafficGenerator.Mode.AUTO, c.burst());
    }

    /** AUTO only runs here when live frames are refused: it must take clones, the next in its order. */
    private static String expectedPath(TrafficGenerator.Config c) {
        return switch (c.mode()) {
            case LIVE -> "xdp live frames";
            case CLONE, AUTO -> "tc clone_redirect";
            case AFPACKET -> "af_packet tx ring";
        };
    }

    @Test
    void badConfigurationIsRefused() {
        PacketTemplate tpl = PacketTemplate.udp(new byte[6], new byte[6], IP_A, IP_B, 1, 9, 60);
        assertThrows(IllegalArgumentException.class, () -> new TrafficGenerator.Config("x", null, tpl, 0, 0, 1, 0, 1, TrafficGenerator.Mode.AUTO));
        assertThrows(IllegalArgumentException.class, () -> new TrafficGenerator.Config("x", null, tpl, 1, 0, 601, 0, 1, TrafficGenerator.Mode.AUTO));
        assertThrows(IllegalArgumentException.class, () -> new TrafficGenerator.Config("x", null, tpl, 1, -1, 1, 0, 1, TrafficGenerator.Mode.AUTO));
        assertThrows(IllegalArgumentException.class, () -> new TrafficGenerator.Config("x", null, tpl, 1, 0, 1, 0, 0, TrafficGenerator.Mode.AUTO));
        assertThrows(IllegalArgumentException.class, () -> new TrafficGenerator.Config("x", null, tpl, 1, 0, 1, 0, 1, TrafficGenerator.Mode.CLONE, 0));
        assertThrows(IllegalArgumentException.class, () -> new TrafficGenerator.Config("x", null, tpl, 1, 0, 1, 0, 1, TrafficGenerator.Mode.CLONE, 257));
        assertThrows(IllegalArgumentException.class, () -> PacketTemplate.udp(new byte[6], new byte[6], IP_A, IP_B, 1, 9, 59));
        assertThrows(IllegalArgumentException.class, () -> PacketTemplate.udp(new byte[5], new byte[6], IP_A, IP_B, 1, 9, 60));
    }
}
