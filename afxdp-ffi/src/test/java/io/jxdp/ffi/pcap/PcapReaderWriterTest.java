package io.jxdp.ffi.pcap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PcapReaderWriterTest {
    @TempDir
    Path dir;

    static Stream<Arguments> formats() {
        List<Arguments> a = new ArrayList<>();
        long seed = 11;
        for (boolean nanos : new boolean[] {true, false}) {
            for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                a.add(Arguments.of(nanos, order, seed++));
            }
        }
        return a.stream();
    }

    private static List<PcapPacket> randomPackets(Random r, int n) {
        List<PcapPacket> ps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] d = new byte[14 + r.nextInt(1500)];
            r.nextBytes(d);
            long ts = 1_700_000_000_000_000_000L + r.nextLong(1_000_000_000_000L);
            ps.add(new PcapPacket(ts, d, d.length));
        }
        return ps;
    }

    @ParameterizedTest
    @MethodSource("formats")
    void writtenPacketsReadBackInEveryResolutionAndByteOrder(boolean nanos, ByteOrder order, long seed) throws IOException {
        List<PcapPacket> ps = randomPackets(new Random(seed), 50);
        Path f = dir.resolve("rt.pcap");
        try (PcapWriter w = new PcapWriter(f, LinkType.ETHERNET, nanos, order)) {
            for (PcapPacket p : ps) {
                w.write(p.timestampNanos(), p.data());
            }
        }
        try (PcapReader r = PcapReader.open(f)) {
            assertFalse(r.isPcapng());
            assertEquals(LinkType.ETHERNET, r.linkType());
            int i = 0;
            for (PcapPacket got : r) {
                PcapPacket want = ps.get(i++);
                long ts = nanos ? want.timestampNanos() : want.timestampNanos() / 1000 * 1000;
                assertEquals(ts, got.timestampNanos());
                assertArrayEquals(want.data(), got.data());
                assertEquals(want.originalLength(), got.originalLength());
            }
            assertEquals(ps.size(), i);
        }
    }

    @Test
    void truncatedCaptureKeepsTheOriginalLengthAndRawLinkTypeIsRead() throws IOException {
        Path f = dir.resolve("raw.pcap");
        byte[] ip = new byte[60];
        ip[0] = 0x45;
        try (PcapWriter w = new PcapWriter(f, LinkType.RAW)) {
            w.write(5_000_000_123L, ip, 0, 40, 60);
        }
        try (PcapReader r = PcapReader.open(f)) {
            PcapPacket p = r.next();
            assertEquals(LinkType.RAW, r.linkType());
            assertEquals(40, p.data().length);
            assertEquals(60, p.originalLength());
            assertEquals(5_000_000_123L, p.timestampNanos());
            assertEquals(null, r.next());
        }
    }

    @ParameterizedTest
    @MethodSource("byteOrders")
    void pcapngBlocksInEitherByteOrder(ByteOrder order) throws IOException {
        byte[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
        byte[] b = new byte[64];
        new Random(3).nextBytes(b);
        byte[] pcapng = new PcapNg(order)
                .section()
                .iface(LinkType.ETHERNET, 0, -1)          // interface 0: default microseconds
                .block(0x0BAD, new byte[] {9, 9, 9})      // unknown block: skipped
                .iface(LinkType.RAW, 0, 9)                // interface 1: nanoseconds
                .iface(LinkType.ETHERNET, 0, 0x80 | 10)   // interface 2: 2^-10 s
                .epb(0, 1_700_000_000_123_456L, a, 100)
                .epb(1, 1_700_000_000_123_456_789L, b, b.length)
                .epb(2, 3L * 1024 + 512, a, a.length)     // 3.5 s in 1/1024 s units
                .spb(b)
                .bytes();
        Path f = dir.resolve("t.pcapng");
        Files.write(f, pcapng);
        try (PcapReader r = PcapReader.open(f)) {
            assertTrue(r.isPcapng());
            PcapPacket p0 = r.next();
            assertEquals(LinkType.ETHERNET, r.linkType());
            assertEquals(1_700_000_000_123_456_000L, p0.timestampNanos());
            assertArrayEquals(a, p0.data());
            assertEquals(100, p0.originalLength());
            PcapPacket p1 = r.next();
            assertEquals(LinkType.RAW, r.linkType());
            assertEquals(1_700_000_000_123_456_789L, p1.timestampNanos());
            assertArrayEquals(b, p1.data());
            PcapPacket p2 = r.next();
            assertEquals(3_500_000_000L, p2.timestampNanos());
            PcapPacket p3 = r.next();
            assertEquals(0, p3.timestampNanos()); // simple packet blocks carry no timestamp
            assertArrayEquals(b, p3.data());
            assertEquals(null, r.next());
        }
    }

    static Stream<ByteOrder> byteOrders() {
        return Stream.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN);
    }

    @Test
    void sectionsMaySwitchByteOrder() throws IOException {
        byte[] a = {1, 2, 3};
        byte[] le = new PcapNg(ByteOrder.LITTLE_ENDIAN).section().iface(1, 0, 9).epb(0, 7, a, 3).bytes();
        byte[] be = new PcapNg(ByteOrder.BIG_ENDIAN).section().iface(1, 0, 9).epb(0, 8, a, 3).bytes();
        Path f = dir.resolve("two.pcapng");
        Files.write(f, concat(le, be));
        List<PcapPacket> ps = PcapReader.readAll(f);
        assertEquals(2, ps.size());
        assertEquals(7, ps.get(0).timestampNanos());
        assertEquals(8, ps.get(1).timestampNanos());
    }

    private static byte[] concat(byte[] x, byte[] y) {
        byte[] r = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, r, x.length, y.length);
        return r;
    }

    // ------------------------------------------------------------------ malformed input

    private PcapFormatException malformed(byte[] content) throws IOException {
        Path f = dir.resolve("bad.pcap");
        Files.write(f, content);
        return assertThrows(PcapFormatException.class, () -> PcapReader.readAll(f));
    }

    private byte[] validPcap(int packets) throws IOException {
        Path f = dir.resolve("valid.pcap");
        try (PcapWriter w = new PcapWriter(f, LinkType.ETHERNET)) {
            for (int i = 0; i < packets; i++) {
                w.write(i, new byte[60]);
            }
        }
        return Files.readAllBytes(f);
    }

    @Test
    void badMagicIsNamed() throws IOException {
        PcapFormatException e = malformed("GIF89a and some more bytes to be long enough".getBytes());
        assertEquals(0, e.offset());
        assertTrue(e.getMessage().contains("bad magic 47 49 46 38"), e.getMessage());
        assertTrue(e.getMessage().contains("bad.pcap"), e.getMessage());
    }

    @Test
    void truncatedFileHeader() throws IOException {
        PcapFormatException e = malformed(Arrays.copyOf(validPcap(0), 10));
        assertEquals(4, e.offset());
        assertTrue(e.getMessage().contains("truncated pcap file header"), e.getMessage());
        assertTrue(malformed(new byte[2]).getMessage().contains("truncated file header magic"));
    }

    @Test
    void truncatedRecordHeaderAndData() throws IOException {
        byte[] ok = validPcap(2); // 24 + 2 * (16 + 60) = 176 bytes
        PcapFormatException header = malformed(Arrays.copyOf(ok, 24 + 76 + 7));
        assertEquals(100, header.offset());
        assertTrue(header.getMessage().contains("truncated header: 7 of 16"), header.getMessage());
        PcapFormatException data = malformed(Arrays.copyOf(ok, 24 + 76 + 16 + 30));
        assertEquals(108, data.offset()); // incl_len of the second record
        assertTrue(data.getMessage().contains("claims 60 bytes but only 30 remain"), data.getMessage());
    }

    @Test
    void recordLongerThan256KiB() throws IOException {
        byte[] bad = validPcap(1);
        ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putInt(24 + 8, 300_000);
        PcapFormatException e = malformed(bad);
        assertEquals(32, e.offset());
        assertTrue(e.getMessage().contains("300000 exceeds 262144"), e.getMessage());
    }

    @Test
    void unsupportedLinkTypeAndVersion() throws IOException {
        byte[] bad = validPcap(0);
        ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putInt(20, 105); // IEEE 802.11
        assertTrue(malformed(bad).getMessage().contains("unsupported link type 105"));
        byte[] v = validPcap(0);
        ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).putShort(4, (short) 3);
        assertTrue(malformed(v).getMessage().contains("unsupported pcap version 3"));
    }

    @Test
    void malformedPcapngBlocks() throws IOException {
        byte[] good = new PcapNg(ByteOrder.LITTLE_ENDIAN).section().iface(1, 0, -1).epb(0, 1, new byte[20], 20).bytes();
        // cut inside the packet block (it starts at 28 + 20 = 48)
        PcapFormatException cut = malformed(Arrays.copyOf(good, good.length - 6));
        assertEquals(52, cut.offset());
        assertTrue(cut.getMessage().contains("runs past the end"), cut.getMessage());
        // trailing length differs from the leading one
        byte[] trailer = good.clone();
        ByteBuffer.wrap(trailer).order(ByteOrder.LITTLE_ENDIAN).putInt(trailer.length - 4, 999);
        PcapFormatException t = malformed(trailer);
        assertEquals(trailer.length - 4, t.offset());
        assertTrue(t.getMessage().contains("trailing length 999"), t.getMessage());
        // a packet of an interface the section never described
        byte[] noIface = new PcapNg(ByteOrder.LITTLE_ENDIAN).section().epb(0, 1, new byte[4], 4).bytes();
        assertTrue(malformed(noIface).getMessage().contains("names interface 0 but the section describes 0"));
        // bad byte-order magic
        byte[] magic = good.clone();
        magic[8] = 0;
        assertTrue(malformed(magic).getMessage().contains("bad pcapng byte-order magic"));
        // captured length beyond its block
        byte[] cap = good.clone();
        ByteBuffer.wrap(cap).order(ByteOrder.LITTLE_ENDIAN).putInt(48 + 20, 24);
        assertTrue(malformed(cap).getMessage().contains("captured length 24 exceeds the block's 20 bytes"));
    }

    @Test
    void writerRejectsWhatPcapCannotHold() throws IOException {
        try (PcapWriter w = new PcapWriter(dir.resolve("w.pcap"), LinkType.ETHERNET)) {
            assertThrows(IllegalArgumentException.class, () -> w.write(-1, new byte[1]));
            assertThrows(IllegalArgumentException.class, () -> w.write(0, new byte[PcapReader.MAX_PACKET + 1]));
        }
    }
}
