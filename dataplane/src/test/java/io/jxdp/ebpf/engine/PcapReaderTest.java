package io.jxdp.ebpf.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PcapReaderTest {

    static byte[] pcap(ByteOrder order, int magic, int linkType, List<byte[]> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(order);
        h.putInt(magic).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(linkType);
        out.writeBytes(h.array());
        int t = 0;
        for (byte[] f : frames) {
            ByteBuffer r = ByteBuffer.allocate(16).order(order);
            r.putInt(1_700_000_000 + t).putInt(t++).putInt(f.length).putInt(f.length);
            out.writeBytes(r.array());
            out.writeBytes(f);
        }
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void readsBothByteOrdersAndBothResolutions(int variant) {
        Random rnd = new Random(variant);
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            byte[] f = new byte[rnd.nextInt(1600)];
            rnd.nextBytes(f);
            frames.add(f);
        }
        ByteOrder order = variant % 2 == 0 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        int magic = variant < 2 ? PcapReader.MAGIC_US : PcapReader.MAGIC_NS;
        List<byte[]> read = PcapReader.parse(pcap(order, magic, 1, frames), "t.pcap");
        assertEquals(frames.size(), read.size());
        for (int i = 0; i < frames.size(); i++) {
            assertArrayEquals(frames.get(i), read.get(i), "frame " + i);
        }
    }

    @Test
    void corpusPcapsHaveOneFramePerDescriptionLine() throws Exception {
        Path dir = Path.of("..", "programs", "packets");
        try (var files = Files.list(dir)) {
            List<Path> pcaps = files.filter(p -> p.toString().endsWith(".pcap")).sorted().toList();
            assertTrue(pcaps.size() >= 13, pcaps.toString());
            for (Path p : pcaps) {
                Path txt = Path.of(p.toString().replace(".pcap", ".txt"));
                List<String> lines = Files.readAllLines(txt).stream().filter(l -> !l.isBlank() && !l.startsWith("#"))
                        .toList();
                List<byte[]> frames = PcapReader.read(p);
                assertEquals(lines.size(), frames.size(), p.toString());
                for (int i = 0; i < frames.size(); i++) {
                    String[] cols = lines.get(i).trim().split("\\s+");
                    assertEquals(Integer.parseInt(cols[0]), i, txt + " line " + i);
                    assertEquals(Integer.parseInt(cols[1]), frames.get(i).length, txt + " line " + i);
                }
            }
        }
    }

    @Test
    void errorsNameTheFileRecordAndOffset() {
        byte[] ok = pcap(ByteOrder.LITTLE_ENDIAN, PcapReader.MAGIC_US, 1, List.of(new byte[60], new byte[70]));
        byte[] cut = java.util.Arrays.copyOf(ok, ok.length - 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PcapReader.parse(cut, "c.pcap"));
        assertTrue(e.getMessage().contains("c.pcap: record 1 at byte 100: incl_len 70 but only 65"), e.getMessage());
        byte[] cutHeader = java.util.Arrays.copyOf(ok, 24 + 16 + 60 + 3);
        e = assertThrows(IllegalArgumentException.class, () -> PcapReader.parse(cutHeader, "h.pcap"));
        assertTrue(e.getMessage().contains("record 1 at byte 100: truncated record header"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PcapReader.parse(new byte[10], "s.pcap"));
        assertTrue(e.getMessage().contains("shorter than the 24-byte pcap header"), e.getMessage());
        byte[] ng = pcap(ByteOrder.BIG_ENDIAN, PcapReader.PCAPNG_SHB, 1, List.of());
        e = assertThrows(IllegalArgumentException.class, () -> PcapReader.parse(ng, "n.pcapng"));
        assertTrue(e.getMessage().contains("pcapng"), e.getMessage());
        byte[] raw = pcap(ByteOrder.LITTLE_ENDIAN, PcapReader.MAGIC_US, 101, List.of());
        e = assertThrows(IllegalArgumentException.class, () -> PcapReader.parse(raw, "r.pcap"));
        assertTrue(e.getMessage().contains("link type 101"), e.getMessage());
        byte[] junk = new byte[40];
        e = assertThrows(IllegalArgumentException.class, () -> PcapReader.parse(junk, "j.pcap"));
        assertTrue(e.getMessage().contains("not a pcap file"), e.getMessage());
        byte[] huge = pcap(ByteOrder.LITTLE_ENDIAN, PcapReader.MAGIC_US, 1, List.of(new byte[4]));
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(24 + 8, -1);
        e = assertThrows(IllegalArgumentException.class, () -> PcapReader.parse(huge, "x.pcap"));
        assertTrue(e.getMessage().contains("incl_len 4294967295 exceeds"), e.getMessage());
    }
}
