package io.jxdp.ebpf.jit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.cli.Main;
import io.jxdp.ebpf.conformance.ConformanceRunner;
import io.jxdp.ebpf.conformance.ConformanceRunner.Outcome;
import io.jxdp.ebpf.conformance.ConformanceCase;
import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.interp.VmException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The whole bpf_conformance suite through the JIT, and the JIT against the interpreter on it. */
class JitConformanceTest {
    private static final JitOptions VERIFY = JitOptions.defaults().withVerify(true);
    private static final ConformanceRunner.Engine JIT =
            (program, helpers, mem, r1, r2) -> JitCompiler.compile(program, helpers, VERIFY).run(r1, r2);

    @Test
    void theWholeSuitePassesOnTheJit() throws Exception {
        Path dir = Differential.suiteDir();
        assertTrue(Files.isDirectory(dir), "conformance suite not found at " + dir);
        List<Outcome> outcomes = ConformanceRunner.runDirectory(dir, JIT);
        String failures = outcomes.stream().filter(o -> !o.passed()).map(Outcome::describe)
                .collect(Collectors.joining("\n"));
        assertEquals(313, outcomes.size(), "files in " + dir);
        assertEquals("", failures, "failing conformance files");
    }

    /** A test program running off its end is a failed outcome naming the instruction, on the JIT too. */
    @Test
    void aProgramRunningOffItsEndFailsCleanlyOnTheJit(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("no-exit.data"), "-- asm\nmov %r0, 1\n-- result\n0x1\n");
        Files.writeString(tmp.resolve("ends-on-lddw.data"), "-- asm\nmov %r0, 0\nlddw %r0, 0x100000001\n-- result\n0x100000001\n");
        List<Outcome> o = ConformanceRunner.runDirectory(tmp, JIT);
        assertEquals(2, o.size());
        assertEquals("ends-on-lddw.data: expected r0 = 0x100000001, got error: pc 1 (r0 = 0x100000001 ll): "
                + "the subprogram [0, 3) falls off its end (last instruction is not exit or goto)", o.get(0).describe());
        assertEquals("no-exit.data: expected r0 = 0x1, got error: pc 0 (r0 = 0x1): "
                + "the subprogram [0, 1) falls off its end (last instruction is not exit or goto)", o.get(1).describe());
    }

    /** The CLI hook: {@code jxdp conformance DIR --engine jit} prints the count and exits 0. */
    @Test
    void theCommandLineRunsTheSuiteOnTheJit() {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        int code;
        try {
            code = Main.run("conformance", Differential.suiteDir().toString(), "--engine", "jit");
        } finally {
            System.setOut(old);
        }
        assertEquals("313 passed, 0 failed", out.toString().strip());
        assertEquals(0, code);
    }

    /**
     * Same r0 (or both a fault) and the same input memory afterwards, file by file; with a budget of
     * 500 bytes every program whose method would be bigger is split into regions (the larger
     * files), so this also checks the region translation.
     */
    @ParameterizedTest(name = "method budget {0}")
    @ValueSource(ints = {JitOptions.DEFAULT_METHOD_BUDGET, 500})
    void jitAndInterpreterAgreeOnEveryFileIncludingMemory(int budget) throws Exception {
        JitOptions options = VERIFY.withMethodBudget(budget);
        HelperRegistry helpers = ConformanceRunner.helpers();
        int compared = 0;
        for (Path f : ConformanceRunner.files(Differential.suiteDir())) {
            ConformanceCase t = ConformanceCase.read(f);
            try (Arena arena = Arena.ofConfined()) {
                int n = Math.max(1, t.memory().length);
                MemorySegment memI = arena.allocate(n, 8);
                MemorySegment memJ = arena.allocate(n, 8);
                MemorySegment.copy(t.memory(), 0, memI, ValueLayout.JAVA_BYTE, 0, t.memory().length);
                MemorySegment.copy(t.memory(), 0, memJ, ValueLayout.JAVA_BYTE, 0, t.memory().length);
                long r1I = t.memory().length > 0 ? memI.address() : 0;
                long r1J = t.memory().length > 0 ? memJ.address() : 0;
                Interpreter vm = new Interpreter(t.program(), helpers, Interpreter.Mode.CHECKED);
                vm.regions().add("mem", memI, true);
                String expected;
                try {
                    expected = "r0 = " + vm.run(r1I, t.memory().length);
                } catch (VmException e) {
                    expected = "fault";
                }
                String actual;
                try {
                    actual = "r0 = " + JitCompiler.compile(t.program(), helpers, options).run(r1J, t.memory().length);
                } catch (VmException e) {
                    actual = "fault";
                }
                assertEquals(expected, actual, f.getFileName() + "\n" + Differential.listing(t.program()));
                assertArrayEquals(memI.toArray(ValueLayout.JAVA_BYTE), memJ.toArray(ValueLayout.JAVA_BYTE),
                        f.getFileName() + ": memory after the run");
                compared++;
            }
        }
        assertEquals(313, compared);
    }
}
