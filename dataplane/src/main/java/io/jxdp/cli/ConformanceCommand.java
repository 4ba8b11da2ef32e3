package io.jxdp.cli;

import io.jxdp.ebpf.conformance.ConformanceRunner;
import io.jxdp.ebpf.conformance.ConformanceRunner.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jxdp conformance DIR}: runs a bpf_conformance-style directory of {@code .data} files. */
@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = {"Runs every .data file of a bpf_conformance-style directory and compares r0.",
                "Prints one line per failure and 'N passed, M failed'; exit code 0 iff nothing failed."})
final class ConformanceCommand implements Callable<Integer> {
    /** Engines that can run the suite (the JIT adds itself here later). */
    enum Engine { interp }

    @Parameters(index = "0", paramLabel = "DIR", description = "directory holding the .data files")
    Path dir;

    @Option(names = "--engine", defaultValue = "interp", description = "engine to test: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
    Engine engine;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(dir)) {
            System.err.println("jxdp conformance: " + dir + " is not a directory");
            return 2;
        }
        List<Outcome> outcomes = ConformanceRunner.runDirectory(dir);
        int failed = 0;
        for (Outcome o : outcomes) {
            if (!o.passed()) {
                failed++;
                System.out.println("FAIL " + o.describe());
            }
        }
        System.out.println((outcomes.size() - failed) + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
