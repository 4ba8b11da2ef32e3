package io.jxdp.ebpf.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code jxdp verify}: exit 0 on accept, 1 on reject (with the failing line), 2 when the object cannot be used. */
class VerifyCommandTest {
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
