package io.jxdp.ffi.pcap;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes classic pcap (draft-ietf-opsawg-pcap): by default nanosecond resolution (magic
 * {@code 0xa1b23c4d}, so timestamps survive exactly) in little-endian, snaplen 262144. The
 * record header buffer is reused; writing a packet allocates nothing.
 */
public final class PcapWriter implements Closeable {
    private final OutputStream out;
    private final boolean nanosecond;
    private final ByteBuffer record;

    /** A nanosecond, little-endian pcap file of {@code linkType} ({@link LinkType}). */
    public PcapWriter(Path path, int linkType) throws IOException {
        this(path, linkType, true, ByteOrder.LITTLE_ENDIAN);
    }

    /** A pcap file with the given timestamp resolution and byte order. */
    public PcapWriter(Path path, int linkType, boolean nanosecond, ByteOrder order) throws IOException {
        if (linkType < 0 || linkType > 0xFFFF) {
            throw new IllegalArgumentException("link type " + linkType + " is not a 16-bit value");
        }
        this.nanosecond = nanosecond;
        this.record = ByteBuffer.allocate(16).order(order);
        ByteBuffer h = ByteBuffer.allocate(24).order(order);
        h.putInt(nanosecond ? PcapReader.MAGIC_NANOS : PcapReader.MAGIC_MICROS);
        h.putShort((short) 2).putShort((short) 4); // version 2.4
        h.putInt(0).putInt(0); // thiszone, sigfigs: always 0
        h.putInt(PcapReader.MAX_PACKET); // snaplen
        h.putInt(linkType);
        this.out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 16);
        out.write(h.array());
    }

    /** Writes a whole packet captured at {@code tsNanos} (nanoseconds since the Unix epoch). */
    public void write(long tsNanos, byte[] data) throws IOException {
        write(tsNanos, data, 0, data.length, data.length);
    }

    /** Writes {@code length} bytes of {@code data} from {@code offset}, of a packet {@code originalLength} long on the wire. */
    public void write(long tsNanos, byte[] data, int offset, int length, int originalLength) throws IOException {
        if (tsNanos < 0 || tsNanos / 1_000_000_000L > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("timestamp " + tsNanos + " ns is outside pcap's unsigned 32-bit seconds");
        }
        if (length > PcapReader.MAX_PACKET || length > originalLength) {
            throw new IllegalArgumentException("packet of " + length + " bytes (on the wire " + originalLength
                    + ") exceeds the snaplen " + PcapReader.MAX_PACKET + " or its original length");
        }
        long sec = tsNanos / 1_000_000_000L;
        long frac = tsNanos % 1_000_000_000L;
        record.clear();
        record.putInt((int) sec).putInt((int) (nanosecond ? frac : frac / 1000)).putInt(length).putInt(originalLength);
        out.write(record.array());
        out.write(data, offset, length);
    }

    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
