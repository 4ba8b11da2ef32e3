package io.jxdp.programs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.engine.MapsYaml;
import io.jxdp.ebpf.engine.Parity;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.xdp.Pinning;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity on objects this project did not write: xdp-filter's programs as Debian's libxdp1 ships
 * them ({@code /usr/lib/x86_64-linux-gnu/bpf/xdpfilt_{alw,dny}_{all,eth,ip,tcp,udp}.o}, built by
 * xdp-tools 1.3.1 with its own clang, installed by scripts/install-deps through libxdp-dev). Each
 * object runs, as {@code jxdp parity --maps} does, in jxdp's interpreter and JIT against the
 * kernel: the same block/allow lists preloaded (MapsYaml) into each, generated packets, and after
 * every packet the verdict, output and every map (per-CPU counters included) compared
 * ({@link Parity#compare}).
 *
 * <p>xdp-filter's semantics (xdp-filter/xdpfilt_prog.h): a map value is {@code counter << 6 |
 * flags} with flags SRC 1, DST 2, TCP 4, UDP 8; a lookup hits when all the asked flags are set and
 * then adds 1 to the counter. {@code alw} objects drop hits and pass the rest, {@code dny} objects
 * pass hits and drop the rest, both return ABORTED on a truncated header; {@code xdp_stats_map}
 * counts packets and bytes per verdict.
 */
class XdpFilterParityTest {
    static final Path LIBXDP_BPF = Path.of("/usr/lib/x86_64-linux-gnu/bpf");
    static final String[] FEATURES = {"all", "eth", "ip", "tcp", "udp"};
    static final HexFormat HEX = HexFormat.of();

    static final int SRC = 1;
    static final int DST = 2;
    static final int TCP = 4;
    static final int UDP = 8;

    static final byte[] MAC_A = mac(0x0a);
    static final byte[] MAC_SRC = mac(0x0b); // listed with SRC
    static final byte[] MAC_DST = mac(0x0c); // listed with DST
    static final byte[] IP_A = ip4(198, 18, 0, 1);
    static final byte[] IP_B = ip4(198, 18, 0, 2);
    static final byte[] IP_BOTH = ip4(198, 18, 0, 66); // SRC | DST
    static final byte[] IP_DST = ip4(198, 18, 0, 77); // DST
    static final byte[] IP6_A = ip6(1);
    static final byte[] IP6_B = ip6(2);
    static final byte[] IP6_SRC = ip6(0x66); // SRC
    static final byte[] IP6_DST = ip6(0x77); // DST

    static Path object(String mode, String feature) {
        Path p = LIBXDP_BPF.resolve("xdpfilt_" + mode + "_" + feature + ".o");
        assertTrue(Files.isRegularFile(p), p + " is missing: install libxdp1 (scripts/install-deps installs libxdp-dev)");
        return p;
    }

    static Stream<Arguments> objects() {
        List<Arguments> a = new ArrayList<>();
        for (String mode : new String[] {"alw", "dny"}) {
            for (String f : FEATURES) {
                for (String engine : new String[] {"interp", "jit"}) {
                    a.add(Arguments.of("xdpfilt_" + mode + "_" + f, engine));
                }
            }
        }
        return a.stream();
    }

    /** Every listed address and port; the YAML names only the maps the object has. */
    static MapsYaml preload(XdpEngine e) {
        int cpus = e.cpus();
        StringBuilder y = new StringBuilder("maps:\n");
        List<String> maps = e.mapNames();
        if (maps.contains("filter_ethernet")) {
            y.append("  filter_ethernet:\n");
            entry(y, MAC_SRC, SRC, cpus);
            entry(y, MAC_DST, DST, cpus);
        }
        if (maps.contains("filter_ipv4")) {
            y.append("  filter_ipv4:\n");
            entry(y, IP_BOTH, SRC | DST, cpus);
            entry(y, IP_DST, DST, cpus);
        }
        if (maps.contains("filter_ipv6")) {
            y.append("  filter_ipv6:\n");
            entry(y, IP6_SRC, SRC, cpus);
            entry(y, IP6_DST, DST, cpus);
        }
        if (maps.contains("filter_ports")) {
            y.append("  filter_ports:\n");
            entry(y, portKey(53), DST | UDP, cpus);
            entry(y, portKey(22), DST | TCP, cpus);
            entry(y, portKey(8080), SRC | TCP | UDP, cpus);
        }
        return MapsYaml.parse(y.toString(), "xdpfilt preload");
    }

    private static void entry(StringBuilder y, byte[] key, long flags, int cpus) {
        byte[] v = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(flags).array();
        List<String> values = new ArrayList<>();
        for (int c = 0; c < cpus; c++) {
            values.add("\"" + HEX.formatHex(v) + "\"");
        }
        y.append("    - key: \"").append(HEX.formatHex(key)).append("\"\n      values: ").append(values).append('\n');
    }

    /** filter_ports' key: the u32 the program builds from the __be16 port field (tcphdr->dest). */
    static byte[] portKey(int port) {
        return new byte[] {(byte) (port >>> 8), (byte) port, 0, 0};
    }

    /**
     * xdp-filter marks every map {@code LIBBPF_PIN_BY_NAME}, so jxdp pins them as libbpf would, here
     * in a directory of this test's own (fresh maps, like the kernel engine's unpinned ones).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("objects")
    void jxdpMatchesTheKernel(String name, String engine, @TempDir Path pins) throws Exception {
        String[] parts = name.split("_");
        BpfObject object = BpfObjectLoader.load(object(parts[1], parts[2]));
        List<byte[]> packets = packets();
        try (XdpEngine jxdp = io.jxdp.ebpf.xdp.Engines.create(engine, object, name, Pinning.of(pins, Set.of()));
                XdpEngine kernel = io.jxdp.ebpf.xdp.Engines.create("kernel", object, name)) {
            preload(jxdp).preload(jxdp);
            preload(kernel).preload(kernel);
            // filter_ports is a 65536-slot per-CPU array: walked after every packet it would cost the
            // kernel 131072 bpf(2) calls per packet, so it is compared once, after the last packet
            // (its values only ever grow: a wrong hit on the way would still show at the end)
            boolean ports = kernel.mapNames().contains("filter_ports");
            Parity.Exclusions excluded = ports ? Parity.Exclusions.parse(List.of("filter_ports")) : Parity.Exclusions.NONE;
            Parity.Report r = Parity.compare(jxdp, kernel, packets, excluded);
            assertEquals(0, r.failed(), name + " " + engine + ":\n" + r.text());
            assertEquals(packets.size(), r.passed(), r.text());
            if (ports) {
                assertEquals(dump(kernel, "filter_ports"), dump(jxdp, "filter_ports"), "filter_ports after the last packet");
                boolean tcp = name.endsWith("_tcp"); // the tcp objects look at TCP ports only
                int port = tcp ? 22 : 53;
                long v = ByteBuffer.wrap(HEX.parseHex(dump(kernel, "filter_ports").get(HEX.formatHex(portKey(port)))
                        .split(",")[0])).order(ByteOrder.LITTLE_ENDIAN).getLong();
                assertEquals(DST | (tcp ? TCP : UDP), v & 63, "port " + port + "'s flags");
                assertTrue(v >>> 6 > 0, "port " + port + "'s hits counted on CPU 0: " + Long.toHexString(v));
            }
            long[] verdicts = verdictCounts(kernel);
            assertTrue(verdicts[1] > 0 && verdicts[2] > 0, name + ": the preload makes some packets DROP and some PASS, "
                    + "got per verdict " + Arrays.toString(verdicts));
            assertEquals(packets.size() - 1, Arrays.stream(verdicts).sum(), "every packet but the runt is counted");
        }
    }

    /**
     * The same lists in allow mode and deny mode hit the same packets: {@code alw}'s DROPs are
     * {@code dny}'s PASSes and the other way round, ABORTED the same; so the preload really
     * decides verdicts, and does so as xdp-filter means.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("features")
    void allowAndDenyModesSwapTheirVerdicts(String feature) throws Exception {
        long[][] counts = new long[2][];
        String[] modes = {"alw", "dny"};
        for (int m = 0; m < 2; m++) {
            String name = "xdpfilt_" + modes[m] + "_" + feature;
            BpfObject object = BpfObjectLoader.load(object(modes[m], feature));
            // not pinned: alw and dny name their maps alike, and pinned they would share them
            try (XdpEngine e = io.jxdp.ebpf.xdp.Engines.create("interp", object, name, Pinning.NONE)) {
                preload(e).preload(e);
                for (byte[] p : packets()) {
                    try {
                        e.run(p, 1);
                    } catch (io.jxdp.ebpf.engine.EngineException ex) {
                        assertTrue(ex.getMessage().startsWith("EINVAL"), ex.getMessage()); // the runt
                    }
                }
                counts[m] = verdictCounts(e);
            }
        }
        long[] alw = counts[0];
        long[] dny = counts[1];
        assertEquals(alw[0], dny[0], "ABORTED " + Arrays.toString(alw) + " vs " + Arrays.toString(dny));
        assertEquals(alw[1], dny[2], "alw DROP = dny PASS: " + Arrays.toString(alw) + " vs " + Arrays.toString(dny));
        assertEquals(alw[2], dny[1], "alw PASS = dny DROP: " + Arrays.toString(alw) + " vs " + Arrays.toString(dny));
        assertTrue(alw[1] > 0 && alw[2] > 0, Arrays.toString(alw));
        if (!feature.equals("eth")) {
            assertTrue(alw[0] > 0, "truncated headers give ABORTED: " + Arrays.toString(alw));
        }
    }

    static Stream<String> features() {
        return Stream.of(FEATURES);
    }

    /** libbpf skips these sections; so must jxdp's loader, and it names them. */
    @Test
    void unknownSectionsAreSkipped() throws Exception {
        for (String mode : new String[] {"alw", "dny"}) {
            for (String f : FEATURES) {
                BpfObject o = BpfObjectLoader.load(object(mode, f));
                String name = "xdpfilt_" + mode + "_" + f;
                assertEquals(List.of(name), o.programs().stream().map(p -> p.name()).toList());
                assertEquals(List.of("features", ".xdp_run_config"), o.skippedSections(), name);
                assertEquals(Set.of(), Set.copyOf(o.maps().stream().map(m -> m.name())
                        .filter(n -> n.contains("features") || n.contains("run_config")).toList()), name);
            }
        }
    }

    /** Key hex to per-CPU values hex, sorted by key. */
    static java.util.SortedMap<String, String> dump(XdpEngine e, String map) {
        java.util.SortedMap<String, String> m = new java.util.TreeMap<>();
        for (MapEntry x : e.dumpMap(map)) {
            m.put(HEX.formatHex(x.key()), String.join(",", x.values().stream().map(HEX::formatHex).toList()));
        }
        return m;
    }

    /** xdp_stats_map (key = verdict, value = {packets, bytes} per CPU): packets per verdict on CPU 0. */
    static long[] verdictCounts(XdpEngine e) {
        long[] v = new long[5];
        for (MapEntry m : e.dumpMap("xdp_stats_map")) {
            int k = ByteBuffer.wrap(m.key()).order(ByteOrder.LITTLE_ENDIAN).getInt();
            v[k] = ByteBuffer.wrap(m.values().get(0)).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        }
        return v;
    }

    // ------------------------------------------------------------------ packets

    /** Hits and misses for every list, ARP and neighbour discovery, tags, truncations, a runt. */
    static List<byte[]> packets() {
        List<byte[]> p = new ArrayList<>();
        byte[] udp = udp(1000, 2000, 16);
        // Ethernet list
        p.add(eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_B, 17, udp)));
        p.add(eth(MAC_A, MAC_SRC, 0x0800, ip4(IP_A, IP_B, 17, udp))); // SRC hit
        p.add(eth(MAC_DST, MAC_A, 0x0800, ip4(IP_A, IP_B, 17, udp))); // DST hit
        p.add(eth(MAC_A, MAC_DST, 0x0800, ip4(IP_A, IP_B, 17, udp))); // listed for DST only: miss
        p.add(eth(MAC_A, MAC_A, 0x88cc, new byte[46])); // LLDP: no IP, default verdict
        // IPv4 list
        p.add(eth(MAC_A, MAC_A, 0x0800, ip4(IP_BOTH, IP_B, 17, udp)));
        p.add(eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_BOTH, 17, udp)));
        p.add(eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_DST, 17, udp)));
        p.add(eth(MAC_A, MAC_A, 0x0800, ip4(IP_DST, IP_A, 17, udp))); // DST only: miss
        p.add(eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_B, 1, new byte[] {8, 0, 0, 0, 0, 1, 0, 1}))); // ICMP
        // ports
        p.add(eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_B, 17, udp(40000, 53, 12))));
        p.add(eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_B, 17, udp(53, 40000, 12)))); // DST only: miss
        p.add(eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_B, 6, tcp(40000, 53, 5)))); // UDP only: miss
        p.add(eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_B, 6, tcp(40000, 22, 5))));
        p.add(eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_B, 6, tcp(8080, 40000, 5))));
        p.add(eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_B, 17, udp(8080, 40000, 4))));
        p.add(eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_B, 6, tcp(40000, 8080, 5)))); // SRC only: miss
        // IPv6 and neighbour discovery
        p.add(eth(MAC_A, MAC_A, 0x86dd, ip6(IP6_SRC, IP6_B, 17, udp)));
        p.add(eth(MAC_A, MAC_A, 0x86dd, ip6(IP6_B, IP6_SRC, 17, udp))); // SRC only: miss
        p.add(eth(MAC_A, MAC_A, 0x86dd, ip6(IP6_A, IP6_DST, 17, udp)));
        p.add(eth(MAC_A, MAC_A, 0x86dd, ip6(IP6_A, IP6_B, 6, tcp(40000, 22, 5))));
        p.add(eth(MAC_A, MAC_A, 0x86dd, ip6(IP6_A, IP6_B, 17, udp(40000, 53, 0))));
        p.add(eth(MAC_A, MAC_A, 0x86dd, ip6(IP6_A, IP6_B, 58, nd(135, IP6_DST)))); // solicitation: target as DST
        p.add(eth(MAC_A, MAC_A, 0x86dd, ip6(IP6_A, IP6_B, 58, nd(136, IP6_SRC)))); // advertisement: target as SRC
        p.add(eth(MAC_A, MAC_A, 0x86dd, ip6(IP6_A, IP6_B, 58, nd(135, IP6_SRC)))); // miss
        p.add(eth(MAC_A, MAC_A, 0x86dd, ip6(IP6_A, IP6_B, 58, Arrays.copyOf(nd(135, IP6_DST), 12)))); // truncated target
        p.add(eth(MAC_A, MAC_A, 0x86dd, ip6(IP6_A, IP6_B, 58, new byte[] {(byte) 128, 0, 0, 0, 0, 1, 0, 1}))); // echo
        // ARP: the sender is a SRC, a request's target a DST, a reply's target a SRC
        p.add(eth(MAC_A, MAC_A, 0x0806, arp(1, IP_BOTH, IP_A)));
        p.add(eth(MAC_A, MAC_A, 0x0806, arp(1, IP_A, IP_DST)));
        p.add(eth(MAC_A, MAC_A, 0x0806, arp(2, IP_A, IP_BOTH)));
        p.add(eth(MAC_A, MAC_A, 0x0806, arp(2, IP_A, IP_DST))); // reply target checked as SRC: miss
        p.add(eth(MAC_A, MAC_A, 0x0806, Arrays.copyOf(arp(1, IP_A, IP_DST), 20))); // truncated ARP
        // VLAN tags
        p.add(vlan(eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_B, 17, udp(40000, 53, 8))), 0x8100, 7));
        p.add(vlan(vlan(eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_DST, 17, udp)), 0x8100, 7), 0x88a8, 100));
        // truncations and malformed headers (ABORTED where the object parses that far)
        byte[] good = eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_B, 17, udp(40000, 53, 8)));
        p.add(Arrays.copyOf(good, 14));
        p.add(Arrays.copyOf(good, 14 + 19));
        p.add(Arrays.copyOf(good, 14 + 20 + 7));
        byte[] ihl4 = good.clone();
        ihl4[14] = 0x44;
        p.add(ihl4);
        byte[] udpLen4 = good.clone();
        udpLen4[14 + 20 + 4] = 0;
        udpLen4[14 + 20 + 5] = 4;
        p.add(udpLen4);
        byte[] tcp = eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_B, 6, tcp(40000, 22, 4))); // doff 4
        p.add(tcp);
        p.add(Arrays.copyOf(eth(MAC_A, MAC_A, 0x0800, ip4(IP_A, IP_B, 6, tcp(40000, 22, 5))), 14 + 20 + 19));
        p.add(Arrays.copyOf(eth(MAC_A, MAC_A, 0x86dd, ip6(IP6_A, IP6_B, 17, udp)), 14 + 39));
        // a long frame with a hit, random bytes as payload
        byte[] payload = new byte[1400];
        new Random(20261207).nextBytes(payload);
        p.add(eth(MAC_A, MAC_A, 0x0800, ip4(IP_BOTH, IP_B, 17, concat(udp(40000, 2000, payload.length), payload))));
        p.add(new byte[10]); // runt: EINVAL in both
        return p;
    }

    static byte[] mac(int last) {
        return new byte[] {0x02, 0, 0, 0, 0, (byte) last};
    }

    static byte[] ip4(int a, int b, int c, int d) {
        return new byte[] {(byte) a, (byte) b, (byte) c, (byte) d};
    }

    static byte[] ip6(int last) {
        byte[] a = new byte[16];
        a[0] = (byte) 0xfd;
        a[15] = (byte) last;
        return a;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    static byte[] eth(byte[] dst, byte[] src, int type, byte[] payload) {
        return concat(dst, src, new byte[] {(byte) (type >>> 8), (byte) type}, payload);
    }

    /** Inserts a tag of TPID {@code tpid} after the MAC addresses. */
    static byte[] vlan(byte[] frame, int tpid, int vid) {
        byte[] tag = {(byte) (tpid >>> 8), (byte) tpid, (byte) (vid >>> 8), (byte) vid};
        return concat(Arrays.copyOf(frame, 12), tag, Arrays.copyOfRange(frame, 12, frame.length));
    }

    static byte[] ip4(byte[] src, byte[] dst, int proto, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + payload.length)).putShort((short) 1).putShort((short) 0)
                .put((byte) 64).put((byte) proto).putShort((short) 0).put(src).put(dst);
        int sum = 0;
        byte[] h = b.array();
        for (int i = 0; i < 20; i += 2) {
            sum += ((h[i] & 0xff) << 8) | (h[i + 1] & 0xff);
        }
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        b.putShort(10, (short) ~sum);
        return b.put(20, payload).array();
    }

    static byte[] ip6(byte[] src, byte[] dst, int next, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
        b.putInt(0x6000_0000).putShort((short) payload.length).put((byte) next).put((byte) 64).put(src).put(dst);
        return b.put(40, payload).array();
    }

    /** A UDP header whose length field counts {@code dataLength} bytes, followed by that many zeros. */
    static byte[] udp(int sport, int dport, int dataLength) {
        return ByteBuffer.allocate(8 + dataLength).putShort((short) sport).putShort((short) dport)
                .putShort((short) (8 + dataLength)).putShort((short) 0).array();
    }

    static byte[] tcp(int sport, int dport, int doff) {
        return ByteBuffer.allocate(20).putShort((short) sport).putShort((short) dport).putInt(1).putInt(0)
                .put((byte) (doff << 4)).put((byte) 0x02).putShort((short) 1024).array();
    }

    /** ICMPv6 neighbour solicitation (135) or advertisement (136) for {@code target}. */
    static byte[] nd(int type, byte[] target) {
        return ByteBuffer.allocate(24).put((byte) type).put((byte) 0).putShort((short) 0).putInt(0).put(target).array();
    }

    /** ARP for IPv4 over Ethernet, operation 1 (request) or 2 (reply). */
    static byte[] arp(int op, byte[] senderIp, byte[] targetIp) {
        return ByteBuffer.allocate(28).putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4)
                .putShort((short) op).put(MAC_A).put(senderIp).put(new byte[6]).put(targetIp).array();
    }
}
