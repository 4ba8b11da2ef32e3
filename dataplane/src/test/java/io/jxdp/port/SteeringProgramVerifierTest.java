package io.jxdp.port;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.isa.Program;
import io.jxdp.ebpf.verifier.InsnFact;
import io.jxdp.ebpf.verifier.MapInfo;
import io.jxdp.ebpf.verifier.VerificationResult;
import io.jxdp.ebpf.verifier.Verifier;
import io.jxdp.ebpf.verifier.VerifierError;
import io.jxdp.ebpf.verifier.VerifierOptions;
import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.MapCreateAttr;
import io.jxdp.ffi.bpf.MapType;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import io.jxdp.ffi.bpf.ProgLoadResult;
import io.jxdp.ffi.xdp.XskRedirect;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 7's in-kernel programs go through jxdp's own verifier as well as the kernel's: the
 * steering program (filtered and unfiltered, exactly as {@link SteeringProgram#load} assembles
 * it) and {@link XskRedirect}'s redirect program. Map loads refer to map indexes for jxdp and to
 * real map fds for the kernel; both must accept, and both processed counts are printed.
 */
class SteeringProgramVerifierTest {
    static final MapInfo STEER = new MapInfo(MapType.BPF_MAP_TYPE_HASH, SteeringProgram.KEY_SIZE,
            SteeringProgram.VALUE_SIZE, 64, 0);
    static final MapInfo XSKS = new MapInfo(MapType.BPF_MAP_TYPE_XSKMAP, 4, 4, 4, 0);

    @ParameterizedTest(name = "filtered={0}")
    @ValueSource(booleans = {true, false})
    void steeringProgramPassesJxdpAndTheKernel(boolean filtered) {
        List<MapInfo> maps = filtered ? List.of(STEER, XSKS) : List.of(XSKS);
        Program p = SteeringProgram.assemble(filtered, 0, filtered ? 1 : 0);
        VerificationResult r = verify("steering(filtered=" + filtered + ")", p, maps);
        if (filtered) {
            // the filter's packet loads are proven in range; the steering-map lookup's result is NULL-checked
            long packetLoads = r.facts().stream().filter(f -> f.region() == InsnFact.Region.PACKET).count();
            assertTrue(packetLoads >= 5, "packet loads proven: " + packetLoads);
        }

        int xsk = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_XSKMAP, 4, 4, 4));
        int steer = filtered ? Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_HASH, SteeringProgram.KEY_SIZE,
                SteeringProgram.VALUE_SIZE, 64)) : -1;
        try {
            long kernel = kernelProcessed(SteeringProgram.assemble(filtered, steer, xsk).slots());
            System.out.printf("steering(filtered=%s): %d insns, jxdp processed %d, kernel processed %d%n", filtered,
                    p.length(), r.processedInsns(), kernel);
        } finally {
            Bpf.close(xsk);
            if (steer >= 0) {
                Bpf.close(steer);
            }
        }
    }

    @Test
    void xskRedirectProgramPassesJxdpAndTheKernel() {
        VerificationResult r = verify("xsk_redirect", Program.ofSlots(XskRedirect.program(0)), List.of(XSKS));
        assertEquals(5, r.processedInsns(), "5 instructions, the two-slot lddw counted once");
        int xsk = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_XSKMAP, 4, 4, 4));
        try {
            long kernel = kernelProcessed(XskRedirect.program(xsk));
            assertEquals(r.processedInsns(), kernel, "a straight-line program: both count every instruction once");
        } finally {
            Bpf.close(xsk);
        }
    }

    private static VerificationResult verify(String what, Program p, List<MapInfo> maps) {
        VerificationResult r = Verifier.verify(p, maps, VerifierOptions.privileged());
        assertTrue(r.accepted(), () -> what + ": " + r.error().map(VerifierError::format).orElse(""));
        for (int pc = 0; pc < p.length(); pc += p.insn(pc).op().slots()) {
            assertTrue(r.fact(pc).visited(), what + ": insn " + pc + " is never reached");
        }
        return r;
    }

    private static long kernelProcessed(long[] slots) {
        ProgLoadResult k = Bpf.progLoadWithLog(ProgLoadAttr.xdp(slots).withName("jxdp_vtest").withLog(1, 0));
        Bpf.close(k.fd());
        return k.processedInsns().orElseThrow(() -> new AssertionError("no processed count in " + k.log()));
    }
}
