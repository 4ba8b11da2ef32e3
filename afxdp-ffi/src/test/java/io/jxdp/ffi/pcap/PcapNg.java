package io.jxdp.ffi.pcap;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds pcapng files block by block for the tests (draft-ietf-opsawg-pcapng), in either byte order. */
final class PcapNg {
    private final ByteOrder order;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PcapNg(ByteOrder order) {
        this.order = order;
    }

    /** Any block: type, total length, body padded to 4, total length. */
    PcapNg block(int type, byte[] body) {
        int padded = (body.length + 3) & ~3;
        ByteBuffer b = ByteBuffer.allocate(12 + padded).order(order);
        b.putInt(type).putInt(12 + padded).put(body).position(8 + padded);
        b.putInt(12 + padded);
        out.writeBytes(b.array());
        return this;
    }

    /** Section Header Block: byte-order magic, version 1.0, section length -1 (unknown). */
    PcapNg section() {
        ByteBuffer b = ByteBuffer.allocate(16).order(order);
        b.putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0).putLong(-1L);
        return block(0x0A0D0D0A, b.array());
    }

    /** Interface Description Block, with an if_tsresol option when {@code tsresol >= 0}. */
    PcapNg iface(int linkType, int snaplen, int tsresol) {
        ByteBuffer b = ByteBuffer.allocate(tsresol >= 0 ? 20 : 8).order(order);
        b.putShort((short) linkType).putShort((short) 0).putInt(snaplen);
        if (tsresol >= 0) {
            b.putShort((short) 9).putShort((short) 1).put((byte) tsresol).put(new byte[3]);
            b.putShort((short) 0).putShort((short) 0); // opt_endofopt
        }
        return block(1, b.array());
    }

    /** Enhanced Packet Block with a raw timestamp in the interface's units. */
    PcapNg epb(int ifId, long ts, byte[] data, int origLen) {
        ByteBuffer b = ByteBuffer.allocate(20 + data.length).order(order);
        b.putInt(ifId).putInt((int) (ts >>> 32)).putInt((int) ts).putInt(data.length).putInt(origLen).put(data);
        return block(6, b.array());
    }

    /** Simple Packet Block. */
    PcapNg spb(byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + data.length).order(order);
        b.putInt(data.length).put(data);
        return block(3, b.array());
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
