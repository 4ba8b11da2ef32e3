package io.jxdp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** prog run|show|dump, map show|dump and demo through the real command line. */
class ObjectCommandsTest {
    record Result(int code, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    static Path programs() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("programs/corpus.yaml"))) {
                return p.resolve("programs");
            }
        }
        throw new IllegalStateException("programs/ not found");
    }

    static String obj(String name) {
        return programs().resolve("obj/" + name).toString();
    }

    static Result jxdp(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            int code = Main.run(args);
            return new Result(code, out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static void assertOneLineError(Result r, String... fragments) {
        assertTrue(r.code() != 0, "exit code");
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.err());
        for (String f : fragments) {
            assertTrue(lines.get(0).contains(f), lines.get(0) + " lacks " + f);
        }
    }

    @Test
    void runPrintsVerdictTimeAndOutputPerPacketOfAHexFile(@TempDir Path dir) throws Exception {
        Path pkts = dir.resolve("p.txt");
        Files.writeString(pkts, "# two frames\n02 00 00 00 00 0b 02 00 00 00 00 0a 88 b5\n\n0200000000\n");
        Result r = jxdp("prog", "run", obj("xdp_tx.o"), "--packet", pkts.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(2, r.lines().size(), r.out());
        assertTrue(r.lines().get(0).matches("0 XDP_TX \\d+ ns/run 02000000000a02000000000b88b5"), r.lines().get(0));
        assertTrue(r.lines().get(1).startsWith("1 EINVAL -"), r.lines().get(1));
    }

    @Test
    void traceOutputGoesToStderrUnlessDiscarded(@TempDir Path dir) throws Exception {
        Path pkts = dir.resolve("p.txt");
        Files.writeString(pkts, "02000000000b02000000000a0800\n");
        Result r = jxdp("prog", "run", obj("xdp_stats.o"), "--packet", pkts.toString(), "--repeat", "3");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("xdp_stats: class 0 len 14", "xdp_stats: class 0 len 14", "xdp_stats: class 0 len 14"),
                r.err().lines().toList());
        Result q = jxdp("prog", "run", obj("xdp_stats.o"), "--packet", pkts.toString(), "--no-trace");
        assertEquals(0, q.code(), q.err());
        assertEquals("", q.err());
        assertTrue(q.out().startsWith("0 XDP_PASS "), q.out());
    }

    @Test
    void runJsonMatchesTheKernelRecording() throws Exception {
        Result r = jxdp("prog", "run", obj("xdp_adjust.o"), "--program", "xdp_encap", "--packet",
                programs().resolve("packets/xdp_encap.pcap").toString(), "--json", "--repeat", "1");
        assertEquals(0, r.code(), r.err());
        List<String> want = Files.readAllLines(programs().resolve("expected/xdp_encap.txt"));
        assertEquals(want.size(), r.lines().size());
        Pattern p = Pattern.compile("\\{\"index\":(\\d+),\"engine\":\"interp\",\"verdict\":\"(XDP_\\w+)\",\"action\":(\\d),"
                + "\"output_hex\":\"([0-9a-f]*)\",\"output_length\":(\\d+),\"ns_per_run\":(\\d+)}");
        for (int i = 0; i < want.size(); i++) {
            Matcher m = p.matcher(r.lines().get(i));
            assertTrue(m.matches(), r.lines().get(i));
            String[] w = want.get(i).split(" ");
            assertEquals(w[0], m.group(1));
            assertEquals(w[1], m.group(2));
            assertEquals(w[2], m.group(4));
            assertEquals(w[2].length() / 2, Integer.parseInt(m.group(5)));
        }
    }

    @Test
    void runErrorsAreOneClearLine(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.txt");
        Files.writeString(bad, "0200000000000200000000000800\n02 0g\n");
        Path pcap = programs().resolve("packets/xdp_pass.pcap");
        assertOneLineError(jxdp("prog", "run", obj("xdp_tx.o"), "--packet", bad.toString()), "bad.txt:2:5", "'g'");
        assertOneLineError(jxdp("prog", "run", dir.resolve("none.o").toString(), "--packet", pcap.toString()),
                "no such object file");
        assertOneLineError(jxdp("prog", "run", obj("xdp_tx.o"), "--packet", dir.resolve("none.pcap").toString()),
                "no such packet file");
        assertOneLineError(jxdp("prog", "run", obj("xdp_adjust.o"), "--program", "xdp_nope", "--packet", pcap.toString()),
                "no program 'xdp_nope'", "xdp_encap, xdp_decap, xdp_tail, xdp_meta, xdp_bytes");
        assertOneLineError(jxdp("prog", "run", obj("xdp_adjust.o"), "--program", "xdp_nope", "--packet", pcap.toString(),
                "--engine", "kernel"), "no program 'xdp_nope'", "xdp_encap, xdp_decap, xdp_tail, xdp_meta, xdp_bytes");
        assertOneLineError(jxdp("prog", "run", obj("xdp_tx.o"), "--packet", pcap.toString(), "--engine", "jit9"),
                "unknown engine 'jit9'");
        assertOneLineError(jxdp("prog", "run", obj("xdp_tx.o"), "--packet", pcap.toString(), "--maps", "x.yaml"),
                "x.yaml", "no such file");
        Path notElf = dir.resolve("x.o");
        Files.writeString(notElf, "not an ELF file");
        Result r = jxdp("prog", "run", notElf.toString(), "--packet", pcap.toString());
        assertOneLineError(r, "x");
    }

    @Test
    void showListsProgramsAndMaps() {
        Result r = jxdp("prog", "show", obj("xdp_flow_counter.o"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("xdp_flow_counter: section xdp, type XDP, "), r.out());
        assertTrue(r.out().contains("maps: blocklist, blocklist6, flows, proto_stats")
                || r.out().matches("(?s).*maps: .*flows.*proto_stats.*"), r.out());
        assertTrue(r.out().contains("map_delete_elem(3)") && r.out().contains("map_update_elem(2)"), r.out());
        assertTrue(r.out().contains("proto_stats: BPF_MAP_TYPE_PERCPU_HASH, key 4, value 16"), r.out());
        Result j = jxdp("prog", "show", obj("xdp_config.o"), "--json");
        assertEquals(0, j.code(), j.err());
        assertTrue(j.out().startsWith("{\"object\":\"xdp_config\",\"license\":\"GPL\",\"programs\":[{\"name\":\"xdp_config\""),
                j.out());
        assertTrue(j.out().contains("{\"name\":\".rodata\",\"type\":\"BPF_MAP_TYPE_ARRAY\",\"key_size\":4,\"value_size\":8,"
                + "\"max_entries\":1,\"flags\":1152}"), j.out());
    }

    @Test
    void dumpInterleavesSourceLines() {
        Result r = jxdp("prog", "dump", obj("xdp_tx.o"));
        assertEquals(0, r.code(), r.err());
        int src = r.lines().indexOf("; void *data = (void *)(long)ctx->data; @ ./src/xdp_tx.c:13:34");
        assertTrue(src >= 0, r.out());
        assertEquals("    2: r1 = *(u32 *)(r1 + 0x0)", r.lines().get(src + 1));
        Result j = jxdp("prog", "dump", obj("xdp_adjust.o"), "--program", "xdp_encap", "--json");
        assertEquals(0, j.code(), j.err());
        assertTrue(j.lines().stream().anyMatch(l -> l.contains("\"function\":\"ipv4_hdr_csum\"")), "subprogram labelled");
        assertTrue(j.lines().stream().allMatch(l -> l.startsWith("{\"program\":\"xdp_encap\"")));
        assertOneLineError(jxdp("prog", "dump", obj("xdp_tx.o"), "--program", "zz"), "no program 'zz'", "xdp_tx");
    }

    @Test
    void mapShowAndDumpAfterLoad() {
        Result r = jxdp("map", "show", obj("xdp_config.o"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(".rodata: BPF_MAP_TYPE_ARRAY, key 4, value 8, max_entries 1, flags 0x480, frozen, 1 entries"),
                r.out());
        assertTrue(r.out().contains("  data: 0900020000000001"), r.out());
        // --json: one object per map, global data with its contents; flags 0x480 = RDONLY_PROG | MMAPABLE
        Result j = jxdp("map", "show", obj("xdp_config.o"), "--json");
        assertEquals(0, j.code(), j.err());
        assertEquals(List.of(
                "{\"name\":\".rodata\",\"type\":\"BPF_MAP_TYPE_ARRAY\",\"key_size\":4,\"value_size\":8,\"max_entries\":1,"
                        + "\"flags\":1152,\"frozen\":true,\"entries\":1,\"data_hex\":\"0900020000000001\"}",
                "{\"name\":\".data\",\"type\":\"BPF_MAP_TYPE_ARRAY\",\"key_size\":4,\"value_size\":4,\"max_entries\":1,"
                        + "\"flags\":1024,\"frozen\":false,\"entries\":1,\"data_hex\":\"03000000\"}",
                "{\"name\":\".bss\",\"type\":\"BPF_MAP_TYPE_ARRAY\",\"key_size\":4,\"value_size\":16,\"max_entries\":1,"
                        + "\"flags\":1024,\"frozen\":false,\"entries\":1,\"data_hex\":\"00000000000000000000000000000000\"}"),
                j.lines());
        Result js = jxdp("map", "show", obj("xdp_stats.o"), "--json");
        assertEquals(0, js.code(), js.err());
        assertEquals("{\"name\":\"stats\",\"type\":\"BPF_MAP_TYPE_PERCPU_ARRAY\",\"key_size\":4,\"value_size\":24,"
                + "\"max_entries\":6,\"flags\":0,\"frozen\":false,\"entries\":6}", js.lines().get(0), "no data_hex for a plain map");
        Result d = jxdp("map", "dump", obj("xdp_config.o"), ".data", "--json");
        assertEquals(0, d.code(), d.err());
        assertEquals(List.of("{\"key\":\"00000000\",\"value\":\"03000000\"}"), d.lines());
        Result p = jxdp("map", "dump", obj("xdp_stats.o"), "stats");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().startsWith("key 00000000\n  cpu 0: 000000000000000000000000000000000000000000000000\n"), p.out());
        assertOneLineError(jxdp("map", "dump", obj("xdp_config.o"), "nomap"), "no map 'nomap'", ".rodata, .data, .bss");
    }

    @Test
    void demoRunsTheCorpusAndAgreesWithTheKernel() {
        Result r = jxdp("demo");
        assertEquals(0, r.code(), r.err());
        Matcher m = Pattern.compile("agreement with the kernel .*: interpreter (\\d+)/(\\d+) packets, JIT (\\d+)/(\\d+) packets")
                .matcher(r.out());
        assertTrue(m.find(), r.out());
        assertEquals(m.group(2), m.group(1), "interpreter");
        assertEquals(m.group(4), m.group(3), "JIT");
        assertTrue(Integer.parseInt(m.group(2)) > 100, "the corpus ran");
        assertTrue(r.out().contains("steady state: interpreter "), r.out());
        assertTrue(r.out().contains("xdp_parser (obj/xdp_parser.o, program xdp_parser, "), r.out());
    }
}
