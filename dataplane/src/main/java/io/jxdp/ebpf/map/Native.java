package io.jxdp.ebpf.map;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Raw access to native addresses for the program-side path, where keys and values are pointers a
 * program holds (stack, packet, map values). One segment spans the whole address space, so every
 * access is a plain load or store after a bounds check the JIT folds away; the verifier is what
 * proves the pointers valid, as in the kernel.
 */
final class Native {
    private Native() {}

    /** All of the address space; a restricted method, hence --enable-native-access. */
    static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    static int getInt(long addr) {
        return ALL.get(ValueLayout.JAVA_INT_UNALIGNED, addr);
    }

    static long getLong(long addr) {
        return ALL.get(ValueLayout.JAVA_LONG_UNALIGNED, addr);
    }

    static short getShort(long addr) {
        return ALL.get(ValueLayout.JAVA_SHORT_UNALIGNED, addr);
    }

    static byte getByte(long addr) {
        return ALL.get(ValueLayout.JAVA_BYTE, addr);
    }

    static void putByte(long addr, byte v) {
        ALL.set(ValueLayout.JAVA_BYTE, addr, v);
    }

    static void putLong(long addr, long v) {
        ALL.set(ValueLayout.JAVA_LONG_UNALIGNED, addr, v);
    }

    static void putInt(long addr, int v) {
        ALL.set(ValueLayout.JAVA_INT_UNALIGNED, addr, v);
    }

    /** Acquire load of an 8-aligned long: pairs with {@link #putLongRelease}. */
    static long getLongAcquire(long addr) {
        return (long) LONG.getAcquire(ALL, addr);
    }

    /** Release store of an 8-aligned long: everything written before it is visible to an acquiring reader. */
    static void putLongRelease(long addr, long v) {
        LONG.setRelease(ALL, addr, v);
    }

    /** Acquire load of a 4-aligned int: pairs with a release store or {@link #getAndSetInt}. */
    static int getIntAcquire(long addr) {
        return (int) INT.getAcquire(ALL, addr);
    }

    /** Atomic exchange (a full fence, as the kernel's xchg). */
    static int getAndSetInt(long addr, int v) {
        return (int) INT.getAndSet(ALL, addr, v);
    }

    static boolean casInt(long addr, int expected, int value) {
        return (boolean) INT.compareAndSet(ALL, addr, expected, value);
    }

    static void putIntRelease(long addr, int v) {
        INT.setRelease(ALL, addr, v);
    }

    static void copy(long src, long dst, long bytes) {
        MemorySegment.copy(ALL, src, ALL, dst, bytes);
    }

    /** Zeroes without allocating: longs then bytes. */
    static void zeroNoAlloc(long addr, long bytes) {
        long i = 0;
        for (; i + 8 <= bytes; i += 8) {
            putLong(addr + i, 0L);
        }
        for (; i < bytes; i++) {
            ALL.set(ValueLayout.JAVA_BYTE, addr + i, (byte) 0);
        }
    }

    /** Byte-wise equality of two native ranges, eight bytes at a time. */
    static boolean equal(long a, long b, int len) {
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            if (getLong(a + i) != getLong(b + i)) {
                return false;
            }
        }
        for (; i < len; i++) {
            if (getByte(a + i) != getByte(b + i)) {
                return false;
            }
        }
        return true;
    }

    /** Acquires a one-int spin lock at {@code addr} (0 free, 1 held); writers only, never readers. */
    static void lock(long addr) {
        int spins = 0;
        while (!casInt(addr, 0, 1)) {
            if (++spins < 256) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    /** Releases a lock taken with {@link #lock}: the release store publishes the critical section. */
    static void unlock(long addr) {
        putIntRelease(addr, 0);
    }

    static long roundUp8(long n) {
        return (n + 7) & ~7L;
    }
}
