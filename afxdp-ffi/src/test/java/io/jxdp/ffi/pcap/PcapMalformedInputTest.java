package io.jxdp.ffi.pcap;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every prefix of a valid file, and files with seeded random bytes overwritten, either read as
 * packets or fail with {@link PcapFormatException}: no other exception escapes the reader.
 */
class PcapMalformedInputTest {
    @TempDir
    Path dir;

    private byte[] sample(boolean pcapng, ByteOrder order) throws IOException {
        Random r = new Random(5);
        byte[][] frames = new byte[4][];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = new byte[14 + r.nextInt(100)];
            r.nextBytes(frames[i]);
        }
        if (pcapng) {
            PcapNg ng = new PcapNg(order).section().iface(LinkType.ETHERNET, 0, 9).block(99, new byte[] {1, 2});
            for (byte[] f : frames) {
                ng.epb(0, 1_000_000_000L, f, f.length);
            }
            return ng.spb(frames[0]).bytes();
        }
        Path f = dir.resolve("sample.pcap");
        try (PcapWriter w = new PcapWriter(f, LinkType.ETHERNET, true, order)) {
            for (byte[] fr : frames) {
                w.write(7, fr);
            }
        }
        return Files.readAllBytes(f);
    }

    private void readOrFormatError(byte[] content, String what) throws IOException {
        Path f = dir.resolve("in.bin");
        Files.write(f, content);
        try {
            List<PcapPacket> ps = PcapReader.readAll(f);
            assertTrue(ps.size() <= 5, what);
        } catch (PcapFormatException e) {
            assertTrue(e.offset() >= 0 && e.offset() <= content.length, what + ": offset " + e.offset());
        } catch (RuntimeException e) {
            fail(what + ": " + e, e);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void everyPrefixReadsOrFailsCleanly(boolean pcapng) throws IOException {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            byte[] full = sample(pcapng, order);
            for (int n = 0; n < full.length; n++) {
                readOrFormatError(java.util.Arrays.copyOf(full, n), order + " prefix of " + n + " bytes");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void randomCorruptionReadsOrFailsCleanly(long seed) throws IOException {
        Random r = new Random(seed);
        for (int round = 0; round < 300; round++) {
            boolean pcapng = r.nextBoolean();
            byte[] b = sample(pcapng, r.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            int edits = 1 + r.nextInt(4);
            StringBuilder what = new StringBuilder("seed " + seed + " round " + round + ":");
            for (int i = 0; i < edits; i++) {
                int at = r.nextInt(b.length);
                b[at] = (byte) r.nextInt(256);
                what.append(' ').append(at);
            }
            readOrFormatError(b, what.toString());
        }
    }
}
