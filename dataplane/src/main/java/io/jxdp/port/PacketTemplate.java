package io.jxdp.port;

import java.util.Arrays;

/**
 * One Ethernet/IPv4 frame to transmit, and where its flow fields sit: built here for UDP or TCP
 * with correct checksums (RFC 791 header checksum, RFC 768 / RFC 793 pseudo-header checksum), or
 * parsed from a captured frame. {@link #l4Offset} is -1 when the frame is not IPv4 TCP/UDP (then
 * nothing in it can be varied per flow).
 *
 * @param frame the frame, starting at the destination MAC
 * @param protocol IP protocol (6 TCP, 17 UDP), or -1 when not IPv4
 * @param l4Offset offset of the TCP/UDP header, -1 when none
 */
public record PacketTemplate(byte[] frame, int protocol, int l4Offset) {
    public static final int ETH_HLEN = 14;
    public static final int IPV4_HLEN = 20;
    public static final int UDP_HLEN = 8;
    public static final int TCP_HLEN = 20;
    /** Smallest frame the template builds, without the 4-byte FCS (IEEE 802.3). */
    public static final int MIN_FRAME = 60;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;

    public PacketTemplate {
        frame = frame.clone();
    }

    @Override
    public byte[] frame() {
        return frame.clone();
    }

    public int length() {
        return frame.length;
    }

    /** Offset of the TCP/UDP checksum field, -1 when none (UDP's may be 0: no checksum, RFC 768). */
    public int checksumOffset() {
        if (l4Offset < 0) {
            return -1;
        }
        return l4Offset + (protocol == IPPROTO_UDP ? 6 : 16);
    }

    /** A UDP frame of {@code size} bytes (without FCS; at least 42 + padding to 60). */
    public static PacketTemplate udp(byte[] srcMac, byte[] dstMac, byte[] srcIp, byte[] dstIp, int srcPort, int dstPort,
                                     int size) {
        return build(IPPROTO_UDP, srcMac, dstMac, srcIp, dstIp, srcPort, dstPort, size);
    }

    /** A TCP SYN frame of {@code size} bytes (payload after the 20-byte header fills the rest). */
    public static PacketTemplate tcp(byte[] srcMac, byte[] dstMac, byte[] srcIp, byte[] dstIp, int srcPort, int dstPort,
                                     int size) {
        return build(IPPROTO_TCP, srcMac, dstMac, srcIp, dstIp, srcPort, dstPort, size);
    }

    private static PacketTemplate build(int proto, byte[] srcMac, byte[] dstMac, byte[] srcIp, byte[] dstIp,
                                        int srcPort, int dstPort, int size) {
        check("source MAC", srcMac, 6);
        check("destination MAC", dstMac, 6);
        check("source IPv4", srcIp, 4);
        check("destination IPv4", dstIp, 4);
        if (srcPort < 0 || srcPort > 65535 || dstPort < 0 || dstPort > 65535) {
            throw new IllegalArgumentException("port out of range 0..65535: " + srcPort + ", " + dstPort);
        }
        int l4h = proto == IPPROTO_UDP ? UDP_HLEN : TCP_HLEN;
        int min = Math.max(MIN_FRAME, ETH_HLEN + IPV4_HLEN + l4h);
        if (size < min || size > 9000) {
            throw new IllegalArgumentException("frame size " + size + " out of range " + min + "..9000");
        }
        byte[] f = new byte[size];
        System.arraycopy(dstMac, 0, f, 0, 6);
        System.arraycopy(srcMac, 0, f, 6, 6);
        f[12] = 0x08; // ETH_P_IP
        int ip = ETH_HLEN;
        int ipLen = size - ETH_HLEN;
        f[ip] = 0x45;
        put16(f, ip + 2, ipLen);
        f[ip + 6] = 0x40; // DF
        f[ip + 8] = 64;   // TTL
        f[ip + 9] = (byte) proto;
        System.arraycopy(srcIp, 0, f, ip + 12, 4);
        System.arraycopy(dstIp, 0, f, ip + 16, 4);
        put16(f, ip + 10, ~sum(f, ip, IPV4_HLEN, 0) & 0xffff);
        int l4 = ip + IPV4_HLEN;
        int l4Len = ipLen - IPV4_HLEN;
        put16(f, l4, srcPort);
        put16(f, l4 + 2, dstPort);
        for (int i = l4 + l4h; i < size; i++) {
            f[i] = (byte) i; // a recognisable payload
        }
        int csumAt;
        if (proto == IPPROTO_UDP) {
            put16(f, l4 + 4, l4Len);
            csumAt = l4 + 6;
        } else {
            put32(f, l4 + 4, 1);         // sequence number
            f[l4 + 12] = 0x50;           // data offset 5 words
            f[l4 + 13] = 0x02;           // SYN
            put16(f, l4 + 14, 65535);    // window
            csumAt = l4 + 16;
        }
        int pseudo = sum(f, ip + 12, 8, 0) + proto + l4Len;
        int c = ~sum(f, l4, l4Len, pseudo) & 0xffff;
        if (proto == IPPROTO_UDP && c == 0) {
            c = 0xffff; // RFC 768: a computed 0 is sent as all ones
        }
        put16(f, csumAt, c);
        return new PacketTemplate(f, proto, l4);
    }

    /** Finds the flow fields of a captured Ethernet frame (IPv4 TCP/UDP; anything else is sent as is). */
    public static PacketTemplate parse(byte[] frame) {
        if (frame.length < ETH_HLEN + IPV4_HLEN || frame[12] != 0x08 || frame[13] != 0x00
                || (frame[ETH_HLEN] & 0xf0) != 0x40) {
            return new PacketTemplate(frame, -1, -1);
        }
        int ihl = (frame[ETH_HLEN] & 0x0f) * 4;
        int proto = frame[ETH_HLEN + 9] & 0xff;
        boolean fragment = ((frame[ETH_HLEN + 6] & 0x3f) | frame[ETH_HLEN + 7]) != 0;
        int l4 = ETH_HLEN + ihl;
        int need = proto == IPPROTO_UDP ? UDP_HLEN : TCP_HLEN;
        if (ihl < IPV4_HLEN || fragment || (proto != IPPROTO_UDP && proto != IPPROTO_TCP) || frame.length < l4 + need) {
            return new PacketTemplate(frame, proto, -1);
        }
        return new PacketTemplate(frame, proto, l4);
    }

    /** The 16-bit one's complement sum of {@code len} bytes at {@code off} (RFC 1071), plus {@code initial}, folded. */
    static int sum(byte[] b, int off, int len, int initial) {
        long s = initial;
        for (int i = 0; i + 1 < len; i += 2) {
            s += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            s += (b[off + len - 1] & 0xff) << 8;
        }
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void put32(byte[] b, int off, int v) {
        put16(b, off, v >>> 16);
        put16(b, off + 2, v);
    }

    private static void check(String what, byte[] v, int len) {
        if (v == null || v.length != len) {
            throw new IllegalArgumentException(what + " must be " + len + " bytes, got "
                    + (v == null ? "null" : Arrays.toString(v)));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PacketTemplate t && Arrays.equals(frame, t.frame) && protocol == t.protocol
                && l4Offset == t.l4Offset;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(frame) * 31 + l4Offset;
    }

    @Override
    public String toString() {
        return "PacketTemplate[" + frame.length + " bytes, proto " + protocol + ", l4 at " + l4Offset + "]";
    }
}
