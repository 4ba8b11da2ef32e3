package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapDefinition;
import io.jxdp.ebpf.map.MapException;
import io.jxdp.ebpf.map.MapFlags;
import io.jxdp.ebpf.map.MapType;
import io.jxdp.ebpf.map.Maps;
import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.MapCreateAttr;
import io.jxdp.ffi.bpf.TestRunResult;
import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.FileDescriptors;
import io.jxdp.ffi.sys.NativeException;
import io.jxdp.port.Topology;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import io.jxdp.ffi.net.Link;
import io.jxdp.ffi.net.NetNs;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * bpf_check_mtu (163) on devices other than the loopback, in the kernel and in jxdp: inside a
 * namespace this test creates (a veth pair with MTU 1400 on one end and 1500 on the other, no
 * addresses; the loopback), the test thread enters it (setns) and runs a program that calls
 * check_mtu(ctx, ifindex, &mtu_len, len_diff, 0) and writes its return value and mtu_len into the
 * frame, through BPF_PROG_TEST_RUN and through jxdp's interpreter engine, for every device and a
 * table of given lengths and len_diffs around the limit. The corpus program xdp_checks covers the
 * ingress device (ifindex 0), flags and unknown devices. In the same namespace, DEVMAP and
 * DEVMAP_HASH slots take its devices as the kernel's do.
 */
class CheckMtuNetnsKernelTest {
    private static final HexFormat HEX = HexFormat.of();

    /** r6 = ctx; *(u32 *)(fp - 4) = given; r0 = check_mtu(ctx, ifindex, fp - 4, diff, 0); frame[0..16) = r0, mtu_len. */
    static long[] program(int ifindex, int given, int diff) {
        return new Insns().mov(6, 1).raw(0x62, 10, 0, -4, given).mov(1, 6).movImm(2, ifindex).mov(3, 10).addImm(3, -4)
                .movImm(4, diff).movImm(5, 0).call(163).mov(7, 0).ldxw(8, 10, -4).ldxw(2, 6, 0).ldxw(3, 6, 4)
                .mov(4, 2).addImm(4, 16).jgt(4, 3, 2).stxdw(2, 0, 7).stxdw(2, 8, 8).movImm(0, 2).exit().build();
    }

    @Test
    void devicesOfANamespaceAsTheKernelSeesThem() {
        String tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
        String ns = "jxdp-mtu-" + tag;
        String a = "jm" + tag + "a";
        String b = "jm" + tag + "b";
        Topology.run("ip", "netns", "add", ns);
        try {
            Topology.run("ip", "-n", ns, "link", "add", a, "type", "veth", "peer", "name", b);
            Topology.run("ip", "-n", ns, "link", "set", a, "mtu", "1400");
            Topology.run("ip", "-n", ns, "link", "set", "lo", "up");
            int compared = 0;
            try (NetNs.Scope in = NetNs.enter(ns)) {
                List<Integer> devices = List.of(1, Link.ifindex(a), Link.ifindex(b), 999);
                byte[] frame = new byte[60];
                for (int dev : devices) {
                    for (int given : new int[] {0, 1386, 1400, 1401, 1486, 1487, 65536}) {
                        for (int diff : new int[] {0, 1354, 1355, 1440, 1441, -60, -100_000}) {
                            long[] p = program(dev, given, diff);
                            TestRunResult k;
                            try (KernelRun kr = new KernelRun(p)) {
                                k = kr.run(frame);
                            }
                            try (InterpreterXdpEngine e = InterpreterXdpEngine.ofInstructions(p, Interpreter.Mode.CHECKED)) {
                                XdpResult r = e.run(frame, 1);
                                assertEquals(HEX.formatHex(k.dataOut()), HEX.formatHex(r.output()),
                                        "ifindex " + dev + ", mtu_len " + given + ", len_diff " + diff
                                                + ": r0 (8 bytes) and mtu_len (8 bytes) at the frame's start");
                            }
                            compared++;
                        }
                    }
                }
            }
            assertEquals(4 * 7 * 7, compared);
            devmapsTakeTheNamespacesDevices(ns, a, b);
        } finally {
            Topology.run("ip", "netns", "del", ns);
        }
    }

    /**
     * DEVMAP and DEVMAP_HASH updates name devices of the caller's namespace (dev_get_by_index()):
     * devices without addresses are accepted and an unknown ifindex is EINVAL, in the kernel and in
     * jxdp alike.
     */
    private static void devmapsTakeTheNamespacesDevices(String ns, String a, String b) {
        try (NetNs.Scope in = NetNs.enter(ns)) {
            for (int ifindex : new int[] {Link.ifindex(a), Link.ifindex(b), 1, 999}) {
                for (MapType type : List.of(MapType.DEVMAP, MapType.DEVMAP_HASH)) {
                    int fd = Bpf.mapCreate(MapCreateAttr.of(type.id(), 4, 4, 4));
                    String kernel;
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment k = arena.allocate(4, 4);
                        MemorySegment v = arena.allocate(4, 4);
                        v.set(ValueLayout.JAVA_INT, 0, ifindex);
                        Bpf.mapUpdate(fd, k, v, 0);
                        kernel = "ok";
                    } catch (NativeException e) {
                        kernel = Errno.name(e.errno());
                    } finally {
                        FileDescriptors.close(fd);
                    }
                    String jxdp;
                    try (BpfMap m = Maps.create(MapDefinition.of("devs", type, 4, 4, 4), 1)) {
                        m.update(new byte[4], new byte[] {(byte) ifindex, (byte) (ifindex >> 8), 0, 0}, MapFlags.BPF_ANY);
                        jxdp = "ok";
                    } catch (MapException e) {
                        jxdp = Errno.name(e.errno());
                    }
                    assertEquals(kernel, jxdp, type + " slot = ifindex " + ifindex);
                    assertEquals(ifindex == 999 ? "EINVAL" : "ok", jxdp, type + " slot = ifindex " + ifindex);
                }
            }
        }
    }
}
