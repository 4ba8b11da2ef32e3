package io.jxdp.perf;

import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.loader.MapReloc;
import io.jxdp.ebpf.loader.MapSpec;
import io.jxdp.ebpf.loader.ProgramSpec;
import io.jxdp.ebpf.verifier.MapInfo;
import io.jxdp.ebpf.verifier.VerificationResult;
import io.jxdp.ebpf.verifier.Verifier;
import io.jxdp.ebpf.verifier.VerifierOptions;
import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.MapCreateAttr;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import io.jxdp.ffi.bpf.ProgLoadResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Verification time (issue 5): jxdp's verifier ({@code side=jxdp}) against the kernel's
 * {@code BPF_PROG_LOAD} of the same instructions with real maps ({@code side=kernel}; that time
 * includes the kernel's verifier and its JIT, and the syscall), for the largest corpus program
 * (xdp_parser, 313 instructions), the corpus program with the most processed instructions
 * (xdp_flow_counter), and the clang-built load balancers of the verifier's fixtures: the
 * Katran-like lb_katran.o (1,581 instructions) and the Katran-sized lb_katran_full.o (2,630
 * instructions, about 72,000 processed by the kernel). Milliseconds per verification. The trial
 * setup prints both verifiers' processed-instruction counts (the kernel's from its log at level 1).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class VerifierBenchmark {
    /** OBJECT_PATH:PROGRAM, the path relative to the repository root. */
    @Param({"programs/obj/xdp_parser.o:xdp_parser",
        "programs/obj/xdp_flow_counter.o:xdp_flow_counter",
        "dataplane/src/test/resources/verifier/progs/lb_katran.o:xdp_lb",
        "dataplane/src/test/resources/verifier/progs/lb_katran_full.o:balancer_ingress"})
    public String program;

    @Param({"jxdp", "kernel"})
    public String side;

    private ProgramSpec prog;
    private List<MapInfo> maps;
    private final List<Integer> fds = new ArrayList<>();
    private ProgLoadAttr load;

    @Setup(Level.Trial)
    public void load() throws Exception {
        String[] f = program.split(":");
        BpfObject obj = BpfObjectLoader.load(XdpEngineBenchmark.root().resolve(f[0]));
        prog = obj.program(f[1]).orElseThrow();
        maps = obj.maps().stream().map(MapInfo::of).toList();
        VerificationResult r = Verifier.verify(prog, maps, VerifierOptions.privileged().withLogLevel(0));
        if (!r.accepted()) {
            throw new IllegalStateException(program + " is rejected: " + r.error().orElseThrow().format());
        }
        if (side.equals("kernel")) {
            for (MapSpec m : obj.maps()) {
                MapInfo i = MapInfo.of(m);
                fds.add(Bpf.mapCreate(MapCreateAttr.of(i.type(), i.keySize(), i.valueSize(), Math.max(1, i.maxEntries()))
                        .withFlags(i.flags())));
            }
            long[] slots = prog.instructions();
            for (MapReloc rel : prog.mapRelocs()) {
                Insn in = Insn.decode(slots[rel.insnIndex()]);
                slots[rel.insnIndex()] = new Insn(in.code(), in.dst(), in.src(), in.off(), fds.get(rel.mapIndex())).encode();
            }
            load = ProgLoadAttr.xdp(slots).withLicense(obj.license().isEmpty() ? "GPL" : obj.license());
            ProgLoadResult logged = Bpf.progLoadWithLog(load.withLog(1, 0));
            Bpf.close(logged.fd());
            System.out.printf("%s: %d insns, jxdp processed %d (%d states), kernel processed %d%n", program,
                    prog.instructionCount(), r.processedInsns(), r.totalStates(),
                    logged.processedInsns().orElse(-1));
        } else {
            System.out.printf("%s: %d insns, jxdp processed %d (%d states)%n", program, prog.instructionCount(),
                    r.processedInsns(), r.totalStates());
        }
    }

    @Benchmark
    public long verify() {
        if (load != null) {
            int fd = Bpf.progLoad(load);
            Bpf.close(fd);
            return fd;
        }
        return Verifier.verify(prog, maps, VerifierOptions.privileged().withLogLevel(0)).processedInsns();
    }

    @TearDown(Level.Trial)
    public void close() {
        fds.forEach(Bpf::close);
    }
}
