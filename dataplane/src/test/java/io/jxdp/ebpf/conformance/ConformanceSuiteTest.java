package io.jxdp.ebpf.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.conformance.ConformanceRunner.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the whole bpf_conformance suite from ../shared/conformance/bpf_conformance (not copied into the repo). */
class ConformanceSuiteTest {

    /** The suite directory: walk up to the repository root (has .git or the parent pom), then ../shared/.... */
    static Path suiteDir() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            boolean root = Files.exists(dir.resolve(".git"))
                    || (Files.exists(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("dataplane")));
            if (root) {
                return dir.resolve("../shared/conformance/bpf_conformance").normalize();
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
    }

    @Test
    void allOfTheSuitePasses() throws Exception {
        Path dir = suiteDir();
        assertTrue(Files.isDirectory(dir), "conformance suite not found at " + dir);
        List<Outcome> outcomes = ConformanceRunner.runDirectory(dir);
        String failures = outcomes.stream().filter(o -> !o.passed()).map(Outcome::describe)
                .collect(Collectors.joining("\n"));
        assertEquals(313, outcomes.size(), "files in " + dir);
        assertEquals("", failures, "failing conformance files");
        assertEquals(313, outcomes.stream().filter(Outcome::passed).count());
    }

    @Test
    void aWrongExpectationIsReportedWithBothValues(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("wrong.data"), "-- asm\nmov %r0, 1\nexit\n-- result\n0x2\n");
        Files.writeString(tmp.resolve("bad-asm.data"), "-- asm\nmov %r0, %r11\nexit\n-- result\n0x0\n");
        Files.writeString(tmp.resolve("fault.data"), "-- asm\nldxdw %r0, [%r1+0]\nexit\n-- mem\n00 01\n-- result\n0x0\n");
        Files.writeString(tmp.resolve("good.data"), "# comment\n-- asm\nldxh %r0, [%r1]\nadd %r0, %r2 # len\nexit\n-- mem\n01 02\n-- result\n0x203\n");
        List<Outcome> o = ConformanceRunner.runDirectory(tmp);
        assertEquals(4, o.size());
        assertEquals("bad-asm.data: expected a readable test, got error: line 2, column 10: expected a register %r0..%r10, found '%r11'",
                o.get(0).describe());
        assertFalse(o.get(1).passed());
        assertTrue(o.get(1).describe().contains("out-of-bounds read of 8 bytes"), o.get(1).describe());
        assertTrue(o.get(2).passed(), o.get(2).describe());
        assertEquals("wrong.data: expected r0 = 0x2, got r0 = 0x1", o.get(3).describe());
    }

    @Test
    void aProgramRunningOffItsEndIsAFailedOutcome(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("no-exit.data"), "-- asm\nmov %r0, 1\n-- result\n0x1\n");
        Files.writeString(tmp.resolve("ends-on-lddw.data"), "-- asm\nlddw %r0, 0x100000001\n-- result\n0x100000001\n");
        List<Outcome> o = ConformanceRunner.runDirectory(tmp);
        assertEquals(2, o.size());
        assertFalse(o.get(0).passed());
        assertTrue(o.get(0).describe().contains("falls off the end of the program at instruction 0"), o.get(0).describe());
        assertFalse(o.get(1).passed());
        assertTrue(o.get(1).describe().contains("falls off the end of the program at instruction 0"), o.get(1).describe());
    }

    @Test
    void anEngineFailureIsAFailedOutcomeNotAnException(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("ok.data"), "-- asm\nmov %r0, 1\nexit\n-- result\n0x1\n");
        Files.writeString(tmp.resolve("err.data"), "-- asm\nmov %r0, 1\nexit\n-- error\nanything\n");
        ConformanceRunner.Engine broken = (program, helpers, mem, r1, r2) -> {
            throw new ArrayIndexOutOfBoundsException("Index 2 out of bounds for length 2");
        };
        List<Outcome> o = ConformanceRunner.runDirectory(tmp, broken);
        assertEquals(2, o.size());
        // an expected error is not met by an engine crash
        assertEquals("err.data: expected error anything, got engine failure: java.lang.ArrayIndexOutOfBoundsException: "
                + "Index 2 out of bounds for length 2", o.get(0).describe());
        assertFalse(o.get(0).passed());
        assertFalse(o.get(1).passed());
        assertTrue(o.get(1).describe().contains("engine failure: java.lang.ArrayIndexOutOfBoundsException"), o.get(1).describe());
    }
}
