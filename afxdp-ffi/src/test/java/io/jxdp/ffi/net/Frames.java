package io.jxdp.ffi.net;

import java.nio.ByteBuffer;
import java.util.Random;

/** Test frames: Ethernet, EtherType 0x88B5 (IEEE local experimental), a sequence number, seeded bytes. */
public final class Frames {
    private Frames() {}

    public static final int ETHERTYPE = 0x88B5;

    /** A frame of {@code length} bytes (60..1514) from {@code src} to {@code dst} carrying {@code seq}. */
    public static byte[] frame(byte[] dst, byte[] src, int seq, int length, Random random) {
        byte[] f = new byte[length];
        random.nextBytes(f);
        ByteBuffer b = ByteBuffer.wrap(f);
        b.put(dst).put(src).putShort((short) ETHERTYPE).putInt(seq);
        return f;
    }

    /** The sequence number of a test frame, or -1 if it is not one. */
    public static int sequence(byte[] f) {
        if (f.length < 18 || (((f[12] & 0xff) << 8) | (f[13] & 0xff)) != ETHERTYPE) {
            return -1;
        }
        return ByteBuffer.wrap(f, 14, 4).getInt();
    }

    /** Frame lengths cycling through the interesting sizes 60..1514. */
    public static int length(int i, Random random) {
        int[] fixed = {60, 64, 128, 511, 512, 1000, 1500, 1514};
        return i % 3 == 0 ? fixed[(i / 3) % fixed.length] : 60 + random.nextInt(1514 - 60 + 1);
    }
}
