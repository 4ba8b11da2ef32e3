package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapFlags;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pinned maps of a clang-built object ({@code src/test/resources/pin/conntrack.c}: LRU_HASH
 * {@code conns} and LPM_TRIE {@code deny} marked LIBBPF_PIN_BY_NAME, ARRAY {@code totals} pinned
 * with {@code --pin}) survive restarts of jxdp: separate JVMs run {@code jxdp prog run} one after
 * the other (interpreter, then JIT) and the flows, deny hits and totals add up across them; a JVM
 * killed mid-run leaves maps that reopen consistent; an object defining {@code conns} with another
 * max_entries is refused naming map, file and field; and the control plane reads a pinned map
 * while a program thread writes it.
 */
class PinnedObjectTest {
    private static final Path OBJ = Path.of("src/test/resources/pin/conntrack.o");
    private static final Path BIG = Path.of("src/test/resources/pin/conntrack_big.o");
    private static final HexFormat HEX = HexFormat.of();
    /** 198.19.0.0/16, denied by the preloaded rule. */
    private static final String DENY_YAML = "maps:\n  deny:\n    - key: \"10000000c6130000\"\n      value: \"0000000000000000\"\n";

    @TempDir
    Path tmp;

    @Test
    void mapsSurviveRestartsOfSeparateJvms() throws Exception {
        Path pins = tmp.resolve("pins"); // created by the first load
        Path packets = tmp.resolve("packets.txt");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            lines.add(HEX.formatHex(udp(0xc6120001, 0xc6120101, 1000 + i % 3, 53, 10)));
        }
        for (int i = 0; i < 5; i++) {
            lines.add(HEX.formatHex(udp(0xc6130505, 0xc6120101, 7, 7, 10))); // 198.19.5.5: denied
        }
        Files.write(packets, lines);
        Path yaml = tmp.resolve("deny.yaml");
        Files.writeString(yaml, DENY_YAML);

        List<String> out = jxdp(List.of("prog", "run", OBJ.toString(), "--packet", packets.toString(), "--pin-dir",
                pins.toString(), "--pin", "totals", "--maps", yaml.toString()));
        assertEquals(35, out.stream().filter(l -> l.matches("\\d+ XDP_(PASS|DROP) .*")).count(), String.join("\n", out));
        assertTrue(Files.isRegularFile(pins.resolve("conns")) && Files.isRegularFile(pins.resolve("deny"))
                && Files.isRegularFile(pins.resolve("totals")), "pin files");
        // a restart in another JVM, on the JIT, without the preload: the deny rule is the pinned one
        out = jxdp(List.of("prog", "run", OBJ.toString(), "--packet", packets.toString(), "--pin-dir", pins.toString(),
                "--pin", "totals", "--engine", "jit"));
        assertEquals(5, out.stream().filter(l -> l.contains("XDP_DROP")).count(), String.join("\n", out));

        BpfObject obj = BpfObjectLoader.load(OBJ);
        try (ObjectMaps maps = ObjectMaps.create(obj, Pinning.of(pins, Set.of("totals")))) {
            Map<String, long[]> flows = flows(maps.map("conns"));
            assertEquals(3, flows.size(), flows.keySet().toString());
            for (int p = 1000; p < 1003; p++) {
                long[] s = flows.get(connKey(0xc6120001, 0xc6120101, p, 53, 17));
                assertEquals(20, s[0], "packets of port " + p + " over two runs");
                assertEquals(20L * (14 + 20 + 8 + 10), s[1], "bytes of port " + p);
            }
            assertEquals(10, u64(maps.map("deny").lookup(HEX.parseHex("10000000c6130000")).orElseThrow()));
            assertEquals(60, u64(maps.map("totals").lookup(new byte[4]).orElseThrow()));
            assertEquals(10, u64(maps.map("totals").lookup(new byte[] {1, 0, 0, 0}).orElseThrow()));
        }
        // totals not pinned this time: the object's own, empty
        try (ObjectMaps maps = ObjectMaps.create(obj, Pinning.of(pins, Set.of()))) {
            assertEquals(0, u64(maps.map("totals").lookup(new byte[4]).orElseThrow()));
            assertEquals(3, maps.dump("conns").size());
        }
        // nothing pinned: the object's initial maps
        try (ObjectMaps maps = ObjectMaps.create(obj, Pinning.NONE)) {
            assertEquals(0, maps.dump("conns").size());
        }

        // another definition of conns is refused, naming the map, the file and the field; the file stays
        EngineException e = assertThrows(EngineException.class, () -> Engines.create("interp",
                BpfObjectLoader.load(BIG), null, Pinning.of(pins, Set.of())).close());
        assertTrue(e.getMessage().contains("map 'conns'") && e.getMessage().contains(pins.resolve("conns").toString())
                && e.getMessage().contains("max_entries 1024 != 2048"), e.getMessage());
        try (ObjectMaps maps = ObjectMaps.create(obj, Pinning.of(pins, Set.of()))) {
            assertEquals(3, maps.dump("conns").size());
        }
        out = jxdpFails(List.of("prog", "run", BIG.toString(), "--packet", packets.toString(), "--pin-dir", pins.toString()));
        assertTrue(out.stream().anyMatch(l -> l.contains("max_entries 1024 != 2048") && l.contains("conns")), String.join("\n", out));
    }

    /**
     * A JVM killed while its program is updating the pinned maps (no close, no flush) leaves files
     * that reopen: the flow's packets and bytes and the pass total, each bumped once per packet,
     * agree to within the one packet that may have been between the updates, and cover at least the
     * packets the killed run had reported.
     */
    @Test
    void mapsOfAKilledJvmReopen() throws Exception {
        Path pins = tmp.resolve("pins");
        Path packets = tmp.resolve("many.txt");
        String line = HEX.formatHex(udp(0xc6120007, 0xc6120101, 4000, 80, 20));
        Files.write(packets, java.util.Collections.nCopies(200_000, line));
        Process p = start(List.of("prog", "run", OBJ.toString(), "--packet", packets.toString(), "--pin-dir",
                pins.toString(), "--pin", "totals", "--no-trace"));
        long reported = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l = r.readLine(); l != null && reported < 2_000; l = r.readLine()) {
                if (l.contains("XDP_PASS")) {
                    reported++;
                }
            }
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no close
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "killed JVM did not end");
        } finally {
            p.destroyForcibly();
        }
        assertEquals(2_000, reported, "the run printed too few packets before it ended");
        try (ObjectMaps maps = ObjectMaps.create(BpfObjectLoader.load(OBJ), Pinning.of(pins, Set.of("totals")))) {
            long[] flow = flows(maps.map("conns")).get(connKey(0xc6120007, 0xc6120101, 4000, 80, 17));
            long total = u64(maps.map("totals").lookup(new byte[4]).orElseThrow());
            assertTrue(flow[0] >= reported && flow[0] < 200_000, "flow packets " + flow[0]);
            // the program adds to packets, then bytes, then the total: the kill may fall between any two
            assertTrue(flow[0] - total >= 0 && flow[0] - total <= 1, "total " + total + " vs flow " + flow[0]);
            long len = 14 + 20 + 8 + 20;
            assertTrue(flow[1] == flow[0] * len || flow[1] == (flow[0] - 1) * len, "bytes " + flow[1] + " of " + flow[0]);
        }
    }

    /**
     * The control plane reads pinned maps while a program thread writes them: every snapshot of a
     * flow's counters is a count some prefix of the packets produced (bytes = packets x length, never
     * decreasing), and after the run and a reopen the counts are exact.
     */
    @Test
    void controlPlaneReadsWhileTheProgramRuns() throws Exception {
        Path pins = tmp.resolve("pins");
        BpfObject obj = BpfObjectLoader.load(OBJ);
        int flowsN = 64;
        int rounds = 400;
        byte[][] frames = new byte[flowsN][];
        for (int f = 0; f < flowsN; f++) {
            frames[f] = udp(0xc6120000 + f, 0xc6120101, 5000 + f, 443, f); // length 42 + f
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (InterpreterXdpEngine engine = InterpreterXdpEngine.create(obj, null, Interpreter.Mode.CHECKED, 2,
                Pinning.of(pins, Set.of("totals")))) {
            BpfMap conns = engine.map("conns");
            Thread dataplane = new Thread(() -> {
                try {
                    byte[] buf = new byte[256];
                    for (int r = 0; r < rounds; r++) {
                        for (byte[] f : frames) {
                            System.arraycopy(f, 0, buf, 0, f.length);
                            if (engine.runInPlace(buf, f.length) != 2) { // XDP_PASS
                                throw new AssertionError("verdict");
                            }
                        }
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "dataplane");
            dataplane.start();
            long[] lastPackets = new long[flowsN];
            long[] lastBytes = new long[flowsN];
            long reads = 0;
            while (dataplane.isAlive() || reads == 0) {
                for (int f = 0; f < flowsN; f++) {
                    Optional<byte[]> v = conns.lookup(HEX.parseHex(connKey(0xc6120000 + f, 0xc6120101, 5000 + f, 443, 17)));
                    if (v.isPresent()) {
                        // each counter only grows; the two are separate atomic adds, copied one after the other
                        long packets = u64(v.get());
                        long bytes = ByteBuffer.wrap(v.get()).order(ByteOrder.LITTLE_ENDIAN).getLong(8);
                        long len = 14 + 20 + 8 + f;
                        assertTrue(packets >= lastPackets[f] && packets <= rounds, "flow " + f + ": " + packets
                                + " packets after " + lastPackets[f]);
                        assertTrue(bytes >= lastBytes[f] && bytes <= rounds * len && bytes % len == 0, "flow " + f + ": "
                                + bytes + " bytes after " + lastBytes[f]);
                        lastPackets[f] = packets;
                        lastBytes[f] = bytes;
                    }
                    reads++;
                }
                assertTrue(engine.dumpMap("conns").size() <= flowsN);
            }
            dataplane.join();
            if (failure.get() != null) {
                throw new AssertionError("program thread failed", failure.get());
            }
            assertTrue(reads > 0);
        }
        try (ObjectMaps maps = ObjectMaps.create(obj, Pinning.of(pins, Set.of("totals")))) {
            Map<String, long[]> flows = flows(maps.map("conns"));
            assertEquals(flowsN, flows.size());
            for (int f = 0; f < flowsN; f++) {
                long[] s = flows.get(connKey(0xc6120000 + f, 0xc6120101, 5000 + f, 443, 17));
                assertEquals(rounds, s[0], "flow " + f);
                assertEquals((long) rounds * (14 + 20 + 8 + f), s[1], "flow " + f + " bytes");
            }
            assertEquals((long) rounds * flowsN, u64(maps.map("totals").lookup(new byte[4]).orElseThrow()));
            // the control plane writes too: a deny rule added now drops that source after a restart
            maps.map("deny").update(HEX.parseHex("20000000c6120005"), new byte[8], MapFlags.BPF_NOEXIST);
        }
        try (XdpEngine engine = Engines.create("jit", obj, null, Pinning.of(pins, Set.of()))) {
            assertEquals(1, engine.run(frames[5], 1).action(), "198.18.0.5 denied after the restart");
            assertEquals(2, engine.run(frames[6], 1).action());
            List<MapEntry> deny = engine.dumpMap("deny");
            assertEquals(1, deny.size());
            assertArrayEquals(new byte[] {1, 0, 0, 0, 0, 0, 0, 0}, deny.get(0).values().get(0));
        }
    }

    /** What cannot be pinned is refused at load naming object, map and why; nothing is left behind. */
    @Test
    void refusalsNameTheMapAndTheReason() throws Exception {
        Path pins = tmp.resolve("deep/pins");
        BpfObject loop = BpfObjectLoader.load(Corpus.root().resolve("obj/xdp_loop.o"));
        EngineException e = assertThrows(EngineException.class,
                () -> Engines.create("interp", loop, null, Pinning.of(pins, Set.of("lens"))).close());
        assertTrue(e.getMessage().contains("map 'lens'") && e.getMessage().contains("QUEUE cannot be pinned")
                && e.getMessage().contains("LPM_TRIE"), e.getMessage());
        BpfObject config = BpfObjectLoader.load(Corpus.root().resolve("obj/xdp_config.o"));
        e = assertThrows(EngineException.class, () -> Engines.create("jit", config, null, Pinning.of(pins, Set.of(".bss")))
                .close());
        assertTrue(e.getMessage().contains("map '.bss'") && e.getMessage().contains("global data"), e.getMessage());
        e = assertThrows(EngineException.class, () -> Engines.create("interp", config, null,
                Pinning.of(pins, Set.of("nosuch"))).close());
        assertTrue(e.getMessage().contains("no map 'nosuch' to pin (maps: .rodata, .data, .bss)"), e.getMessage());
        e = assertThrows(EngineException.class, () -> Engines.create("kernel", config, null,
                Pinning.of(pins, Set.of(".data"))).close());
        assertTrue(e.getMessage().contains("kernel engine's maps cannot be pinned"), e.getMessage());
        assertTrue(!Files.exists(pins) || Files.list(pins).findAny().isEmpty(), "no pin file after refusals");
        // the pin directory is created when a map is pinned there, as libbpf creates the pin path
        try (XdpEngine x = Engines.create("interp", BpfObjectLoader.load(OBJ), null, Pinning.of(pins, Set.of()))) {
            assertTrue(Files.isRegularFile(pins.resolve("conns")) && Files.isRegularFile(pins.resolve("deny")));
            assertTrue(!Files.exists(pins.resolve("totals")));
            // one owner at a time: a second load while the first runs is refused (the file is locked)
            e = assertThrows(EngineException.class, () -> Engines.create("interp", BpfObjectLoader.load(OBJ), null,
                    Pinning.of(pins, Set.of())).close());
            assertTrue(e.getMessage().contains("in use") && e.getMessage().contains("EBUSY"), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Runs {@code jxdp ARGS} in a new JVM; its output lines; fails unless it exits 0. */
    private List<String> jxdp(List<String> args) throws Exception {
        return run(args, 0);
    }

    private List<String> jxdpFails(List<String> args) throws Exception {
        return run(args, 1);
    }

    private List<String> run(List<String> args, int status) throws Exception {
        Process p = start(args);
        try {
            byte[] all = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "jxdp " + args + " did not end");
            List<String> lines = List.of(new String(all, StandardCharsets.UTF_8).split("\n"));
            assertEquals(status, p.exitValue(), "jxdp " + args + ":\n" + String.join("\n", lines));
            return lines;
        } finally {
            p.destroyForcibly();
        }
    }

    private static Process start(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Djxdp.jit.warmupMillis=200",
                "-cp", System.getProperty("java.class.path"), "io.jxdp.cli.Main"));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Ethernet + IPv4 (IHL 5) + UDP with {@code payload} zero bytes; addresses as host ints. */
    static byte[] udp(int src, int dst, int sport, int dport, int payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + 8 + payload); // big-endian: network order
        b.put(new byte[] {2, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4}).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + 8 + payload)).putInt(0).put((byte) 64).put((byte) 17)
                .putShort((short) 0).putInt(src).putInt(dst);
        b.putShort((short) sport).putShort((short) dport).putShort((short) (8 + payload)).putShort((short) 0);
        return b.array();
    }

    /** struct conn_key in hex: saddr, daddr, sport, dport (network order), proto, 3 bytes padding. */
    static String connKey(int src, int dst, int sport, int dport, int proto) {
        ByteBuffer b = ByteBuffer.allocate(16);
        b.putInt(src).putInt(dst).putShort((short) sport).putShort((short) dport).put((byte) proto);
        return HEX.formatHex(b.array());
    }

    private static Map<String, long[]> flows(BpfMap conns) {
        Map<String, long[]> out = new HashMap<>();
        for (Optional<byte[]> k = conns.getNextKey(null); k.isPresent() && out.size() <= conns.maxEntries();
                k = conns.getNextKey(k.get())) {
            byte[] v = conns.lookup(k.get()).orElseThrow();
            ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
            out.put(HEX.formatHex(k.get()), new long[] {b.getLong(0), b.getLong(8)});
        }
        return out;
    }

    private static long u64(byte[] v) {
        return ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }
}
