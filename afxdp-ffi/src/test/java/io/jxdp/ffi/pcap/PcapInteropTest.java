package io.jxdp.ffi.pcap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written by other tools read by {@link PcapReader}, and files written by {@link PcapWriter}
 * read by other tools: python3-scapy ({@code wrpcap}, {@code wrpcapng}, {@code rdpcap}) and
 * tcpdump ({@code -r ... -w}, which rewrites through libpcap's own writer). Both are installed
 * by scripts/install-deps; the system python is used because scapy is a Debian package.
 */
class PcapInteropTest {
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    static Path dir;

    /** What the scapy script was told to write: timestamp in microseconds and frame bytes. */
    private record Expected(long micros, byte[] data) {}

    private static final List<Expected> EXPECTED = new ArrayList<>();

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + cmd);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(cmd + " exited " + p.exitValue() + ": " + text);
        }
        return text;
    }

    @BeforeAll
    static void writeWithScapy() throws Exception {
        // UDP frames between 198.18.0.0/15 test addresses, payload lengths from a seeded generator
        Random r = new Random(2024);
        StringBuilder lens = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            lens.append(i == 0 ? "" : ",").append(r.nextInt(300));
        }
        String script = """
                import sys
                from decimal import Decimal
                from scapy.all import Ether, IP, UDP, Raw, wrpcap, wrpcapng
                pkts = []
                for i, n in enumerate([%s]):
                    p = Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02") / \\
                        IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1000 + i, dport=53) / Raw(bytes([i]) * n)
                    us = 1700000000 * 1000000 + i * 250001
                    p.time = Decimal(us) / Decimal(1000000)
                    pkts.append(p)
                    print(us, bytes(p).hex())
                wrpcap(sys.argv[1], pkts)
                wrpcapng(sys.argv[2], pkts)
                """.formatted(lens);
        String out = run(List.of(PYTHON, "-c", script, dir.resolve("scapy.pcap").toString(),
                dir.resolve("scapy.pcapng").toString()));
        for (String line : out.strip().split("\n")) {
            String[] f = line.strip().split(" ");
            EXPECTED.add(new Expected(Long.parseLong(f[0]), HexFormat.of().parseHex(f[1])));
        }
        assertEquals(12, EXPECTED.size());
    }

    private static void assertMatchesExpected(Path f) throws IOException {
        List<PcapPacket> got = PcapReader.readAll(f);
        assertEquals(EXPECTED.size(), got.size(), f.toString());
        for (int i = 0; i < got.size(); i++) {
            assertEquals(EXPECTED.get(i).micros() * 1000, got.get(i).timestampNanos(), f + " packet " + i);
            assertArrayEquals(EXPECTED.get(i).data(), got.get(i).data(), f + " packet " + i);
            assertEquals(EXPECTED.get(i).data().length, got.get(i).originalLength());
        }
    }

    @Test
    void readsScapyPcapAndPcapng() throws IOException {
        assertMatchesExpected(dir.resolve("scapy.pcap"));
        assertMatchesExpected(dir.resolve("scapy.pcapng"));
        try (PcapReader r = PcapReader.open(dir.resolve("scapy.pcapng"))) {
            assertTrue(r.isPcapng());
        }
    }

    @Test
    void readsWhatTcpdumpWrites() throws Exception {
        Path micro = dir.resolve("tcpdump-us.pcap");
        Path nano = dir.resolve("tcpdump-ns.pcap");
        Path fromNg = dir.resolve("tcpdump-from-ng.pcap");
        run(List.of("tcpdump", "-r", dir.resolve("scapy.pcap").toString(), "-w", micro.toString()));
        run(List.of("tcpdump", "--time-stamp-precision=nano", "-r", dir.resolve("scapy.pcap").toString(),
                "-w", nano.toString()));
        run(List.of("tcpdump", "-r", dir.resolve("scapy.pcapng").toString(), "-w", fromNg.toString()));
        assertMatchesExpected(micro);
        assertMatchesExpected(nano);
        assertMatchesExpected(fromNg);
    }

    @Test
    void tcpdumpAndScapyReadWhatPcapWriterWrites() throws Exception {
        Path f = dir.resolve("jxdp.pcap");
        long base = 1_700_000_000_000_000_000L;
        try (PcapWriter w = new PcapWriter(f, LinkType.ETHERNET)) {
            for (int i = 0; i < EXPECTED.size(); i++) {
                w.write(base + i * 1_000_000_007L + i, EXPECTED.get(i).data());
            }
        }
        String[] lines = run(List.of("tcpdump", "-nn", "-tt", "--time-stamp-precision=nano", "-r", f.toString()))
                .strip().split("\n");
        List<String> packets = new ArrayList<>();
        for (String l : lines) {
            if (!l.startsWith("reading from file")) {
                packets.add(l);
            }
        }
        assertEquals(EXPECTED.size(), packets.size(), String.join("\n", lines));
        for (int i = 0; i < packets.size(); i++) {
            long ns = base + i * 1_000_000_007L + i;
            String stamp = (ns / 1_000_000_000L) + "." + String.format("%09d", ns % 1_000_000_000L);
            assertTrue(packets.get(i).startsWith(stamp + " IP 198.18.0.1." + (1000 + i) + " > 198.18.0.2.53: "),
                    packets.get(i));
        }
        String hex = run(List.of(PYTHON, "-c",
                "import sys\nfrom scapy.all import rdpcap\nfor p in rdpcap(sys.argv[1]): print(bytes(p).hex())",
                f.toString()));
        String[] frames = hex.strip().split("\n");
        assertEquals(EXPECTED.size(), frames.length);
        for (int i = 0; i < frames.length; i++) {
            assertArrayEquals(EXPECTED.get(i).data(), HexFormat.of().parseHex(frames[i].strip()));
        }
    }
}
