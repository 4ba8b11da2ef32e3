package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.Errno;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY ({@code kernel/bpf/arraymap.c}): {@code max_entries}
 * values indexed by a u32 key, all existing from creation (zeroed), never deleted.
 *
 * <pre>
 * one anonymous mmap, untouched pages cost nothing:
 *   ARRAY         [ value 0 | value 1 | ... | value max-1 ]               each round_up(value_size, 8)
 *   PERCPU_ARRAY  [ cpu 0: value 0 .. max-1 ][ cpu 1: value 0 .. max-1 ]...  cpu-major, so workers
 *                 write disjoint regions and never share a cache line
 * </pre>
 *
 * Value addresses never move, so a program may hold one indefinitely. An update copies the value
 * in place, not atomically, exactly like the kernel's {@code copy_map_value}.
 */
final class ArrayMap extends BpfMap {
    private final MemorySegment memory;
    private final long base;
    private final long elemSize;
    private final long cpuStride;
    private final int maxEntries;
    private final int valueSize;
    private final Backing backing;

    ArrayMap(MapDefinition def, int nCpus, Rcu rcu, Backing backing) {
        super(def, nCpus, rcu);
        this.backing = backing;
        this.maxEntries = def.maxEntries();
        this.valueSize = def.valueSize();
        this.elemSize = Native.roundUp8(def.valueSize());
        this.cpuStride = Integer.toUnsignedLong(def.maxEntries()) * elemSize;
        long copies = def.type().perCpu() ? nCpus : 1;
        this.memory = backing.region(def, cpuStride * copies, true); // a pinned array's file holds it as it is
        this.base = memory.address();
    }

    @Override
    public boolean supportsDelete() {
        return false;
    }

    @Override
    public Optional<MemorySegment> mmapRegion() {
        return (def.flags() & MapFlags.BPF_F_MMAPABLE) != 0 ? Optional.of(memory) : Optional.empty();
    }

    @Override
    public long directValueAddress(int offset) {
        // array_map_direct_value_addr(): single-entry, non-per-CPU arrays only, offset inside the value.
        if (maxEntries != 1 || isPerCpu()) {
            return super.directValueAddress(offset);
        }
        if (offset < 0 || offset >= valueSize) {
            throw new MapException(name(), Errno.EINVAL, "direct value offset " + offset + " outside value of "
                    + valueSize + " bytes");
        }
        return base + offset;
    }

    /** Address of element {@code index} of {@code cpu}; index already checked. */
    private long slot(int index, int cpu) {
        return base + cpu * cpuStride + Integer.toUnsignedLong(index) * elemSize;
    }

    // ------------------------------------------------------------------ program side

    @Override
    public long lookup(long keyAddr, int cpu) {
        int index = Native.getInt(keyAddr);
        if (Integer.compareUnsigned(index, maxEntries) >= 0) {
            return 0;
        }
        return slot(index, isPerCpu() ? cpu : 0);
    }

    @Override
    public ArrayLookup arrayLookup() {
        return new ArrayLookup(base, elemSize, cpuStride, maxEntries, isPerCpu());
    }

    @Override
    public int update(long keyAddr, long valueAddr, long flags, int cpu) {
        if (rdonlyProg) {
            return -Errno.EPERM;
        }
        int rc = checkUpdate(keyAddr, flags);
        if (rc != 0) {
            return rc;
        }
        Native.copy(valueAddr, slot(Native.getInt(keyAddr), isPerCpu() ? cpu : 0), valueSize);
        return 0;
    }

    @Override
    public int delete(long keyAddr, int cpu) {
        return rdonlyProg ? -Errno.EPERM : -Errno.EINVAL; // array_map_delete_elem: elements cannot go
    }

    // array_map_update_elem(): unknown flags EINVAL, index E2BIG, NOEXIST EEXIST, F_LOCK without lock EINVAL.
    private int checkUpdate(long keyAddr, long flags) {
        if (badUpdateFlags(flags)) {
            return -Errno.EINVAL;
        }
        if (Integer.compareUnsigned(Native.getInt(keyAddr), maxEntries) >= 0) {
            return -Errno.E2BIG;
        }
        if ((flags & MapFlags.BPF_NOEXIST) != 0) {
            return -Errno.EEXIST;
        }
        if ((flags & MapFlags.BPF_F_LOCK) != 0) {
            return -Errno.EINVAL;
        }
        return 0;
    }

    // ------------------------------------------------------------------ user side

    @Override
    int userLookup(long keyAddr, long out) {
        int index = Native.getInt(keyAddr);
        if (Integer.compareUnsigned(index, maxEntries) >= 0) {
            return -Errno.ENOENT;
        }
        if (!isPerCpu()) {
            Native.copy(slot(index, 0), out, valueSize);
            return 0;
        }
        for (int cpu = 0; cpu < nCpus; cpu++) { // bpf_percpu_array_copy(): each CPU's value, 8-aligned
            Native.copy(slot(index, cpu), out + cpu * elemSize, elemSize);
        }
        return 0;
    }

    @Override
    int userUpdate(long keyAddr, long value, long flags) {
        int rc = checkUpdate(keyAddr, flags);
        if (rc != 0) {
            return rc;
        }
        int index = Native.getInt(keyAddr);
        if (!isPerCpu()) {
            Native.copy(value, slot(index, 0), valueSize);
            return 0;
        }
        for (int cpu = 0; cpu < nCpus; cpu++) { // bpf_percpu_array_update(): copy_map_value_long, padding too
            Native.copy(value + cpu * elemSize, slot(index, cpu), elemSize);
        }
        return 0;
    }

    @Override
    int userDelete(long keyAddr) {
        return -Errno.EINVAL;
    }

    // array_map_get_next_key(): no key or out of range -> 0; last -> ENOENT; else index + 1.
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

    @Override
    void free() {
        backing.release(memory);
        backing.close();
    }
}
