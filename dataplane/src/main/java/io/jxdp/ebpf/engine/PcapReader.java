package io.jxdp.ebpf.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the frames of a classic libpcap file (pcap-savefile(5); draft-ietf-opsawg-pcap): a 24-byte
 * header whose magic 0xa1b2c3d4 (microseconds) or 0xa1b23c4d (nanoseconds) also gives the byte
 * order, then per record ts_sec, ts_frac, incl_len, orig_len and incl_len bytes. Only
 * LINKTYPE_ETHERNET (1) is accepted, since XDP sees Ethernet frames. pcapng is refused by name.
 *
 * <p>A small reader for {@code parity} and the corpus tests; if a shared pcap package lands
 * (planned as {@code io.jxdp.ffi.pcap}), this one should give way to it.
 */
public final class PcapReader {
    private PcapReader() {}

    static final int MAGIC_US = 0xa1b2c3d4;
    static final int MAGIC_NS = 0xa1b23c4d;
    static final int PCAPNG_SHB = 0x0a0d0d0a;
    static final int LINKTYPE_ETHERNET = 1;
    static final int HEADER = 24;
    static final int RECORD_HEADER = 16;
    /** Larger than any frame a test run takes; a larger incl_len means a corrupt file. */
    static final int MAX_FRAME = 262_144;

    /** The frames of {@code file}, in file order. */
    public static List<byte[]> read(Path file) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read pcap " + file, e);
        }
        return parse(data, file.toString());
    }

    /**
     * Parses pcap bytes.
     *
     * @throws IllegalArgumentException naming {@code source}, the record index and the byte offset
     */
    public static List<byte[]> parse(byte[] data, String source) {
        if (data.length < HEADER) {
            throw new IllegalArgumentException(source + ": " + data.length + " bytes, shorter than the "
                    + HEADER + "-byte pcap header");
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        if (magic != MAGIC_US && magic != MAGIC_NS) {
            b.order(ByteOrder.BIG_ENDIAN);
            magic = b.getInt(0);
        }
        if (magic == PCAPNG_SHB) {
            throw new IllegalArgumentException(source + ": a pcapng file; convert it with 'editcap -F pcap'");
        }
        if (magic != MAGIC_US && magic != MAGIC_NS) {
            throw new IllegalArgumentException(source + ": not a pcap file (magic 0x"
                    + Integer.toHexString(b.order(ByteOrder.LITTLE_ENDIAN).getInt(0)) + ")");
        }
        int linkType = b.getInt(20) & 0x0fff_ffff; // upper bits: FCS length (pcap-savefile(5))
        if (linkType != LINKTYPE_ETHERNET) {
            throw new IllegalArgumentException(source + ": link type " + linkType + ", want Ethernet ("
                    + LINKTYPE_ETHERNET + ")");
        }
        List<byte[]> frames = new ArrayList<>();
        int off = HEADER;
        while (off < data.length) {
            int index = frames.size();
            if (data.length - off < RECORD_HEADER) {
                throw new IllegalArgumentException(source + ": record " + index + " at byte " + off
                        + ": truncated record header");
            }
            long incl = Integer.toUnsignedLong(b.getInt(off + 8));
            if (incl > MAX_FRAME) {
                throw new IllegalArgumentException(source + ": record " + index + " at byte " + off + ": incl_len "
                        + incl + " exceeds " + MAX_FRAME);
            }
            if (data.length - off - RECORD_HEADER < incl) {
                throw new IllegalArgumentException(source + ": record " + index + " at byte " + off + ": incl_len "
                        + incl + " but only " + (data.length - off - RECORD_HEADER) + " bytes remain");
            }
            byte[] frame = new byte[(int) incl];
            System.arraycopy(data, off + RECORD_HEADER, frame, 0, frame.length);
            frames.add(frame);
            off += RECORD_HEADER + (int) incl;
        }
        return frames;
    }
}
