package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jxdp.ebpf.engine.Parity;
import io.jxdp.ebpf.engine.XdpAction;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.engine.XdpRedirect;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.kernel.KernelXdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ffi.net.Sockets;
import io.jxdp.ffi.sys.FileDescriptors;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A set XSKMAP slot through bpf_redirect_map, in the kernel and in jxdp: the corpus program
 * xdp_redirect redirects UDP to ports 6000-6003 into its XSKMAP "xsks" (the corpus covers the empty
 * slots). The kernel's slot 1 holds a real AF_XDP socket (socket(AF_XDP, SOCK_RAW, 0); the kernel
 * takes it unbound: xsk_map_update_elem() checks only the family), jxdp's a socket id; the
 * verdicts and the "rets" counters must agree after every frame (Parity.compare), and jxdp records
 * the slot as the target.
 */
class XskmapKernelTest {
    private static byte[] u32(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    /** packets/xdp_redirect.pcap frame 19 (IPv4 UDP to port 6000) with other ports. */
    private static byte[] udp(byte[] template, int sport, int dport) {
        byte[] f = template.clone();
        f[34] = (byte) (sport >>> 8);
        f[35] = (byte) sport;
        f[36] = (byte) (dport >>> 8);
        f[37] = (byte) dport;
        return f;
    }

    @Test
    void aSetSlotRedirectsAsInTheKernel() throws Exception {
        Corpus.Entry e = Corpus.entries().stream().filter(x -> x.name().equals("xdp_redirect")).findFirst().orElseThrow();
        BpfObject obj = BpfObjectLoader.load(e.object());
        byte[] template = PacketFiles.read(e.pcap()).get(19);
        assertEquals(6000, (template[36] & 0xff) << 8 | template[37] & 0xff, "frame 19 goes to port 6000");
        List<byte[]> frames = new ArrayList<>();
        int[][] cases = {
            {40000, 6001}, {40001, 6001}, {40002, 6001}, {40003, 6001}, // set slot: REDIRECT whatever the fallback
            {40004, 6001}, {40008, 6001}, {40016, 6001},               // BROADCAST, EXCLUDE_INGRESS, unknown bit: ABORTED
            {40002, 6000}, {40003, 6002}, {40001, 6003},               // empty slots: the fallback
        };
        for (int[] c : cases) {
            frames.add(udp(template, c[0], c[1]));
        }
        int fd = Sockets.socket(Sockets.AF_XDP, Sockets.SOCK_RAW, 0, "an AF_XDP socket for an XSKMAP slot");
        try {
            for (String engine : List.of("interp", "jit")) {
                // each comparison starts from fresh maps on both sides
                try (KernelXdpEngine kernel = KernelXdpEngine.load(obj, "xdp_redirect");
                        XdpEngine x = engine.equals("jit") ? JitXdpEngine.create(obj, "xdp_redirect", kernel.cpus(), 100)
                                : InterpreterXdpEngine.create(obj, "xdp_redirect", Interpreter.Mode.CHECKED, kernel.cpus())) {
                    kernel.updateMap("xsks", u32(1), List.of(u32(fd)));
                    x.updateMap("xsks", u32(1), List.of(u32(7))); // socket id 7 of jxdp's AF_XDP layer
                    Parity.Report r = Parity.compare(x, kernel, frames, Parity.Exclusions.parse(List.of()));
                    assertEquals(frames.size(), r.passed(), engine + " vs kernel: " + r.failures());
                    assertEquals(XdpAction.REDIRECT, x.run(frames.get(0), 1).action());
                    assertEquals(new XdpRedirect(XdpRedirect.Kind.XSKMAP, 1, "xsks", 0), x.redirect());
                    assertEquals(XdpAction.REDIRECT, kernel.run(frames.get(0), 1).action(), "the kernel's slot is set");
                    assertEquals(XdpRedirect.UNKNOWN, kernel.redirect(), "the kernel's test run does not report it");
                }
            }
        } finally {
            FileDescriptors.close(fd);
        }
    }
}
