package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ffi.bpf.TestRunResult;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The XDP helpers against this machine's kernel: the same tiny program runs through
 * BPF_PROG_TEST_RUN and through jxdp's interpreter engine; return value (0 or -errno as u32) and
 * output bytes (data_meta..data_end) must agree. These pin the edge cases: adjust bounds, the
 * metadata length limit, load/store bounds, and csum_diff's exact result.
 */
class HelperKernelTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] packet(int length, long seed) {
        byte[] p = new byte[length];
        new Random(seed).nextBytes(p);
        return p;
    }

    /** Runs in both and compares; returns jxdp's result for further checks. */
    private static XdpResult compare(long[] slots, byte[] packet, String what) {
        TestRunResult k;
        try (KernelRun kr = new KernelRun(slots)) {
            k = kr.run(packet);
        }
        try (InterpreterXdpEngine e = InterpreterXdpEngine.ofInstructions(slots, Interpreter.Mode.CHECKED)) {
            XdpResult r = e.run(packet, 1);
            assertEquals(Integer.toUnsignedLong(k.retval()), r.action() & 0xffff_ffffL, what + ": return value");
            assertEquals(HEX.formatHex(k.dataOut()), HEX.formatHex(r.output()), what + ": output");
            return r;
        }
    }

    /** r1 = ctx, r2 = offset; call helper; return r0. */
    private static long[] adjust(int helper, int offset) {
        return new Insns().mov(6, 1).movImm(2, offset).call(helper).exit().build();
    }

    static Stream<Arguments> headOffsets() {
        List<Arguments> a = new ArrayList<>();
        for (int len : new int[] {14, 15, 60}) {
            for (int off : new int[] {-300, -217, -216, -215, -200, -20, -1, 0, 1, 2, 45, 46, 47, 100}) {
                a.add(Arguments.of(len, off));
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "adjust_head len {0} offset {1}")
    @MethodSource("headOffsets")
    void adjustHeadMatchesKernel(int len, int offset) {
        compare(adjust(44, offset), packet(len, len * 31L + offset), "adjust_head(" + offset + ") on " + len);
    }

    static Stream<Arguments> metaOffsets() {
        return IntStream.of(0, 4, -1, -2, -4, -6, -8, -28, -32, -36, -40, -64, -128, -212, -216, -220, -256, 4)
                .mapToObj(Arguments::of);
    }

    @ParameterizedTest(name = "adjust_meta offset {0}")
    @MethodSource("metaOffsets")
    void adjustMetaMatchesKernel(int offset) {
        long[] prog = adjust(54, offset);
        byte[] packet = packet(60, 7 + offset);
        String refused = KernelRun.refusal(prog);
        if (refused == null) {
            compare(prog, packet, "adjust_meta(" + offset + ")");
            return;
        }
        // The kernel of this machine kind refuses helper 54 for XDP (since 2026-12: "program of this
        // type cannot use helper bpf_xdp_adjust_meta#54"), so it cannot be asked. jxdp is then held to
        // the kernel's code, bpf_xdp_adjust_meta() in net/core/filter.c, modelled below.
        assertTrue(refused.contains("cannot use helper bpf_xdp_adjust_meta#54"), refused);
        try (InterpreterXdpEngine e = InterpreterXdpEngine.ofInstructions(prog, Interpreter.Mode.CHECKED)) {
            XdpResult r = e.run(packet, 1);
            int want = kernelAdjustMeta(offset);
            assertEquals(Integer.toUnsignedLong(want), r.action() & 0xffff_ffffL, "adjust_meta(" + offset + "): return value");
            byte[] out = new byte[(want == 0 ? -offset : 0) + packet.length]; // test-run output starts at data_meta
            System.arraycopy(packet, 0, out, out.length - packet.length, packet.length);
            assertEquals(HEX.formatHex(out), HEX.formatHex(r.output()), "adjust_meta(" + offset + "): output");
        }
    }

    /**
     * bpf_xdp_adjust_meta(xdp, offset) as the kernel computes it on a test-run buffer (data_meta ==
     * data, 256 bytes of headroom, zeroed): meta = data_meta + offset must stay within
     * [data_hard_start + sizeof(struct xdp_frame), data] (-EINVAL), and the metadata length must be a
     * multiple of 4 and fit skb_shared_info's u8 meta_len (xdp_metalen_invalid: -EACCES).
     */
    static int kernelAdjustMeta(int offset) {
        final int headroom = 256;
        final int xdpFrameSize = 40; // sizeof(struct xdp_frame) on x86-64
        long metalen = -(long) offset;
        if (metalen < 0 || metalen > headroom - xdpFrameSize) {
            return -22; // EINVAL
        }
        if ((metalen & 3) != 0 || metalen > 255) {
            return -13; // EACCES
        }
        return 0;
    }

    static Stream<Arguments> tailOffsets() {
        List<Arguments> a = new ArrayList<>();
        for (int len : new int[] {14, 60, 3520}) {
            for (int off : new int[] {-100, -47, -46, -45, -1, 0, 1, 8, 64, 3460, 3461, 3506, 3507}) {
                a.add(Arguments.of(len, off));
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "adjust_tail len {0} offset {1}")
    @MethodSource("tailOffsets")
    void adjustTailMatchesKernel(int len, int offset) {
        compare(adjust(65, offset), packet(len, len * 17L + offset), "adjust_tail(" + offset + ") on " + len);
    }

    /** Fills the stack buffer r10-64..r10 with a pattern, then load/store_bytes(ctx, off, r10-64, len). */
    private static long[] bytes(int helper, int offset, int len) {
        Insns i = new Insns().mov(6, 1);
        for (int k = 1; k <= 8; k++) {
            i.stdw(10, -8 * k, 0x11111111 * k);
        }
        i.mov(1, 6).movImm(2, offset).mov(3, 10).addImm(3, -64).movImm(4, len).call(helper);
        i.raw(0x55, 0, 0, 2, 0); // if r0 != 0 goto exit
        i.ldxdw(0, 10, -64).raw(0x77, 0, 0, 0, 8); // r0 = first loaded bytes >> 8 (still distinct from -errno)
        return i.exit().build();
    }

    static Stream<Arguments> byteRanges() {
        List<Arguments> a = new ArrayList<>();
        for (int helper : new int[] {189, 190}) {
            for (int[] ol : new int[][] {{0, 1}, {0, 60}, {59, 1}, {60, 1}, {58, 4}, {30, 64}, {0x10000, 4},
                    {0xffff, 1}, {-1, 4}, {12, 8}}) {
                a.add(Arguments.of(helper, ol[0], ol[1]));
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "helper {0} offset {1} len {2}")
    @MethodSource("byteRanges")
    void loadStoreBytesMatchKernel(int helper, int offset, int len) {
        compare(bytes(helper, offset, len), packet(60, offset * 7L + len), "helper " + helper + " (" + offset + ", "
                + len + ")");
    }

    static Stream<Arguments> csumCases() {
        Random r = new Random(20261122);
        List<Arguments> a = new ArrayList<>();
        int[] sizes = {0, 1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 20, 31, 32};
        for (int i = 0; i < 40; i++) {
            a.add(Arguments.of(sizes[r.nextInt(sizes.length)], sizes[r.nextInt(sizes.length)], r.nextInt(),
                    r.nextLong()));
        }
        a.add(Arguments.of(0, 0, 0x12345678, 1L));
        a.add(Arguments.of(2, 4, 0, 2L)); // sizes need not be multiples of 4 since kernel 6.12
        a.add(Arguments.of(0, 0, 0, 3L));
        a.add(Arguments.of(32, 0, 0, 5L));
        a.add(Arguments.of(32, 32, -1, 4L));
        return a.stream();
    }

    @ParameterizedTest(name = "csum_diff from {0} to {1} seed {2}")
    @MethodSource("csumCases")
    void csumDiffMatchesKernel(int fromSize, int toSize, int seed, long packetSeed) {
        Insns i = new Insns().mov(6, 1).ldxw(2, 6, 0).ldxw(3, 6, 4).mov(4, 2).addImm(4, 64);
        i.jgt(4, 3, 8); // packet shorter than 64: return 0xdead
        i.mov(1, 2).mov(3, 2).addImm(3, 32).movImm(2, fromSize).movImm(4, toSize).mov32Imm(5, seed).call(28).exit();
        i.movImm(0, 0xdead).exit();
        compare(i.build(), packet(64, packetSeed), "csum_diff");
    }

    // ---- multi-buffer frames: the test run puts bytes beyond 3520 into page-sized fragments

    static IntStream bigLengths() {
        return IntStream.of(3520, 3521, 4000, 7616, 7617, 9000, 3520 + 17 * 4096);
    }

    @ParameterizedTest(name = "buff_len of {0} bytes")
    @MethodSource("bigLengths")
    void buffLenAndOutputOfMultiBufferFramesMatchTheKernel(int len) {
        long[] prog = new Insns().mov(6, 1).call(188).exit().build();
        assertEquals(len, compare(prog, packet(len, len), "buff_len").action());
    }

    @org.junit.jupiter.api.Test
    void framesBeyondSeventeenFragmentsAreRefusedLikeTheKernel() {
        long[] prog = new Insns().movImm(0, 2).exit().build();
        byte[] p = new byte[3520 + 17 * 4096 + 1];
        try (KernelRun kr = new KernelRun(prog)) {
            RuntimeException ke = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> kr.run(p));
            org.junit.jupiter.api.Assertions.assertTrue(ke.getMessage().contains("ENOMEM"), ke.getMessage());
        }
        try (InterpreterXdpEngine e = InterpreterXdpEngine.ofInstructions(prog, Interpreter.Mode.CHECKED)) {
            EngineException ex = org.junit.jupiter.api.Assertions.assertThrows(EngineException.class, () -> e.run(p, 1));
            org.junit.jupiter.api.Assertions.assertTrue(ex.getMessage().startsWith("ENOMEM"), ex.getMessage());
        }
    }

    static Stream<Arguments> fragBytes() {
        List<Arguments> a = new ArrayList<>();
        for (int helper : new int[] {189, 190}) {
            for (int[] ol : new int[][] {{3500, 64}, {3520, 8}, {3519, 2}, {7600, 40}, {7616, 1}, {8990, 10},
                    {8990, 11}, {8999, 1}}) {
                a.add(Arguments.of(helper, ol[0], ol[1]));
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "helper {0} offset {1} len {2} on 9000 bytes")
    @MethodSource("fragBytes")
    void loadStoreBytesAcrossFragmentsMatchTheKernel(int helper, int offset, int len) {
        compare(bytes(helper, offset, len), packet(9000, offset + len), "helper " + helper + " (" + offset + ", "
                + len + ")");
    }

    static IntStream fragTailOffsets() {
        // 9000 bytes: linear 3520, fragments 4096 + 1384 (tailroom 2712 in the last page)
        return IntStream.of(-1, -100, -1384, -1385, -600, -5480, -5481, -8986, -8987, 1, 100, 2712, 2713, 4000);
    }

    @ParameterizedTest(name = "adjust_tail {0} on 9000 bytes")
    @MethodSource("fragTailOffsets")
    void adjustTailOfMultiBufferFramesMatchesTheKernel(int offset) {
        // adjust the tail, then return xdp_get_buff_len (or the error)
        long[] prog = new Insns().mov(6, 1).movImm(2, offset).call(65).raw(0x55, 0, 0, 2, 0).mov(1, 6).call(188)
                .exit().build();
        compare(prog, packet(9000, offset), "adjust_tail(" + offset + ") with fragments");
    }

    @ParameterizedTest(name = "xdp_md field at {0}")
    @MethodSource("ctxFields")
    void contextFieldsMatchTheKernel(int mdOffset) {
        long[] prog = new Insns().ldxw(0, 1, mdOffset).exit().build();
        compare(prog, packet(60, mdOffset), "ctx field " + mdOffset);
    }

    static IntStream ctxFields() {
        return IntStream.of(12, 16);
    }

    @org.junit.jupiter.api.Test
    void pointerFieldsSpanThePacket() {
        // r0 = data_end - data + (data_meta == data ? 1000 : 0)
        long[] prog = new Insns().ldxw(2, 1, 0).ldxw(3, 1, 4).ldxw(4, 1, 8).mov(0, 3).raw(0x1f, 0, 2, 0, 0)
                .raw(0x5d, 2, 4, 1, 0).addImm(0, 1000).exit().build();
        assertEquals(1060, compare(prog, packet(60, 1), "pointers").action());
    }

    @ParameterizedTest(name = "repeat {0}")
    @MethodSource("repeats")
    void repeatRunsOverTheSameFrameAsTheKernel(int repeat) {
        long[] prog = adjust(44, -4); // each run pushes 4 more bytes of headroom into the packet
        byte[] p = packet(40, repeat);
        TestRunResult k;
        try (KernelRun kr = new KernelRun(prog)) {
            k = kr.run(p, repeat);
        }
        try (InterpreterXdpEngine e = InterpreterXdpEngine.ofInstructions(prog, Interpreter.Mode.CHECKED)) {
            XdpResult r = e.run(p, repeat);
            assertEquals(HEX.formatHex(k.dataOut()), HEX.formatHex(r.output()));
            assertEquals(40 + 4 * repeat, r.output().length);
        }
    }

    static IntStream repeats() {
        return IntStream.of(1, 2, 5);
    }

    @ParameterizedTest(name = "frames under 14 bytes: {0}")
    @MethodSource("shortLengths")
    void shortFramesAreRefusedLikeTheKernel(int len) {
        long[] prog = new Insns().movImm(0, 2).exit().build();
        try (KernelRun kr = new KernelRun(prog)) {
            io.jxdp.ffi.sys.NativeException ke = org.junit.jupiter.api.Assertions.assertThrows(
                    io.jxdp.ffi.sys.NativeException.class, () -> kr.run(new byte[len]));
            assertEquals(true, ke.getMessage().contains("EINVAL") || ke.getMessage().contains("22"), ke.getMessage());
        }
        try (InterpreterXdpEngine e = InterpreterXdpEngine.ofInstructions(prog, Interpreter.Mode.CHECKED)) {
            EngineException ex = org.junit.jupiter.api.Assertions.assertThrows(EngineException.class,
                    () -> e.run(new byte[len], 1));
            assertEquals(true, ex.getMessage().startsWith("EINVAL"), ex.getMessage());
        }
    }

    static IntStream shortLengths() {
        return IntStream.of(0, 1, 13);
    }
}
