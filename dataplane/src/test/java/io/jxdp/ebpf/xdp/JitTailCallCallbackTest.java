package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tail calls and callbacks in the JIT engine against the interpreter engine (whose tail calls and
 * callbacks TailCallRedirectTest, CorpusTest and NewHelpersTest hold to the kernel): verdict,
 * output bytes, every map and the tail-call count after every frame. Fixtures: helpers/tailcall.o
 * (the kernel-checked tail-call object) and jit/tailcb.o (see tailcb.c).
 */
class JitTailCallCallbackTest {
    /** include/uapi/linux/bpf.h enum xdp_action. */
    private static final long XDP_DROP = 1;
    private static final long XDP_PASS = 2;
    private static final long XDP_TX = 3;

    static BpfObject load(String resource) throws Exception {
        try (InputStream in = JitTailCallCallbackTest.class.getResourceAsStream(resource)) {
            return BpfObjectLoader.load(resource.substring(resource.lastIndexOf('/') + 1), in.readAllBytes());
        }
    }

    static byte[] u32(long v) {
        return TailCallRedirectTest.u32(v);
    }

    /** The two engines over one object, kept in step. */
    private static final class Pair implements AutoCloseable {
        final InterpreterXdpEngine interp;
        final JitXdpEngine jit;

        Pair(BpfObject obj, String program) {
            interp = InterpreterXdpEngine.create(obj, program, Interpreter.Mode.CHECKED, 1);
            JitXdpEngine j;
            try {
                j = JitXdpEngine.create(obj, program, 1, 0);
            } catch (RuntimeException e) {
                interp.close();
                throw e;
            }
            jit = j;
            interp.traceSink(TraceSink.discard());
            jit.traceSink(TraceSink.discard());
        }

        void update(String map, long key, long value) {
            interp.updateMap(map, u32(key), List.of(u32(value)));
            jit.updateMap(map, u32(key), List.of(u32(value)));
        }

        void slot(long key, String program) {
            assertEquals(interp.programId(program), jit.programId(program), "program ids agree");
            update(mapWithProgArray(), key, jit.programId(program));
        }

        String mapWithProgArray() {
            return jit.mapNames().contains("jmp_table") ? "jmp_table" : "jmp";
        }

        void clearSlot(long key) {
            String m = mapWithProgArray();
            interp.map(m).delete(u32(key));
            jit.map(m).delete(u32(key));
        }

        /** Runs f through both engines and checks they agree on everything; returns the JIT's result. */
        XdpResult run(byte[] f, String what) {
            XdpResult a = interp.run(f.clone(), 1);
            XdpResult b = jit.run(f.clone(), 1);
            assertEquals(a.action(), b.action(), what + ": action");
            assertEquals(HexFormat.of().formatHex(a.output()), HexFormat.of().formatHex(b.output()), what + ": output");
            assertEquals(interp.tailCalls(), jit.tailCalls(), what + ": tail calls");
            for (String m : interp.mapNames()) {
                if (!m.equals(mapWithProgArray())) {
                    assertEquals(dump(interp, m), dump(jit, m), what + ": map " + m);
                }
            }
            return b;
        }

        @Override
        public void close() {
            interp.close();
            jit.close();
        }
    }

    /** key=value entries sorted by key (hash maps of two engines may hold them in another order). */
    static String dump(XdpEngine e, String map) {
        java.util.TreeSet<String> rows = new java.util.TreeSet<>();
        for (MapEntry m : e.dumpMap(map)) {
            StringBuilder b = new StringBuilder(HexFormat.of().formatHex(m.key())).append('=');
            for (byte[] v : m.values()) {
                b.append(HexFormat.of().formatHex(v));
            }
            rows.add(b.toString());
        }
        return String.join(" ", rows);
    }

    static byte[] frame(int... head) {
        byte[] f = new byte[60];
        for (int i = 0; i < head.length; i++) {
            f[i] = (byte) head[i];
        }
        f[12] = 0x08;
        return f;
    }

    @Test
    void theKernelCheckedTailCallCasesAgreeWithTheInterpreter() throws Exception {
        try (Pair p = new Pair(load("/helpers/tailcall.o"), "xdp_entry")) {
            p.slot(1, "xdp_self");
            p.slot(2, "xdp_redir");
            p.update("tx_ports", 0, 1);
            for (int[] c : TailCallRedirectTest.CASES) {
                p.run(frame(c), Arrays.toString(c));
                if (c[0] == 1) {
                    assertEquals(XdpContext.MAX_TAIL_CALL_CNT, p.jit.tailCalls(), "a self tail call stops at 33");
                }
            }
        }
    }

    @Test
    void aChainStopsAfterThirtyThreeTailCallsAndSlotsChangeBetweenRuns() throws Exception {
        try (Pair p = new Pair(load("/jit/tailcb.o"), "xdp_tail")) {
            byte[] toSlot1 = frame(1, 1, 0, 0, 3, 9, 2, 0);
            assertEquals(XDP_PASS, p.run(toSlot1, "empty slot").action(), "an empty slot falls through");
            assertEquals(0, p.jit.tailCalls());

            p.slot(1, "xdp_chain"); // xdp_chain tail-calls slot p[1] = 1: itself
            assertEquals(XDP_DROP, p.run(toSlot1, "chain").action(), "the 34th tail call falls through");
            assertEquals(XdpContext.MAX_TAIL_CALL_CNT, p.jit.tailCalls());
            String hits = dump(p.jit, "hits");
            assertEquals("00000000=0200000000000000 01000000=2100000000000000", hits,
                    "the entry ran for both frames, the chain 33 times");

            p.slot(1, "xdp_cb"); // the same slot now holds another program
            p.run(toSlot1, "slot updated to xdp_cb");
            assertEquals(1, p.jit.tailCalls());

            p.clearSlot(1);
            assertEquals(XDP_PASS, p.run(toSlot1, "slot deleted").action());
            assertEquals(0, p.jit.tailCalls());
            p.run(frame(9, 0, 0, 0, 0, 0, 0, 0), "index past max_entries");
        }
    }

    @Test
    void aTargetTheVerifierRejectsIsReportedWhenATailCallReachesIt() throws Exception {
        try (Pair p = new Pair(load("/jit/tailcb.o"), "xdp_tail")) {
            p.slot(2, "xdp_bad");
            byte[] f = frame(2, 0, 0, 0, 0, 0, 0, 0);
            for (XdpEngine e : new XdpEngine[] {p.interp, p.jit}) {
                String m = assertThrows(EngineException.class, () -> e.run(f.clone(), 1)).getMessage();
                assertTrue(m.contains("bpf_tail_call") && m.contains("xdp_bad") && m.contains("rejected by the verifier"),
                        e.name() + ": " + m);
            }
        }
    }

    /** bpf_loop with nested loops and early stops, for_each over an ARRAY and a HASH: random frames. */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void callbacksAgreeWithTheInterpreter(long seed) throws Exception {
        Random rnd = new Random(seed);
        try (Pair direct = new Pair(load("/jit/tailcb.o"), "xdp_cb");
                Pair viaTailCall = new Pair(load("/jit/tailcb.o"), "xdp_tail")) {
            viaTailCall.slot(0, "xdp_cb");
            java.util.Set<Long> actions = new java.util.TreeSet<>();
            for (int i = 0; i < 60; i++) {
                int[] h = {0, 0, 0, 0, rnd.nextInt(256), rnd.nextInt(20), rnd.nextInt(256),
                    rnd.nextInt(3) == 0 ? 0 : 1 + rnd.nextInt(40)};
                actions.add(direct.run(frame(h), "seed " + seed + " frame " + i + " " + Arrays.toString(h)).action());
                viaTailCall.run(frame(h), "via tail call, seed " + seed + " frame " + i + " " + Arrays.toString(h));
            }
            assertEquals(java.util.Set.of(XDP_PASS, XDP_TX), actions,
                    "frames whose loop ran to the end and frames whose callback stopped it early");
        }
    }

    /** The callback fixture of the verifier tests: an early-stopping bpf_loop and a HASH walk that writes values. */
    @Test
    void verifierCallbackFixtureAgrees() throws Exception {
        try (Pair p = new Pair(load("/verifier/progs/callbacks.o"), "xdp_callbacks")) {
            Random rnd = new Random(11);
            for (int round = 0; round < 20; round++) {
                long k = rnd.nextInt(8);
                byte[] v = new byte[8];
                rnd.nextBytes(v);
                p.interp.updateMap(round % 2 == 0 ? "slots" : "counts", u32(k), List.of(v));
                p.jit.updateMap(round % 2 == 0 ? "slots" : "counts", u32(k), List.of(v));
                p.run(frame(), "round " + round);
            }
        }
    }

    /** Nested callbacks count against the 8-frame limit in the JIT as in the interpreter (NewHelpersTest's program). */
    @ParameterizedTest(name = "callback nesting {0}")
    @ValueSource(ints = {1, 6, 7, 8})
    void callbackDepthLimitAsTheInterpreter(int depth) {
        Insns p = new Insns();
        p.movImm(1, 1);
        p.raw(0x18, 2, 4, 0, 6);              // r2 = callback at insn 8
        p.raw(0, 0, 0, 0, 0);
        p.movImm(3, 1);
        p.movImm(4, 0);
        p.call(181);
        p.movImm(0, 2);
        p.exit();
        p.raw(0x55, 2, 0, 2, depth);          // 8: callback: if ctx != depth goto 11
        p.movImm(0, 0);
        p.exit();
        p.mov(3, 2);                          // 11: ctx = level + 1
        p.raw(0x07, 3, 0, 0, 1);
        p.movImm(1, 1);
        p.raw(0x18, 2, 4, 0, -7);             // 14: r2 = callback at insn 8
        p.raw(0, 0, 0, 0, 0);
        p.movImm(4, 0);
        p.call(181);
        p.movImm(0, 0);
        p.exit();
        long[] s = p.build();
        try (InterpreterXdpEngine i = InterpreterXdpEngine.ofInstructions(s, Interpreter.Mode.CHECKED);
                JitXdpEngine j = JitXdpEngine.ofInstructions(s)) {
            if (depth < Interpreter.MAX_FRAMES) {
                assertEquals(i.run(new byte[60], 1).action(), j.run(new byte[60], 1).action());
                assertEquals(2, j.run(new byte[60], 1).action());
            } else {
                String a = assertThrows(EngineException.class, () -> i.run(new byte[60], 1)).getMessage();
                String b = assertThrows(EngineException.class, () -> j.run(new byte[60], 1)).getMessage();
                assertTrue(a.contains("call depth limit of 8 frames exceeded by a callback"), a);
                assertTrue(b.contains("call depth limit of 8 frames exceeded by a callback"), b);
            }
        }
    }
}
