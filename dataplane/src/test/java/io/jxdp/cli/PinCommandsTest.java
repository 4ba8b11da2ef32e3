package io.jxdp.cli;

import static io.jxdp.cli.ObjectCommandsTest.jxdp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.cli.ObjectCommandsTest.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --pin-dir and --pin on prog run and map show|dump, and map unpin, through the real command line. */
class PinCommandsTest {
    private static final String OBJ = "src/test/resources/pin/conntrack.o";

    @TempDir
    Path tmp;

    @Test
    void pinnedMapsAcrossCommands() throws Exception {
        Path pins = tmp.resolve("pins");
        Path packets = tmp.resolve("p.txt");
        // 198.18.0.1:1000 -> 198.18.1.1:53 UDP, three times
        String frame = "020202020202040404040404080045000026000000004011" + "0000c6120001c6120101" + "03e800350012000000000000000000000000";
        Files.write(packets, List.of(frame, frame, frame));
        Result r = jxdp("prog", "run", OBJ, "--packet", packets.toString(), "--pin-dir", pins.toString(), "--pin", "totals");
        assertEquals(0, r.code(), r.err());
        assertEquals(3, r.lines().size(), r.out());

        r = jxdp("map", "dump", OBJ, "conns", "--pin-dir", pins.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("key c6120001c612010103e8003511000000 value 0300000000000000" + HexFormat.of().toHexDigits(
                Long.reverseBytes(3 * 52L))), r.lines());
        r = jxdp("map", "show", OBJ, "--pin-dir", pins.toString(), "--pin", "totals");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("conns: BPF_MAP_TYPE_LRU_HASH, key 16, value 16, max_entries 1024, flags 0x0, 1 entries,"
                + " pinned " + pins.resolve("conns")) && r.out().contains("totals: BPF_MAP_TYPE_ARRAY, key 4, value 8,"
                + " max_entries 2, flags 0x0, 2 entries, pinned " + pins.resolve("totals")), r.out());
        r = jxdp("map", "show", OBJ, "--pin-dir", pins.toString(), "--json");
        assertTrue(r.out().contains("\"pinned\":\"" + pins.resolve("deny") + "\"}")
                && r.lines().stream().filter(l -> l.contains("\"name\":\"totals\"")).noneMatch(l -> l.contains("pinned")),
                r.out());
        r = jxdp("map", "dump", OBJ, "totals", "--pin-dir", pins.toString(), "--pin", "totals", "--json");
        assertEquals(List.of("{\"key\":\"00000000\",\"value\":\"0300000000000000\"}",
                "{\"key\":\"01000000\",\"value\":\"0000000000000000\"}"), r.lines());

        r = jxdp("prog", "run", OBJ, "--packet", packets.toString(), "--pin-dir", pins.toString(), "--engine", "kernel");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--pin-dir and --pin are for jxdp's engines"), r.err());

        r = jxdp("map", "unpin", "conns", "totals", "--pin-dir", pins.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("unpinned " + pins.resolve("conns"), "unpinned " + pins.resolve("totals")), r.lines());
        assertTrue(!Files.exists(pins.resolve("conns")) && Files.exists(pins.resolve("deny")));
        r = jxdp("map", "dump", OBJ, "conns", "--pin-dir", pins.toString());
        assertEquals("", r.out(), "a fresh conns after unpin");
        assertTrue(Files.exists(pins.resolve("conns")), "conns is LIBBPF_PIN_BY_NAME: the dump pinned it again");
        r = jxdp("map", "unpin", "totals", "--pin-dir", pins.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no pin file for totals in " + pins), r.err());
    }

    /**
     * parity --pin-dir: the interpreter continues from the pinned maps, the kernel from a copy of
     * them; every packet agrees (verdicts, and conns/deny/totals after each packet), which fails if
     * either side started elsewhere: the deny rule exists only in the pin file, the counts go on.
     */
    @Test
    void parityContinuesFromThePinnedMaps() throws Exception {
        Path pins = tmp.resolve("pins");
        Path packets = tmp.resolve("p.txt");
        String pass = "020202020202040404040404080045000026000000004011" + "0000c6120001c6120101" + "03e800350012000000000000000000000000";
        String denied = "020202020202040404040404080045000026000000004011" + "0000c6130505c6120101" + "000700070012000000000000000000000000";
        Files.write(packets, List.of(pass, denied, pass));
        Path yaml = tmp.resolve("deny.yaml");
        Files.writeString(yaml, "maps:\n  deny:\n    - key: \"10000000c6130000\"\n      value: \"0000000000000000\"\n");
        Result r = jxdp("prog", "run", OBJ, "--packet", packets.toString(), "--pin-dir", pins.toString(), "--pin", "totals",
                "--maps", yaml.toString());
        assertEquals(0, r.code(), r.err());
        r = jxdp("parity", OBJ, "--pcap", packets.toString(), "--pin-dir", pins.toString(), "--pin", "totals");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("3 passed, 0 failed"), r.out());
        r = jxdp("map", "dump", OBJ, "deny", "--pin-dir", pins.toString());
        assertEquals(List.of("key 10000000c6130000 value 0200000000000000"), r.lines(), "hits of both runs");
        r = jxdp("parity", OBJ, "--pcap", packets.toString(), "--pin-dir", pins.toString(), "--engines", "kernel,interp");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("must be interp or jit"), r.err());
    }
}
