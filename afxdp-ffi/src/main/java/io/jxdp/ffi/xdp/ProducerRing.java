package io.jxdp.ffi.xdp;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * The user-space producer side of an AF_XDP ring (fill or TX), single-threaded.
 *
 * <p>Protocol, as libxdp's {@code xsk_ring_prod__reserve/submit} and the kernel's
 * {@code net/xdp/xsk_queue.h}: entries are written into reserved slots with plain stores, then the
 * producer index is published with a <b>release</b> store ({@link #submit}); the kernel reads it
 * with acquire, so it sees the entries. The consumer index is read with <b>acquire</b> (pairing
 * with the kernel's release after it has read the entries, so the slots are free to overwrite),
 * and only when the cached copy says the ring looks full.
 */
final class ProducerRing extends XskRing {
    /** Next slot to reserve (ahead of the published producer by the reserved-but-unsubmitted count). */
    private int cachedProducer;
    /** Cached consumer index plus size: {@code cachedConsumer - cachedProducer} free slots. */
    private int cachedConsumer;
    /** The last published producer index. */
    private int published;

    ProducerRing(MemorySegment memory, long producerOffset, long consumerOffset, long flagsOffset, long descOffset,
            int entrySize, int size) {
        super(memory, producerOffset, consumerOffset, flagsOffset, descOffset, entrySize, size);
        this.published = RawMemory.getIntAcquire(producerAddress);
        this.cachedProducer = published;
        this.cachedConsumer = RawMemory.getIntAcquire(consumerAddress) + size;
    }

    /** The index the next {@link #reserve} starts at. */
    int nextIndex() {
        return cachedProducer;
    }

    /** Free slots, refreshing the cached consumer index (acquire) only if fewer than {@code wanted}. */
    int free(int wanted) {
        int free = cachedConsumer - cachedProducer;
        if (free >= wanted) {
            return free;
        }
        cachedConsumer = RawMemory.getIntAcquire(consumerAddress) + size;
        return cachedConsumer - cachedProducer;
    }

    /**
     * Reserves up to {@code wanted} slots starting at {@link #nextIndex()} (read it first) and
     * returns how many; fill them and {@link #submit} that many.
     */
    int reserve(int wanted) {
        int n = Math.min(wanted, free(wanted));
        cachedProducer += n;
        return n;
    }

    /** Un-reserves the last {@code n} reserved, unsubmitted slots. */
    void cancel(int n) {
        cachedProducer -= n;
    }

    /** Writes a fill/completion entry (a UMEM address) at ring index {@code index}. */
    void putAddress(int index, long address) {
        RawMemory.putLong(slot(index), address);
    }

    /** Writes a TX descriptor at ring index {@code index}. */
    void putDescriptor(int index, long address, int length, int options) {
        long at = slot(index);
        RawMemory.putLong(at + TxRingDescriptor.DESC_ADDR, address);
        RawMemory.putInt(at + TxRingDescriptor.DESC_LEN, length);
        RawMemory.putInt(at + TxRingDescriptor.DESC_OPTIONS, options);
    }

    /** Publishes {@code n} filled slots with a release store of the producer index. */
    void submit(int n) {
        published += n;
        RawMemory.putIntRelease(producerAddress, published);
    }

    /** Entries published but not yet consumed by the kernel (reads the consumer with acquire). */
    int outstanding() {
        return published - RawMemory.getIntAcquire(consumerAddress);
    }

    /**
     * Whether the kernel set XDP_RING_NEED_WAKEUP. A full fence first orders our release store of
     * the producer before this load (store-load), so that we cannot miss a flag the kernel set
     * after looking at an old producer index (af_xdp.rst, "XDP_USE_NEED_WAKEUP").
     */
    boolean needsWakeup() {
        VarHandle.fullFence();
        return (RawMemory.getIntVolatile(flagsAddress) & IfXdp.XDP_RING_NEED_WAKEUP) != 0;
    }
}
