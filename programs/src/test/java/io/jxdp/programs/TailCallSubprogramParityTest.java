package io.jxdp.programs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.xdp.InterpreterXdpEngine;
import io.jxdp.ebpf.xdp.JitXdpEngine;
import io.jxdp.ffi.bpf.Bpf;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tail calls from a bpf-to-bpf subprogram (src/xdp_tailsub.c) in jxdp's interpreter and JIT engines
 * against this machine's kernel. A PROG_ARRAY needs program fds, which the corpus's map YAML cannot
 * name, so this test loads the object with bpftool as dataplane's TailCallRedirectTest does (a
 * private bpffs, every program pinned, the "jmp" slots pointing at them) and runs each frame with
 * BPF_PROG_TEST_RUN; jxdp's engines get the same slots. After every frame the verdict, the output
 * packet and every map but "jmp" must agree, and match the table below, which spells out what the
 * kernel does: the target's r0 goes back to the subprogram's caller, and the 33 tail calls are
 * counted once per run across the whole call chain.
 */
class TailCallSubprogramParityTest {
    private static final Path OBJECT = Corpus.DIR.resolve("obj/xdp_tailsub.o");
    private static final String PROGRAM = "xdp_tailsub";
    private static final long XDP_DROP = 1;
    private static final long XDP_PASS = 2;
    private static final long XDP_TX = 3;

    /**
     * {byte 0 (the slot tail_sub tail-calls), byte 1 (call tail_sub twice), verdict, byte 7 after
     * the run, tail calls made}.
     */
    static final int[][] CASES = {
        {0, 0, (int) XDP_PASS, 0x32, 0},     // empty slot: falls through, tail_sub returns XDP_PASS
        {1, 0, (int) XDP_TX, 0x31, 1},       // xdp_ts_leaf's XDP_DROP comes back to xdp_tailsub
        {2, 0, (int) XDP_PASS, 0x32, 33},    // recursion through tail_sub until the 33rd tail call
        {3, 0, (int) XDP_TX, 0x31, 2},       // xdp_ts_hop tail-calls the leaf from its main function
        {9, 0, (int) XDP_PASS, 0x32, 0},     // index past max_entries: falls through
        {1, 1, (int) XDP_TX, 0x31, 2},       // the leaf twice
        {2, 1, (int) XDP_PASS, 0x32, 33},    // the second chain finds the count used up: falls through
        {3, 1, (int) XDP_TX, 0x31, 4},       // hop and leaf, twice
        {0xff, 0, (int) XDP_PASS, 0x32, 0},  // index 255: falls through
    };
    /** hits after all frames, by enum hit: MAIN, BACK, FALL, LEAF, RECURSE, RECURSE_BACK, HOP, RET. */
    static final long[] HITS = {9, 12, 6, 6, 66, 66, 3, 18};

    static byte[] frame(int[] c) {
        byte[] f = new byte[60];
        f[0] = (byte) c[0];
        f[1] = (byte) c[1];
        f[12] = 0x08;
        return f;
    }

    static byte[] u32(long v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    /** One run's results in a form both sides produce: verdict, output packet, maps. */
    record Run(long verdict, String output, List<String> maps) {
    }

    @Test
    void tailCallsFromASubprogramMatchTheKernel(@TempDir Path tmp) throws Exception {
        BpfObject object = BpfObjectLoader.load(OBJECT);
        List<Run> kernel = kernel(tmp);
        try (InterpreterXdpEngine interp = InterpreterXdpEngine.create(object, PROGRAM, Interpreter.Mode.CHECKED,
                Bpf.numPossibleCpus());
                JitXdpEngine jit = JitXdpEngine.create(object, PROGRAM, Bpf.numPossibleCpus(), 0)) {
            for (String slot : List.of("1 xdp_ts_leaf", "2 xdp_ts_recurse", "3 xdp_ts_hop")) {
                String[] s = slot.split(" ");
                interp.updateMap("jmp", u32(Long.parseLong(s[0])), List.of(u32(interp.programId(s[1]))));
                jit.updateMap("jmp", u32(Long.parseLong(s[0])), List.of(u32(jit.programId(s[1]))));
            }
            for (int i = 0; i < CASES.length; i++) {
                int[] c = CASES[i];
                String what = "frame " + i + " (slot " + c[0] + (c[1] != 0 ? ", twice" : "") + ")";
                Run k = kernel.get(i);
                assertEquals(c[2], k.verdict(), what + ": the kernel's verdict");
                assertEquals(String.format("%02x", c[3]), k.output().substring(14, 16), what + ": the kernel's byte 7");
                Run a = jxdp(interp, frame(c));
                Run b = jxdp(jit, frame(c));
                assertEquals(k, a, what + ": interpreter engine vs kernel");
                assertEquals(k, b, what + ": JIT engine vs kernel");
                assertEquals(c[4], interp.tailCalls(), what + ": interpreter tail calls");
                assertEquals(c[4], jit.tailCalls(), what + ": JIT tail calls");
            }
            StringBuilder hits = new StringBuilder();
            for (int h = 0; h < HITS.length; h++) {
                hits.append(String.format("%08x=%016x", Integer.reverseBytes(h), Long.reverseBytes(HITS[h])))
                        .append(h + 1 < HITS.length ? " " : "");
            }
            assertEquals("hits: " + hits, kernel.getLast().maps().get(1), "the kernel's hits after all frames");
        }
    }

    private static Run jxdp(XdpEngine e, byte[] f) {
        XdpResult r = e.run(f, 1);
        TreeSet<String> maps = new TreeSet<>();
        for (String m : e.mapNames()) {
            if (!m.equals("jmp")) {
                maps.add(m + ": " + dump(e.dumpMap(m)));
            }
        }
        return new Run(r.action(), HexFormat.of().formatHex(r.output()), List.copyOf(maps));
    }

    /** key=value entries sorted by key, hex. */
    private static String dump(List<MapEntry> entries) {
        TreeSet<String> rows = new TreeSet<>();
        for (MapEntry m : entries) {
            StringBuilder b = new StringBuilder(HexFormat.of().formatHex(m.key())).append('=');
            for (byte[] v : m.values()) {
                b.append(HexFormat.of().formatHex(v));
            }
            rows.add(b.toString());
        }
        return String.join(" ", rows);
    }

    // ---------------------------------------------------------------- the kernel, through bpftool

    private static final Pattern RETVAL = Pattern.compile("\"retval\":\\s*(\\d+)");
    private static final Pattern ENTRY = Pattern.compile(
            "\"key\":\\s*\\[([^\\]]*)\\],\\s*\"value\":\\s*\\[([^\\]]*)\\]");

    private static List<Run> kernel(Path tmp) throws Exception {
        Path fs = tmp.resolve("fs");
        Files.createDirectories(fs);
        sh("mount", "-t", "bpf", "bpf", fs.toString());
        try {
            Path progs = fs.resolve("progs");
            Path maps = fs.resolve("maps");
            sh("bpftool", "prog", "loadall", OBJECT.toString(), progs.toString(), "type", "xdp",
                    "pinmaps", maps.toString());
            for (String slot : List.of("1 xdp_ts_leaf", "2 xdp_ts_recurse", "3 xdp_ts_hop")) {
                String[] s = slot.split(" ");
                sh("bpftool", "map", "update", "pinned", maps.resolve("jmp").toString(), "key", s[0], "0", "0", "0",
                        "value", "pinned", progs.resolve(s[1]).toString());
            }
            // jxdp names global data by its section (".data"); bpftool pins it under libbpf's
            // "<object name prefix>.data", with the dot made an underscore (sanitize_pin_path())
            Path data;
            try (Stream<Path> l = Files.list(maps)) {
                data = l.filter(p -> p.getFileName().toString().matches(".+[._]data")).findFirst().orElseThrow(
                        () -> new AssertionError("bpftool pinned no .data map in " + maps));
            }
            List<Run> runs = new ArrayList<>();
            for (int[] c : CASES) {
                Path in = tmp.resolve("in.bin");
                Path out = tmp.resolve("out.bin");
                Files.write(in, frame(c));
                Files.deleteIfExists(out);
                String json = sh("bpftool", "-j", "prog", "run", "pinned", progs.resolve(PROGRAM).toString(),
                        "data_in", in.toString(), "data_out", out.toString(), "data_size_out", "8192");
                Matcher m = RETVAL.matcher(json);
                assertTrue(m.find(), json);
                // sorted by name, as jxdp's side
                List<String> dumps = List.of(".data: " + kernelDump(data), "hits: " + kernelDump(maps.resolve("hits")));
                runs.add(new Run(Long.parseLong(m.group(1)), HexFormat.of().formatHex(Files.readAllBytes(out)), dumps));
            }
            return runs;
        } finally {
            sh("umount", fs.toString());
        }
    }

    private static String kernelDump(Path pinned) throws Exception {
        Matcher m = ENTRY.matcher(sh("bpftool", "-j", "map", "dump", "pinned", pinned.toString()));
        TreeSet<String> rows = new TreeSet<>();
        while (m.find()) {
            rows.add(hex(m.group(1)) + "=" + hex(m.group(2)));
        }
        return String.join(" ", rows);
    }

    /** bpftool's ["0x01","0x00",...] as 0100... */
    private static String hex(String list) {
        return list.replaceAll("[\",\\s]|0x", "");
    }

    private static String sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd) + " timed out");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + text);
        return text;
    }
}
