package io.jxdp.ffi.xdp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Loads and stores at absolute addresses, for the AF_XDP data path: ring entries, ring indices
 * and UMEM frame bytes (the scheme of the dataplane's JIT, {@code io.jxdp.ebpf.jit.JitRuntime}).
 *
 * <p>One {@code static final} segment spans the whole address space, so the JIT folds its base,
 * size and scope to constants and an access is a plain load or store (its bounds check is a
 * compare against a constant, never taken). What a bounded segment checked per access is checked
 * once instead, where the addresses are made (afxdp-ffi/README.md, "Absolute addresses"):
 * <ul>
 *   <li>a ring's entry address is {@code entries + ((index & mask) << shift)}: the mask keeps it
 *       inside the {@code size * entrySize} bytes that {@code ProducerRing}/{@code ConsumerRing}
 *       checked, at construction, to lie inside the ring's mapping;
 *   <li>a UMEM address comes from a descriptor the kernel wrote (RX, completion) and is checked
 *       against the UMEM's size before it is dereferenced or handed on ({@code XdpSocket}); the
 *       socket's own frames (free stack) are addresses it made.
 * </ul>
 * The mappings live until the socket's {@code close()}, after which the data path refuses to run.
 * Package-private: nothing outside the socket's data path gets raw access.
 */
final class RawMemory {
    /** All of the address space (a restricted method: --enable-native-access). */
    static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private RawMemory() {
    }

    static long getLong(long address) {
        return ALL.get(U64, address);
    }

    static int getInt(long address) {
        return ALL.get(U32, address);
    }

    static void putLong(long address, long value) {
        ALL.set(U64, address, value);
    }

    static void putInt(long address, int value) {
        ALL.set(U32, address, value);
    }

    /** Acquire load of a ring index (4-aligned u32). */
    static int getIntAcquire(long address) {
        return (int) INT.getAcquire(ALL, address);
    }

    /** Volatile load of a ring's flags word (after a full fence, for need-wakeup). */
    static int getIntVolatile(long address) {
        return (int) INT.getVolatile(ALL, address);
    }

    /** Release store of a ring index: the entries written before it are visible to an acquiring reader. */
    static void putIntRelease(long address, int value) {
        INT.setRelease(ALL, address, value);
    }

    /**
     * The absolute address of {@code offset} in {@code memory}, checking that {@code length}
     * bytes from there lie inside it (native memory only).
     */
    static long addressOf(MemorySegment memory, long offset, long length, String what) {
        if (!memory.isNative()) {
            throw new IllegalArgumentException(what + ": ring memory must be native, not " + memory);
        }
        if (offset < 0 || length < 0 || offset > memory.byteSize() - length) {
            throw new IllegalArgumentException(what + ": " + length + " bytes at offset " + offset
                    + " do not fit in a mapping of " + memory.byteSize() + " bytes");
        }
        return memory.address() + offset;
    }
}
