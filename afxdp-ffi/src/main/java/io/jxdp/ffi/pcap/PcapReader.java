package io.jxdp.ffi.pcap;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Reads classic pcap and pcapng capture files, one packet at a time.
 *
 * <p>Classic pcap (draft-ietf-opsawg-pcap): a 24-byte file header whose magic gives byte order
 * and timestamp resolution ({@code 0xa1b2c3d4} microseconds, {@code 0xa1b23c4d} nanoseconds,
 * either byte order), then 16-byte record headers (ts_sec, ts_usec/nsec, incl_len, orig_len)
 * each followed by incl_len bytes.
 *
 * <p>pcapng (draft-ietf-opsawg-pcapng): blocks of {type, total length, body, total length}.
 * Read here: Section Header (0x0A0D0D0A; its byte-order magic 0x1A2B3C4D sets the section's
 * byte order), Interface Description (1; link type, snaplen, {@code if_tsresol}), Enhanced
 * Packet (6) and Simple Packet (3). Every other block type is skipped by its length.
 *
 * <p>Link types ETHERNET (1) and RAW (101) are accepted; others are a format error, since the
 * dataplane could not interpret their packets. Malformed input (bad magic, truncated header or
 * body, a record longer than the file or than {@link #MAX_PACKET}) throws
 * {@link PcapFormatException} naming the file offset.
 */
public final class PcapReader implements Closeable, Iterable<PcapPacket> {
    /** Largest packet accepted: 256 KiB, libpcap's MAXIMUM_SNAPLEN. */
    public static final int MAX_PACKET = 256 * 1024;
    /** Largest non-packet pcapng block accepted (e.g. name resolution), to bound memory. */
    static final int MAX_BLOCK = 16 << 20;

    static final int MAGIC_MICROS = 0xa1b2c3d4;
    static final int MAGIC_NANOS = 0xa1b23c4d;
    static final int PCAPNG_SHB = 0x0A0D0D0A;
    static final int PCAPNG_BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    static final int PCAPNG_IDB = 1;
    static final int PCAPNG_SPB = 3;
    static final int PCAPNG_EPB = 6;
    static final int OPT_ENDOFOPT = 0;
    static final int OPT_IF_TSRESOL = 9;

    private final String file;
    private final InputStream in;
    private final long fileSize;
    private final boolean pcapng;
    private long offset;
    private ByteOrder order;
    // classic pcap
    private boolean nanos;
    private int linkType;
    // pcapng: interfaces of the current section
    private final List<Interface> interfaces = new ArrayList<>();

    /** A pcapng interface: link type, snaplen and timestamp resolution (units per second as 10^k or 2^k). */
    private record Interface(int linkType, int snaplen, boolean binary, int exponent) {
        long toNanos(long ts) {
            if (binary) {
                return BigInteger.valueOf(ts).multiply(BigInteger.valueOf(1_000_000_000L)).shiftRight(exponent).longValue();
            }
            if (exponent <= 9) {
                return ts * POW10[9 - exponent];
            }
            return exponent - 9 < POW10.length ? ts / POW10[exponent - 9] : 0;
        }
    }

    private static final long[] POW10 = {1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L,
        100_000_000L, 1_000_000_000L, 10_000_000_000L, 100_000_000_000L, 1_000_000_000_000L,
        10_000_000_000_000L, 100_000_000_000_000L, 1_000_000_000_000_000L, 1_000_000_000_000_000_000L};

    private PcapReader(Path path) throws IOException {
        this.file = path.toString();
        this.fileSize = Files.size(path);
        this.in = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
        boolean ok = false;
        try {
            byte[] m = readExact(4, "file header magic");
            int le = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).getInt();
            int be = ByteBuffer.wrap(m).order(ByteOrder.BIG_ENDIAN).getInt();
            if (le == PCAPNG_SHB) {
                pcapng = true;
                readSectionHeader(0);
            } else if (le == MAGIC_MICROS || le == MAGIC_NANOS) {
                pcapng = false;
                readClassicHeader(ByteOrder.LITTLE_ENDIAN, le == MAGIC_NANOS);
            } else if (be == MAGIC_MICROS || be == MAGIC_NANOS) {
                pcapng = false;
                readClassicHeader(ByteOrder.BIG_ENDIAN, be == MAGIC_NANOS);
            } else {
                throw new PcapFormatException(file, 0, String.format(
                        "bad magic %02x %02x %02x %02x: not pcap (a1b2c3d4 / a1b23c4d) nor pcapng (0a0d0d0a)",
                        m[0], m[1], m[2], m[3]));
            }
            ok = true;
        } finally {
            if (!ok) {
                in.close();
            }
        }
    }

    /** Opens a pcap or pcapng file and reads its header; close it after use. */
    public static PcapReader open(Path path) throws IOException {
        return new PcapReader(path);
    }

    /** Reads every packet of a pcap or pcapng file. */
    public static List<PcapPacket> readAll(Path path) throws IOException {
        try (PcapReader r = open(path)) {
            List<PcapPacket> out = new ArrayList<>();
            for (PcapPacket p = r.next(); p != null; p = r.next()) {
                out.add(p);
            }
            return out;
        }
    }

    /** Whether the file is pcapng (else classic pcap). */
    public boolean isPcapng() {
        return pcapng;
    }

    /** The link type of the file (classic) or of the interface of the last packet returned (pcapng). */
    public int linkType() {
        return linkType;
    }

    /** The next packet, or null at the end of the file. */
    public PcapPacket next() throws IOException {
        return pcapng ? nextBlockPacket() : nextRecord();
    }

    /** Iterates over the remaining packets; I/O errors surface as {@link UncheckedIOException}. */
    @Override
    public Iterator<PcapPacket> iterator() {
        return new Iterator<>() {
            private PcapPacket pending;

            @Override
            public boolean hasNext() {
                if (pending == null) {
                    try {
                        pending = PcapReader.this.next();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                return pending != null;
            }

            @Override
            public PcapPacket next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                PcapPacket p = pending;
                pending = null;
                return p;
            }
        };
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    // ------------------------------------------------------------------ classic pcap

    private void readClassicHeader(ByteOrder byteOrder, boolean nanosecond) throws IOException {
        this.order = byteOrder;
        this.nanos = nanosecond;
        ByteBuffer h = wrap(readExact(20, "pcap file header (24 bytes)"));
        int major = Short.toUnsignedInt(h.getShort(0));
        int minor = Short.toUnsignedInt(h.getShort(2));
        if (major != 2) {
            throw new PcapFormatException(file, 4, "unsupported pcap version " + major + "." + minor + " (expected 2.4)");
        }
        // h 4: thiszone, 8: sigfigs, 12: snaplen, 16: LinkType and FCS bits (low 16 bits are the link type)
        linkType = checkLinkType(h.getInt(16) & 0xFFFF, 20);
    }

    private PcapPacket nextRecord() throws IOException {
        long start = offset;
        byte[] hb = readUpTo(16);
        if (hb == null) {
            return null;
        }
        ByteBuffer h = wrap(hb);
        long sec = Integer.toUnsignedLong(h.getInt(0));
        long frac = Integer.toUnsignedLong(h.getInt(4));
        long incl = Integer.toUnsignedLong(h.getInt(8));
        long orig = Integer.toUnsignedLong(h.getInt(12));
        if (frac >= (nanos ? 1_000_000_000L : 1_000_000L)) {
            throw new PcapFormatException(file, start + 4, "record timestamp fraction " + frac + " is not below one second");
        }
        checkCaptured(incl, start + 8, "record");
        byte[] data = readExact((int) incl, "packet data of the record at offset " + start);
        return new PcapPacket(sec * 1_000_000_000L + (nanos ? frac : frac * 1000L), data, (int) Math.min(orig, Integer.MAX_VALUE));
    }

    // ------------------------------------------------------------------ pcapng

    /** Reads a Section Header Block after its 4 type bytes; {@code start} is its offset. */
    private void readSectionHeader(long start) throws IOException {
        byte[] lenAndMagic = readExact(8, "pcapng section header");
        int magicLe = ByteBuffer.wrap(lenAndMagic, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (magicLe == PCAPNG_BYTE_ORDER_MAGIC) {
            order = ByteOrder.LITTLE_ENDIAN;
        } else if (Integer.reverseBytes(magicLe) == PCAPNG_BYTE_ORDER_MAGIC) {
            order = ByteOrder.BIG_ENDIAN;
        } else {
            throw new PcapFormatException(file, start + 8, String.format("bad pcapng byte-order magic %08x", magicLe));
        }
        long total = Integer.toUnsignedLong(wrap(lenAndMagic).getInt(0));
        checkBlockLength(total, 28, start);
        ByteBuffer rest = wrap(readExact((int) total - 12, "pcapng section header body"));
        int major = Short.toUnsignedInt(rest.getShort(0));
        if (major != 1) {
            throw new PcapFormatException(file, start + 12, "unsupported pcapng version " + major + " (expected 1)");
        }
        checkTrailer(rest, total, start);
        interfaces.clear();
    }

    private PcapPacket nextBlockPacket() throws IOException {
        while (true) {
            long start = offset;
            byte[] tb = readUpTo(4);
            if (tb == null) {
                return null;
            }
            int type = wrap(tb).getInt(0);
            if (type == PCAPNG_SHB) {
                readSectionHeader(start);
                continue;
            }
            long total = Integer.toUnsignedLong(wrap(readExact(4, "pcapng block length")).getInt(0));
            checkBlockLength(total, 12, start);
            ByteBuffer body = wrap(readExact((int) total - 8, "pcapng block of type " + type + " at offset " + start));
            checkTrailer(body, total, start);
            int bodyLen = (int) total - 12;
            switch (type) {
                case PCAPNG_IDB -> readInterface(body, bodyLen, start);
                case PCAPNG_EPB -> {
                    return enhancedPacket(body, bodyLen, start);
                }
                case PCAPNG_SPB -> {
                    return simplePacket(body, bodyLen, start);
                }
                default -> { } // unknown or unused block: skipped by its length
            }
        }
    }

    private void readInterface(ByteBuffer b, int bodyLen, long start) {
        if (bodyLen < 8) {
            throw new PcapFormatException(file, start, "interface description block body of " + bodyLen + " bytes, need 8");
        }
        int lt = checkLinkType(Short.toUnsignedInt(b.getShort(0)), start + 8);
        int snaplen = b.getInt(4);
        boolean binary = false;
        int exponent = 6; // default if_tsresol: microseconds
        int p = 8;
        while (p + 4 <= bodyLen) {
            int code = Short.toUnsignedInt(b.getShort(p));
            int len = Short.toUnsignedInt(b.getShort(p + 2));
            if (code == OPT_ENDOFOPT) {
                break;
            }
            if (p + 4 + len > bodyLen) {
                throw new PcapFormatException(file, start + 8 + p, "interface option " + code + " of " + len
                        + " bytes runs past its block");
            }
            if (code == OPT_IF_TSRESOL && len >= 1) {
                int v = b.get(p + 4) & 0xff;
                binary = (v & 0x80) != 0;
                exponent = v & 0x7f;
                if (binary ? exponent > 62 : exponent > 18) {
                    throw new PcapFormatException(file, start + 12 + p, "if_tsresol " + v + " is out of range");
                }
            }
            p += 4 + ((len + 3) & ~3);
        }
        interfaces.add(new Interface(lt, snaplen, binary, exponent));
    }

    private Interface iface(long id, long where) {
        if (id >= interfaces.size()) {
            throw new PcapFormatException(file, where, "packet names interface " + id + " but the section describes "
                    + interfaces.size());
        }
        Interface i = interfaces.get((int) id);
        linkType = i.linkType();
        return i;
    }

    private PcapPacket enhancedPacket(ByteBuffer b, int bodyLen, long start) {
        if (bodyLen < 20) {
            throw new PcapFormatException(file, start, "enhanced packet block body of " + bodyLen + " bytes, need 20");
        }
        Interface i = iface(Integer.toUnsignedLong(b.getInt(0)), start + 8);
        long ts = Integer.toUnsignedLong(b.getInt(4)) << 32 | Integer.toUnsignedLong(b.getInt(8));
        long cap = Integer.toUnsignedLong(b.getInt(12));
        long orig = Integer.toUnsignedLong(b.getInt(16));
        checkCaptured(cap, start + 20, "enhanced packet block");
        if (cap > bodyLen - 20) {
            throw new PcapFormatException(file, start + 20, "captured length " + cap + " exceeds the block's "
                    + (bodyLen - 20) + " bytes of packet data");
        }
        byte[] data = new byte[(int) cap];
        b.get(20, data); // body: interface id, ts high, ts low, captured, original, data
        return new PcapPacket(i.toNanos(ts), data, (int) Math.min(orig, Integer.MAX_VALUE));
    }

    private PcapPacket simplePacket(ByteBuffer b, int bodyLen, long start) {
        if (bodyLen < 4) {
            throw new PcapFormatException(file, start, "simple packet block body of " + bodyLen + " bytes, need 4");
        }
        Interface i = iface(0, start + 8);
        long orig = Integer.toUnsignedLong(b.getInt(0));
        long cap = Math.min(orig, bodyLen - 4);
        if (i.snaplen() > 0) {
            cap = Math.min(cap, i.snaplen());
        }
        checkCaptured(cap, start + 8, "simple packet block");
        byte[] data = new byte[(int) cap];
        b.get(4, data); // body: original length, data
        return new PcapPacket(0, data, (int) Math.min(orig, Integer.MAX_VALUE));
    }

    private void checkBlockLength(long total, int min, long start) {
        if (total < min || total % 4 != 0) {
            throw new PcapFormatException(file, start + 4, "pcapng block length " + total
                    + " is not a multiple of 4 of at least " + min);
        }
        if (total > MAX_BLOCK) {
            throw new PcapFormatException(file, start + 4, "pcapng block length " + total + " exceeds the "
                    + MAX_BLOCK + " bytes jxdp accepts");
        }
        if (start + total > fileSize) {
            throw new PcapFormatException(file, start + 4, "pcapng block of " + total + " bytes runs past the end of the "
                    + fileSize + "-byte file (truncated)");
        }
    }

    /** The body buffer holds everything after the leading length, the trailing length last. */
    private void checkTrailer(ByteBuffer body, long total, long start) {
        long trailer = Integer.toUnsignedLong(body.getInt(body.capacity() - 4));
        if (trailer != total) {
            throw new PcapFormatException(file, start + total - 4, "pcapng block trailing length " + trailer
                    + " differs from its leading length " + total);
        }
    }

    // ------------------------------------------------------------------ shared

    private void checkCaptured(long captured, long where, String what) {
        if (captured > MAX_PACKET) {
            throw new PcapFormatException(file, where, what + " captured length " + captured + " exceeds "
                    + MAX_PACKET + " bytes (256 KiB)");
        }
        if (!pcapng && offset + captured > fileSize) {
            throw new PcapFormatException(file, where, what + " claims " + captured + " bytes but only "
                    + (fileSize - offset) + " remain in the file (truncated)");
        }
    }

    private int checkLinkType(int lt, long where) {
        if (lt != LinkType.ETHERNET && lt != LinkType.RAW) {
            throw new PcapFormatException(file, where, "unsupported link type " + lt
                    + " (jxdp reads ETHERNET=1 and RAW=101)");
        }
        return lt;
    }

    private ByteBuffer wrap(byte[] b) {
        return ByteBuffer.wrap(b).order(order);
    }

    /** Exactly n bytes, or a format error naming what was cut short. */
    private byte[] readExact(int n, String what) throws IOException {
        byte[] b = new byte[n];
        int got = in.readNBytes(b, 0, n);
        if (got < n) {
            throw new PcapFormatException(file, offset, "truncated " + what + ": " + got + " of " + n
                    + " bytes before the end of the file");
        }
        offset += n;
        return b;
    }

    /** n bytes, null at a clean end of file, a format error when only part of them is there. */
    private byte[] readUpTo(int n) throws IOException {
        byte[] b = new byte[n];
        int got = in.readNBytes(b, 0, n);
        if (got == 0) {
            return null;
        }
        if (got < n) {
            throw new PcapFormatException(file, offset, "truncated header: " + got + " of " + n
                    + " bytes before the end of the file");
        }
        offset += n;
        return b;
    }
}
