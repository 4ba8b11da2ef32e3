package io.jxdp.ffi.xdp;

import java.lang.foreign.MemorySegment;

/**
 * The user-space consumer side of an AF_XDP ring (RX or completion), single-threaded.
 *
 * <p>Protocol, as libxdp's {@code xsk_ring_cons__peek/release}: the producer index is read with
 * <b>acquire</b> (pairing with the kernel's release after writing entries) only when the cached
 * copy says the ring looks empty; entries are read with plain loads; the consumer index is
 * published with a <b>release</b> store ({@link #release}) after the entries were read, so the
 * kernel (reading it with acquire) never overwrites a slot we still read.
 */
final class ConsumerRing extends XskRing {
    private int cachedProducer;
    /** Next index to peek. */
    private int cachedConsumer;
    /** The last published consumer index. */
    private int released;

    ConsumerRing(MemorySegment memory, long producerOffset, long consumerOffset, long flagsOffset, long descOffset,
            int entrySize, int size) {
        super(memory, producerOffset, consumerOffset, flagsOffset, descOffset, entrySize, size);
        this.released = RawMemory.getIntAcquire(consumerAddress);
        this.cachedConsumer = released;
        this.cachedProducer = RawMemory.getIntAcquire(producerAddress);
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
            cachedProducer = RawMemory.getIntAcquire(producerAddress);
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
            cachedProducer = RawMemory.getIntAcquire(producerAddress);
            entries = cachedProducer - cachedConsumer;
        }
        return entries;
    }

    /** The UMEM address at ring index {@code index} (fill/completion entry or xdp_desc.addr). */
    long address(int index) {
        return RawMemory.getLong(slot(index));
    }

    /** xdp_desc.len at ring index {@code index} (RX ring only). */
    int length(int index) {
        return RawMemory.getInt(slot(index) + RxRingDescriptor.DESC_LEN);
    }

    /** Returns {@code n} peeked entries to the kernel with a release store of the consumer index. */
    void release(int n) {
        released += n;
        RawMemory.putIntRelease(consumerAddress, released);
    }

    /** Whether the kernel set XDP_RING_NEED_WAKEUP on this ring. */
    boolean needsWakeup() {
        return (RawMemory.getIntAcquire(flagsAddress) & IfXdp.XDP_RING_NEED_WAKEUP) != 0;
    }
}
