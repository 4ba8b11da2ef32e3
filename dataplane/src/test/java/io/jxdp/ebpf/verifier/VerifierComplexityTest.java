package io.jxdp.ebpf.verifier;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.asm.Assembler;
import io.jxdp.ebpf.isa.Program;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The verifier's work stays linear where the kernel's does: a Katran-sized parser and chains of
 * diamonds are pruned, not enumerated, and the complexity limit ends a run with a clear error.
 * Its speed against the kernel's BPF_PROG_LOAD is measured by perf's {@code VerifierBenchmark}.
 */
class VerifierComplexityTest {

    /**
     * A parser of {@code blocks} header checks, each a bounds check, a load, a diamond writing a
     * register that dies at the join, and a stack store: the shape of Katran's parsing code.
     */
    static String syntheticParser(int blocks) {
        StringBuilder sb = new StringBuilder();
        sb.append("mov %r6, %r1\nldxw %r2, [%r1+4]\nldxw %r1, [%r1+0]\nmov %r0, 2\n");
        for (int i = 0; i < blocks; i++) {
            int off = i % 56;
            sb.append("mov %r3, %r1\nadd %r3, ").append(off + 8).append('\n');
            sb.append("jgt %r3, %r2, out\n");
            sb.append("ldxb %r4, [%r1+").append(off).append("]\n");
            sb.append("jeq %r4, ").append(i & 0xff).append(", j").append(i).append('\n');
            sb.append("mov %r5, ").append(i).append('\n');
            sb.append("ldxh %r7, [%r1+").append(off + 2).append("]\n");
            sb.append("stxw [%r10-").append(4 + 4 * (i % 16)).append("], %r7\n");
            sb.append("ja k").append(i).append('\n');
            sb.append('j').append(i).append(":\n");
            sb.append("mov %r5, ").append(i + 1).append('\n');
            sb.append("stw [%r10-").append(4 + 4 * (i % 16)).append("], ").append(i).append('\n');
            sb.append('k').append(i).append(":\n");
            sb.append("add %r0, 0\n");
        }
        sb.append("and %r0, 3\nout:\nexit\n");
        return sb.toString();
    }

    @Test
    void katranSizedProgramIsVerifiedInLinearWork() {
        Program p = Assembler.assemble(syntheticParser(200));
        assertTrue(p.length() >= 2400, "synthetic program has " + p.length() + " insns");
        VerificationResult r = Verifier.verify(p, List.of(), VerifierOptions.privileged().withLogLevel(0));
        assertTrue(r.accepted(), () -> r.error().orElseThrow().format());
        assertTrue(r.processedInsns() < 2L * p.length(), "processed " + r.processedInsns() + " for " + p.length());
    }

    @Test
    void diamondsArePrunedNotEnumerated() {
        // 40 diamonds in a row: 2^40 paths, but each join is reached with an equal live state
        Program p = Assembler.assemble(syntheticParser(40));
        VerificationResult r = Verifier.verify(p, List.of(), VerifierOptions.privileged());
        assertTrue(r.accepted());
        assertTrue(r.processedInsns() < 4L * p.length(), "processed " + r.processedInsns() + " for " + p.length());
    }

    /** Diamonds that each set a flag bit in r8, which is finally stored into a map value. */
    static String flagDiamonds(int n) {
        StringBuilder sb = new StringBuilder();
        sb.append("ldmapval %r9, 0, 0\nldxw %r2, [%r1+4]\nldxw %r1, [%r1+0]\nmov %r8, 0\nmov %r0, 2\n");
        sb.append("mov %r3, %r1\nadd %r3, 64\njgt %r3, %r2, out\n");
        for (int i = 0; i < n; i++) {
            sb.append("ldxb %r4, [%r1+").append(i % 64).append("]\n");
            sb.append("jne %r4, ").append(i).append(", s").append(i).append('\n');
            sb.append("or %r8, ").append(1 << (i % 30)).append('\n');
            sb.append('s').append(i).append(":\n");
        }
        sb.append("stxdw [%r9+0], %r8\nout:\nexit\n");
        return sb.toString();
    }

    @Test
    void flagsThatOnlyReachAMapArePrunedLikeTheKernelsImpreciseScalars() {
        String src = flagDiamonds(60);
        // reuse the case syntax for the map reference
        VerifierCase c = VerifierCase.parse("perf", "### flags\n# expect: accept\n# maps: array:4:8:1\n" + src).get(0);
        VerificationResult r = c.verify();
        assertTrue(r.accepted(), () -> r.error().orElseThrow().format());
        assertTrue(r.processedInsns() < 4L * c.program().length(), "processed " + r.processedInsns() + " for "
                + c.program().length() + " insns: the 2^60 flag combinations were not pruned");
        assertTrue(c.kernelVerdict() == null, "the kernel rejects the flag program");
    }

    @Test
    void complexityLimitEndsWithAClearError() {
        Program p = Assembler.assemble("mov %r0, 0\nl:\nadd %r0, 1\nja l\n");
        VerificationResult r = Verifier.verify(p, List.of(), VerifierOptions.privileged().withComplexityLimit(10_000));
        assertFalse(r.accepted());
        String msg = r.error().orElseThrow().message();
        assertTrue(msg.contains("too complex") && msg.contains("processed 10000 insns") && msg.contains("limit is 10000"),
                msg);
    }
}
