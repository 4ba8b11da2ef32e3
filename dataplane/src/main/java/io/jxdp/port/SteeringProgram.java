package io.jxdp.port;

import io.jxdp.ebpf.asm.Assembler;
import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.BpfFlags;
import io.jxdp.ffi.bpf.MapCreateAttr;
import io.jxdp.ffi.bpf.MapType;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import io.jxdp.ffi.xdp.XdpSocket;
import io.jxdp.ffi.xdp.XskRedirect;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.util.List;

/**
 * jxdp's in-kernel half: the XDP program that decides which frames leave the kernel for an AF_XDP
 * socket. Written in jxdp's own assembler ({@link #source(boolean)}), loaded with
 * {@link Bpf#progLoad}, it redirects through an XSKMAP indexed by {@code xdp_md.rx_queue_index}.
 *
 * <p>Filtered (the default for a dataplane that shares the interface with the kernel): only IPv4
 * frames whose {destination address, protocol, destination port} is a key of the steering map go
 * to user space; everything else returns {@code XDP_PASS} and continues up the kernel stack
 * untouched. Unfiltered: every frame is redirected (what {@link XskRedirect#attach(String, int,
 * XskRedirect.AttachMode)} does). In both, a queue with no socket in the XSKMAP passes the frame
 * to the kernel ({@code bpf_redirect_map} flags = XDP_PASS).
 *
 * <p>Steering key, 8 bytes, every field in network byte order as it sits in the packet:
 * <pre>
 *   0       4       5       6               8
 *   +-------+-------+-------+---------------+
 *   | daddr | proto |   0   |    dport      |
 *   +-------+-------+-------+---------------+
 * </pre>
 * {@code dport} is the TCP/UDP/SCTP destination port, 0 for other protocols (so {proto 1, port 0}
 * steers ICMP to an address). The value is a u32, currently unused (reserved for a queue or a
 * verdict). Limits, stated plainly: Ethernet II without VLAN tags, IPv4 only; IP fragments (MF set or
 * offset non-zero) always go to the kernel, which reassembles them.
 */
public final class SteeringProgram implements AutoCloseable {
    /** Size of the steering key (above). */
    public static final int KEY_SIZE = 8;
    static final int KEY_DADDR = 0;
    static final int KEY_PROTO = 4;
    static final int KEY_PORT = 6;
    static final int VALUE_SIZE = 4;

    /** Placeholders for map fds in the assembler text, patched into BPF_PSEUDO_MAP_FD loads. */
    static final int STEER_MAP_PLACEHOLDER = 0x5ee0_0001;
    static final int XSK_MAP_PLACEHOLDER = 0x5ee0_0002;
    /** include/uapi/linux/bpf.h: src_reg of BPF_LD_IMM64 that turns imm into a map fd. */
    static final int BPF_PSEUDO_MAP_FD = 1;

    private static final String HEAD = """
            # jxdp steering program (XDP). r1 = struct xdp_md * (include/uapi/linux/bpf.h:
            # data @0, data_end @4, data_meta @8, ingress_ifindex @12, rx_queue_index @16).
                mov %r6, %r1                 # keep ctx for rx_queue_index
            """;

    private static final String FILTER = """
                ldxw %r2, [%r6+0]            # r2 = data
                ldxw %r3, [%r6+4]            # r3 = data_end
                mov %r4, %r2
                add %r4, 34                  # Ethernet (14) + minimal IPv4 header (20)
                jgt %r4, %r3, pass           # too short: not ours
                ldxh %r5, [%r2+12]           # h_proto, network order read little-endian
                jne %r5, 0x0008, pass        # ETH_P_IP 0x0800 only (no VLAN tags)
                ldxb %r5, [%r2+14]           # version | IHL
                mov %r7, %r5
                and %r7, 0xf0
                jne %r7, 0x40, pass          # version 4
                and %r5, 0x0f
                jlt %r5, 5, pass             # IHL < 5 is malformed
                lsh %r5, 2                   # header length in bytes, 20..60
                ldxh %r7, [%r2+20]           # frag_off: MF flag and offset (RFC 791)
                and %r7, 0xff3f              # MF | offset as read little-endian (DF ignored)
                jne %r7, 0, pass             # fragments: the kernel reassembles them
                ldxw %r7, [%r2+30]           # key.daddr = iph->daddr (bytes as they are)
                stxw [%r10-8], %r7
                ldxb %r7, [%r2+23]           # key.proto = iph->protocol
                stxw [%r10-4], %r7           # proto, pad 0 and port 0 in one store
                jeq %r7, 6, ports            # IPPROTO_TCP
                jeq %r7, 17, ports           # IPPROTO_UDP
                jeq %r7, 132, ports          # IPPROTO_SCTP
                ja lookup                    # other protocols: port 0
            ports:
                add %r2, %r5                 # r2 = data + IP header length
                add %r2, 14                  # r2 = L4 header
                mov %r4, %r2
                add %r4, 4                   # source and destination ports
                jgt %r4, %r3, pass
                ldxh %r7, [%r2+2]            # key.dport = dest port (network order)
                stxh [%r10-2], %r7
            lookup:
                lddw %r1, 0x5ee00001         # steering map (patched to BPF_PSEUDO_MAP_FD)
                mov %r2, %r10
                add %r2, -8                  # &key
                call 1                       # bpf_map_lookup_elem
                jeq %r0, 0, pass             # not a steered flow: the kernel's
            """;

    private static final String REDIRECT = """
                ldxw %r2, [%r6+16]           # key = rx_queue_index
                lddw %r1, 0x5ee00002         # XSKMAP (patched to BPF_PSEUDO_MAP_FD)
                mov %r3, 2                   # flags: XDP_PASS when the queue has no socket
                call 51                      # bpf_redirect_map
                exit
            """;

    private static final String PASS = """
            pass:
                mov %r0, 2                   # XDP_PASS
                exit
            """;

    private final int xskMapFd;
    private final int steerMapFd;
    private final int progFd;
    private final boolean filtered;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment key = arena.allocate(KEY_SIZE, 8);
    private final MemorySegment value = arena.allocate(VALUE_SIZE, 8);
    private boolean closed;

    private SteeringProgram(int xskMapFd, int steerMapFd, int progFd, boolean filtered) {
        this.xskMapFd = xskMapFd;
        this.steerMapFd = steerMapFd;
        this.progFd = progFd;
        this.filtered = filtered;
    }

    /** The assembler text of the program; {@code filtered} adds the steering-map lookup. */
    public static String source(boolean filtered) {
        return filtered ? HEAD + FILTER + REDIRECT + PASS : HEAD + REDIRECT;
    }

    /** Assembles the program with its map loads pointing at {@code steerMapFd} and {@code xskMapFd}. */
    static Program assemble(boolean filtered, int steerMapFd, int xskMapFd) {
        List<Insn> insns = new java.util.ArrayList<>(Assembler.assembleInsns(source(filtered)));
        for (int i = 0; i < insns.size(); i++) {
            Insn in = insns.get(i);
            if (in.code() == 0x18 && (in.imm() == STEER_MAP_PLACEHOLDER || in.imm() == XSK_MAP_PLACEHOLDER)) {
                int fd = in.imm() == STEER_MAP_PLACEHOLDER ? steerMapFd : xskMapFd;
                insns.set(i, new Insn(in.code(), in.dst(), BPF_PSEUDO_MAP_FD, in.off(), fd));
            }
        }
        return Program.of(insns);
    }

    /**
     * Creates the XSKMAP ({@code queues} entries), the steering map when {@code filtered} (hash of
     * {@code maxFlows} keys) and loads the program; the kernel verifier's log is in the
     * {@link io.jxdp.ffi.bpf.BpfLoadException} if it refuses.
     */
    public static SteeringProgram load(int queues, boolean filtered, int maxFlows) {
        if (queues < 1 || maxFlows < 1) {
            throw new IllegalArgumentException("queues and maxFlows must be >= 1, got " + queues + ", " + maxFlows);
        }
        int xsk = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_XSKMAP, 4, 4, queues).withName("jxdp_xsks"));
        int steer = -1;
        try {
            if (filtered) {
                steer = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_HASH, KEY_SIZE, VALUE_SIZE, maxFlows)
                        .withName("jxdp_steer"));
            }
            Program p = assemble(filtered, steer, xsk);
            int prog = Bpf.progLoad(ProgLoadAttr.xdp(p.slots()).withName("jxdp_steer"));
            return new SteeringProgram(xsk, steer, prog, filtered);
        } catch (RuntimeException e) {
            if (steer >= 0) {
                Bpf.close(steer);
            }
            Bpf.close(xsk);
            throw e;
        }
    }

    /** Attaches the program to {@code ifname} (native, falling back to generic unless told). */
    public XskRedirect attach(String ifname, XskRedirect.AttachMode mode) {
        return XskRedirect.attach(ifname, progFd, xskMapFd, mode);
    }

    /** Puts {@code socket} in the XSKMAP slot of its queue. */
    public void register(XdpSocket socket) {
        register(socket.queueId(), socket.fd());
    }

    public synchronized void register(int queueId, int socketFd) {
        key.set(ValueLayout.JAVA_INT, 0, queueId);
        value.set(ValueLayout.JAVA_INT, 0, socketFd);
        Bpf.mapUpdate(xskMapFd, key.asSlice(0, 4), value, BpfFlags.BPF_ANY);
    }

    /** Steers IPv4 {@code dst}, protocol {@code proto} (e.g. 17), destination port {@code port} to user space. */
    public synchronized void steer(Inet4Address dst, int proto, int port) {
        fillKey(dst, proto, port);
        value.set(ValueLayout.JAVA_INT, 0, 1);
        Bpf.mapUpdate(requireFiltered(), key, value, BpfFlags.BPF_ANY);
    }

    /** Stops steering the flow; returns false if it was not steered. */
    public synchronized boolean unsteer(Inet4Address dst, int proto, int port) {
        fillKey(dst, proto, port);
        return Bpf.mapDelete(requireFiltered(), key);
    }

    private int requireFiltered() {
        if (!filtered) {
            throw new IllegalStateException("this steering program is unfiltered: it redirects every frame");
        }
        return steerMapFd;
    }

    private void fillKey(Inet4Address dst, int proto, int port) {
        if (proto < 0 || proto > 255) {
            throw new IllegalArgumentException("IP protocol out of range 0..255: " + proto);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range 0..65535: " + port);
        }
        encodeKey(key, dst.getAddress(), proto, port);
    }

    /** Writes the 8-byte key for {@code addr}/{@code proto}/{@code port} as the program builds it. */
    static void encodeKey(MemorySegment k, byte[] addr, int proto, int port) {
        MemorySegment.copy(addr, 0, k, ValueLayout.JAVA_BYTE, KEY_DADDR, 4);
        k.set(ValueLayout.JAVA_BYTE, KEY_PROTO, (byte) proto);
        k.set(ValueLayout.JAVA_BYTE, KEY_PROTO + 1, (byte) 0);
        k.set(ValueLayout.JAVA_BYTE, KEY_PORT, (byte) (port >>> 8));
        k.set(ValueLayout.JAVA_BYTE, KEY_PORT + 1, (byte) port);
    }

    public boolean isFiltered() {
        return filtered;
    }

    public int programFd() {
        return progFd;
    }

    public int xskMapFd() {
        return xskMapFd;
    }

    /** The steering map's fd, -1 when unfiltered. */
    public int steeringMapFd() {
        return steerMapFd;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Bpf.close(progFd);
            if (steerMapFd >= 0) {
                Bpf.close(steerMapFd);
            }
            Bpf.close(xskMapFd);
        } finally {
            arena.close();
        }
    }
}
