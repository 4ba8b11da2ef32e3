package io.jxdp.ffi.xdp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The user-space consumer side of an AF_XDP ring (RX or completion), single-threaded.
 *
 * <p>Protocol, as libxdp's {@code xsk_ring_cons__peek/release}: the producer index is read with
 * <b>acquire</b> (pairing with the kernel's release after writing entries) only when the cached
 * copy says the ring looks empty; entries are read with plain loads; the consumer index is
 * published with a <b>release</b> store ({@link #release}) after the entries were read, so the
 * kernel (reading it with acquire) never overwrites a slot we still read.
 */
final class ConsumerRing {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    /** The mapping; the data path reads/writes entries at {@link #slot} offsets in it directly. */
    final MemorySegment memory;
    private final long producerOffset;
    private final long consumerOffset;
    private final long flagsOffset;
    /** Where entry 0 starts in {@link #memory}. */
    final long descOffset;
    private final int entrySize;
    private final int size;
    /** size - 1: ring index {@code i} is entry {@code i & mask}. */
    final int mask;
    private final int shift;
    private int cachedProducer;
    /** Next index to peek. */
    private int cachedConsumer;
    /** The last published consumer index. */
    private int released;

    ConsumerRing(MemorySegment memory, long producerOffset, long consumerOffset, long flagsOffset, long descOffset,
            int entrySize, int size) {
        this.memory = memory;
        this.producerOffset = producerOffset;
        this.consumerOffset = consumerOffset;
        this.flagsOffset = flagsOffset;
        this.descOffset = descOffset;
        this.entrySize = entrySize;
        this.size = size;
        this.mask = size - 1;
        if (Integer.bitCount(entrySize) != 1) {
            throw new IllegalArgumentException("ring entry size must be a power of two: " + entrySize);
        }
        this.shift = Integer.numberOfTrailingZeros(entrySize);
        this.released = (int) INT.getAcquire(memory, consumerOffset);
        this.cachedConsumer = released;
        this.cachedProducer = (int) INT.getAcquire(memory, producerOffset);
    }

    /** Byte offset in {@link #memory} of the entry at (free-running) ring index {@code index}. */
    long slot(int index) {
        return descOffset + ((long) (index & mask) << shift);
    }

    int size() {
        return size;
    }

    /** The index the next {@link #peek} starts at. */
    int nextIndex() {
        return cachedConsumer;
    }

    /**
     * Claims up to {@code wanted} filled entries starting at {@link #nextIndex()} (read it first)
     * and returns how many; refreshes the producer index (acquire) only when the cache is empty.
     */
    int peek(int wanted) {
        int entries = cachedProducer - cachedConsumer;
        if (entries == 0) {
            cachedProducer = (int) INT.getAcquire(memory, producerOffset);
            entries = cachedProducer - cachedConsumer;
        }
        int n = Math.min(entries, wanted);
        cachedConsumer += n;
        return n;
    }

    /**
     * Entries waiting beyond those peeked, without claiming them; refreshes the producer index
     * (acquire) only when the cache is empty.
     */
    int available() {
        int entries = cachedProducer - cachedConsumer;
        if (entries == 0) {
            cachedProducer = (int) INT.getAcquire(memory, producerOffset);
            entries = cachedProducer - cachedConsumer;
        }
        return entries;
    }

    /** The UMEM address at ring index {@code index} (fill/completion entry or xdp_desc.addr). */
    long address(int index) {
        return memory.get(ValueLayout.JAVA_LONG, descOffset + (long) (index & mask) * entrySize);
    }

    /** xdp_desc.len at ring index {@code index} (RX ring only). */
    int length(int index) {
        return memory.get(ValueLayout.JAVA_INT, descOffset + (long) (index & mask) * entrySize + RxRingDescriptor.DESC_LEN);
    }

    /** Returns {@code n} peeked entries to the kernel with a release store of the consumer index. */
    void release(int n) {
        released += n;
        INT.setRelease(memory, consumerOffset, released);
    }

    /** Whether the kernel set XDP_RING_NEED_WAKEUP on this ring. */
    boolean needsWakeup() {
        return ((int) INT.getAcquire(memory, flagsOffset) & IfXdp.XDP_RING_NEED_WAKEUP) != 0;
    }
}
