package io.jxdp.ebpf.xdp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the packets {@code prog run} feeds a program: a pcap file (libpcap format, either byte
 * order, microsecond or nanosecond), a pcapng file (Enhanced and Simple Packet Blocks), or a text
 * file of hex bytes, one packet per line (whitespace allowed anywhere, {@code #} starts a comment,
 * blank lines skipped). Errors name the file and where: the byte offset, or line:column.
 */
public final class PacketFiles {
    private static final int PCAP_MAGIC_US = 0xa1b2c3d4;
    private static final int PCAP_MAGIC_NS = 0xa1b23c4d;
    private static final int PCAPNG_SHB = 0x0a0d0d0a;
    /** A cap on one record's length, above any link MTU, against corrupt files. */
    private static final int MAX_RECORD = 1 << 18;

    private PacketFiles() {
    }

    /** Reads every packet of path; {@link IllegalArgumentException} names the file and the place of an error. */
    public static List<byte[]> read(Path path) throws IOException {
        byte[] b = Files.readAllBytes(path);
        if (b.length >= 4) {
            int le = ByteBuffer.wrap(b, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            int be = ByteBuffer.wrap(b, 0, 4).order(ByteOrder.BIG_ENDIAN).getInt();
            if (le == PCAP_MAGIC_US || le == PCAP_MAGIC_NS) {
                return pcap(path, b, ByteOrder.LITTLE_ENDIAN);
            }
            if (be == PCAP_MAGIC_US || be == PCAP_MAGIC_NS) {
                return pcap(path, b, ByteOrder.BIG_ENDIAN);
            }
            if (le == PCAPNG_SHB) {
                return pcapng(path, b);
            }
        }
        return hex(path, new String(b, StandardCharsets.ISO_8859_1));
    }

    private static List<byte[]> pcap(Path path, byte[] b, ByteOrder order) {
        if (b.length < 24) {
            throw new IllegalArgumentException(path + ": pcap file header truncated (" + b.length + " of 24 bytes)");
        }
        ByteBuffer buf = ByteBuffer.wrap(b).order(order);
        List<byte[]> out = new ArrayList<>();
        int at = 24;
        while (at < b.length) {
            if (b.length - at < 16) {
                throw new IllegalArgumentException(path + ": pcap record header at byte " + at + " truncated");
            }
            int incl = buf.getInt(at + 8);
            if (incl < 0 || incl > MAX_RECORD || incl > b.length - at - 16) {
                throw new IllegalArgumentException(path + ": pcap record at byte " + at + " has captured length "
                        + Integer.toUnsignedString(incl) + " beyond the file or the " + MAX_RECORD + "-byte limit");
            }
            byte[] p = new byte[incl];
            System.arraycopy(b, at + 16, p, 0, incl);
            out.add(p);
            at += 16 + incl;
        }
        return out;
    }

    private static List<byte[]> pcapng(Path path, byte[] b) {
        List<byte[]> out = new ArrayList<>();
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        int at = 0;
        while (at < b.length) {
            if (b.length - at < 12) {
                throw new IllegalArgumentException(path + ": pcapng block at byte " + at + " truncated");
            }
            ByteBuffer buf = ByteBuffer.wrap(b).order(order);
            int type = buf.getInt(at);
            if (type == PCAPNG_SHB) {
                int bom = ByteBuffer.wrap(b, at + 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
                order = bom == 0x1a2b3c4d ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
                buf.order(order);
            }
            int len = buf.getInt(at + 4);
            if (len < 12 || (len & 3) != 0 || len > b.length - at) {
                throw new IllegalArgumentException(path + ": pcapng block at byte " + at + " has bad length "
                        + Integer.toUnsignedString(len));
            }
            if (type == 6) { // Enhanced Packet Block
                int cap = buf.getInt(at + 20);
                if (cap < 0 || cap > len - 32) {
                    throw new IllegalArgumentException(path + ": pcapng packet at byte " + at + " has captured length "
                            + Integer.toUnsignedString(cap) + " beyond its block");
                }
                byte[] p = new byte[cap];
                System.arraycopy(b, at + 28, p, 0, cap);
                out.add(p);
            } else if (type == 3) { // Simple Packet Block
                int orig = buf.getInt(at + 8);
                int cap = Math.min(orig, len - 16);
                if (cap < 0) {
                    throw new IllegalArgumentException(path + ": pcapng simple packet at byte " + at + " is malformed");
                }
                byte[] p = new byte[cap];
                System.arraycopy(b, at + 12, p, 0, cap);
                out.add(p);
            }
            at += len;
        }
        return out;
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
