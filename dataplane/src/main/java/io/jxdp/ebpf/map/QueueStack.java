package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.Mmap;
import java.lang.foreign.MemorySegment;

/**
 * BPF_MAP_TYPE_QUEUE (FIFO) and BPF_MAP_TYPE_STACK (LIFO), {@code kernel/bpf/queue_stack_maps.c}:
 * key_size 0, values copied in by push and out by pop and peek, never referenced in place.
 *
 * <pre>
 * one anonymous mmap:
 *   +0  lock  u32 spin lock            +8 head u32 (next slot to push)   +12 tail u32 (oldest)
 *   +64 elements: (max_entries + 1) x value_size, a ring; head == tail is empty and
 *       head + 1 == tail (mod size) full, as the kernel's one spare slot
 * </pre>
 *
 * <p>Every operation takes the lock (the kernel's raw spin lock); program side and user side are
 * the same operations. User-side mapping, as kernel/bpf/syscall.c: BPF_MAP_UPDATE_ELEM pushes,
 * BPF_MAP_LOOKUP_ELEM peeks, BPF_MAP_LOOKUP_AND_DELETE_ELEM pops; delete and get_next_key are
 * EINVAL. Push with BPF_EXIST on a full map overwrites the oldest element (queue and stack alike,
 * as the kernel advances the tail); without it a full map gives E2BIG; BPF_NOEXIST is EINVAL.
 */
final class QueueStack extends BpfMap {
    private static final long H_LOCK = 0;
    private static final long H_HEAD = 8;
    private static final long H_TAIL = 12;
    private static final long ELEMS = 64;

    private final boolean stack;
    private final int valueSize;
    /** Ring slots: max_entries + 1. */
    private final int size;
    private final MemorySegment memory;
    private final long base;

    QueueStack(MapDefinition def, int nCpus, Rcu rcu) {
        super(def, nCpus, rcu);
        this.stack = def.type() == MapType.STACK;
        this.valueSize = def.valueSize();
        this.size = def.maxEntries() + 1;
        this.memory = Maps.mmap(def, ELEMS + (long) size * valueSize);
        this.base = memory.address();
    }

    @Override
    public boolean supportsDelete() {
        return false;
    }

    /** The verifier allows only push, pop and peek on these maps (check_map_func_compatibility). */
    @Override
    public boolean supports(MapOp op) {
        return op == MapOp.PUSH || op == MapOp.POP || op == MapOp.PEEK;
    }

    private long slot(int index) {
        return base + ELEMS + (long) index * valueSize;
    }

    // ------------------------------------------------------------------ program side

    /** queue_stack_map_lookup_elem(): always NULL. */
    @Override
    public long lookup(long keyAddr, int cpu) {
        return 0;
    }

    @Override
    public int update(long keyAddr, long valueAddr, long flags, int cpu) {
        return -Errno.EINVAL;
    }

    @Override
    public int delete(long keyAddr, int cpu) {
        return -Errno.EINVAL;
    }

    /** queue_stack_map_push_elem(). */
    @Override
    public int push(long valueAddr, long flags, int cpu) {
        if (rdonlyProg) {
            return -Errno.EPERM;
        }
        return doPush(valueAddr, flags);
    }

    @Override
    public int pop(long valueAddr, int cpu) {
        if (rdonlyProg) {
            return -Errno.EPERM;
        }
        return get(valueAddr, true);
    }

    @Override
    public int peek(long valueAddr, int cpu) {
        return get(valueAddr, false);
    }

    private int doPush(long valueAddr, long flags) {
        if ((flags & MapFlags.BPF_NOEXIST) != 0 || Long.compareUnsigned(flags, MapFlags.BPF_EXIST) > 0) {
            return -Errno.EINVAL;
        }
        Native.lock(base + H_LOCK);
        try {
            int head = Native.getInt(base + H_HEAD);
            int tail = Native.getInt(base + H_TAIL);
            int next = head + 1 >= size ? 0 : head + 1;
            if (next == tail) { // full
                if ((flags & MapFlags.BPF_EXIST) == 0) {
                    return -Errno.E2BIG;
                }
                Native.putInt(base + H_TAIL, tail + 1 >= size ? 0 : tail + 1); // overwrite the oldest
            }
            Native.copy(valueAddr, slot(head), valueSize);
            Native.putInt(base + H_HEAD, next);
            return 0;
        } finally {
            Native.unlock(base + H_LOCK);
        }
    }

    /** __queue_map_get() / __stack_map_get(): an empty map zeroes the output and gives ENOENT. */
    private int get(long out, boolean delete) {
        Native.lock(base + H_LOCK);
        try {
            int head = Native.getInt(base + H_HEAD);
            int tail = Native.getInt(base + H_TAIL);
            if (head == tail) {
                Native.zeroNoAlloc(out, valueSize);
                return -Errno.ENOENT;
            }
            if (stack) {
                int index = head == 0 ? size - 1 : head - 1;
                Native.copy(slot(index), out, valueSize);
                if (delete) {
                    Native.putInt(base + H_HEAD, index);
                }
            } else {
                Native.copy(slot(tail), out, valueSize);
                if (delete) {
                    Native.putInt(base + H_TAIL, tail + 1 >= size ? 0 : tail + 1);
                }
            }
            return 0;
        } finally {
            Native.unlock(base + H_LOCK);
        }
    }

    /** Elements held, for tests. */
    int count() {
        Native.lock(base + H_LOCK);
        try {
            int n = Native.getInt(base + H_HEAD) - Native.getInt(base + H_TAIL);
            return n < 0 ? n + size : n;
        } finally {
            Native.unlock(base + H_LOCK);
        }
    }

    // ------------------------------------------------------------------ user side

    @Override
    int userLookup(long keyAddr, long out) {
        return get(out, false);
    }

    @Override
    int userLookupAndDelete(long keyAddr, long out) {
        return get(out, true);
    }

    @Override
    int userUpdate(long keyAddr, long value, long flags) {
        return doPush(value, flags);
    }

    @Override
    int userDelete(long keyAddr) {
        return -Errno.EINVAL;
    }

    @Override
    int userGetNextKey(long keyAddr, long nextOut) {
        return -Errno.EINVAL;
    }

    @Override
    void free() {
        Mmap.unmap(memory);
    }
}
