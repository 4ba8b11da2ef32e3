package io.jxdp.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EbpfCommandsTest {
    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {
    }

    static Result jxdp(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            int code = Main.run(args);
            return new Result(code, out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void conformanceRunsTheSuite() {
        Path suite = io.jxdp.ebpf.conformance.ConformanceSuiteTestAccess.suiteDir();
        Result r = jxdp("conformance", suite.toString(), "--engine", "interp");
        assertEquals("313 passed, 0 failed\n", r.out(), r.err());
        assertEquals(0, r.code());
    }

    @Test
    void conformanceReportsFailuresAndExitsNonZero() throws Exception {
        Files.writeString(tmp.resolve("a.data"), "-- asm\nmov %r0, 1\nexit\n-- result\n0x1\n");
        Files.writeString(tmp.resolve("b.data"), "-- asm\nmov %r0, 1\nexit\n-- result\n0x2\n");
        Result r = jxdp("conformance", tmp.toString());
        assertEquals("FAIL b.data: expected r0 = 0x2, got r0 = 0x1\n1 passed, 1 failed\n", r.out());
        assertEquals(1, r.code());
        Result missing = jxdp("conformance", tmp.resolve("nope").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("is not a directory"), missing.err());
    }

    @Test
    void asmThenDisasm() throws Exception {
        Path src = tmp.resolve("p.asm");
        Files.writeString(src, "ldxw %r0, [%r1+4]\njgt %r0, 0x10, +1\nlddw %r0, 0x1122334455667788\nlock add [%r1+0], %r2\nexit\n");
        Path bin = tmp.resolve("p.bin");
        Result a = jxdp("asm", src.toString(), "-o", bin.toString());
        assertEquals(0, a.code(), a.err());
        assertArrayEquals(HexFormat.of().parseHex("6110040000000000" + "2500010010000000" + "1800000088776655"
                + "0000000044332211" + "db21000000000000" + "9500000000000000"), Files.readAllBytes(bin));
        Result d = jxdp("disasm", bin.toString());
        assertEquals(0, d.code(), d.err());
        assertEquals("""
                    0: r0 = *(u32 *)(r1 + 0x4)
                    1: if r0 > 0x10 goto +0x1
                    2: r0 = 0x1122334455667788 ll
                    4: lock *(u64 *)(r1 + 0x0) += r2
                    5: exit
                """, d.out());
    }

    @Test
    void asmErrorsNameTheFileLineAndColumn() throws Exception {
        Path src = tmp.resolve("bad.asm");
        Files.writeString(src, "mov %r0, 1\nadd %r0,\n");
        Result r = jxdp("asm", src.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("bad.asm: line 2, column "), r.err());
        Path odd = tmp.resolve("odd.bin");
        Files.write(odd, new byte[5]);
        assertEquals(1, jxdp("disasm", odd.toString()).code());
    }
}
