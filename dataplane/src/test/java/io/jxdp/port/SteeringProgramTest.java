package io.jxdp.port;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.TestRunAttr;
import io.jxdp.ffi.bpf.XdpAction;
import io.jxdp.ffi.net.NetNs;
import io.jxdp.ffi.xdp.Umem;
import io.jxdp.ffi.xdp.XdpSocket;
import io.jxdp.ffi.xdp.XskRedirect;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** jxdp's steering program: assembled by jxdp, checked by the kernel verifier, run by the kernel. */
class SteeringProgramTest {
    static final byte[] MAC_A = {0x02, 0, 0, 0, 0, 0x0a};
    static final byte[] MAC_B = {0x02, 0, 0, 0, 0, 0x0b};
    static final byte[] IP_A = {(byte) 198, 18, 0, 1};
    static final byte[] IP_B = {(byte) 198, 18, 0, 2};
    static final byte[] IP_C = {(byte) 198, 18, 0, 3};

    static Topology topology;
    static Umem umem;
    static XdpSocket socket;
    static SteeringProgram filtered;

    @BeforeAll
    static void setUp() throws Exception {
        topology = Topology.create(1);
        try (NetNs.Scope ignored = NetNs.enter(topology.nsB)) {
            umem = Umem.allocate(4096, 2048, 256);
            socket = XdpSocket.open(umem, topology.ifB, 0, XdpSocket.Config.defaults());
        }
        filtered = SteeringProgram.load(4, true, 64);
        filtered.register(socket);
        filtered.steer((Inet4Address) InetAddress.getByAddress(IP_B), 17, 9000);
        filtered.steer((Inet4Address) InetAddress.getByAddress(IP_B), 6, 443);
        filtered.steer((Inet4Address) InetAddress.getByAddress(IP_C), 1, 0);
    }

    @AfterAll
    static void tearDown() {
        try {
            if (filtered != null) {
                filtered.close();
            }
            if (socket != null) {
                socket.close();
            }
            if (umem != null) {
                umem.close();
            }
        } finally {
            if (topology != null) {
                topology.close();
            }
        }
    }

    static PacketTemplate udp(byte[] dst, int dport) {
        return PacketTemplate.udp(MAC_A, MAC_B, IP_A, dst, 1234, dport, 64);
    }

    static byte[] mutate(byte[] f, UnaryOperator<byte[]> op) {
        return op.apply(f.clone());
    }

    /** {description, frame, expected verdict}: the Katran-style table. */
    static Stream<Arguments> table() {
        byte[] steered = udp(IP_B, 9000).frame();
        byte[] icmp = mutate(udp(IP_C, 0).frame(), f -> {
            f[23] = 1;
            return f;
        });
        byte[] options = new byte[steered.length + 4]; // IHL 6: one NOP word of options
        System.arraycopy(steered, 0, options, 0, 34);
        System.arraycopy(steered, 34, options, 38, steered.length - 34);
        options[14] = 0x46;
        options[34] = 1;
        options[35] = 1;
        options[36] = 1;
        options[37] = 0;
        int redirect = XdpAction.XDP_REDIRECT;
        int pass = XdpAction.XDP_PASS;
        return Stream.of(
                Arguments.of("steered UDP 198.18.0.2:9000", steered, redirect),
                Arguments.of("steered TCP 198.18.0.2:443", PacketTemplate.tcp(MAC_A, MAC_B, IP_A, IP_B, 5, 443, 64)
                        .frame(), redirect),
                Arguments.of("TCP to the UDP port", PacketTemplate.tcp(MAC_A, MAC_B, IP_A, IP_B, 5, 9000, 64).frame(),
                        pass),
                Arguments.of("UDP other port", udp(IP_B, 9001).frame(), pass),
                Arguments.of("UDP port 9000 other address", udp(IP_A, 9000).frame(), pass),
                Arguments.of("steered ICMP to 198.18.0.3 (port 0)", icmp, redirect),
                Arguments.of("UDP to 198.18.0.3 not steered", udp(IP_C, 9000).frame(), pass),
                Arguments.of("IPv4 options, steered UDP", options, redirect),
                Arguments.of("first fragment (MF) of steered flow", mutate(steered, f -> {
                    f[20] |= 0x20;
                    return f;
                }), pass),
                Arguments.of("later fragment (offset 8)", mutate(steered, f -> {
                    f[21] = 1;
                    return f;
                }), pass),
                Arguments.of("DF alone is no fragment", mutate(steered, f -> {
                    f[20] = 0x40;
                    return f;
                }), redirect),
                Arguments.of("ARP", mutate(steered, f -> {
                    f[12] = 0x08;
                    f[13] = 0x06;
                    return f;
                }), pass),
                Arguments.of("IPv6 ethertype", mutate(steered, f -> {
                    f[12] = (byte) 0x86;
                    f[13] = (byte) 0xdd;
                    return f;
                }), pass),
                Arguments.of("IP version 6 under ETH_P_IP", mutate(steered, f -> {
                    f[14] = 0x65;
                    return f;
                }), pass),
                Arguments.of("IHL 4 (malformed)", mutate(steered, f -> {
                    f[14] = 0x44;
                    return f;
                }), pass),
                Arguments.of("truncated inside IPv4 header", java.util.Arrays.copyOf(steered, 33), pass),
                Arguments.of("truncated before the ports", java.util.Arrays.copyOf(options, 38 + 2), pass),
                Arguments.of("IHL 15 beyond the frame", mutate(java.util.Arrays.copyOf(steered, 40), f -> {
                    f[14] = 0x4f;
                    return f;
                }), pass));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void kernelRunsTheTable(String description, byte[] frame, int expected) {
        int got = Bpf.progTestRun(filtered.programFd(), TestRunAttr.of(frame)).retval();
        assertEquals(XdpAction.name(expected), XdpAction.name(got), description);
    }

    @Test
    void unfilteredRedirectsEverything() {
        try (SteeringProgram all = SteeringProgram.load(1, false, 1)) {
            all.register(socket);
            assertEquals(-1, all.steeringMapFd());
            for (byte[] f : List.of(udp(IP_A, 1).frame(), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})) {
                assertEquals(XdpAction.XDP_REDIRECT, Bpf.progTestRun(all.programFd(), TestRunAttr.of(f)).retval());
            }
            assertThrows(IllegalStateException.class,
                    () -> all.steer((Inet4Address) InetAddress.getByAddress(IP_B), 17, 1));
        }
    }

    @Test
    void queueWithoutSocketPasses() throws Exception {
        try (SteeringProgram p = SteeringProgram.load(1, true, 4)) {
            p.steer((Inet4Address) InetAddress.getByAddress(IP_B), 17, 9000);
            assertEquals(XdpAction.XDP_PASS, Bpf.progTestRun(p.programFd(), TestRunAttr.of(udp(IP_B, 9000).frame()))
                    .retval());
        }
    }

    @Test
    void unsteerStopsRedirecting() throws Exception {
        Inet4Address b = (Inet4Address) InetAddress.getByAddress(IP_B);
        filtered.steer(b, 17, 7777);
        assertEquals(XdpAction.XDP_REDIRECT, Bpf.progTestRun(filtered.programFd(), TestRunAttr.of(udp(IP_B, 7777)
                .frame())).retval());
        assertTrue(filtered.unsteer(b, 17, 7777));
        assertFalse(filtered.unsteer(b, 17, 7777));
        assertEquals(XdpAction.XDP_PASS, Bpf.progTestRun(filtered.programFd(), TestRunAttr.of(udp(IP_B, 7777)
                .frame())).retval());
        assertThrows(IllegalArgumentException.class, () -> filtered.steer(b, 256, 1));
        assertThrows(IllegalArgumentException.class, () -> filtered.steer(b, 17, 65536));
    }

    @Test
    void mapLoadsArePatchedToPseudoMapFd() {
        Program p = SteeringProgram.assemble(true, 77, 88);
        int patched = 0;
        for (int i = 0; i < p.length(); i++) {
            Insn in = p.insn(i);
            if (in.code() == 0x18) {
                assertEquals(SteeringProgram.BPF_PSEUDO_MAP_FD, in.src());
                assertTrue(in.imm() == 77 || in.imm() == 88, "map fd in slot " + i);
                patched++;
                i++; // second lddw slot
            }
        }
        assertEquals(2, patched);
    }

    /**
     * On the wire: frames for the steered flow reach the AF_XDP socket, and only those; the
     * unsteered port reaches a kernel UDP socket in the namespace (and ARP keeps working).
     */
    @Test
    void steeredFramesReachTheSocketOthersTheKernel() throws Exception {
        int n = 40;
        DatagramChannel steeredPort;
        DatagramChannel kernelPort;
        try (NetNs.Scope ignored = NetNs.enter(topology.nsB)) {
            steeredPort = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(Topology.ADDR_B, 9000));
            kernelPort = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(Topology.ADDR_B, 9001));
        }
        DatagramChannel sender;
        try (NetNs.Scope ignored = NetNs.enter(topology.nsA)) {
            sender = DatagramChannel.open(StandardProtocolFamily.INET);
        }
        XskRedirect attached;
        try (NetNs.Scope ignored = NetNs.enter(topology.nsB)) {
            attached = filtered.attach(topology.ifB, XskRedirect.AttachMode.AUTO);
        }
        try (steeredPort; kernelPort; sender; attached) {
            steeredPort.configureBlocking(false);
            kernelPort.configureBlocking(false);
            kernelPort.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            for (int i = 0; i < n; i++) {
                sender.send(ByteBuffer.wrap(("to-af-xdp " + i).getBytes()), new InetSocketAddress(Topology.ADDR_B, 9000));
                sender.send(ByteBuffer.wrap(("to-kernel " + i).getBytes()), new InetSocketAddress(Topology.ADDR_B, 9001));
            }
            int[] xsk = new int[2]; // [0] UDP to 9000 from 198.18.0.1, [1] anything else
            int kernel = 0;
            ByteBuffer buf = ByteBuffer.allocate(2048);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while ((xsk[0] < n || kernel < n) && System.nanoTime() < deadline) {
                socket.refill();
                socket.receive((mem, off, len) -> {
                    boolean udp9000 = len >= 42 && mem.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 23) == 17
                            && (mem.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 36) & 0xff) == (9000 >> 8)
                            && (mem.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 37) & 0xff) == (9000 & 0xff);
                    xsk[udp9000 ? 0 : 1]++;
                }, 64);
                buf.clear();
                if (kernelPort.receive(buf) != null) {
                    kernel++;
                }
                Thread.onSpinWait();
            }
            buf.clear();
            assertEquals(n, xsk[0], "steered datagrams received on the AF_XDP socket");
            assertEquals(0, xsk[1], "unsteered frames seen by the AF_XDP socket");
            assertEquals(n, kernel, "unsteered datagrams received by the kernel UDP socket");
            assertEquals(null, steeredPort.receive(buf), "a steered datagram leaked into the kernel stack");
        }
    }

    /** The XSKMAP is indexed by xdp_md.rx_queue_index: a frame goes to its own queue's socket or to the kernel. */
    @Test
    void redirectsByRxQueue() throws Exception {
        try (Topology t = Topology.create(2); NetNs.Scope ignored = NetNs.enter(t.nsB);
             Umem u = Umem.allocate(4096, 2048, 256);
             XdpSocket queue1 = XdpSocket.open(u, t.ifB, 1, XdpSocket.Config.defaults());
             SteeringProgram p = SteeringProgram.load(2, true, 4)) {
            p.register(queue1);
            p.steer((Inet4Address) InetAddress.getByAddress(IP_B), 17, 9000);
            int ifindex = io.jxdp.ffi.net.Link.byName(t.ifB).ifindex();
            byte[] frame = udp(IP_B, 9000).frame();
            int[] expected = {XdpAction.XDP_PASS, XdpAction.XDP_REDIRECT}; // no socket on queue 0
            for (int q = 0; q < 2; q++) {
                MemorySegment ctx = MemorySegment.ofArray(new byte[24]);
                ctx.set(ValueLayout.JAVA_INT_UNALIGNED, 4, frame.length); // data_end
                ctx.set(ValueLayout.JAVA_INT_UNALIGNED, 12, ifindex);     // ingress_ifindex
                ctx.set(ValueLayout.JAVA_INT_UNALIGNED, 16, q);           // rx_queue_index
                TestRunAttr attr = TestRunAttr.of(frame).withCtx(ctx.toArray(ValueLayout.JAVA_BYTE), 0)
                        .withDataOutCapacity(0);
                assertEquals(XdpAction.name(expected[q]), XdpAction.name(Bpf.progTestRun(p.programFd(), attr).retval()),
                        "steered frame on queue " + q);
            }
        }
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> SteeringProgram.load(0, true, 1));
        assertThrows(IllegalArgumentException.class, () -> SteeringProgram.load(1, true, 0));
    }

}
