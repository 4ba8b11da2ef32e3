package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * programs/obj/xdp_tailsub.o (tail calls from a bpf-to-bpf subprogram, through XdpContext's
 * bpf_tail_call and its MAX_TAIL_CALL_CNT) in the interpreter and JIT engines, frame by frame
 * against the kernel's answers that the programs module's TailCallSubprogramParityTest checks
 * live: verdict, the byte the caller writes from the subprogram's result, the tail-call count,
 * and the "hits" counters at the end.
 */
class SubprogramTailCallEngineTest {
    /** {byte 0 (slot), byte 1 (twice), verdict, byte 7, tail calls}: see xdp_tailsub.c. */
    static final int[][] CASES = {
        {0, 0, 2, 0x32, 0}, {1, 0, 3, 0x31, 1}, {2, 0, 2, 0x32, 33}, {3, 0, 3, 0x31, 2}, {9, 0, 2, 0x32, 0},
        {1, 1, 3, 0x31, 2}, {2, 1, 2, 0x32, 33}, {3, 1, 3, 0x31, 4}, {0xff, 0, 2, 0x32, 0},
    };
    /** MAIN, BACK, FALL, LEAF, RECURSE, RECURSE_BACK, HOP, RET after all frames. */
    static final long[] HITS = {9, 12, 6, 6, 66, 66, 3, 18};

    static BpfObject object() throws Exception {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("programs/obj"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no programs/obj above " + Path.of("").toAbsolutePath());
        }
        return BpfObjectLoader.load(dir.resolve("programs/obj/xdp_tailsub.o"));
    }

    @Test
    void interpreterEngine() throws Exception {
        try (InterpreterXdpEngine e = InterpreterXdpEngine.create(object(), "xdp_tailsub", Interpreter.Mode.CHECKED, 1)) {
            check(e, e::programId, e::tailCalls);
        }
    }

    @Test
    void jitEngine() throws Exception {
        try (JitXdpEngine e = JitXdpEngine.create(object(), "xdp_tailsub", 1, 0)) {
            check(e, e::programId, e::tailCalls);
        }
    }

    private static void check(XdpEngine e, java.util.function.ToIntFunction<String> id,
                              java.util.function.IntSupplier tailCalls) {
        String[] targets = {null, "xdp_ts_leaf", "xdp_ts_recurse", "xdp_ts_hop"};
        for (int slot = 1; slot < targets.length; slot++) {
            e.updateMap("jmp", TailCallRedirectTest.u32(slot), List.of(TailCallRedirectTest.u32(id.applyAsInt(targets[slot]))));
        }
        for (int i = 0; i < CASES.length; i++) {
            int[] c = CASES[i];
            byte[] f = new byte[60];
            f[0] = (byte) c[0];
            f[1] = (byte) c[1];
            f[12] = 0x08;
            XdpResult r = e.run(f, 1);
            String what = "frame " + i + " (slot " + c[0] + (c[1] != 0 ? ", twice)" : ")");
            assertEquals(c[2], r.action(), what + ": verdict");
            assertEquals(c[3], r.output()[7] & 0xff, what + ": byte 7 (0x30 + tail_sub's result)");
            assertEquals(c[4], tailCalls.getAsInt(), what + ": tail calls");
        }
        List<io.jxdp.ebpf.engine.MapEntry> hits = e.dumpMap("hits");
        assertEquals(HITS.length, hits.size());
        for (int h = 0; h < HITS.length; h++) {
            long v = java.nio.ByteBuffer.wrap(hits.get(h).values().get(0)).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(HITS[h], v, "hits[" + h + "]");
        }
    }
}
