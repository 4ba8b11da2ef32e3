package io.jxdp.cli;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.xdp.InterpreterXdpEngine;
import io.jxdp.ebpf.xdp.PacketFiles;
import io.jxdp.ebpf.xdp.TraceSink;
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
 * corpus in jxdp's interpreter over their packets, and prints per program the verdict counts, one
 * example output and how many packets agree with the kernel's recorded answers.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs the clang-built XDP programs of programs/ (corpus.yaml) in jxdp's interpreter over their",
                "packets and prints, per program, the verdict counts, an example output packet and how many",
                "packets agree with the kernel's recorded verdicts and outputs (programs/expected/)."})
final class DemoCommand implements Callable<Integer> {
    private static final HexFormat HEX = HexFormat.of();
    private static final int EXAMPLE_BYTES = 48;
    private static final long WARM_MILLIS = 300;
    private static final long MEASURE_MILLIS = 200;

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
            out.println("jxdp demo: clang-built XDP programs from " + root + " in jxdp's interpreter (checked mode)");
            int agreeTotal = 0;
            int total = 0;
            for (Map<String, Object> e : entries(root)) {
                int[] agree = runEntry(out, root, e);
                agreeTotal += agree[0];
                total += agree[1];
            }
            out.println();
            out.println("agreement with the kernel (BPF_PROG_TEST_RUN recordings): " + agreeTotal + "/" + total + " packets");
            out.flush();
            return agreeTotal == total ? 0 : 1;
        });
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> entries(Path root) throws Exception {
        try (Reader r = Files.newBufferedReader(root.resolve("corpus.yaml"))) {
            Map<String, Object> doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
            return (List<Map<String, Object>>) doc.get("programs");
        }
    }

    /** Runs one corpus entry; returns {packets agreeing with the kernel, packets compared}. */
    private static int[] runEntry(PrintWriter out, Path root, Map<String, Object> e) throws Exception {
        String name = (String) e.get("name");
        Path object = root.resolve((String) e.get("object"));
        String program = (String) e.get("program");
        List<byte[]> packets = PacketFiles.read(root.resolve((String) e.get("pcap")));
        List<String> expected = readExpected(root.resolve("expected/" + name + ".txt"));
        BpfObject obj = BpfObjectLoader.load(object);
        Map<String, Integer> counts = new LinkedHashMap<>();
        String example = null;
        int agree = 0;
        out.println();
        out.println(name + " (" + root.relativize(object) + ", program " + program + ", " + packets.size() + " packets)");
        try (InterpreterXdpEngine engine = InterpreterXdpEngine.create(obj, program)) {
            engine.traceSink(TraceSink.discard());
            if (e.get("maps") != null) {
                preload(engine, root.resolve((String) e.get("maps")));
            }
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
            List<String> parts = new ArrayList<>();
            counts.forEach((k, v) -> parts.add(k + " " + v));
            out.println("  verdicts: " + String.join(", ", parts));
            if (example != null) {
                out.println("  example:  " + example);
            }
            out.println("  kernel agrees on " + agree + "/" + packets.size() + " packets"
                    + (expected.isEmpty() ? " (no recording)" : "") + steadyState(engine::runInPlace, packets));
        }
        return new int[] {agree, packets.size()};
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
            return String.format("; %.0f ns/packet over %,d warm runs", (System.nanoTime() - t0) / (double) runs, runs);
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
