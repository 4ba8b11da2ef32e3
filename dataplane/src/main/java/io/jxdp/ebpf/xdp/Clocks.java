package io.jxdp.ebpf.xdp;

import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import io.jxdp.ffi.bpf.TestRunAttr;
import io.jxdp.ffi.sys.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The kernel clocks the time helpers read, through {@code clock_gettime(2)} into a buffer owned by
 * the caller (one per engine, so a read allocates nothing).
 */
final class Clocks {
    /** CLOCK_MONOTONIC: ktime_get_ns(). */
    static final int MONOTONIC = 1;
    /** CLOCK_MONOTONIC_COARSE: its resolution is one jiffy (TICK_NSEC). */
    static final int MONOTONIC_COARSE = 6;
    /** CLOCK_BOOTTIME: ktime_get_boot_ns(). */
    static final int BOOTTIME = 7;

    private static final MethodHandle CLOCK_GETTIME = LibC.downcall("clock_gettime",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    private static final MethodHandle CLOCK_GETRES = LibC.downcall("clock_getres",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));

    /**
     * TICK_NSEC of the running kernel: the resolution of CLOCK_MONOTONIC_COARSE, which the kernel
     * reports as LOW_RES_NSEC = TICK_NSEC (kernel/time/posix-timers.c); 4 ms (HZ 250) when unknown.
     */
    static final long TICK_NSEC = tickNanos();
    /** CONFIG_HZ, from {@link #TICK_NSEC}. */
    static final long HZ = Math.max(1, Math.round(1e9 / TICK_NSEC));
    /**
     * INITIAL_JIFFIES (include/linux/jiffies.h): jiffies_64 starts 300 s before the 32-bit wrap,
     * 2^32 - 300 * HZ.
     */
    static final long INITIAL_JIFFIES = (1L << 32) - 300 * HZ;

    private Clocks() {
    }

    /** Nanoseconds of {@code clock}, using {@code timespec} (16 bytes) as the out buffer. */
    static long nanos(int clock, MemorySegment timespec) {
        int rc;
        try {
            rc = (int) CLOCK_GETTIME.invokeExact(clock, timespec);
        } catch (Throwable t) {
            throw new IllegalStateException("clock_gettime(" + clock + ") failed", t);
        }
        if (rc != 0) {
            throw new IllegalStateException("clock_gettime(" + clock + ") returned " + rc);
        }
        return timespec.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + timespec.get(ValueLayout.JAVA_LONG, 8);
    }

    /**
     * bpf_jiffies64(): {@code floor(CLOCK_MONOTONIC / TICK_NSEC) + base}. The kernel's jiffies_64
     * advances on tick boundaries that are multiples of TICK_NSEC of the monotonic clock
     * (tick_init_jiffy_update(), kernel/time/tick-sched.c), from INITIAL_JIFFIES at a point of the
     * boot that differs per machine (67 ticks after CLOCK_MONOTONIC's zero on the Firecracker guest
     * these tests ran on); so the base is measured once per process against the kernel's own
     * bpf_jiffies64 ({@link JiffiesBase}).
     */
    static long jiffies64(MemorySegment timespec) {
        return Math.floorDiv(nanos(MONOTONIC, timespec), TICK_NSEC) + JiffiesBase.BASE;
    }

    /**
     * jiffies_64 - floor(CLOCK_MONOTONIC / TICK_NSEC) in this boot, measured on first use: a
     * 17-instruction XDP program reads jiffies64, ktime_get_ns and jiffies64 again into the
     * packet (BPF_PROG_TEST_RUN); samples whose two jiffies differ straddle a tick and are dropped,
     * and the largest base of the rest is kept (a late jiffies update only lowers a sample). When
     * bpf(2) is not allowed (no CAP_BPF) the base is INITIAL_JIFFIES, i.e. jiffies counted from
     * CLOCK_MONOTONIC's zero, which runs ahead of the kernel's by the boot's tick start-up delay.
     */
    static final class JiffiesBase {
        static final int SAMPLES = 8;
        static final String PROGRAM = """
                mov %r6, %r1
                call 118
                mov %r7, %r0
                call 5
                mov %r8, %r0
                call 118
                mov %r9, %r0
                ldxw %r2, [%r6+0]
                ldxw %r3, [%r6+4]
                mov %r4, %r2
                add %r4, 24
                jgt %r4, %r3, out
                stxdw [%r2+0], %r7
                stxdw [%r2+8], %r8
                stxdw [%r2+16], %r9
                out:
                mov %r0, 2
                exit
                """;
        /** True when {@link #BASE} was measured in the kernel, false when it is the INITIAL_JIFFIES fallback. */
        static final boolean MEASURED;
        static final long BASE;
        /** Why the base could not be measured (null when it was), as Netty's {@code Epoll.unavailabilityCause()}. */
        static final Throwable UNMEASURED_CAUSE;

        static {
            long base = Long.MIN_VALUE;
            Throwable cause = null;
            try {
                base = measure();
                if (base == Long.MIN_VALUE) {
                    cause = new IllegalStateException("every sample straddled a tick");
                }
            } catch (RuntimeException | LinkageError e) {
                cause = e; // no bpf(2) here: fall back below
            }
            MEASURED = cause == null;
            BASE = MEASURED ? base : INITIAL_JIFFIES;
            UNMEASURED_CAUSE = cause;
        }

        private JiffiesBase() {
        }

        private static long measure() {
            long[] slots = io.jxdp.ebpf.asm.Assembler.assemble(PROGRAM).slots();
            int fd = Bpf.progLoad(ProgLoadAttr.xdp(slots).withLicense("GPL"));
            try {
                long best = Long.MIN_VALUE;
                for (int i = 0; i < SAMPLES; i++) {
                    byte[] out = Bpf.progTestRun(fd, TestRunAttr.of(new byte[64])).dataOut();
                    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
                    long j0 = b.getLong(0);
                    long ns = b.getLong(8);
                    long j1 = b.getLong(16);
                    if (j0 == j1) {
                        best = Math.max(best, j0 - Math.floorDiv(ns, TICK_NSEC));
                    }
                }
                return best;
            } finally {
                Bpf.close(fd);
            }
        }
    }

    private static long tickNanos() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ts = a.allocate(16, 8);
            int rc = (int) CLOCK_GETRES.invokeExact(MONOTONIC_COARSE, ts);
            long res = ts.get(ValueLayout.JAVA_LONG, 8) + ts.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L;
            if (rc != 0 || res <= 0 || res > 1_000_000_000L) {
                return 4_000_000L; // HZ 250, a common CONFIG_HZ; only the jiffies64 helper uses it
            }
            return res;
        } catch (Throwable t) {
            return 4_000_000L;
        }
    }
}
