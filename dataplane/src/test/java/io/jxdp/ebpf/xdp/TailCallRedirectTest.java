package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bpf_tail_call, bpf_redirect and bpf_redirect_map against this machine's kernel: the fixture
 * helpers/tailcall.c is loaded with bpftool (all programs, PROG_ARRAY slots pointing at them, a
 * DEVMAP slot holding lo's ifindex, in a private bpffs) and run with BPF_PROG_TEST_RUN; jxdp runs the
 * same object with the same slots. Return values per frame and the "hits" counters after every
 * frame must agree (33 tail calls at most, redirect fallbacks and flag checks).
 */
class TailCallRedirectTest {
    /** Frames: bytes 0..3 steer the programs (see tailcall.c). */
    static final int[][] CASES = {
        {0, 0, 0, 0},       // empty slot 0: the tail call falls through, XDP_PASS
        {1, 0, 0, 0},       // xdp_self: 33 tail calls, then XDP_DROP
        {2, 0, 0, 0},       // redirect_map key 0 (present): XDP_REDIRECT
        {2, 1, 2, 0},       // key 1 missing, fallback XDP_PASS
        {2, 1, 3, 0},       // key 1 missing, fallback XDP_TX
        {2, 1, 0, 0},       // key 1 missing, fallback XDP_ABORTED
        {2, 9, 1, 0},       // key 9 past max_entries, fallback XDP_DROP
        {2, 1, 0x20, 0},    // unknown flag bit: XDP_ABORTED
        {2, 1, 0x08, 0},    // BPF_F_BROADCAST with a missing key: XDP_REDIRECT
        {2, 0, 0x18, 0},    // BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS: XDP_REDIRECT
        {2, 0xff, 5, 0},    // bpf_redirect(5, 0): XDP_REDIRECT
        {2, 0xff, 5, 1},    // bpf_redirect with flags: XDP_ABORTED
        {3, 0, 0, 0},       // empty slot 3: XDP_PASS
        {7, 0, 0, 0},       // index 7 past max_entries: falls through
    };

    static byte[] frame(int[] head) {
        byte[] f = new byte[60];
        for (int i = 0; i < head.length; i++) {
            f[i] = (byte) head[i];
        }
        f[12] = 0x08;
        return f;
    }

    static BpfObject fixture() throws Exception {
        try (InputStream in = TailCallRedirectTest.class.getResourceAsStream("/helpers/tailcall.o")) {
            return BpfObjectLoader.load("tailcall.o", in.readAllBytes());
        }
    }

    static byte[] u32(long v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    @Test
    void tailCallsAndRedirectsMatchTheKernel(@TempDir Path tmp) throws Exception {
        List<Long> kernelRet = new ArrayList<>();
        List<String> kernelHits = new ArrayList<>();
        kernel(tmp, kernelRet, kernelHits);

        try (InterpreterXdpEngine e = InterpreterXdpEngine.create(fixture(), "xdp_entry", Interpreter.Mode.CHECKED,
                io.jxdp.ffi.bpf.Bpf.numPossibleCpus())) {
            e.updateMap("jmp_table", u32(1), List.of(u32(e.programId("xdp_self"))));
            e.updateMap("jmp_table", u32(2), List.of(u32(e.programId("xdp_redir"))));
            e.updateMap("tx_ports", u32(0), List.of(u32(1)));
            for (int i = 0; i < CASES.length; i++) {
                long ret = e.run(frame(CASES[i]), 1).action();
                assertEquals(kernelRet.get(i), ret, "frame " + i + " " + Arrays.toString(CASES[i]) + ": return value");
                assertEquals(kernelHits.get(i), hits(e.dumpMap("hits")), "frame " + i + ": hits");
                if (CASES[i][0] == 1) {
                    assertEquals(XdpContext.MAX_TAIL_CALL_CNT, e.tailCalls(), "tail calls stop at MAX_TAIL_CALL_CNT");
                }
            }
        }
    }

    @Test
    void redirectTargetIsRecordedForTheDataplane() throws Exception {
        try (InterpreterXdpEngine e = InterpreterXdpEngine.create(fixture(), "xdp_redir", Interpreter.Mode.CHECKED, 1)) {
            e.updateMap("tx_ports", u32(2), List.of(u32(1)));
            assertEquals(XdpContext.XDP_REDIRECT, e.run(frame(new int[] {0, 2, 0, 0}), 1).action());
            assertEquals("DEVMAP", e.redirectKind());
            assertEquals(1, e.redirectTarget(), "the slot's ifindex");
            assertEquals("tx_ports", e.redirectMap());
            assertEquals(2, e.run(frame(new int[] {0, 3, 2, 0}), 1).action(), "missing key: fallback XDP_PASS");
            assertEquals("NONE", e.redirectKind(), "a failed lookup clears the target");
            assertNull(e.redirectMap());
            assertEquals(XdpContext.XDP_REDIRECT, e.run(frame(new int[] {0, 0xff, 7, 0}), 1).action());
            assertEquals("IFINDEX", e.redirectKind());
            assertEquals(7, e.redirectTarget());
            assertEquals(XdpContext.XDP_REDIRECT, e.run(frame(new int[] {0, 3, 0x18, 0}), 1).action());
            assertEquals("DEVMAP", e.redirectKind());
            assertEquals(3, e.redirectTarget(), "broadcast keeps the key");
            assertEquals(0x18, e.redirectFlags());
        }
    }

    @Test
    void tailCallToAProgramOutsideTheObjectIsAFault() throws Exception {
        try (InterpreterXdpEngine e = InterpreterXdpEngine.create(fixture(), "xdp_entry", Interpreter.Mode.CHECKED, 1)) {
            e.updateMap("jmp_table", u32(0), List.of(u32(99)));
            String m = org.junit.jupiter.api.Assertions.assertThrows(io.jxdp.ebpf.engine.EngineException.class,
                    () -> e.run(frame(new int[] {0, 0, 0, 0}), 1)).getMessage();
            assertTrue(m.contains("bpf_tail_call") && m.contains("program id 99"), m);
        }
    }

    private static String hits(List<MapEntry> entries) {
        StringBuilder b = new StringBuilder();
        for (MapEntry m : entries) {
            b.append(java.util.HexFormat.of().formatHex(m.values().get(0))).append(' ');
        }
        return b.toString().trim();
    }

    // ---------------------------------------------------------------- the kernel, through bpftool

    private static void kernel(Path tmp, List<Long> ret, List<String> hits) throws Exception {
        Path fs = tmp.resolve("fs");
        Files.createDirectories(fs);
        Path obj = tmp.resolve("tailcall.o");
        try (InputStream in = TailCallRedirectTest.class.getResourceAsStream("/helpers/tailcall.o")) {
            Files.write(obj, in.readAllBytes());
        }
        sh("mount", "-t", "bpf", "bpf", fs.toString());
        try {
            Path progs = fs.resolve("progs");
            Path maps = fs.resolve("maps");
            sh("bpftool", "prog", "loadall", obj.toString(), progs.toString(), "type", "xdp", "pinmaps", maps.toString());
            sh("bpftool", "map", "update", "pinned", maps.resolve("jmp_table").toString(), "key", "1", "0", "0", "0",
                    "value", "pinned", progs.resolve("xdp_self").toString());
            sh("bpftool", "map", "update", "pinned", maps.resolve("jmp_table").toString(), "key", "2", "0", "0", "0",
                    "value", "pinned", progs.resolve("xdp_redir").toString());
            sh("bpftool", "map", "update", "pinned", maps.resolve("tx_ports").toString(), "key", "0", "0", "0", "0",
                    "value", "1", "0", "0", "0");
            Pattern retval = Pattern.compile("\"retval\":(\\d+)");
            Pattern value = Pattern.compile("\"value\":\\[([^\\]]*)\\]");
            for (int[] c : CASES) {
                Path in = tmp.resolve("in.bin");
                Files.write(in, frame(c));
                String out = sh("bpftool", "-j", "prog", "run", "pinned", progs.resolve("xdp_entry").toString(),
                        "data_in", in.toString());
                Matcher m = retval.matcher(out);
                assertTrue(m.find(), out);
                ret.add(Long.parseLong(m.group(1)));
                String dump = sh("bpftool", "-j", "map", "dump", "pinned", maps.resolve("hits").toString());
                Matcher v = value.matcher(dump);
                List<String> vals = new ArrayList<>();
                while (v.find()) {
                    vals.add(v.group(1).replaceAll("[\",\\s]|0x", ""));
                }
                hits.add(String.join(" ", vals));
            }
        } finally {
            sh("umount", fs.toString());
        }
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
