package io.jxdp.ffi.xdp;

import io.jxdp.ffi.bpf.AttachType;
import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.BpfFlags;
import io.jxdp.ffi.bpf.MapCreateAttr;
import io.jxdp.ffi.bpf.MapType;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import io.jxdp.ffi.bpf.XdpFlags;
import io.jxdp.ffi.net.Link;
import io.jxdp.ffi.net.Sockets;
import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The RX steering of AF_XDP: an XSKMAP indexed by RX queue and an XDP program that redirects
 * every frame to the socket registered for the queue it arrived on (XDP_PASS when none is), attached
 * with BPF_LINK_CREATE. The link is a file descriptor of this process, so the program is detached
 * when the process exits, even by a crash: no orphaned program is left on the interface.
 *
 * <p>The program, as instruction slots ({@code include/uapi/linux/bpf.h}, RFC 9669):
 * <pre>
 *   r2 = *(u32 *)(r1 + 16)     ; xdp_md.rx_queue_index
 *   r1 = map[xskmap] ll         ; BPF_LD_IMM64 with src = BPF_PSEUDO_MAP_FD
 *   r3 = 2                      ; flags: XDP_PASS when the queue has no socket
 *   call bpf_redirect_map       ; helper 51
 *   exit
 * </pre>
 * The dataplane may attach its own program instead through {@link #attach(String, int, int, AttachMode)}.
 */
public final class XskRedirect implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(XskRedirect.class.getName());

    /** How to attach the program. */
    public enum AttachMode {
        /** Native (driver) mode; if the driver refuses, log why and use generic (SKB) mode. */
        AUTO,
        /** XDP_FLAGS_DRV_MODE or fail. */
        NATIVE,
        /** XDP_FLAGS_SKB_MODE (generic XDP, works on every device). */
        GENERIC
    }

    /** xdp_md.rx_queue_index (include/uapi/linux/bpf.h: data, data_end, data_meta, ingress_ifindex, rx_queue_index). */
    static final int XDP_MD_RX_QUEUE_INDEX = 16;
    static final int BPF_FUNC_REDIRECT_MAP = 51;
    static final int XDP_PASS = 2;
    static final int BPF_PSEUDO_MAP_FD = 1;

    private final String ifname;
    private final int mapFd;
    private final int progFd;
    private final int linkFd;
    private final boolean nativeMode;
    private final boolean ownsProgram;
    private boolean closed;

    private XskRedirect(String ifname, int mapFd, int progFd, int linkFd, boolean nativeMode, boolean ownsProgram) {
        this.ifname = ifname;
        this.mapFd = mapFd;
        this.progFd = progFd;
        this.linkFd = linkFd;
        this.nativeMode = nativeMode;
        this.ownsProgram = ownsProgram;
    }

    /** One struct bpf_insn as a little-endian slot: code, dst/src nibbles, off, imm. */
    static long insn(int code, int dst, int src, int off, int imm) {
        return (code & 0xffL) | ((long) (dst & 0xf) << 8) | ((long) (src & 0xf) << 12) | ((long) (off & 0xffff) << 16)
                | ((long) imm << 32);
    }

    /**
     * The redirect program's instruction slots for XSKMAP fd {@code mapFd} (public so that jxdp's
     * verifier can check the program the kernel is given: pass the map's index as {@code mapFd}).
     */
    public static long[] program(int mapFd) {
        return new long[] {
            insn(0x61, 2, 1, XDP_MD_RX_QUEUE_INDEX, 0),  // ldxw r2, [r1 + 16]
            insn(0x18, 1, BPF_PSEUDO_MAP_FD, 0, mapFd),  // lddw r1, map fd (first slot)
            insn(0x00, 0, 0, 0, 0),                      //      (second slot: high 32 bits)
            insn(0xb7, 3, 0, 0, XDP_PASS),               // mov64 r3, XDP_PASS
            insn(0x85, 0, 0, 0, BPF_FUNC_REDIRECT_MAP),  // call bpf_redirect_map
            insn(0x95, 0, 0, 0, 0),                      // exit
        };
    }

    /**
     * Creates an XSKMAP of {@code queues} entries, loads the redirect program and attaches it to
     * {@code ifname} (resolved in the calling thread's network namespace).
     */
    public static XskRedirect attach(String ifname, int queues, AttachMode mode) {
        Link link = Link.byName(ifname);
        int map = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_XSKMAP, 4, 4, queues).withName("jxdp_xsks"));
        int prog = -1;
        try {
            prog = Bpf.progLoad(ProgLoadAttr.xdp(program(map)).withName("jxdp_xsk_redir"));
            Attached a = link(link, prog, mode);
            return new XskRedirect(ifname, map, prog, a.fd(), a.nativeMode(), true);
        } catch (RuntimeException e) {
            if (prog >= 0) {
                Bpf.close(prog);
            }
            Bpf.close(map);
            throw e;
        }
    }

    /**
     * Attaches a caller's program {@code progFd} that redirects into XSKMAP {@code xskMapFd}; the
     * caller keeps ownership of both fds (closing this only detaches).
     */
    public static XskRedirect attach(String ifname, int progFd, int xskMapFd, AttachMode mode) {
        Link link = Link.byName(ifname);
        Attached a = link(link, progFd, mode);
        return new XskRedirect(ifname, xskMapFd, progFd, a.fd(), a.nativeMode(), false);
    }

    /** A link fd and whether native mode won. */
    private record Attached(int fd, boolean nativeMode) {}

    private static Attached link(Link link, int prog, AttachMode mode) {
        String where = "XDP program on \"" + link.name() + "\" (ifindex " + link.ifindex() + ")";
        if (mode != AttachMode.GENERIC) {
            try {
                return new Attached(Bpf.linkCreate(prog, link.ifindex(), AttachType.BPF_XDP, XdpFlags.XDP_FLAGS_DRV_MODE),
                        true);
            } catch (NativeException e) {
                if (e.errno() == Errno.EBUSY || e.errno() == Errno.EEXIST) {
                    throw busy(where, e);
                }
                if (mode == AttachMode.NATIVE) {
                    throw new NativeException("attach " + where + " in native mode" + reason(e.errno()), e.errno());
                }
                LOG.log(System.Logger.Level.INFO, "native XDP refused for " + where + " (" + Errno.name(e.errno())
                        + reason(e.errno()) + "); falling back to generic (SKB) mode");
            }
        }
        try {
            return new Attached(Bpf.linkCreate(prog, link.ifindex(), AttachType.BPF_XDP, XdpFlags.XDP_FLAGS_SKB_MODE),
                    false);
        } catch (NativeException e) {
            if (e.errno() == Errno.EBUSY || e.errno() == Errno.EEXIST) {
                throw busy(where, e);
            }
            throw new NativeException("attach " + where + " in generic (SKB) mode" + reason(e.errno()), e.errno());
        }
    }

    private static NativeException busy(String where, NativeException e) {
        return new NativeException("attach " + where + ": the interface already has an XDP program attached by"
                + " someone else (detach it, e.g. `ip link set dev IF xdp off`)", e.errno());
    }

    private static String reason(int errno) {
        return switch (errno) {
            case Errno.EOPNOTSUPP -> " (the driver does not support this XDP mode)";
            case Errno.EINVAL -> " (mode/flags not accepted, e.g. MTU too large for native XDP)";
            case Errno.EPERM, Errno.EACCES -> Sockets.privilegeHint(errno);
            default -> "";
        };
    }

    /** Points queue {@code queueId}'s XSKMAP entry at {@code socket}. */
    public void register(XdpSocket socket) {
        register(socket.queueId(), socket.fd());
    }

    /** Points queue {@code queueId}'s XSKMAP entry at socket fd {@code socketFd}. */
    public void register(int queueId, int socketFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocateFrom(ValueLayout.JAVA_INT, queueId);
            MemorySegment value = arena.allocateFrom(ValueLayout.JAVA_INT, socketFd);
            Bpf.mapUpdate(mapFd, key, value, BpfFlags.BPF_ANY);
        }
    }

    /** True when attached in native (driver) mode, false for generic (SKB) mode. */
    public boolean isNative() {
        return nativeMode;
    }

    public String interfaceName() {
        return ifname;
    }

    public int linkFd() {
        return linkFd;
    }

    public int programFd() {
        return progFd;
    }

    public int mapFd() {
        return mapFd;
    }

    /** Detaches (closes the link) and, when this class loaded them, frees the program and map. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Bpf.close(linkFd);
        } finally {
            if (ownsProgram) {
                Bpf.close(progFd);
                Bpf.close(mapFd);
            }
        }
    }
}
