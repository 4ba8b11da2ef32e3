package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.Mmap;
import java.lang.foreign.MemorySegment;

/**
 * BPF_MAP_TYPE_RINGBUF ({@code kernel/bpf/ringbuf.c}): a multi-producer, single-consumer ring of
 * variable-length records shared by all CPUs, with the kernel's positions, record header and
 * free-space rule.
 *
 * <pre>
 * one anonymous mmap, page-granular as the kernel's struct bpf_ringbuf:
 *   page 0   +0 spin lock (producers), +8 pending_pos (oldest record maybe still busy)
 *   page 1   consumer_pos u64   written by the consumer (release), read by producers (acquire)
 *   page 2   producer_pos u64   written by producers (release), read by the consumer (acquire)
 *   page 3.. data, 2 x max_entries bytes
 * record at data + (pos &amp; mask), 8-byte aligned:
 *   +0 len u32: sample size | BUSY (1 &lt;&lt; 31) while reserved | DISCARD (1 &lt;&lt; 30) once discarded
 *   +4 pg_off u32: pages from the start of the mapping to the header (the kernel finds its ring so)
 *   +8 sample, then padding to round_up(len + 8, 8)
 * </pre>
 *
 * <p>The kernel maps the data pages twice in a row so that a record crossing the end of the ring
 * is contiguous. jxdp instead reserves twice the data size and lets such a record run past the
 * end: producer and consumer both address a record only from its header at {@code pos & mask}
 * onwards, so no byte needs to be visible at two addresses, and the free-space rule
 * ({@code new_prod_pos - cons_pos <= mask}, {@code new_prod_pos - pending_pos <= mask}) keeps
 * every record inside the doubled area.
 *
 * <p>Producers (programs, any worker) reserve under the lock, write the sample, then commit with
 * an exchange of the header's len that clears BUSY (release); the consumer reads len with acquire.
 * Wake-up flags (BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP) are accepted and have no effect: the
 * {@link #poll consumer} polls. Helper mapping: {@link #reserve}, {@link #submit}, {@link #discard},
 * {@link #output}, {@link #query}.
 */
public final class RingBuf extends BpfMap {
    /** BPF_RINGBUF_BUSY_BIT, include/uapi/linux/bpf.h. */
    public static final int BUSY_BIT = 1 << 31;
    /** BPF_RINGBUF_DISCARD_BIT. */
    public static final int DISCARD_BIT = 1 << 30;
    /** BPF_RINGBUF_HDR_SZ. */
    public static final int HDR_SZ = 8;
    /** bpf_ringbuf_submit/discard/output flags. */
    public static final long BPF_RB_NO_WAKEUP = 1;
    public static final long BPF_RB_FORCE_WAKEUP = 2;
    /** bpf_ringbuf_query flags. */
    public static final long BPF_RB_AVAIL_DATA = 0;
    public static final long BPF_RB_RING_SIZE = 1;
    public static final long BPF_RB_CONS_POS = 2;
    public static final long BPF_RB_PROD_POS = 3;
    /** RINGBUF_MAX_RECORD_SZ: UINT_MAX / 4. */
    static final long MAX_RECORD_SZ = 0xFFFF_FFFFL / 4;

    static final long PAGE = 4096;
    private static final long META_LOCK = 0;
    private static final long META_PENDING = 8;
    private static final long CONSUMER_OFF = PAGE;
    private static final long PRODUCER_OFF = 2 * PAGE;
    private static final long DATA_OFF = 3 * PAGE;

    /** Receives one record in place: valid only during the call. Must not allocate to stay zero-copy and garbage-free. */
    @FunctionalInterface
    public interface RecordHandler {
        void onRecord(long sampleAddress, int length);
    }

    private final MemorySegment memory;
    private final long base;
    private final long data;
    private final long mask;

    RingBuf(MapDefinition def, int nCpus, Rcu rcu) {
        super(def, nCpus, rcu);
        long size = Integer.toUnsignedLong(def.maxEntries());
        this.mask = size - 1;
        this.memory = Maps.mmap(def, DATA_OFF + 2 * size);
        this.base = memory.address();
        this.data = base + DATA_OFF;
    }

    @Override
    public boolean supportsDelete() {
        return false;
    }

    /** The verifier allows only the ringbuf helpers on this map. */
    @Override
    public boolean supports(MapOp op) {
        return op == MapOp.RINGBUF;
    }

    // ------------------------------------------------------------------ program side (helpers)

    /**
     * {@code bpf_ringbuf_reserve(map, size, flags)}: the address of {@code size} writable bytes, or 0
     * when flags are not 0, the record cannot fit the ring, or there is no room now.
     */
    public long reserve(long size, long flags) {
        if (flags != 0 || Long.compareUnsigned(size, MAX_RECORD_SZ) > 0) {
            return 0;
        }
        long len = Native.roundUp8(size + HDR_SZ);
        if (len > mask + 1) {
            return 0;
        }
        long consPos = Native.getLongAcquire(base + CONSUMER_OFF);
        Native.lock(base + META_LOCK);
        try {
            long pendPos = Native.getLong(base + META_PENDING);
            long prodPos = Native.getLong(base + PRODUCER_OFF);
            long newProdPos = prodPos + len;
            while (pendPos < prodPos) { // skip records committed since: the oldest busy one bounds us
                int hdrLen = Native.getIntAcquire(data + (pendPos & mask));
                if ((hdrLen & BUSY_BIT) != 0) {
                    break;
                }
                pendPos += Native.roundUp8((hdrLen & ~DISCARD_BIT) + (long) HDR_SZ);
            }
            Native.putLong(base + META_PENDING, pendPos);
            if (newProdPos - consPos > mask || newProdPos - pendPos > mask) {
                return 0;
            }
            long hdr = data + (prodPos & mask);
            Native.putInt(hdr, (int) size | BUSY_BIT);
            Native.putInt(hdr + 4, (int) ((hdr - base) / PAGE));
            Native.putLongRelease(base + PRODUCER_OFF, newProdPos); // pairs with the consumer's acquire
            return hdr + HDR_SZ;
        } finally {
            Native.unlock(base + META_LOCK);
        }
    }

    /** {@code bpf_ringbuf_submit(data, flags)}: publishes a reserved record. */
    public static void submit(long sample, long flags) {
        commit(sample, false);
    }

    /** {@code bpf_ringbuf_discard(data, flags)}: releases a reserved record; the consumer skips it. */
    public static void discard(long sample, long flags) {
        commit(sample, true);
    }

    // bpf_ringbuf_commit(): xchg(&hdr->len, len ^ BUSY [| DISCARD]), a full fence as the kernel's xchg
    private static void commit(long sample, boolean discard) {
        long hdr = sample - HDR_SZ;
        int newLen = Native.getInt(hdr) ^ BUSY_BIT;
        if (discard) {
            newLen |= DISCARD_BIT;
        }
        Native.getAndSetInt(hdr, newLen);
    }

    /** {@code bpf_ringbuf_output(map, data, size, flags)}: 0, -EINVAL for unknown flags, -EAGAIN when full. */
    public int output(long src, long size, long flags) {
        if ((flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) != 0) {
            return -Errno.EINVAL;
        }
        long rec = reserve(size, 0);
        if (rec == 0) {
            return -Errno.EAGAIN;
        }
        Native.copy(src, rec, size);
        commit(rec, false);
        return 0;
    }

    /** {@code bpf_ringbuf_query(map, flags)}: available data, ring size, consumer or producer position; else 0. */
    public long query(long flags) {
        long cons = Native.getLongAcquire(base + CONSUMER_OFF);
        long prod = Native.getLongAcquire(base + PRODUCER_OFF);
        if (flags == BPF_RB_AVAIL_DATA) {
            return prod - cons;
        } else if (flags == BPF_RB_RING_SIZE) {
            return mask + 1;
        } else if (flags == BPF_RB_CONS_POS) {
            return cons;
        } else if (flags == BPF_RB_PROD_POS) {
            return prod;
        }
        return 0;
    }

    // ------------------------------------------------------------------ consumer (user space)

    /**
     * Hands up to {@code limit} committed records, in order, to {@code handler} in place, skipping
     * discarded ones, and releases their space; stops at the first record still being written.
     * Returns the number of records handed over. One consumer thread at a time (as libbpf's
     * {@code ring_buffer__consume}); allocation-free.
     */
    public int poll(RecordHandler handler, int limit) {
        long consPos = Native.getLongAcquire(base + CONSUMER_OFF);
        int n = 0;
        while (n < limit) {
            long prodPos = Native.getLongAcquire(base + PRODUCER_OFF);
            if (consPos >= prodPos) {
                break;
            }
            long hdr = data + (consPos & mask);
            int len = Native.getIntAcquire(hdr); // pairs with the producer's commit
            if ((len & BUSY_BIT) != 0) {
                break;
            }
            int size = len & ~DISCARD_BIT;
            consPos += Native.roundUp8(size + (long) HDR_SZ);
            if ((len & DISCARD_BIT) == 0) {
                handler.onRecord(hdr + HDR_SZ, size);
                n++;
            }
            Native.putLongRelease(base + CONSUMER_OFF, consPos); // the space may now be reused
        }
        return n;
    }

    /**
     * Empties the ring: consumer, producer and pending positions back to 0, as a new map. User space
     * only, with no program running (the JIT engine drops its warm-up's records with it).
     */
    public void reset() {
        Native.lock(base + META_LOCK);
        try {
            Native.putLong(base + META_PENDING, 0);
            Native.putLongRelease(base + CONSUMER_OFF, 0);
            Native.putLongRelease(base + PRODUCER_OFF, 0);
        } finally {
            Native.unlock(base + META_LOCK);
        }
    }

    /** Bytes between the consumer and the producer position (committed, busy or discarded). */
    public long available() {
        return query(BPF_RB_AVAIL_DATA);
    }

    // ------------------------------------------------------------------ no elements: ENOTSUPP as ringbuf_map_*_elem

    @Override
    public long lookup(long keyAddr, int cpu) {
        return 0;
    }

    @Override
    public int update(long keyAddr, long valueAddr, long flags, int cpu) {
        return -ENOTSUPP;
    }

    @Override
    public int delete(long keyAddr, int cpu) {
        return -ENOTSUPP;
    }

    @Override
    int userLookup(long keyAddr, long out) {
        return -ENOTSUPP;
    }

    @Override
    int userUpdate(long keyAddr, long value, long flags) {
        return -ENOTSUPP;
    }

    @Override
    int userDelete(long keyAddr) {
        return -ENOTSUPP;
    }

    @Override
    int userGetNextKey(long keyAddr, long nextOut) {
        return -ENOTSUPP;
    }

    @Override
    void free() {
        Mmap.unmap(memory);
    }
}
