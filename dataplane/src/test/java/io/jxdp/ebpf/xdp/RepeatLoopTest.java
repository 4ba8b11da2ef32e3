package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapException;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engines' repeat loop ({@code run(packet, repeat)}: the JIT's is generated into the program's
 * class, Translator.emitRepeat) does every run's bookkeeping, as the kernel's test-run loop does for
 * every repeat: the run state the run before left is cleared, the RCU quiescent state is reported
 * after each run (and a retired inner map freed there), and a fault ends the loop with the same
 * error as a single run, still reporting. The programs keep their state in the frame, which a
 * repeated run does not reset, so each run of one loop takes the other branch than the run before.
 */
class RepeatLoopTest {
    /**
     * If data[0] == 1: data[0] = 0, return bpf_redirect(7, 0) (XDP_REDIRECT); else data[0] = 1,
     * return XDP_PASS. Over frame(1) odd runs redirect, even runs pass.
     */
    private static final long[] ALTERNATE = new Insns().ldxw(2, 1, 0).ldxw(3, 1, 4).mov(4, 2).addImm(4, 1)
            .movImm(0, 2).jgt(4, 3, 6).raw(0x71, 5, 2, 0, 0).raw(0x55, 5, 0, 5, 1).raw(0x72, 2, 0, 0, 0)
            .movImm(1, 7).movImm(2, 0).call(23).exit().raw(0x72, 2, 0, 0, 1).exit().build();

    /**
     * If data[0] == 1: data[0] = 0, return XDP_PASS; else bpf_redirect_map(0x1234, 0, 0), a map
     * handle no map has: the helper faults. Over frame(1) the first run passes, the second faults.
     */
    private static final long[] PASS_THEN_FAULT = new Insns().ldxw(2, 1, 0).ldxw(3, 1, 4).mov(4, 2).addImm(4, 1)
            .movImm(0, 2).jgt(4, 3, 8).raw(0x71, 5, 2, 0, 0).raw(0x55, 5, 0, 2, 1).raw(0x72, 2, 0, 0, 0).exit()
            .movImm(1, 0x1234).movImm(2, 0).movImm(3, 0).call(51).exit().build();

    private static LinkedXdpEngine engine(String kind, long[] prog) {
        return kind.equals("jit") ? JitXdpEngine.ofInstructions(prog)
                : InterpreterXdpEngine.ofInstructions(prog, Interpreter.Mode.CHECKED);
    }

    private static byte[] frame(int first) {
        byte[] f = new byte[60];
        Arrays.fill(f, (byte) 0x22);
        f[0] = (byte) first;
        return f;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"interp", "jit"})
    void everyRepeatStartsWithTheRunStateOfTheRunBeforeCleared(String kind) {
        try (LinkedXdpEngine e = engine(kind, ALTERNATE)) {
            for (int n : new int[] {1, 2, 3, 4, 10_000, 10_001, 2, 1}) {
                XdpResult r = e.run(frame(1), n);
                boolean odd = (n & 1) == 1;
                assertEquals(odd ? 4 : 2, r.action(), n + " runs: the last run's verdict");
                assertEquals(odd ? 0 : 1, r.output()[0], n + " runs: each run flipped the frame's first byte");
                assertEquals(odd ? "IFINDEX" : "NONE", e.redirectKind(),
                        n + " runs: the last run's redirect, none left from the run before it");
                assertEquals(odd ? 7 : 0, e.redirectTarget());
                assertNull(e.redirectMap());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"interp", "jit"})
    void everyRunOfTheLoopReportsItsQuiescentState(String kind) {
        try (LinkedXdpEngine e = engine(kind, ALTERNATE)) {
            e.run(frame(1), 3);
            long before = e.reportedEpoch();
            e.rcu.advance(); // as retiring memory does: the next report is of a new epoch
            e.run(frame(1), 3);
            long now = e.rcu.quiescent(0, e.reportedEpoch()); // the current epoch (reporting it again)
            assertTrue(now > before, "the epoch moved");
            assertEquals(now, e.reportedEpoch(), "the loop reported the epoch that moved during it");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"interp", "jit"})
    void aFaultEndsTheLoopWithTheSingleRunsErrorAndStillReports(String kind) {
        try (LinkedXdpEngine e = engine(kind, PASS_THEN_FAULT)) {
            assertEquals(2, e.run(frame(1), 1).action(), "one run: the passing branch");
            EngineException x = assertThrows(EngineException.class, () -> e.run(frame(1), 10));
            assertTrue(x.getMessage().startsWith("program 'program' faulted: ")
                    && x.getMessage().contains("is not a map of this program"), x.getMessage());
            assertTrue(x.getCause() instanceof HelperFault, String.valueOf(x.getCause()));
            e.rcu.advance();
            assertThrows(EngineException.class, () -> e.run(frame(0), 10)); // faults in its first run
            assertEquals(e.rcu.quiescent(0, e.reportedEpoch()), e.reportedEpoch(),
                    "the run the fault ended reported the epoch that had moved");
            assertEquals(2, e.run(frame(1), 1).action(), "the engine runs on after a fault");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"interp", "jit"})
    void aRetiredInnerMapIsFreedAtTheEndOfTheNextLoopsFirstRun(String kind) throws Exception {
        Corpus.Entry mapinmap = Corpus.entries().stream().filter(x -> x.name().equals("xdp_mapinmap")).findFirst()
                .orElseThrow();
        var obj = BpfObjectLoader.load(mapinmap.object());
        byte[] key = {99, 0, 0, 0};
        try (LinkedXdpEngine e = kind.equals("jit") ? JitXdpEngine.create(obj, "xdp_mapinmap", 1, 0)
                : InterpreterXdpEngine.create(obj, "xdp_mapinmap", Interpreter.Mode.CHECKED, 1)) {
            BpfMap inner = e.createInnerMap("by_proto");
            assertNull(e.setInnerMap("by_proto", key, inner));
            assertSame(inner, e.setInnerMap("by_proto", key, null));
            e.retireInnerMap(inner);
            assertTrue(inner.lookup(new byte[4]).isEmpty(), "not freed while the engine is idle");
            e.run(PacketFiles.read(mapinmap.pcap()).get(0), 1_000);
            MapException x = assertThrows(MapException.class, () -> inner.lookup(new byte[4]));
            assertTrue(x.getMessage().contains("closed"), x.getMessage());
        }
    }
}
