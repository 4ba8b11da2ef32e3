package io.jxdp.ebpf.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jxdp.ebpf.engine.Parity;
import io.jxdp.ebpf.engine.XdpAction;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.ProgramSpec;
import io.jxdp.ebpf.xdp.Engines;
import io.jxdp.ffi.bpf.BpfFlags;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A {@code SEC("xdp.frags")} program run, not only parsed: {@code xdp_loop} of the
 * {@code elf/subprogs.o} fixture (a bpf_loop callback summing 0..9) loads into the kernel with
 * BPF_F_XDP_HAS_FRAGS, as libbpf loads that section, and runs in jxdp and in the kernel over linear
 * and multi-buffer frames with {@link Parity#compare} after every frame.
 */
class XdpFragsParityTest {
    static BpfObject subprogs() throws Exception {
        return KernelXdpEngineTest.fixture("/elf/subprogs.o");
    }

    @Test
    void fragsSectionLoadsWithHasFragsAndOthersWithout() throws Exception {
        BpfObject o = subprogs();
        ProgramSpec loop = o.program("xdp_loop").orElseThrow();
        ProgramSpec first = o.program("xdp_first").orElseThrow();
        assertEquals(BpfFlags.BPF_F_XDP_HAS_FRAGS,
                KernelXdpEngine.progLoadAttr(o, loop, loop.instructions()).progFlags(), "xdp.frags");
        assertEquals(0, KernelXdpEngine.progLoadAttr(o, first, first.instructions()).progFlags(), "xdp");
    }

    /** Linear frames, frames that spill into page fragments, the most fragments and one more. */
    static List<byte[]> frames() {
        List<byte[]> f = new ArrayList<>();
        for (int len : new int[] {14, 60, 1500, 3520, 3521, 4096, 9000, 3520 + 17 * 4096, 3520 + 17 * 4096 + 1, 13}) {
            f.add(KernelXdpEngineTest.frame(len, len));
        }
        return f;
    }

    @ParameterizedTest(name = "{0} vs kernel")
    @ValueSource(strings = {"interp", "jit"})
    void fragsProgramMatchesTheKernel(String engine) throws Exception {
        BpfObject o = subprogs();
        List<byte[]> frames = frames();
        try (XdpEngine jxdp = Engines.create(engine, o, "xdp_loop");
                XdpEngine kernel = KernelXdpEngine.load(o, "xdp_loop")) {
            Parity.Report r = Parity.compare(jxdp, kernel, frames, Parity.Exclusions.NONE);
            assertEquals(0, r.failed(), r.text());
            assertEquals(frames.size(), r.passed(), r.text());
            byte[] jumbo = KernelXdpEngineTest.frame(9000, 1);
            assertEquals(XdpAction.PASS, kernel.run(jumbo, 1).action(), "the kernel: bpf_loop summed 45");
            assertEquals(XdpAction.PASS, jxdp.run(jumbo, 1).action(), engine);
            assertEquals(9000, jxdp.run(jumbo, 1).output().length);
        }
    }
}
