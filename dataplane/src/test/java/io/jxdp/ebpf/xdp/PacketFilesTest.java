package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PacketFilesTest {
    private static List<byte[]> packets(long seed) {
        Random r = new Random(seed);
        byte[] a = new byte[14 + r.nextInt(100)];
        byte[] b = new byte[1 + r.nextInt(30)];
        r.nextBytes(a);
        r.nextBytes(b);
        return List.of(a, b, new byte[0]);
    }

    private static byte[] pcap(List<byte[]> ps, ByteOrder order, int magic) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(order);
        h.putInt(magic).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        out.writeBytes(h.array());
        for (byte[] p : ps) {
            ByteBuffer r = ByteBuffer.allocate(16).order(order);
            r.putInt(1).putInt(2).putInt(p.length).putInt(p.length);
            out.writeBytes(r.array());
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void readsPcapInBothByteOrdersAndResolutions(long seed, @TempDir Path dir) throws Exception {
        List<byte[]> ps = packets(seed);
        int i = 0;
        for (ByteOrder o : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
            for (int magic : new int[] {0xa1b2c3d4, 0xa1b23c4d}) {
                Path f = dir.resolve("p" + i++ + ".pcap");
                Files.write(f, pcap(ps, o, magic));
                List<byte[]> got = PacketFiles.read(f);
                assertEquals(ps.size(), got.size());
                for (int k = 0; k < ps.size(); k++) {
                    assertArrayEquals(ps.get(k), got.get(k));
                }
            }
        }
    }

    @Test
    void readsPcapng(@TempDir Path dir) throws Exception {
        List<byte[]> ps = packets(9);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer shb = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
        shb.putInt(0x0a0d0d0a).putInt(28).putInt(0x1a2b3c4d).putShort((short) 1).putShort((short) 0).putLong(-1).putInt(28);
        out.writeBytes(shb.array());
        ByteBuffer idb = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        idb.putInt(1).putInt(20).putShort((short) 1).putShort((short) 0).putInt(65535).putInt(20);
        out.writeBytes(idb.array());
        for (byte[] p : ps) {
            int padded = (p.length + 3) & ~3;
            ByteBuffer epb = ByteBuffer.allocate(32 + padded).order(ByteOrder.LITTLE_ENDIAN);
            epb.putInt(6).putInt(32 + padded).putInt(0).putInt(0).putInt(0).putInt(p.length).putInt(p.length);
            epb.put(p).position(28 + padded);
            epb.putInt(32 + padded);
            out.writeBytes(epb.array());
        }
        Path f = dir.resolve("p.pcapng");
        Files.write(f, out.toByteArray());
        List<byte[]> got = PacketFiles.read(f);
        assertEquals(ps.size(), got.size());
        for (int k = 0; k < ps.size(); k++) {
            assertArrayEquals(ps.get(k), got.get(k));
        }
    }

    @Test
    void readsTheCorpusPcapLikeItsDescription() throws Exception {
        Path root = Corpus.root();
        List<byte[]> got = PacketFiles.read(root.resolve("packets/xdp_parser.pcap"));
        List<String> desc = Files.readAllLines(root.resolve("packets/xdp_parser.txt")).stream()
                .filter(l -> l.matches("\\d+\\s+\\d+\\s.*")).toList();
        assertEquals(desc.size(), got.size());
        for (int i = 0; i < got.size(); i++) {
            assertEquals(Integer.parseInt(desc.get(i).trim().split("\\s+")[1]), got.get(i).length, "packet " + i);
        }
    }

    @Test
    void hexTextWithCommentsAndWhitespace() {
        List<byte[]> got = PacketFiles.hex(Path.of("t.txt"), "# c\n  0a0B 0c\n\n\t01 02 # tail\r\n");
        assertEquals(2, got.size());
        assertArrayEquals(new byte[] {10, 11, 12}, got.get(0));
        assertArrayEquals(new byte[] {1, 2}, got.get(1));
    }

    @Test
    void errorsNameTheFileAndPlace(@TempDir Path dir) throws Exception {
        String m = assertThrows(IllegalArgumentException.class,
                () -> PacketFiles.hex(Path.of("t.txt"), "0102\n01 0x\n")).getMessage();
        assertEquals("t.txt:2:5: 'x' is not a hex digit", m);
        m = assertThrows(IllegalArgumentException.class, () -> PacketFiles.hex(Path.of("t.txt"), "012\n")).getMessage();
        assertTrue(m.startsWith("t.txt:1:3: odd number of hex digits"), m);
        byte[] p = pcap(packets(4), ByteOrder.LITTLE_ENDIAN, 0xa1b2c3d4);
        Path f = dir.resolve("cut.pcap");
        Files.write(f, java.util.Arrays.copyOf(p, p.length - 5));
        m = assertThrows(IllegalArgumentException.class, () -> PacketFiles.read(f)).getMessage();
        assertTrue(m.contains("cut.pcap") && m.contains("at offset 155"), m);
    }
}
