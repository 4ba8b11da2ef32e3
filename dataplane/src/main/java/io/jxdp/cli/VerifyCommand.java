package io.jxdp.cli;

import io.jxdp.ebpf.loader.BpfLoadException;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.loader.ProgramSpec;
import io.jxdp.ebpf.verifier.MapInfo;
import io.jxdp.ebpf.verifier.VerificationResult;
import io.jxdp.ebpf.verifier.Verifier;
import io.jxdp.ebpf.verifier.VerifierOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jxdp verify OBJ [--program NAME] [--log-level 1|2]}: runs the eBPF verifier on a BPF object's programs. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Verifies the XDP programs of a clang-compiled BPF object with jxdp's eBPF verifier.",
            "Exit status: 0 every program verified, 1 a program was rejected, 2 the object could not be loaded."})
final class VerifyCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "OBJ", description = "BPF ELF object (.o)")
    Path object;

    @Option(names = "--program", paramLabel = "NAME", description = "verify only this program (function name)")
    String program;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "1",
            description = "1: the failing instruction with its state and source line (default); 2: every instruction")
    int logLevel;

    @Option(names = "--unprivileged", description = "apply the rules for loaders without CAP_PERFMON"
            + " (no uninitialised stack reads, no pointer leaks)")
    boolean unprivileged;

    @Override
    public Integer call() {
        if (logLevel < 1 || logLevel > 2) {
            System.err.println("--log-level must be 1 or 2, got " + logLevel);
            return 2;
        }
        BpfObject obj;
        try {
            obj = BpfObjectLoader.load(object);
        } catch (BpfLoadException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        List<ProgramSpec> progs = new ArrayList<>();
        if (program != null) {
            ProgramSpec p = obj.program(program).orElse(null);
            if (p == null) {
                List<String> names = obj.programs().stream().map(ProgramSpec::name).toList();
                System.err.println(object + ": no program '" + program + "'; programs: " + names);
                return 2;
            }
            progs.add(p);
        } else {
            progs.addAll(obj.programs());
        }
        List<MapInfo> maps = obj.maps().stream().map(MapInfo::of).toList();
        VerifierOptions opts = (unprivileged ? VerifierOptions.unprivileged() : VerifierOptions.privileged())
                .withLogLevel(logLevel);
        int rc = 0;
        for (ProgramSpec p : progs) {
            VerificationResult r = Verifier.verify(p, maps, opts);
            System.out.printf("%s: %s (%d insns, processed %d, %.2f ms)%n", p.name(),
                    r.accepted() ? "verified" : "REJECTED", p.instructionCount(), r.processedInsns(),
                    r.verifyNanos() / 1e6);
            if (logLevel >= 2 || !r.accepted()) {
                System.out.print(r.log().indent(2));
            }
            if (!r.accepted()) {
                rc = 1;
            }
        }
        return rc;
    }
}
