package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.EngineException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CtxRewriterTest {
    private static int code(long s) {
        return (int) (s & 0xff);
    }

    private static int off(long s) {
        return (short) (s >>> 16);
    }

    @ParameterizedTest(name = "xdp_md offset {0} -> {1} at {2}")
    @CsvSource({"0, 121, 0", "4, 121, 8", "8, 121, 16", "12, 97, 24", "16, 97, 28"})
    void rewritesEachFieldLoad(int mdOff, int newCode, int newOff) {
        long[] s = new Insns().ldxw(2, 1, mdOff).movImm(0, 2).exit().build();
        assertEquals(1, CtxRewriter.rewrite(s));
        assertEquals(newCode, code(s[0]));
        assertEquals(newOff, off(s[0]));
        assertEquals(2, (s[0] >>> 8) & 0xf, "dst kept");
        assertEquals(1, (s[0] >>> 12) & 0xf, "src kept");
    }

    @Test
    void followsCopiesSpillsAndFills() {
        long[] s = new Insns()
                .mov(6, 1)              // 0: r6 = ctx
                .stxdw(10, -16, 6)      // 1: spill
                .movImm(6, 0)           // 2: r6 = 0
                .movImm(1, 0)           // 3: r1 = 0
                .ldxdw(7, 10, -16)      // 4: fill: r7 = ctx
                .ldxw(2, 7, 4)          // 5: ctx->data_end
                .ldxw(3, 2, 4)          // 6: through a packet pointer: not the context
                .movImm(0, 2).exit().build();
        assertEquals(1, CtxRewriter.rewrite(s));
        assertEquals(0x79, code(s[5]));
        assertEquals(8, off(s[5]));
        assertEquals(0x61, code(s[6]));
        assertEquals(4, off(s[6]));
    }

    @Test
    void overwrittenSpillSlotNoLongerHoldsTheContext() {
        long[] s = new Insns().stxdw(10, -8, 1).stdw(10, -8, 0).ldxdw(2, 10, -8).ldxw(0, 2, 0).exit().build();
        assertEquals(0, CtxRewriter.rewrite(s));
    }

    @Test
    void passesTheContextToSubprograms() {
        long[] s = new Insns()
                .raw(0x85, 0, 1, 0, 1)  // 0: call pc+1+1 = 2 (bpf-to-bpf)
                .exit()                 // 1
                .ldxw(0, 1, 0)          // 2: callee reads ctx->data through its r1
                .exit().build();
        assertEquals(1, CtxRewriter.rewrite(s));
        assertEquals(0x79, code(s[2]));
    }

    private static String error(long[] s) {
        return assertThrows(EngineException.class, () -> CtxRewriter.rewrite(s)).getMessage();
    }

    @Test
    void refusesNarrowLoads() {
        String m = error(new Insns().movImm(0, 0).raw(0x71, 2, 1, 0, 0).exit().build());
        assertTrue(m.startsWith("insn 1 ("), m);
        assertTrue(m.contains("off=0 size=1"), m);
    }

    @Test
    void refusesStores() {
        String m = error(new Insns().raw(0x63, 1, 2, 0, 0).movImm(0, 0).exit().build());
        assertTrue(m.startsWith("insn 0 "), m);
        assertTrue(m.contains("writes to the XDP context"), m);
    }

    @Test
    void refusesEgressIfindex() {
        String m = error(new Insns().ldxw(0, 1, 20).exit().build());
        assertTrue(m.contains("egress_ifindex") && m.contains("DEVMAP"), m);
    }

    @Test
    void refusesOffsetsOutsideTheStruct() {
        String m = error(new Insns().ldxw(0, 1, 24).exit().build());
        assertTrue(m.contains("off=24"), m);
    }

    @Test
    void refusesModifiedContextPointers() {
        String m = error(new Insns().addImm(1, 4).ldxw(0, 1, 0).exit().build());
        assertTrue(m.startsWith("insn 1 ") && m.contains("modified context"), m);
    }

    @Test
    void refusesAmbiguousRegisters() {
        long[] s = new Insns()
                .ldxw(2, 1, 0)          // 0
                .ldxw(3, 1, 4)          // 1
                .jgt(2, 3, 1)           // 2: if data > data_end skip the next
                .movImm(1, 0)           // 3: r1 = 0 on one path only
                .ldxw(0, 1, 0)          // 4: r1 is ctx or 0
                .exit().build();
        String m = error(s);
        assertTrue(m.startsWith("insn 4 ") && m.contains("some paths"), m);
    }
}
