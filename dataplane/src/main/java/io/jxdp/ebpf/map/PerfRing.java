package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.Mmap;
import java.lang.foreign.MemorySegment;

/**
 * One PERF_EVENT_ARRAY slot's buffer, laid out as the kernel's mmap'd perf ring of a
 * PERF_COUNT_SW_BPF_OUTPUT event with {@code sample_type = PERF_SAMPLE_RAW}
 * (kernel/events/ring_buffer.c __perf_output_begin(), kernel/events/core.c perf_output_sample()):
 * records follow each other at 8-byte aligned positions of a power-of-2 data area and may wrap
 * around its end; a record is
 * <pre>
 *   PERF_RECORD_SAMPLE: +0 type u32 = 9, +4 misc u16 = PERF_RECORD_MISC_KERNEL, +6 size u16,
 *                       +8 raw size u32, +12 data, ctx bytes, then padding to a multiple of 8
 *   PERF_RECORD_LOST:   +0 type u32 = 2, +4 misc u16 = 0, +6 size u16 = 24, +8 id u64, +16 lost u64
 * </pre>
 * As the kernel: a record is written only when CIRC_SPACE(head, tail, size) (free bytes minus one)
 * holds it; otherwise the sample is lost (ENOSPC) and counted, and the next record that fits is
 * preceded by a PERF_RECORD_LOST with the count; padding bytes are skipped, not written
 * (__output_skip), so they hold whatever the ring held there. The id of a lost record is the
 * slot's index here (the kernel writes its event's id).
 *
 * <p>Memory: a page of metadata (producer lock, head, tail, lost count, a staging area for
 * headers), the data area, and a 64 KiB scratch area into which the consumer joins a record that
 * wraps. Producers (any worker) write under the lock; one consumer. Allocation-free.
 */
final class PerfRing {
    static final int PERF_RECORD_LOST = 2;
    static final int LOST_SIZE = 24;
    static final int SAMPLE_HEADER = 12;
    private static final long PAGE = 4096;
    private static final long META_LOCK = 0;
    private static final long META_HEAD = 8;
    private static final long META_TAIL = 16;
    private static final long META_LOST = 24;
    private static final long META_STAGE = 32; // 24 bytes: a lost record or a sample header
    private static final long SCRATCH = 1 << 16; // a record's size is a u16

    private final MemorySegment memory;
    private final long meta;
    private final long data;
    private final long mask;
    private final long scratch;
    private final long id;

    /** {@code bytes}: the data area, a power-of-2 multiple of 4096 as the kernel's perf mmap takes. */
    PerfRing(long bytes, long id) {
        this.memory = Mmap.anonymous(PAGE + bytes + SCRATCH);
        this.meta = memory.address();
        this.data = meta + PAGE;
        this.mask = bytes - 1;
        this.scratch = data + bytes;
        this.id = id;
    }

    /**
     * Writes one sample: {@code size} bytes at {@code src}, {@code ctxSize} bytes at {@code ctx},
     * under a 12-byte header whose raw size is {@code raw} (the two lengths plus the padding). 0 or
     * -ENOSPC (counted as lost).
     */
    int write(long src, long size, long ctx, long ctxSize, int raw) {
        long total = SAMPLE_HEADER + (long) raw;
        Native.lock(meta + META_LOCK);
        try {
            long head = Native.getLong(meta + META_HEAD);
            long tail = Native.getLongAcquire(meta + META_TAIL); // pairs with the consumer's release
            long lost = Native.getLong(meta + META_LOST);
            long need = total + (lost != 0 ? LOST_SIZE : 0);
            if (((tail - (head + 1)) & mask) < need) { // CIRC_SPACE(head, tail, size) < size
                Native.putLong(meta + META_LOST, lost + 1);
                return -Errno.ENOSPC;
            }
            long pos = head;
            long stage = meta + META_STAGE;
            if (lost != 0) {
                Native.putInt(stage, PERF_RECORD_LOST);
                Native.putInt(stage + 4, LOST_SIZE << 16);
                Native.putLong(stage + 8, id);
                Native.putLong(stage + 16, lost);
                copyIn(pos, stage, LOST_SIZE);
                pos += LOST_SIZE;
                Native.putLong(meta + META_LOST, 0);
            }
            Native.putInt(stage, PerfEventArray.PERF_RECORD_SAMPLE);
            Native.putInt(stage + 4, (int) total << 16 | PerfEventArray.PERF_RECORD_MISC_KERNEL);
            Native.putInt(stage + 8, raw);
            copyIn(pos, stage, SAMPLE_HEADER);
            copyIn(pos + SAMPLE_HEADER, src, size);
            copyIn(pos + SAMPLE_HEADER + size, ctx, ctxSize);
            Native.putLongRelease(meta + META_HEAD, head + need); // pairs with the consumer's acquire
            return 0;
        } finally {
            Native.unlock(meta + META_LOCK);
        }
    }

    private void copyIn(long pos, long src, long n) {
        long off = pos & mask;
        long first = Math.min(n, mask + 1 - off);
        Native.copy(src, data + off, first);
        if (n > first) {
            Native.copy(src + first, data, n - first);
        }
    }

    /**
     * Hands up to {@code limit} records in order: samples to {@code samples} as (address of the raw
     * data, raw size), lost records to {@code lostHandler} as their count (may be null). Returns the
     * number of samples handed; the space is given back to producers when it returns.
     */
    int poll(RingBuf.RecordHandler samples, PerfEventArray.LostHandler lostHandler, int limit) {
        long tail = Native.getLong(meta + META_TAIL);
        long head = Native.getLongAcquire(meta + META_HEAD);
        int records = 0;
        int handed = 0;
        while (tail < head && records < limit) {
            long off = tail & mask;
            long rec = data + off;
            int word = Native.getInt(rec + 4);
            int size = word >>> 16;
            if (off + size > mask + 1) { // wraps: join the two parts in the scratch area
                long first = mask + 1 - off;
                Native.copy(rec, scratch, first);
                Native.copy(data, scratch + first, size - first);
                rec = scratch;
            }
            if (Native.getInt(rec) == PERF_RECORD_LOST) {
                if (lostHandler != null) {
                    lostHandler.onLost(Native.getLong(rec + 16));
                }
            } else {
                samples.onRecord(rec + SAMPLE_HEADER, Native.getInt(rec + 8));
                handed++;
            }
            records++;
            tail += size;
        }
        Native.putLongRelease(meta + META_TAIL, tail);
        return handed;
    }

    void close() {
        Mmap.unmap(memory);
    }
}
