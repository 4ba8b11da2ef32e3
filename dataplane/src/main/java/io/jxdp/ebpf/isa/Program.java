package io.jxdp.ebpf.isa;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/** An eBPF program as its raw 8-byte slots; immutable. */
public final class Program {
    private final long[] slots;

    private Program(long[] slots) {
        this.slots = slots;
    }

    /** A program of the given little-endian u64 slots (copied). */
    public static Program ofSlots(long... slots) {
        return new Program(slots.clone());
    }

    /** A program of the given instructions, in slot order (an lddw is two entries). */
    public static Program of(List<Insn> insns) {
        long[] s = new long[insns.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = insns.get(i).encode();
        }
        return new Program(s);
    }

    /** Reads raw little-endian slots; the length must be a multiple of 8. */
    public static Program fromBytes(byte[] bytes) {
        if (bytes.length % 8 != 0) {
            throw new IllegalArgumentException("program length " + bytes.length + " is not a multiple of 8 bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long[] s = new long[bytes.length / 8];
        for (int i = 0; i < s.length; i++) {
            s[i] = b.getLong();
        }
        return new Program(s);
    }

    /** The raw little-endian bytes, 8 per slot. */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(slots.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long s : slots) {
            b.putLong(s);
        }
        return b.array();
    }

    /** Number of 8-byte slots. */
    public int length() {
        return slots.length;
    }

    /** The raw slot at index i. */
    public long slot(int i) {
        return slots[i];
    }

    /** The decoded slot at index i. */
    public Insn insn(int i) {
        return Insn.decode(slots[i]);
    }

    /** A copy of the slots. */
    public long[] slots() {
        return slots.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Program p && Arrays.equals(slots, p.slots);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(slots);
    }

    @Override
    public String toString() {
        return "Program[" + slots.length + " slots]";
    }
}
