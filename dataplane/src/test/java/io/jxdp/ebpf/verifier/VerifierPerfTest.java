package io.jxdp.ebpf.verifier;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.asm.Assembler;
import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.loader.MapReloc;
import io.jxdp.ebpf.loader.MapSpec;
import io.jxdp.ebpf.loader.ProgramSpec;
import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.MapCreateAttr;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Verification time: the largest corpus program and a Katran-sized synthetic parser, each against
 * this kernel's BPF_PROG_LOAD time for the same instructions (medians after warm-up). The numbers
 * go to stdout and target/verifier-perf.txt for perf/RESULTS.md. Also: pruning keeps diamonds
 * linear, and the complexity limit ends a run with a clear error.
 */
class VerifierPerfTest {
    private static final List<String> REPORT = new ArrayList<>();

    private static long medianNanos(int warmup, int runs, LongSupplier run) {
        for (int i = 0; i < warmup; i++) {
            run.getAsLong();
        }
        long[] t = new long[runs];
        for (int i = 0; i < runs; i++) {
            t[i] = run.getAsLong();
        }
        Arrays.sort(t);
        return t[runs / 2];
    }

    private static long kernelLoadNanos(long[] slots, String license) {
        long t0 = System.nanoTime();
        int fd = Bpf.progLoad(ProgLoadAttr.xdp(slots).withLicense(license));
        long dt = System.nanoTime() - t0;
        Bpf.close(fd);
        return dt;
    }

    private static void report(String line) throws IOException {
        System.out.println(line);
        REPORT.add(line);
        Path p = Path.of("target", "verifier-perf.txt");
        Files.createDirectories(p.getParent());
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(p))) {
            REPORT.forEach(w::println);
        }
    }

    @Test
    void largestCorpusProgramAgainstTheKernel() throws Exception {
        ProgramSpec best = null;
        BpfObject bestObj = null;
        long bestProcessed = -1;
        try (Stream<Path> files = Files.list(ProgramCorpusTest.OBJ)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".o")).sorted().toList()) {
                BpfObject obj = BpfObjectLoader.load(f);
                List<MapInfo> maps = obj.maps().stream().map(MapInfo::of).toList();
                for (ProgramSpec p : obj.programs()) {
                    long n = Verifier.verify(p, maps, VerifierOptions.privileged()).processedInsns();
                    if (n > bestProcessed) {
                        bestProcessed = n;
                        best = p;
                        bestObj = obj;
                    }
                }
            }
        }
        measureAgainstKernel("largest corpus program", bestObj, best);
    }

    @Test
    void clangBuiltKatranLikeLoadBalancerAgainstTheKernel() throws Exception {
        BpfObject obj = BpfObjectLoader.load(ClangProgramsTest.DIR.resolve("lb_katran.o"));
        ProgramSpec prog = obj.program("xdp_lb").orElseThrow();
        assertTrue(prog.instructionCount() >= 1400, "lb_katran has " + prog.instructionCount() + " insns");
        measureAgainstKernel("clang-built Katran-like load balancer", obj, prog);
    }

    /** jxdp's median verify time against the kernel's median BPF_PROG_LOAD time, with real maps. */
    private static void measureAgainstKernel(String what, BpfObject bestObj, ProgramSpec prog) throws IOException {
        List<MapInfo> maps = bestObj.maps().stream().map(MapInfo::of).toList();
        VerificationResult r = Verifier.verify(prog, maps, VerifierOptions.privileged().withLogLevel(0));
        assertTrue(r.accepted());
        long jxdp = medianNanos(20, 21, () -> Verifier.verify(prog, maps, VerifierOptions.privileged().withLogLevel(0))
                .verifyNanos());
        List<Integer> fds = new ArrayList<>();
        try {
            for (MapSpec m : bestObj.maps()) {
                MapInfo i = MapInfo.of(m);
                fds.add(Bpf.mapCreate(MapCreateAttr.of(i.type(), i.keySize(), i.valueSize(), Math.max(1, i.maxEntries()))
                        .withFlags(i.flags())));
            }
            long[] slots = prog.instructions();
            for (MapReloc rel : prog.mapRelocs()) {
                Insn in = Insn.decode(slots[rel.insnIndex()]);
                slots[rel.insnIndex()] = new Insn(in.code(), in.dst(), in.src(), in.off(), fds.get(rel.mapIndex())).encode();
            }
            String license = bestObj.license().isEmpty() ? "GPL" : bestObj.license();
            long kernel = medianNanos(2, 9, () -> kernelLoadNanos(slots, license));
            report(String.format("%s %s (%d insns): jxdp verify %.3f ms, %d insns processed,"
                    + " %d states; kernel BPF_PROG_LOAD %.3f ms (medians)", what, prog.name(), prog.instructionCount(),
                    jxdp / 1e6, r.processedInsns(), r.totalStates(), kernel / 1e6));
        } finally {
            fds.forEach(Bpf::close);
        }
        assertTrue(jxdp < 1_000_000_000L, "verification took " + jxdp / 1e6 + " ms");
    }

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
    void katranSizedProgramVerifiesInUnderASecond() throws IOException {
        Program p = Assembler.assemble(syntheticParser(200));
        assertTrue(p.length() >= 2400, "synthetic program has " + p.length() + " insns");
        VerificationResult r = Verifier.verify(p, List.of(), VerifierOptions.privileged().withLogLevel(0));
        assertTrue(r.accepted(), () -> r.error().orElseThrow().format());
        long jxdp = medianNanos(5, 9, () -> Verifier.verify(p, List.of(), VerifierOptions.privileged().withLogLevel(0))
                .verifyNanos());
        long[] slots = p.slots();
        long kernel = medianNanos(1, 5, () -> kernelLoadNanos(slots, "GPL"));
        report(String.format("synthetic Katran-sized parser (%d insns): jxdp verify %.3f ms, %d insns processed,"
                + " %d states; kernel BPF_PROG_LOAD %.3f ms (medians)", p.length(), jxdp / 1e6, r.processedInsns(),
                r.totalStates(), kernel / 1e6));
        assertTrue(jxdp < 1_000_000_000L, "verification took " + jxdp / 1e6 + " ms");
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
