package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.jxdp.ebpf.interp.Interpreter;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What one run leaves behind is gone at the next, on the workers' path ({@code runInPlace}): the
 * engines reset per-run state only when a run changed it (redirect, tail calls: CallContext.clearRun;
 * the headroom: XdpContext.reset), so these runs change it and the next ones must not see it.
 */
class RunStateTest {
    private static final HexFormat HEX = HexFormat.of();

    private static LinkedXdpEngine engine(String kind, long[] prog) {
        return kind.equals("jit") ? JitXdpEngine.ofInstructions(prog)
                : InterpreterXdpEngine.ofInstructions(prog, Interpreter.Mode.CHECKED);
    }

    private static byte[] frame(int first) {
        byte[] f = new byte[60];
        Arrays.fill(f, (byte) 0x11);
        f[0] = (byte) first;
        return f;
    }

    private static byte[] output(LinkedXdpEngine e) {
        byte[] out = new byte[e.outputLength()];
        e.output(out);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"interp", "jit"})
    void aRunAfterARedirectRecordsNone(String kind) {
        // r0 = XDP_PASS; if data[0] == 1: r0 = bpf_redirect(7, 0)
        long[] prog = new Insns().ldxw(2, 1, 0).ldxw(3, 1, 4).mov(4, 2).addImm(4, 1).movImm(0, 2)
                .jgt(4, 3, 5).raw(0x71, 5, 2, 0, 0).raw(0x55, 5, 0, 3, 1).movImm(1, 7).movImm(2, 0).call(23)
                .exit().build();
        try (LinkedXdpEngine e = engine(kind, prog)) {
            for (int round = 0; round < 3; round++) {
                assertEquals(4, e.runInPlace(frame(1), 60), "XDP_REDIRECT");
                assertEquals("IFINDEX", e.redirectKind());
                assertEquals(7, e.redirectTarget());
                assertEquals(2, e.runInPlace(frame(0), 60), "XDP_PASS");
                assertEquals("NONE", e.redirectKind(), "round " + round + ": the redirect of the run before is cleared");
                assertEquals(0, e.redirectTarget());
                assertNull(e.redirectMap());
                assertEquals(0, e.redirectFlags());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"interp", "jit"})
    void headroomAFrameWroteReadsAsZerosForTheNext(String kind) {
        // adjust_head(ctx, -8); if the old first byte (now data[8]) is 1: *(u64 *)data = 0x5a5a5a5a
        long[] prog = new Insns().mov(6, 1).movImm(2, -8).call(44).ldxw(2, 6, 0).ldxw(3, 6, 4).mov(4, 2)
                .addImm(4, 9).jgt(4, 3, 3).raw(0x71, 5, 2, 8, 0).raw(0x55, 5, 0, 1, 1).stdw(2, 0, 0x5a5a5a5a)
                .movImm(0, 2).exit().build();
        try (LinkedXdpEngine e = engine(kind, prog)) {
            for (int round = 0; round < 3; round++) {
                assertEquals(2, e.runInPlace(frame(1), 60));
                assertEquals("5a5a5a5a00000000" + HEX.formatHex(frame(1)), HEX.formatHex(output(e)));
                assertEquals(2, e.runInPlace(frame(0), 60));
                assertEquals("0000000000000000" + HEX.formatHex(frame(0)), HEX.formatHex(output(e)),
                        "round " + round + ": the headroom the frame before wrote is zeroed again");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"interp", "jit"})
    void aRunThatLeftTheHeadroomAloneKeepsItZero(String kind) {
        // frames that never move data: then one that pushes 8 bytes of headroom, which must read as zeros
        long[] pass = new Insns().movImm(0, 2).exit().build();
        try (LinkedXdpEngine e = engine(kind, pass)) {
            for (int i = 0; i < 3; i++) {
                assertEquals(2, e.runInPlace(frame(i), 60));
                assertEquals(HEX.formatHex(frame(i)), HEX.formatHex(output(e)));
            }
        }
        long[] push = new Insns().mov(6, 1).movImm(2, -8).call(44).movImm(0, 2).exit().build();
        try (LinkedXdpEngine e = engine(kind, push)) {
            for (int i = 0; i < 3; i++) {
                assertEquals(2, e.runInPlace(frame(i), 60));
                assertEquals("0000000000000000" + HEX.formatHex(frame(i)), HEX.formatHex(output(e)));
            }
        }
    }
}
