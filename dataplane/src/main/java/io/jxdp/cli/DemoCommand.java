package io.jxdp.cli;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.xdp.InterpreterXdpEngine;
import io.jxdp.ebpf.xdp.JitXdpEngine;
import io.jxdp.ebpf.xdp.PacketFiles;
import io.jxdp.ebpf.xdp.TraceSink;
import io.jxdp.ffi.bpf.Bpf;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ObjIntConsumer;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jxdp demo}: runs the real clang-built XDP programs of the repository's {@code programs/}
 * corpus in jxdp's interpreter and in its JIT over their packets, and prints per program the verdict
 * counts, one example output, how many packets agree with the kernel's recorded answers in each
 * engine and each engine's steady-state time per packet.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs the clang-built XDP programs of programs/ (corpus.yaml) in jxdp's interpreter and JIT",
                "over their packets and prints, per program, the verdict counts, an example output packet, how many",
                "packets agree with the kernel's recorded verdicts and outputs (programs/expected/) in each engine",
                "and each engine's steady-state ns per packet."})
final class DemoCommand implements Callable<Integer> {
    private static final HexFormat HEX = HexFormat.of();
    private static final int EXAMPLE_BYTES = 48;
    private static final long WARM_MILLIS = 300;
    private static final long MEASURE_MILLIS = 200;
    /** The JIT engine's warm-up at load: enough for C2 on these small programs, short for a demo. */
    private static final long JIT_WARM_MILLIS = 300;

    @Spec
    CommandSpec spec;

    @Option(names = "--programs", paramLabel = "DIR",
            description = "the programs/ directory (default: found next to the jar or above the working directory)")
    Path programsDir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        return CliErrors.run(spec.commandLine().getErr(), () -> {
            Path root = programsDir != null ? programsDir : findPrograms();
            if (root == null || !Files.isRegularFile(root.resolve("corpus.yaml"))) {
                throw new CliErrors.UserError("cannot find programs/corpus.yaml"
                        + (programsDir != null ? " in " + programsDir : " next to the jar or above " + Path.of("")
                        .toAbsolutePath()) + "; pass --programs DIR");
            }
            out.println("jxdp demo: clang-built XDP programs from " + root + " in jxdp's interpreter (checked mode) and JIT");
            int interpAgree = 0;
            int jitAgree = 0;
            int total = 0;
            for (Map<String, Object> e : entries(root)) {
                int[] agree = runEntry(out, root, e);
                interpAgree += agree[0];
                jitAgree += agree[1];
                total += agree[2];
            }
            out.println();
            out.println("agreement with the kernel (BPF_PROG_TEST_RUN recordings): interpreter " + interpAgree + "/" + total
                    + " packets, JIT " + jitAgree + "/" + total + " packets");
            out.flush();
            return interpAgree == total && jitAgree == total ? 0 : 1;
        });
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> entries(Path root) throws Exception {
        try (Reader r = Files.newBufferedReader(root.resolve("corpus.yaml"))) {
            Map<String, Object> doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
            return (List<Map<String, Object>>) doc.get("programs");
        }
    }

    /** What one engine made of an entry's packets. */
    private record Outcome(Map<String, Integer> counts, String example, int agree) {
    }

    /**
     * Runs one corpus entry in the interpreter and in the JIT; returns {packets on which the
     * interpreter agrees with the kernel, packets on which the JIT agrees, packets compared}.
     */
    private static int[] runEntry(PrintWriter out, Path root, Map<String, Object> e) throws Exception {
        String name = (String) e.get("name");
        Path object = root.resolve((String) e.get("object"));
        String program = (String) e.get("program");
        List<byte[]> packets = PacketFiles.read(root.resolve((String) e.get("pcap")));
        List<String> expected = readExpected(root.resolve("expected/" + name + ".txt"));
        Path maps = e.get("maps") == null ? null : root.resolve((String) e.get("maps"));
        BpfObject obj = BpfObjectLoader.load(object);
        out.println();
        out.println(name + " (" + root.relativize(object) + ", program " + program + ", " + packets.size() + " packets)");
        Outcome interp;
        String interpTime;
        try (InterpreterXdpEngine engine = InterpreterXdpEngine.create(obj, program)) {
            engine.traceSink(TraceSink.discard());
            interp = compare(engine, maps, packets, expected);
            interpTime = steadyState(engine::runInPlace, packets);
        }
        Outcome jit = null;
        String jitTime = "";
        String jitError = null;
        try (JitXdpEngine engine = JitXdpEngine.create(obj, program, Bpf.numPossibleCpus(), JIT_WARM_MILLIS)) {
            engine.traceSink(TraceSink.discard());
            jit = compare(engine, maps, packets, expected);
            jitTime = steadyState(engine::runInPlace, packets);
        } catch (EngineException ex) {
            jitError = ex.getMessage();
        }
        List<String> parts = new ArrayList<>();
        interp.counts().forEach((k, v) -> parts.add(k + " " + v));
        out.println("  verdicts: " + String.join(", ", parts));
        if (interp.example() != null) {
            out.println("  example:  " + interp.example());
        }
        String recorded = expected.isEmpty() ? " (no recording)" : "";
        out.println("  kernel agrees: interpreter " + interp.agree() + "/" + packets.size()
                + (jit != null ? ", JIT " + jit.agree() + "/" + packets.size() : ", JIT not run: " + jitError) + recorded);
        if (!interpTime.isEmpty() || !jitTime.isEmpty()) {
            out.println("  steady state: interpreter " + (interpTime.isEmpty() ? "-" : interpTime)
                    + (jit != null ? ", JIT " + (jitTime.isEmpty() ? "-" : jitTime) : ""));
        }
        return new int[] {interp.agree(), jit == null ? 0 : jit.agree(), packets.size()};
    }

    /** Runs every packet once, after preloading the entry's maps; counts verdicts and agreement. */
    private static Outcome compare(XdpEngine engine, Path maps, List<byte[]> packets, List<String> expected)
            throws Exception {
        if (maps != null) {
            preload(engine, maps);
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        String example = null;
        int agree = 0;
        for (int i = 0; i < packets.size(); i++) {
            String got;
            try {
                XdpResult r = engine.run(packets.get(i), 1);
                got = r.actionName() + " " + HEX.formatHex(r.output());
                counts.merge(r.actionName(), 1, Integer::sum);
                if (example == null && r.output().length > 0 && !r.actionName().equals("XDP_DROP")) {
                    String hex = HEX.formatHex(r.output(), 0, Math.min(EXAMPLE_BYTES, r.output().length));
                    example = "packet " + i + " (" + packets.get(i).length + " bytes) -> " + r.actionName() + ", "
                            + r.output().length + " bytes out: " + hex + (r.output().length > EXAMPLE_BYTES ? "..." : "");
                }
            } catch (EngineException ex) {
                String m = ex.getMessage();
                got = m.startsWith("EINVAL") ? "EINVAL -" : "FAULT " + m;
                counts.merge(m.startsWith("EINVAL") ? "EINVAL (frame < 14 bytes)" : "FAULT", 1, Integer::sum);
            }
            if (i < expected.size() && expected.get(i).equals(got)) {
                agree++;
            }
        }
        return new Outcome(counts, example, agree);
    }

    /**
     * Times the allocation-free path over the entry's packets, after the comparison (maps keep
     * counting): runs for {@value #WARM_MILLIS} ms first so the JVM has compiled the interpreter's
     * loop for this program's paths, then measures for {@value #MEASURE_MILLIS} ms.
     */
    private static String steadyState(ObjIntConsumer<byte[]> engine, List<byte[]> packets) {
        List<byte[]> ok = packets.stream().filter(p -> p.length >= 14).toList();
        if (ok.isEmpty()) {
            return "";
        }
        try {
            timedRuns(engine, ok, WARM_MILLIS);
            long t0 = System.nanoTime();
            long runs = timedRuns(engine, ok, MEASURE_MILLIS);
            return String.format("%.0f ns/packet (%,d runs)", (System.nanoTime() - t0) / (double) runs, runs);
        } catch (EngineException e) {
            return "";
        }
    }

    /** Runs the packets round-robin in batches of 1,000 until millis have passed; returns the runs made. */
    private static long timedRuns(ObjIntConsumer<byte[]> engine, List<byte[]> packets, long millis) {
        long end = System.nanoTime() + millis * 1_000_000L;
        long runs = 0;
        int k = 0;
        do {
            for (int i = 0; i < 1_000; i++) {
                byte[] p = packets.get(k);
                k = k + 1 == packets.size() ? 0 : k + 1;
                engine.accept(p, p.length);
            }
            runs += 1_000;
        } while (System.nanoTime() < end);
        return runs;
    }

    /** expected/NAME.txt lines as "VERDICT OUTPUT_HEX" (or "EINVAL -"), by index. */
    private static List<String> readExpected(Path p) throws Exception {
        List<String> out = new ArrayList<>();
        if (!Files.isRegularFile(p)) {
            return out;
        }
        for (String line : Files.readAllLines(p)) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3) {
                out.add(f[1] + " " + f[2]);
            }
        }
        return out;
    }

    /** Preloads a map YAML (programs/README.md format) into the engine. */
    @SuppressWarnings("unchecked")
    private static void preload(XdpEngine engine, Path file) throws Exception {
        Map<String, Object> doc;
        try (Reader r = Files.newBufferedReader(file)) {
            doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        }
        Map<String, Object> maps = doc == null ? Map.of() : (Map<String, Object>) doc.getOrDefault("maps", Map.of());
        for (Map.Entry<String, Object> m : maps.entrySet()) {
            for (Map<String, Object> en : (List<Map<String, Object>>) m.getValue()) {
                List<String> values = en.containsKey("values") ? (List<String>) en.get("values")
                        : List.of((String) en.get("value"));
                engine.updateMap(m.getKey(), HEX.parseHex((String) en.get("key")),
                        values.stream().map(HEX::parseHex).toList());
            }
        }
    }

    /** programs/ beside the jar's repository (dataplane/target/jxdp.jar -> ../../programs), else above the cwd. */
    static Path findPrograms() {
        List<Path> starts = new ArrayList<>();
        try {
            var src = DemoCommand.class.getProtectionDomain().getCodeSource();
            if (src != null) {
                starts.add(Path.of(src.getLocation().toURI()).toAbsolutePath());
            }
        } catch (Exception ignored) {
            // no code source (e.g. a custom class loader): fall back to the working directory
        }
        starts.add(Path.of("").toAbsolutePath());
        for (Path start : starts) {
            for (Path p = start; p != null; p = p.getParent()) {
                if (Files.isRegularFile(p.resolve("programs/corpus.yaml"))) {
                    return p.resolve("programs");
                }
            }
        }
        return null;
    }
}
