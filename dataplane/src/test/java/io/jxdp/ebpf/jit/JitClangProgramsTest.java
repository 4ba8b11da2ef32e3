package io.jxdp.ebpf.jit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.loader.ProgramSpec;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JIT translates what clang-19 really emits: every program of the committed XDP corpus
 * ({@code programs/obj}) compiles, passes {@code ClassFile.verify} and has no method over the
 * limit. Map and function references (pseudo lddw) are resolved here to plain constants, as an
 * engine resolves them to its map handles before compiling; helpers are registered as stand-ins.
 * Running them over packets with real maps is the engines' business (prog run / parity).
 */
class JitClangProgramsTest {
    /** Loadable fixtures of the ELF loader's tests (bpf-to-bpf calls, legacy maps, globals, ...). */
    private static final List<String> ELF_FIXTURES = List.of("globals.o", "subprogs.o", "legacy.o", "mapinmap.o",
            "btfkinds.o", "strings.o");

    static Stream<String> objects() throws Exception {
        Path obj = findRepo().resolve("programs/obj");
        try (Stream<Path> s = Files.list(obj)) {
            List<String> all = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".o"))
.sorted().toList();
            assertTrue(all.size() >= 5, "XDP objects in " + obj + ": " + all);
            return Stream.concat(all.stream().map(n -> "programs/obj/" + n), ELF_FIXTURES.stream().map(n -> "elf/" + n));
        }
    }

    private static byte[] bytes(String object) throws Exception {
        if (object.startsWith("elf/")) {
            try (InputStream in = JitClangProgramsTest.class.getResourceAsStream("/" + object)) {
                assertTrue(in != null, "missing test resource /" + object);
                return in.readAllBytes();
            }
        }
        return Files.readAllBytes(findRepo().resolve(object));
    }

    private static Path findRepo() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("programs/obj"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no programs/obj above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    @ParameterizedTest
    @MethodSource("objects")
    void everyProgramCompilesAndVerifies(String object) throws Exception {
        BpfObject o = BpfObjectLoader.load(object.substring(object.lastIndexOf('/') + 1), bytes(object));
        assertTrue(!o.programs().isEmpty(), object + " has no programs");
        for (ProgramSpec spec : o.programs()) {
            long[] slots = spec.instructions();
            HelperRegistry helpers = new HelperRegistry();
            for (int pc = 0; pc < slots.length; pc++) {
                Insn i = Insn.decode(slots[pc]);
                Op op = i.op();
                if (op != null && op.kind == Op.Kind.LDDW && op != Op.LDDW) {
                    slots[pc] = Op.LDDW.insn(i.dst(), 0, 0, 0x1000 + pc).encode(); // a stand-in handle
                    pc++;
                } else if (op == Op.LDDW) {
                    pc++;
                } else if (op == Op.CALL) {
                    helpers.register(i.imm(), (ctx, r1, r2, r3, r4, r5) -> 0);
                }
            }
            CompiledProgram jit = JitCompiler.compile(Program.ofSlots(slots), helpers,
                    JitOptions.defaults().withVerify(true));
            JitCompiler.methodSizes(jit.classBytes()).forEach((m, s) ->
                    assertTrue(s < JitCompiler.HUGE_METHOD_LIMIT, spec.name() + " " + m + " has " + s + " bytes"));
        }
    }
}
