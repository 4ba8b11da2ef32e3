package io.jxdp.ebpf.conformance;

import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.interp.VmException;
import io.jxdp.ebpf.isa.Program;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs a bpf_conformance-style directory: every {@code .data} file, in name order, on the checked
 * interpreter. Entry state as the upstream runner: r1 = address of a native copy of {@code -- mem}
 * (0 when absent), r2 = its length, r10 = the frame pointer. Helper 5 is uBPF's test helper
 * "unwind" (stop with r0 = 0 when its first argument is 0, else return it), registered only here.
 */
public final class ConformanceRunner {
    /** The conformance suite's helper id for "unwind". */
    public static final int UNWIND_HELPER = 5;

    /** Outcome of one file. */
    public record Outcome(String file, boolean passed, String expected, String actual) {
        /** One line for a failure report. */
        public String describe() {
            return file + ": expected " + expected + ", got " + actual;
        }
    }

    /**
     * How one test program runs: {@link #INTERPRETER} by default; other engines (the JIT) plug in
     * here. Returns r0; a program fault is a {@link VmException}.
     */
    @FunctionalInterface
    public interface Engine {
        /** Runs program with r1 = the address of mem (null and 0 when absent), r2 = its length. */
        long run(Program program, HelperRegistry helpers, MemorySegment mem, long r1, long r2);
    }

    /** The checked interpreter, with the input memory as its one region besides the stack. */
    public static final Engine INTERPRETER = (program, helpers, mem, r1, r2) -> {
        Interpreter vm = new Interpreter(program, helpers, Interpreter.Mode.CHECKED);
        if (mem != null) {
            vm.regions().add("mem", mem, true);
        }
        return vm.run(r1, r2);
    };

    private ConformanceRunner() {
    }

    /** The helpers the suite assumes. */
    public static HelperRegistry helpers() {
        return new HelperRegistry().register(UNWIND_HELPER, "unwind", (ctx, r1, r2, r3, r4, r5) -> {
            if (r1 == 0) {
                ctx.stop();
            }
            return r1;
        });
    }

    /** The {@code .data} files of dir, sorted by name. */
    public static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".data")).sorted().toList();
        }
    }

    /** Runs every file of dir. */
    public static List<Outcome> runDirectory(Path dir) throws IOException {
        return runDirectory(dir, INTERPRETER);
    }

    /** Runs every file of dir on engine. */
    public static List<Outcome> runDirectory(Path dir, Engine engine) throws IOException {
        List<Outcome> out = new ArrayList<>();
        HelperRegistry helpers = helpers();
        for (Path f : files(dir)) {
            out.add(runFile(f, helpers, engine));
        }
        return out;
    }

    /** Runs one file; any problem (parse, load, run) is a failed outcome, never an exception. */
    public static Outcome runFile(Path file, HelperRegistry helpers) {
        return runFile(file, helpers, INTERPRETER);
    }

    /** Runs one file on engine; any problem (parse, load, run) is a failed outcome, never an exception. */
    public static Outcome runFile(Path file, HelperRegistry helpers, Engine engine) {
        String name = file.getFileName().toString();
        ConformanceCase t;
        try {
            t = ConformanceCase.read(file);
        } catch (IOException | RuntimeException e) { // AsmException and malformed sections included
            return new Outcome(name, false, "a readable test", "error: " + e.getMessage());
        }
        String expected = t.result() != null ? "r0 = 0x" + Long.toHexString(t.result()) : "error " + t.error();
        try (Arena arena = Arena.ofConfined()) {
            long r1 = 0;
            MemorySegment mem = null;
            if (t.hasMemory() && t.memory().length > 0) {
                mem = arena.allocate(t.memory().length, 8);
                mem.copyFrom(MemorySegment.ofArray(t.memory()));
                r1 = mem.address();
            }
            long r0 = engine.run(t.program(), helpers, mem, r1, t.memory().length);
            if (t.result() == null) {
                return new Outcome(name, false, expected, "r0 = 0x" + Long.toHexString(r0));
            }
            boolean ok = r0 == t.result();
            return new Outcome(name, ok, expected, "r0 = 0x" + Long.toHexString(r0));
        } catch (VmException e) {
            boolean ok = t.result() == null && t.error() != null;
            return new Outcome(name, ok, expected, "error: " + e.getMessage());
        } catch (RuntimeException e) {
            // not a clean program fault but an engine failure: never a pass, even where an error is expected
            return new Outcome(name, false, expected, "engine failure: " + e);
        }
    }
}
