package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.Mmap;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The array maps whose slots refer to something outside the map: BPF_MAP_TYPE_PROG_ARRAY (a
 * program, {@code kernel/bpf/arraymap.c} fd_array), DEVMAP (an interface and optional program,
 * {@code kernel/bpf/devmap.c}), CPUMAP (a CPU queue size and optional program,
 * {@code kernel/bpf/cpumap.c}) and XSKMAP (an AF_XDP socket, {@code net/xdp/xskmap.c}). Keys are
 * u32 indexes below max_entries; a slot is empty or holds one value of at most 8 bytes.
 *
 * <pre>
 * one anonymous mmap, 16 bytes per slot:
 *   +0 present u32 (0 empty, 1 set), written with release after the value
 *   +8 value   u64: PROG_ARRAY program id | DEVMAP {u32 ifindex, u32 prog id} |
 *                   CPUMAP {u32 qsize, u32 prog id} | XSKMAP socket id
 * </pre>
 *
 * <p>What the user-side values mean in jxdp, where there are no file descriptors: a PROG_ARRAY value
 * is a program id the runtime assigned (the kernel takes a prog fd in and gives the prog id out;
 * jxdp takes and gives the id); DEVMAP's {@code bpf_prog.fd} and CPUMAP's likewise carry a program
 * id, and XSKMAP's value a socket id of the AF_XDP layer. The value is one 8-byte store, so a
 * program reading a DEVMAP or CPUMAP entry never sees half of an update.
 *
 * <p>Program side: {@link #tailCallTarget} for {@code bpf_tail_call} (PROG_ARRAY), {@link #redirectTarget}
 * for {@code bpf_redirect_map} (DEVMAP: ifindex, CPUMAP: cpu, XSKMAP: queue index), and
 * {@code bpf_map_lookup_elem} returning the value's address for DEVMAP and CPUMAP (the kernel hands
 * programs {@code &obj->val}, read-only) and XSKMAP (a non-zero address when the slot is set).
 *
 * <p>Writers (updates and deletes, user side or program side) take the map's writer lock, so a
 * check and the store it decides on are one step: of racing BPF_NOEXIST inserts into an XSKMAP slot
 * one wins (xsk_map_update_elem() under m->lock), of racing deletes of a PROG_ARRAY slot one succeeds
 * (fd_array_map_delete_elem()'s xchg). Readers take no lock ({@code SlotMapConcurrencyTest}).
 */
public final class SlotArray extends BpfMap {
    private static final long SLOT = 16;
    private static final long S_VALUE = 8;
    /** CPUMAP qsize sanity limit, cpu_map_update_elem(). */
    static final int CPUMAP_MAX_QSIZE = 16384;
    /** EOVERFLOW, include/uapi/asm-generic/errno.h (not in Errno). */
    static final int EOVERFLOW = 75;

    private static final VarHandle WRITE_LOCK;

    static {
        try {
            WRITE_LOCK = MethodHandles.lookup().findVarHandle(SlotArray.class, "writeLock", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through WRITE_LOCK
    private volatile int writeLock;
    private final MemorySegment memory;
    private final long base;
    private final int maxEntries;
    private final int valueSize;

    SlotArray(MapDefinition def, int nCpus, Rcu rcu) {
        super(def, nCpus, rcu);
        this.maxEntries = def.maxEntries();
        this.valueSize = def.valueSize();
        this.memory = Maps.mmap(def, Integer.toUnsignedLong(maxEntries) * SLOT);
        this.base = memory.address();
    }

    @Override
    public boolean supportsDelete() {
        return type() != MapType.PROG_ARRAY; // programs cannot delete from a prog array (verifier)
    }

    @Override
    public boolean supports(MapOp op) {
        return switch (type()) {
            case PROG_ARRAY -> false; // bpf_tail_call only: tailCallTarget()
            case XSKMAP -> op == MapOp.REDIRECT || op == MapOp.LOOKUP || op == MapOp.DELETE || op == MapOp.GET_NEXT_KEY;
            default -> op == MapOp.REDIRECT || op == MapOp.LOOKUP || op == MapOp.UPDATE || op == MapOp.DELETE
                    || op == MapOp.GET_NEXT_KEY;
        };
    }

    private long slot(int index) {
        return base + Integer.toUnsignedLong(index) * SLOT;
    }

    private boolean present(int index) {
        return Integer.compareUnsigned(index, maxEntries) < 0 && Native.getIntAcquire(slot(index)) != 0;
    }

    // ------------------------------------------------------------------ program side

    /**
     * {@code bpf_tail_call(ctx, prog_array, index)}: the program id at {@code index}, or 0 when the
     * index is out of range or the slot empty (the kernel then falls through to the next instruction).
     * The runtime resolves the id and enforces MAX_TAIL_CALL_CNT (33).
     */
    public int tailCallTarget(long index) {
        if (type() != MapType.PROG_ARRAY || Long.compareUnsigned(index, Integer.toUnsignedLong(maxEntries)) >= 0) {
            return 0;
        }
        int i = (int) index;
        return present(i) ? (int) Native.getLong(slot(i) + S_VALUE) : 0;
    }

    /**
     * {@code bpf_redirect_map(map, key, flags)}'s lookup: the target of slot {@code key} — DEVMAP the
     * ifindex, CPUMAP the cpu (the key), XSKMAP the queue index (the key) — or -1 when there is none,
     * in which case the helper returns the fallback action {@code flags & 3} (XDP_ABORTED, DROP, PASS
     * or TX), as __bpf_xdp_redirect_map(). The runtime records the target and returns XDP_REDIRECT.
     */
    @Override
    public long redirectTarget(long key) {
        if (Long.compareUnsigned(key, Integer.toUnsignedLong(maxEntries)) >= 0 || !present((int) key)) {
            return -1;
        }
        return type() == MapType.DEVMAP ? Integer.toUnsignedLong(Native.getInt(slot((int) key) + S_VALUE)) : key;
    }

    /** The program id a DEVMAP or CPUMAP slot runs on redirected frames (0 for none or an empty slot). */
    public int slotProgram(long key) {
        if (Long.compareUnsigned(key, Integer.toUnsignedLong(maxEntries)) >= 0 || !present((int) key) || valueSize < 8) {
            return 0;
        }
        return Native.getInt(slot((int) key) + S_VALUE + 4);
    }

    @Override
    public long lookup(long keyAddr, int cpu) {
        int i = Native.getInt(keyAddr);
        if (type() == MapType.PROG_ARRAY || !present(i)) {
            return 0;
        }
        return slot(i) + S_VALUE;
    }

    /** Programs may update DEVMAP and CPUMAP slots only through the helpers the kernel allows: none. */
    @Override
    public int update(long keyAddr, long valueAddr, long flags, int cpu) {
        return -Errno.EOPNOTSUPP;
    }

    @Override
    public int delete(long keyAddr, int cpu) {
        return type() == MapType.PROG_ARRAY ? -Errno.EOPNOTSUPP : userDelete(keyAddr);
    }

    // ------------------------------------------------------------------ user side

    @Override
    int userLookup(long keyAddr, long out) {
        if (type() == MapType.XSKMAP) {
            return -Errno.EOPNOTSUPP; // xsk_map_lookup_elem_sys_only()
        }
        int i = Native.getInt(keyAddr);
        if (!present(i)) {
            return -Errno.ENOENT;
        }
        long v = Native.getLong(slot(i) + S_VALUE);
        Native.putInt(out, (int) v);
        if (valueSize == 8) {
            Native.putInt(out + 4, (int) (v >>> 32));
        }
        return 0;
    }

    private void lockWriters() {
        int spins = 0;
        while (!WRITE_LOCK.compareAndSet(this, 0, 1)) {
            if (++spins < 256) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private void unlockWriters() {
        WRITE_LOCK.setRelease(this, 0);
    }

    @Override
    int userUpdate(long keyAddr, long value, long flags) {
        lockWriters();
        try {
            return updateLocked(keyAddr, value, flags);
        } finally {
            unlockWriters();
        }
    }

    private int updateLocked(long keyAddr, long value, long flags) {
        int i = Native.getInt(keyAddr);
        int lo = Native.getInt(value);
        int hi = valueSize == 8 ? Native.getInt(value + 4) : 0;
        switch (type()) {
            case PROG_ARRAY -> { // bpf_fd_array_map_update_elem()
                if (flags != MapFlags.BPF_ANY) {
                    return -Errno.EINVAL;
                }
                if (Integer.compareUnsigned(i, maxEntries) >= 0) {
                    return -Errno.E2BIG;
                }
                if (lo == 0) {
                    return -Errno.EBADF; // no program has id 0 (the kernel: not a prog fd)
                }
            }
            case DEVMAP, XSKMAP -> { // __dev_map_update_elem(), xsk_map_update_elem()
                if (Long.compareUnsigned(flags, MapFlags.BPF_EXIST) > 0) {
                    return -Errno.EINVAL;
                }
                if (Integer.compareUnsigned(i, maxEntries) >= 0) {
                    return -Errno.E2BIG;
                }
                if (type() == MapType.XSKMAP) {
                    if (flags == MapFlags.BPF_NOEXIST && present(i)) {
                        return -Errno.EEXIST;
                    }
                    if (flags == MapFlags.BPF_EXIST && !present(i)) {
                        return -Errno.ENOENT;
                    }
                    if (lo == 0) {
                        return -Errno.EBADF;
                    }
                } else {
                    if (flags == MapFlags.BPF_NOEXIST) {
                        return -Errno.EEXIST;
                    }
                    if (lo == 0) { // ifindex 0 empties the slot; a program with it is EINVAL
                        if (hi > 0) {
                            return -Errno.EINVAL;
                        }
                        return clear(i);
                    }
                    if (!interfaceExists(lo)) {
                        return -Errno.EINVAL;
                    }
                }
            }
            case CPUMAP -> { // cpu_map_update_elem()
                if (Long.compareUnsigned(flags, MapFlags.BPF_EXIST) > 0) {
                    return -Errno.EINVAL;
                }
                if (Integer.compareUnsigned(i, maxEntries) >= 0) {
                    return -Errno.E2BIG;
                }
                if (flags == MapFlags.BPF_NOEXIST) {
                    return -Errno.EEXIST;
                }
                if (Integer.compareUnsigned(lo, CPUMAP_MAX_QSIZE) > 0) {
                    return -EOVERFLOW;
                }
                if (Integer.compareUnsigned(i, nCpus) >= 0) {
                    return -Errno.ENODEV; // not a CPU (worker) jxdp has
                }
                if (lo == 0) {
                    return clear(i); // "same as deleting"
                }
            }
            default -> throw new AssertionError(type());
        }
        long s = slot(i);
        Native.putLongRelease(s + S_VALUE, Integer.toUnsignedLong(lo) | (long) hi << 32);
        Native.putIntRelease(s, 1);
        return 0;
    }

    private int clear(int i) {
        Native.putIntRelease(slot(i), 0);
        return 0;
    }

    @Override
    int userDelete(long keyAddr) {
        lockWriters();
        try {
            return deleteLocked(keyAddr);
        } finally {
            unlockWriters();
        }
    }

    private int deleteLocked(long keyAddr) {
        int i = Native.getInt(keyAddr);
        if (Integer.compareUnsigned(i, maxEntries) >= 0) {
            return type() == MapType.PROG_ARRAY ? -Errno.E2BIG : -Errno.EINVAL;
        }
        if (type() == MapType.PROG_ARRAY && !present(i)) {
            return -Errno.ENOENT; // fd_array_map_delete_elem(); devmap, cpumap and xskmap return 0
        }
        return clear(i);
    }

    // array_map_get_next_key() / dev_map_get_next_key(): indexes, set or not
    @Override
    int userGetNextKey(long keyAddr, long nextOut) {
        int index = keyAddr == 0 ? maxEntries : Native.getInt(keyAddr);
        if (Integer.compareUnsigned(index, maxEntries) >= 0) {
            Native.putInt(nextOut, 0);
            return 0;
        }
        if (index == maxEntries - 1) {
            return -Errno.ENOENT;
        }
        Native.putInt(nextOut, index + 1);
        return 0;
    }

    /** dev_get_by_index(): the interface must exist (in this process's network namespace). */
    private static boolean interfaceExists(int ifindex) {
        return NetIfaces.exists(ifindex); // dev_get_by_index() in the caller's namespace
    }

    @Override
    void free() {
        Mmap.unmap(memory);
    }
}
