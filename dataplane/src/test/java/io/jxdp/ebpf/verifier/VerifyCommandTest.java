package io.jxdp.ebpf.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.cli.Main;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.loader.ProgramSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jxdp verify}: exit 0 on accept, 1 on reject (with the failing line), 2 when the object
 * cannot be used. The command is run over every object of the accept corpus (programs/obj) and
 * every clang-built verifier fixture, whose {@code bad_*.o} must be refused with their reason.
 */
class VerifyCommandTest {
    static Stream<Path> corpusObjects() throws IOException {
        return objects(ProgramCorpusTest.OBJ, 9);
    }

    static Stream<Path> clangFixtures() throws IOException {
        return objects(ClangProgramsTest.DIR, 3);
    }

    private static Stream<Path> objects(Path dir, int atLeast) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> out = files.filter(p -> p.toString().endsWith(".o")).sorted().toList();
            assertTrue(out.size() >= atLeast, "expected at least " + atLeast + " objects in " + dir + ", found " + out);
            return out.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpusObjects")
    void everyCorpusObjectVerifies(Path o) throws Exception {
        String out = run(0, "verify", o.toString());
        for (ProgramSpec p : BpfObjectLoader.load(o).programs()) {
            assertTrue(out.contains(p.name() + ": verified ("), out);
        }
        assertTrue(!out.contains("REJECTED"), out);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clangFixtures")
    void clangFixturesGetTheirVerdict(Path o) throws Exception {
        boolean bad = o.getFileName().toString().startsWith("bad_");
        String out = run(bad ? 1 : 0, "verify", o.toString());
        if (bad) {
            // the reason, the C source line and the state at the failing point
            assertTrue(out.contains("REJECTED") && out.contains("At callback return the register R0"), out);
            assertTrue(out.contains(o.getFileName().toString().replace(".o", ".c:")), out);
        } else {
            for (ProgramSpec p : BpfObjectLoader.load(o).programs()) {
                assertTrue(out.contains(p.name() + ": verified ("), out);
            }
        }
    }

    private static String run(int expectRc, String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.run(args);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(expectRc, rc, out);
        return out;
    }

    @Test
    void acceptsACorpusObject() {
        String out = run(0, "verify", "../programs/obj/xdp_parser.o");
        assertTrue(out.contains("xdp_parser: verified"), out);
    }

    @Test
    void acceptsOneNamedProgramAtLogLevel2() {
        String out = run(0, "verify", "../programs/obj/xdp_tx.o", "--program", "xdp_tx", "--log-level", "2");
        assertTrue(out.contains("0: w0 = 0x1"), out);
        assertTrue(out.contains("R1=ctx"), out);
    }

    @Test
    void rejectsWithSourceLineAndState() {
        String out = run(1, "verify", "src/test/resources/verifier/progs/bad_callback_ret.o");
        assertTrue(out.contains("REJECTED"), out);
        assertTrue(out.contains("bad_callback_ret.c:7"), out);
        assertTrue(out.contains("At callback return the register R0"), out);
        assertTrue(out.contains("frame1"), out);
    }

    @Test
    void acceptsMapInMapLookups() {
        String out = run(0, "verify", "src/test/resources/elf/mapinmap.o");
        assertTrue(out.contains("xdp_mim: verified"), out);
    }

    @Test
    void nonXdpProgramsAreRejectedAsSuch() {
        String out = run(1, "verify", "src/test/resources/elf/subprogs.o", "--program", "tc_prog");
        assertTrue(out.contains("is not an XDP program"), out);
    }

    @Test
    void unknownProgramAndMissingFileAreUsageErrors() {
        run(2, "verify", "../programs/obj/xdp_tx.o", "--program", "nope");
        run(2, "verify", "no/such/file.o");
        run(2, "verify", "../programs/obj/xdp_tx.o", "--log-level", "3");
    }
}
