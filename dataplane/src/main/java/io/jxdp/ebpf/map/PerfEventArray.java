package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.Errno;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY for {@code bpf_perf_event_output} ({@code kernel/trace/bpf_trace.c}
 * __bpf_perf_event_output(), {@code net/core/filter.c} bpf_xdp_event_output()): one output buffer
 * per index, each the "perf event" of one CPU (worker), read by user space.
 *
 * <p>jxdp has no perf events: user space {@link #open opens} an index (the kernel: stores the fd of
 * a PERF_COUNT_SW_BPF_OUTPUT event bound to that CPU and mmaps its ring) and {@link #poll polls}
 * it. Each buffer is a {@link PerfRing} laid out as the kernel's perf ring: PERF_RECORD_SAMPLE
 * records (header, u32 raw size, the program's data, the ctx (packet) bytes, padding so that
 * raw size + 4 is a multiple of 8, as perf_prepare_sample() pads raw data), the same free-space
 * rule, and PERF_RECORD_LOST records for samples lost to a full ring. {@code PerfEventKernelTest}
 * compares the helper results and every sample's raw size and bytes with the kernel's mmap'd ring.
 * Helper results as the kernel: unknown flag bits EINVAL, a ctx length beyond the packet EFAULT,
 * an index at or beyond max_entries E2BIG, an index nobody opened ENOENT, an index other than the
 * calling CPU's EOPNOTSUPP (the event is on another CPU), a full buffer ENOSPC (a lost sample).
 */
public final class PerfEventArray extends BpfMap {
    /** BPF_F_INDEX_MASK / BPF_F_CURRENT_CPU / BPF_F_CTXLEN_MASK, include/uapi/linux/bpf.h. */
    public static final long BPF_F_INDEX_MASK = 0xffff_ffffL;
    public static final long BPF_F_CURRENT_CPU = BPF_F_INDEX_MASK;
    public static final long BPF_F_CTXLEN_MASK = 0xfffffL << 32;
    /** PERF_RECORD_SAMPLE, include/uapi/linux/perf_event.h. */
    public static final int PERF_RECORD_SAMPLE = 9;
    /** PERF_RECORD_MISC_KERNEL: the kernel's misc for a BPF output sample (perf_misc_flags of kernel regs). */
    public static final int PERF_RECORD_MISC_KERNEL = 1;

    /** Receives the count of a PERF_RECORD_LOST record: samples lost to a full ring since the last record. */
    @FunctionalInterface
    public interface LostHandler {
        void onLost(long count);
    }

    private final AtomicReferenceArray<PerfRing> buffers;
    private final Rcu rcu;

    PerfEventArray(MapDefinition def, int nCpus, Rcu rcu) {
        super(def, nCpus, rcu);
        this.rcu = rcu;
        this.buffers = new AtomicReferenceArray<>(def.maxEntries());
    }

    @Override
    public boolean supportsDelete() {
        return false;
    }

    /** Programs only output through this map (bpf_perf_event_output), which the runtime calls as {@link #output}. */
    @Override
    public boolean supports(MapOp op) {
        return false;
    }

    /**
     * Opens index {@code index} with a ring of {@code bytes} of data (a power-of-2 multiple of 4096,
     * the data pages of the kernel's perf mmap); replaces a previous one, whose unread samples are
     * dropped.
     */
    public void open(int index, int bytes) {
        if (Integer.compareUnsigned(index, maxEntries()) >= 0) {
            throw new MapException(name(), Errno.E2BIG, "index " + Integer.toUnsignedString(index) + " beyond max_entries "
                    + maxEntries());
        }
        if (bytes < 4096 || Integer.bitCount(bytes) != 1) {
            throw new MapException(name(), Errno.EINVAL, "index " + index + ": a perf ring of " + bytes
                    + " bytes; it takes a power-of-2 multiple of 4096");
        }
        retire(buffers.getAndSet(index, new PerfRing(bytes, index)));
    }

    /** Frees a replaced or deleted ring once no worker can still be writing to it. */
    private void retire(PerfRing old) {
        if (old != null) {
            rcu.synchronize(1_000_000_000L);
            old.close();
        }
    }

    /**
     * {@code bpf_perf_event_output(ctx, map, flags, data, size)} from an XDP program running on
     * worker {@code cpu}: the sample is {@code size} bytes at {@code data} followed by the first
     * {@code flags >> 32} bytes of the packet at {@code ctx} ({@code ctxLen} bytes long). 0 or -errno.
     */
    public int output(long flags, long data, long size, long ctx, long ctxLen, int cpu) {
        if ((flags & ~(BPF_F_CTXLEN_MASK | BPF_F_INDEX_MASK)) != 0) {
            return -Errno.EINVAL;
        }
        long ctxSize = (flags & BPF_F_CTXLEN_MASK) >>> 32;
        if (ctxSize > ctxLen) {
            return -Errno.EFAULT;
        }
        long index = flags & BPF_F_INDEX_MASK;
        if (index == BPF_F_CURRENT_CPU) {
            index = cpu;
        }
        if (index >= Integer.toUnsignedLong(maxEntries())) {
            return -Errno.E2BIG;
        }
        PerfRing rb = buffers.get((int) index);
        if (rb == null) {
            return -Errno.ENOENT;
        }
        if (index != cpu) {
            return -Errno.EOPNOTSUPP; // event->oncpu != smp_processor_id()
        }
        long raw = Native.roundUp8(size + ctxSize + 4) - 4;
        if (PerfRing.SAMPLE_HEADER + raw > 0xffff) {
            return -Errno.E2BIG; // perf_event_header.size is 16 bits
        }
        return rb.write(data, size, ctx, ctxSize, (int) raw);
    }

    /**
     * Hands the samples among up to {@code limit} records of index {@code index}, in order, to {@code handler} as
     * (address of the raw data, raw size): the bytes after the kernel's u32 size field, the
     * program's data, the ctx bytes, then the padding, whose bytes are whatever the ring held there
     * (the kernel skips them too). One consumer per index. Lost records are skipped; see
     * {@link #poll(int, RingBuf.RecordHandler, LostHandler, int)}. 0 if not open.
     */
    public int poll(int index, RingBuf.RecordHandler handler, int limit) {
        return poll(index, handler, null, limit);
    }

    /**
     * As {@link #poll(int, RingBuf.RecordHandler, int)}, handing each PERF_RECORD_LOST's count to
     * {@code lost} (as libbpf's perf_buffer lost callback); {@code limit} bounds the records read.
     */
    public int poll(int index, RingBuf.RecordHandler handler, LostHandler lost, int limit) {
        PerfRing rb = Integer.compareUnsigned(index, maxEntries()) < 0 ? buffers.get(index) : null;
        if (rb == null) {
            return 0;
        }
        return rb.poll(handler, lost, limit);
    }

    // ------------------------------------------------------------------ element operations

    @Override
    public long lookup(long keyAddr, int cpu) {
        return 0;
    }

    @Override
    public int update(long keyAddr, long valueAddr, long flags, int cpu) {
        return -Errno.EOPNOTSUPP;
    }

    @Override
    public int delete(long keyAddr, int cpu) {
        return -Errno.EOPNOTSUPP;
    }

    /** The kernel has no map_fd_sys_lookup_elem for perf event arrays: ENOTSUPP. */
    @Override
    int userLookup(long keyAddr, long out) {
        return -ENOTSUPP;
    }

    /** Needs a perf event fd in the kernel; jxdp opens indexes with {@link #open}. */
    @Override
    int userUpdate(long keyAddr, long value, long flags) {
        return -Errno.EOPNOTSUPP;
    }

    /** Closes the index's buffer: ENOENT when not open, E2BIG beyond max_entries (fd_array_map_delete_elem). */
    @Override
    int userDelete(long keyAddr) {
        int i = Native.getInt(keyAddr);
        if (Integer.compareUnsigned(i, maxEntries()) >= 0) {
            return -Errno.E2BIG;
        }
        PerfRing old = buffers.getAndSet(i, null);
        if (old == null) {
            return -Errno.ENOENT;
        }
        retire(old);
        return 0;
    }

    @Override
    int userGetNextKey(long keyAddr, long nextOut) {
        int index = keyAddr == 0 ? maxEntries() : Native.getInt(keyAddr);
        if (Integer.compareUnsigned(index, maxEntries()) >= 0) {
            Native.putInt(nextOut, 0);
            return 0;
        }
        if (index == maxEntries() - 1) {
            return -Errno.ENOENT;
        }
        Native.putInt(nextOut, index + 1);
        return 0;
    }

    @Override
    void free() {
        for (int i = 0; i < buffers.length(); i++) {
            PerfRing rb = buffers.getAndSet(i, null);
            if (rb != null) {
                rb.close();
            }
        }
    }
}
