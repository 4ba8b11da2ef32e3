package io.jxdp.ebpf.xdp;

import io.jxdp.ffi.pcap.PcapFormatException;
import io.jxdp.ffi.pcap.PcapPacket;
import io.jxdp.ffi.pcap.PcapReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the packets {@code prog run} feeds a program: a pcap or pcapng file (through afxdp-ffi's
 * {@link PcapReader}), or a text
 * file of hex bytes, one packet per line (whitespace allowed anywhere, {@code #} starts a comment,
 * blank lines skipped). Errors name the file and where: the byte offset, or line:column.
 */
public final class PacketFiles {
    private static final int PCAP_MAGIC_US = 0xa1b2c3d4;
    private static final int PCAP_MAGIC_NS = 0xa1b23c4d;
    private static final int PCAPNG_SHB = 0x0a0d0d0a;

    private PacketFiles() {
    }

    /** Reads every packet of path; {@link IllegalArgumentException} names the file and the place of an error. */
    public static List<byte[]> read(Path path) throws IOException {
        byte[] b = Files.readAllBytes(path);
        if (b.length >= 4 && isCapture(ByteBuffer.wrap(b, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt())) {
            try {
                List<byte[]> out = new ArrayList<>();
                for (PcapPacket p : PcapReader.readAll(path)) {
                    out.add(p.data());
                }
                return out;
            } catch (PcapFormatException e) {
                throw new IllegalArgumentException(e.getMessage(), e); // names the file and the byte offset
            }
        }
        return hex(path, new String(b, StandardCharsets.ISO_8859_1));
    }

    /** A pcap magic in either byte order, or a pcapng section header block. */
    private static boolean isCapture(int le) {
        return le == PCAP_MAGIC_US || le == PCAP_MAGIC_NS || le == PCAPNG_SHB
                || Integer.reverseBytes(le) == PCAP_MAGIC_US || Integer.reverseBytes(le) == PCAP_MAGIC_NS;
    }

    /** Parses hex text, one packet per line; errors say line:column. */
    public static List<byte[]> hex(Path path, String text) {
        List<byte[]> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int ln = 0; ln < lines.length; ln++) {
            String line = lines[ln];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            byte[] p = new byte[line.length() / 2 + 1];
            int n = 0;
            int hi = -1;
            int hiCol = 0;
            for (int col = 0; col < line.length(); col++) {
                char c = line.charAt(col);
                if (Character.isWhitespace(c)) {
                    continue;
                }
                int d = Character.digit(c, 16);
                if (d < 0) {
                    throw new IllegalArgumentException(path + ":" + (ln + 1) + ":" + (col + 1) + ": '" + c
                            + "' is not a hex digit");
                }
                if (hi < 0) {
                    hi = d;
                    hiCol = col;
                } else {
                    p[n++] = (byte) (hi << 4 | d);
                    hi = -1;
                }
            }
            if (hi >= 0) {
                throw new IllegalArgumentException(path + ":" + (ln + 1) + ":" + (hiCol + 1)
                        + ": odd number of hex digits (a byte needs two)");
            }
            if (n > 0) {
                out.add(java.util.Arrays.copyOf(p, n));
            }
        }
        return out;
    }
}
