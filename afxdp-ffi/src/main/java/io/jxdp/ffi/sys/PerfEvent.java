package io.jxdp.ffi.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * A kernel perf event of type PERF_COUNT_SW_BPF_OUTPUT on one CPU with its mmap'd ring: what a
 * PERF_EVENT_ARRAY slot holds in the kernel, so that samples of {@code bpf_perf_event_output} can
 * be read back and compared (include/uapi/linux/perf_event.h, perf_event_open(2)).
 *
 * <p>The event is opened with {@code type = PERF_TYPE_SOFTWARE, config = PERF_COUNT_SW_BPF_OUTPUT,
 * sample_type = PERF_SAMPLE_RAW, sample_period = 1, wakeup_events = 1, pid = -1, cpu = N}, enabled
 * at once, and its ring is mapped as 1 + 2^n pages: the {@code perf_event_mmap_page} control page,
 * then the data pages. {@link #read()} drains the records between {@code data_tail} and
 * {@code data_head}. A control-plane and test tool: it allocates per call.
 */
public final class PerfEvent implements AutoCloseable {
    /** __NR_perf_event_open on x86_64 (arch/x86/entry/syscalls/syscall_64.tbl). */
    static final long NR_PERF_EVENT_OPEN = 298;
    public static final int PERF_TYPE_SOFTWARE = 1;
    public static final long PERF_COUNT_SW_BPF_OUTPUT = 10;
    public static final long PERF_SAMPLE_RAW = 1L << 10;
    public static final int PERF_RECORD_LOST = 2;
    public static final int PERF_RECORD_SAMPLE = 9;
    static final long PERF_FLAG_FD_CLOEXEC = 8;
    /** PERF_ATTR_SIZE_VER0: the fields up to config1, all this event needs. */
    static final int PERF_ATTR_SIZE_VER0 = 64;
    /** The x86_64 page size, the unit of the ring. */
    public static final int PAGE_SIZE = 4096;
    /** perf_event_mmap_page: data_head, data_tail (u64, at 1024 and 1032). */
    static final long DATA_HEAD = 1024;
    static final long DATA_TAIL = 1032;

    private static final MethodHandle SYSCALL = LibC.downcallErrnoVariadic("syscall",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS,
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG), 1);

    /** One record of the ring: the perf_event_header's type and misc, and the bytes after the header. */
    public record Record(int type, int misc, byte[] body) {}

    private final int fd;
    private final int cpu;
    private final MemorySegment ring;
    private final long dataSize;
    private boolean closed;

    private PerfEvent(int fd, int cpu, MemorySegment ring, long dataSize) {
        this.fd = fd;
        this.cpu = cpu;
        this.ring = ring;
        this.dataSize = dataSize;
    }

    /**
     * Opens a BPF output event on {@code cpu} and maps its ring of {@code dataPages} pages (a power
     * of 2). Needs CAP_PERFMON or CAP_SYS_ADMIN (or a permissive perf_event_paranoid).
     *
     * @throws NativeException naming the call the kernel refused
     */
    public static PerfEvent openBpfOutput(int cpu, int dataPages) {
        if (dataPages < 1 || Integer.bitCount(dataPages) != 1) {
            throw new IllegalArgumentException("perf ring data pages must be a power of 2, got " + dataPages);
        }
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(PERF_ATTR_SIZE_VER0, 8);
            attr.set(ValueLayout.JAVA_INT, 0, PERF_TYPE_SOFTWARE);
            attr.set(ValueLayout.JAVA_INT, 4, PERF_ATTR_SIZE_VER0);
            attr.set(ValueLayout.JAVA_LONG, 8, PERF_COUNT_SW_BPF_OUTPUT);
            attr.set(ValueLayout.JAVA_LONG, 16, 1); // sample_period
            attr.set(ValueLayout.JAVA_LONG, 24, PERF_SAMPLE_RAW);
            attr.set(ValueLayout.JAVA_INT, 48, 1); // wakeup_events
            MemorySegment capture = LibC.newErrnoCapture(arena);
            long rc = (long) SYSCALL.invokeExact(capture, NR_PERF_EVENT_OPEN, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
            if (rc < 0) {
                throw new NativeException("perf_event_open(PERF_COUNT_SW_BPF_OUTPUT, cpu " + cpu + ")",
                        LibC.errno(capture));
            }
            fd = (int) rc;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        try {
            MemorySegment ring = Mmap.map((long) (1 + dataPages) * PAGE_SIZE, Mmap.PROT_READ | Mmap.PROT_WRITE,
                    Mmap.MAP_SHARED, fd, 0);
            return new PerfEvent(fd, cpu, ring, (long) dataPages * PAGE_SIZE);
        } catch (RuntimeException e) {
            FileDescriptors.close(fd);
            throw e;
        }
    }

    /** The event's file descriptor, the value stored in a PERF_EVENT_ARRAY slot. */
    public int fd() {
        return fd;
    }

    public int cpu() {
        return cpu;
    }

    /** The size of the ring's data area in bytes. */
    public long dataSize() {
        return dataSize;
    }

    /**
     * Every record the kernel wrote since the last call, in order (data_head read with acquire
     * semantics, data_tail advanced with release semantics, as tools/lib/perf/mmap.c does); records
     * that wrap around the end of the data area are put back together.
     */
    public List<Record> read() {
        if (closed) {
            throw new IllegalStateException("perf event on cpu " + cpu + " is closed");
        }
        long head = (long) ValueLayout.JAVA_LONG.varHandle().getAcquire(ring, DATA_HEAD);
        long tail = ring.get(ValueLayout.JAVA_LONG, DATA_TAIL);
        List<Record> out = new ArrayList<>();
        while (tail < head) {
            byte[] hdr = copy(tail, 8);
            MemorySegment h = MemorySegment.ofArray(hdr);
            int type = h.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
            int misc = Short.toUnsignedInt(h.get(ValueLayout.JAVA_SHORT_UNALIGNED, 4));
            int size = Short.toUnsignedInt(h.get(ValueLayout.JAVA_SHORT_UNALIGNED, 6));
            if (size < 8 || tail + size > head) {
                throw new IllegalStateException("perf ring on cpu " + cpu + ": record at " + tail + " has size " + size
                        + ", head is " + head);
            }
            out.add(new Record(type, misc, copy(tail + 8, size - 8)));
            tail += size;
        }
        ValueLayout.JAVA_LONG.varHandle().setRelease(ring, DATA_TAIL, tail);
        return out;
    }

    private byte[] copy(long pos, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = ring.get(ValueLayout.JAVA_BYTE, PAGE_SIZE + Math.floorMod(pos + i, dataSize));
        }
        return b;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Mmap.unmap(ring);
        } finally {
            FileDescriptors.close(fd);
        }
    }
}
