package io.jxdp.ffi.xdp;

import java.lang.foreign.MemorySegment;

/**
 * Where an AF_XDP ring lives in its mapping, shared by its {@link ProducerRing} and
 * {@link ConsumerRing} sides: the absolute addresses of the producer index, the consumer index, the
 * flags word and entry 0, and the ring's geometry. The constructor checks that all of it lies in the
 * mapping ({@link RawMemory#addressOf}), so the data path reads and writes at these addresses
 * directly.
 */
abstract sealed class XskRing permits ProducerRing, ConsumerRing {
    /** Absolute addresses of the producer index, the consumer index and the flags word. */
    final long producerAddress;
    final long consumerAddress;
    final long flagsAddress;
    /**
     * Absolute address of entry 0; the data path reads/writes entries at {@link #slot} addresses
     * directly ({@link RawMemory}). The constructor checked that all {@code size} entries lie in
     * the mapping, so {@code entries + ((index & mask) << shift)} is inside it for every index.
     */
    final long entries;
    final int size;
    /** size - 1: ring index {@code i} is entry {@code i & mask}. */
    final int mask;
    final int shift;

    XskRing(MemorySegment memory, long producerOffset, long consumerOffset, long flagsOffset, long descOffset,
            int entrySize, int size) {
        if (Integer.bitCount(entrySize) != 1 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("ring entry size and entry count must be powers of two: " + entrySize
                    + ", " + size);
        }
        this.producerAddress = RawMemory.addressOf(memory, producerOffset, 4, "ring producer index");
        this.consumerAddress = RawMemory.addressOf(memory, consumerOffset, 4, "ring consumer index");
        this.flagsAddress = RawMemory.addressOf(memory, flagsOffset, 4, "ring flags");
        this.entries = RawMemory.addressOf(memory, descOffset, (long) size * entrySize, "ring entries");
        this.size = size;
        this.mask = size - 1;
        this.shift = Integer.numberOfTrailingZeros(entrySize);
    }

    /** Absolute address of the entry at (free-running) ring index {@code index}. */
    final long slot(int index) {
        return entries + ((long) (index & mask) << shift);
    }

    final int size() {
        return size;
    }
}
