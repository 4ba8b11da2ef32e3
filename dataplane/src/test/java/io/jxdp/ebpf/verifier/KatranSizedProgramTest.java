package io.jxdp.ebpf.verifier;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.loader.MapReloc;
import io.jxdp.ebpf.loader.ProgramSpec;
import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.MapCreateAttr;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import io.jxdp.ffi.bpf.ProgLoadResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 5's yardstick, "a Katran-sized load balancer (about 2,400 instructions, about 70,000
 * instructions processed in the kernel)": the clang-built {@code lb_katran_full.o} is accepted by
 * jxdp's verifier and by this machine's kernel (BPF_PROG_LOAD at log level 1 through jxdp's
 * bpf(2) binding, with real maps), and both processed-instruction counts are printed and written
 * to target/verifier-katran.txt. Its verification time is measured by perf's VerifierBenchmark,
 * not here.
 */
class KatranSizedProgramTest {
    static final Path OBJECT = ClangProgramsTest.DIR.resolve("lb_katran_full.o");

    @Test
    void jxdpAndTheKernelAcceptTheKatranSizedBalancer() throws Exception {
        BpfObject obj = BpfObjectLoader.load(OBJECT);
        ProgramSpec prog = obj.program("balancer_ingress").orElseThrow();
        List<MapInfo> maps = obj.maps().stream().map(MapInfo::of).toList();
        int insns = prog.instructionCount();
        assertTrue(insns >= 2_200 && insns <= 3_000, "a Katran-sized program has about 2,400 insns, this one " + insns);

        VerificationResult r = Verifier.verify(prog, maps, VerifierOptions.privileged());
        assertTrue(r.accepted(), () -> "jxdp rejects " + OBJECT + ": " + r.error().orElseThrow().format());

        long kernel = kernelProcessed(prog, maps);
        assertTrue(kernel >= 50_000, "the kernel processed " + kernel + " insns; the yardstick is about 70,000");

        String line = String.format("%s:%s insns=%d jxdp_processed=%d jxdp_states=%d jxdp_peak_states=%d"
                + " kernel_processed=%d (%s)%n", OBJECT.getFileName(), prog.name(), insns, r.processedInsns(),
                r.totalStates(), r.peakStates(), kernel, System.getProperty("os.version"));
        System.out.print(line);
        Files.writeString(Path.of("target", "verifier-katran.txt"), line);
    }

    /** Loads {@code prog} into the kernel with maps created from {@code maps}; the kernel's processed count. */
    static long kernelProcessed(ProgramSpec prog, List<MapInfo> maps) {
        List<Integer> fds = new ArrayList<>();
        try {
            for (MapInfo m : maps) {
                fds.add(Bpf.mapCreate(MapCreateAttr.of(m.type(), m.keySize(), m.valueSize(), Math.max(1, m.maxEntries()))
                        .withFlags(m.flags())));
            }
            long[] slots = prog.instructions();
            for (MapReloc rel : prog.mapRelocs()) {
                Insn in = Insn.decode(slots[rel.insnIndex()]);
                slots[rel.insnIndex()] = new Insn(in.code(), in.dst(), in.src(), in.off(), fds.get(rel.mapIndex())).encode();
            }
            ProgLoadResult k = Bpf.progLoadWithLog(ProgLoadAttr.xdp(slots).withLicense("GPL").withLog(1, 0));
            Bpf.close(k.fd());
            return k.processedInsns().orElseThrow(() -> new AssertionError("no 'processed N insns' in the kernel's log:\n"
                    + k.log()));
        } finally {
            fds.forEach(Bpf::close);
        }
    }
}
