package io.jxdp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
    /** Every command of {@code jxdp}, in the order {@code --help} lists them. */
    static final List<String> COMMANDS = List.of("help", "conformance", "asm", "disasm", "demo", "prog", "map",
            "parity", "verify", "gen", "xsk-bench");

    /** Asserts that help text lists each of {@link #COMMANDS} as a line of its own, in order. */
    static void assertListsEveryCommand(String help) {
        assertTrue(help.startsWith("Usage: jxdp [-hV] [COMMAND]"), help);
        int from = help.indexOf("\nCommands:\n");
        assertTrue(from > 0, help);
        for (String c : COMMANDS) {
            var m = Pattern.compile("(?m)^  " + Pattern.quote(c) + " +\\S").matcher(help);
            assertTrue(m.find(from), "command " + c + " is not listed (in order) in:\n" + help);
            from = m.end();
        }
    }

    @Test
    void theCommandListIsTheRegisteredOne() {
        assertEquals(new TreeSet<>(COMMANDS), new TreeSet<>(new CommandLine(new Main()).getSubcommands().keySet()));
    }

    @Test
    void helpListsEveryCommandWarnsNothingAndExitsZero() {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        int code;
        try {
            code = Main.run("--help");
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        assertEquals(0, code);
        assertListsEveryCommand(out.toString());
        // picocli prints "[picocli WARN] Could not format ..." for a description with a bare '%'
        assertEquals("", err.toString());
    }
}
