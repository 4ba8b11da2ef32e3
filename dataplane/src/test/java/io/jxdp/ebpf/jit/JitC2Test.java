package io.jxdp.ebpf.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The split methods are compiled by C2: a child JVM with {@code -XX:+PrintCompilation} runs
 * {@link C2Probe} (a 4,000-instruction program, every instruction executed on every run, split into
 * regions), warms it up with {@link CompiledProgram#warmUp} and the log must show a tier-4 compile
 * of every generated method. Prints the time from load to stable for the record.
 */
class JitC2Test {
    private static final Pattern TIER4 = Pattern.compile(
            "\\s4\\s+io\\.jxdp\\.ebpf\\.jit\\.(Bpf\\d+)/0x[0-9a-f]+::(\\w+) \\((\\d+) bytes\\)(.*)");
    /** A tier-4 compile (normal or OSR) of the warm-up loop, the only caller of the probe's {@code run}. */
    private static final Pattern WARMUP_TIER4 = Pattern.compile("\\s4\\s+io\\.jxdp\\.ebpf\\.jit\\.CompiledProgram::warmUp\\b");
    private static final Pattern METHOD = Pattern.compile("PROBE method (\\S+) (\\d+)");

    @Test
    void everyGeneratedMethodReachesC2(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("compilation.log");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-XX:+PrintCompilation", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), C2Probe.class.getName(), "4000", "90000")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertTrue(p.waitFor(150, TimeUnit.SECONDS), "the probe JVM did not finish in 150 s");
        } finally {
            p.destroyForcibly();
        }
        List<String> lines = Files.readAllLines(log);
        assertEquals(0, p.exitValue(), String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
        String cls = null;
        String warm = null;
        Map<String, Integer> methods = new LinkedHashMap<>();
        Set<String> c2 = new TreeSet<>();
        for (String line : lines) {
            Matcher m = METHOD.matcher(line);
            if (m.find()) {
                methods.put(m.group(1), Integer.parseInt(m.group(2)));
            }
            // PrintCompilation writes to the same stdout from compiler threads: a probe line may
            // share its line with a compilation line, so find it anywhere in the line.
            int at = line.indexOf("PROBE class ");
            if (at >= 0) {
                cls = line.substring(at + "PROBE class ".length()).trim().split("\\s")[0].replace("io.jxdp.ebpf.jit.", "");
            }
            at = line.indexOf("PROBE warmup ");
            if (at >= 0) {
                warm = line.substring(at);
            }
        }
        boolean warmUpInC2 = false;
        for (String line : lines) {
            Matcher m = TIER4.matcher(line);
            if (m.find() && m.group(1).equals(cls) && !m.group(4).contains("SKIPPED") && !m.group(4).contains("not entrant")) {
                c2.add(m.group(2));
            }
            warmUpInC2 |= WARMUP_TIER4.matcher(line).find() && !line.contains("SKIPPED");
        }
        // The entry run is small: C2 may inline it into its one caller, the warm-up loop, and then
        // never compile it alone (its counters stop once the caller's C2 code runs). Called from C2
        // code without being inlined, it would keep counting and reach tier 4 before the warm-up's
        // quiet window ends. Either way it runs as C2 code.
        if (warmUpInC2) {
            c2.add("run");
        }
        System.out.println("JitC2Test: " + warm + "; " + methods.size() + " methods, tier 4: " + c2.size()
                + ", warm-up loop in C2: " + warmUpInC2);
        assertTrue(methods.keySet().stream().filter(n -> n.contains("_r")).count() >= 10, "the program is split: " + methods);
        methods.forEach((n, s) -> assertTrue(s < JitCompiler.HUGE_METHOD_LIMIT, n + " has " + s + " bytes"));
        Set<String> missing = new TreeSet<>(methods.keySet());
        missing.remove("<init>"); // runs once per instance
        missing.remove("call"); // enters tail-call targets and callbacks, of which the probe's program has none
        missing.remove("repeat"); // the engines' repeat loop; the probe warms up run (RepeatLoopTest runs repeat)
        missing.removeAll(c2);
        assertEquals(Set.of(), missing, "generated methods never compiled by C2");
        assertTrue(warm != null && warm.contains("stable=true"), "warm-up did not settle: " + warm);
    }
}
