package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.Mmap;
import java.lang.foreign.MemorySegment;

/**
 * BPF_MAP_TYPE_DEVMAP_HASH ({@code kernel/bpf/devmap.c}): DEVMAP semantics keyed by any u32, in
 * {@code roundup_pow_of_two(max_entries)} buckets chosen by {@code key & (n_buckets - 1)}, new and
 * replacing entries linked at the bucket's head, so that {@code get_next_key} order is the kernel's.
 *
 * <pre>
 * buckets: n_buckets x u64 head address     node (24 bytes): +0 next u64, +8 key u32, +16 value u64
 * one lock for all writers (the kernel's index_lock); pool of max_entries + reserve nodes, unlinked
 * nodes reused after an {@link Rcu} grace period
 * </pre>
 *
 * Update as __dev_map_hash_update_elem(): flags above BPF_EXIST or ifindex 0 EINVAL, BPF_NOEXIST on
 * an existing key EEXIST (BPF_EXIST on a missing key inserts, as the kernel), a missing interface
 * EINVAL, a new key in a full map E2BIG. Delete of a missing key ENOENT.
 */
public final class DevMapHash extends BpfMap {
    private static final long N_NEXT = 0;
    private static final long N_KEY = 8;
    private static final long N_VALUE = 16;
    private static final long NODE = 24;

    private final int valueSize;
    private final long mask;
    private final long poolSize;
    private final MemorySegment bucketMem;
    private final long buckets;
    private final MemorySegment nodeMem;
    private final long nodes;
    private final MemorySegment bookMem;
    private final long lock;
    private final long freeStack;
    private final long retireRing;
    private long bumped;
    private long freeTop;
    private long retireHead;
    private long retireTail;
    private long items;

    DevMapHash(MapDefinition def, int nCpus, Rcu rcu) {
        super(def, nCpus, rcu);
        this.valueSize = def.valueSize();
        long max = Integer.toUnsignedLong(def.maxEntries());
        long n = Long.highestOneBit(Math.max(1, max - 1)) << (max > 1 ? 1 : 0);
        this.mask = n - 1;
        this.poolSize = max + Math.max(4096, Math.min(1 << 20, max));
        this.bucketMem = Maps.mmap(def, n * 8);
        this.nodeMem = Maps.mmap(def, poolSize * NODE);
        this.bookMem = Maps.mmap(def, 64 + poolSize * 8 + poolSize * 16);
        this.buckets = bucketMem.address();
        this.nodes = nodeMem.address();
        this.lock = bookMem.address();
        this.freeStack = lock + 64;
        this.retireRing = freeStack + poolSize * 8;
    }

    @Override
    public boolean supportsDelete() {
        return true;
    }

    @Override
    public boolean supports(MapOp op) {
        return op == MapOp.REDIRECT || op == MapOp.LOOKUP || op == MapOp.DELETE || op == MapOp.GET_NEXT_KEY;
    }

    private long bucket(int key) {
        return buckets + (key & mask) * 8;
    }

    private long find(int key) {
        for (long e = Native.getLongAcquire(bucket(key)); e != 0; e = Native.getLongAcquire(e + N_NEXT)) {
            if (Native.getInt(e + N_KEY) == key) {
                return e;
            }
        }
        return 0;
    }

    // ------------------------------------------------------------------ program side

    /** {@code bpf_redirect_map}'s lookup: the ifindex for {@code key}, or -1 (the helper then returns {@code flags & 3}). */
    @Override
    public long redirectTarget(long key) {
        if (Long.compareUnsigned(key, 0xffff_ffffL) > 0) {
            return -1;
        }
        long e = find((int) key);
        return e == 0 ? -1 : Integer.toUnsignedLong(Native.getInt(e + N_VALUE));
    }

    /** The address of struct bpf_devmap_val for the key (read-only for programs), or 0. */
    @Override
    public long lookup(long keyAddr, int cpu) {
        long e = find(Native.getInt(keyAddr));
        return e == 0 ? 0 : e + N_VALUE;
    }

    @Override
    public int update(long keyAddr, long valueAddr, long flags, int cpu) {
        return -Errno.EOPNOTSUPP;
    }

    @Override
    public int delete(long keyAddr, int cpu) {
        return userDelete(keyAddr);
    }

    // ------------------------------------------------------------------ user side

    @Override
    int userLookup(long keyAddr, long out) {
        long e = find(Native.getInt(keyAddr));
        if (e == 0) {
            return -Errno.ENOENT;
        }
        long v = Native.getLong(e + N_VALUE);
        Native.putInt(out, (int) v);
        if (valueSize == 8) {
            Native.putInt(out + 4, (int) (v >>> 32));
        }
        return 0;
    }

    @Override
    int userUpdate(long keyAddr, long value, long flags) {
        int key = Native.getInt(keyAddr);
        int ifindex = Native.getInt(value);
        int prog = valueSize == 8 ? Native.getInt(value + 4) : 0;
        if (Long.compareUnsigned(flags, MapFlags.BPF_EXIST) > 0 || ifindex == 0) {
            return -Errno.EINVAL;
        }
        Native.lock(lock);
        try {
            long old = find(key);
            if (old != 0 && (flags & MapFlags.BPF_NOEXIST) != 0) {
                return -Errno.EEXIST;
            }
            if (!interfaceExists(ifindex)) {
                return -Errno.EINVAL;
            }
            if (old == 0 && items >= Integer.toUnsignedLong(def.maxEntries())) {
                return -Errno.E2BIG;
            }
            long n = alloc();
            if (n == 0) {
                return -Errno.ENOMEM;
            }
            Native.putInt(n + N_KEY, key);
            Native.putLong(n + N_VALUE, Integer.toUnsignedLong(ifindex) | (long) prog << 32);
            if (old != 0) {
                unlink(old);
                retire(old);
            } else {
                items++;
            }
            long b = bucket(key);
            Native.putLong(n + N_NEXT, Native.getLong(b));
            Native.putLongRelease(b, n);
            return 0;
        } finally {
            Native.unlock(lock);
        }
    }

    @Override
    int userDelete(long keyAddr) {
        Native.lock(lock);
        try {
            long old = find(Native.getInt(keyAddr));
            if (old == 0) {
                return -Errno.ENOENT;
            }
            items--;
            unlink(old);
            retire(old);
            return 0;
        } finally {
            Native.unlock(lock);
        }
    }

    // dev_map_hash_get_next_key()
    @Override
    int userGetNextKey(long keyAddr, long nextOut) {
        long i = 0;
        if (keyAddr != 0) {
            int key = Native.getInt(keyAddr);
            long e = find(key);
            if (e != 0) {
                long next = Native.getLongAcquire(e + N_NEXT);
                if (next != 0) {
                    Native.putInt(nextOut, Native.getInt(next + N_KEY));
                    return 0;
                }
                i = (key & mask) + 1;
            }
        }
        for (; i <= mask; i++) {
            long first = Native.getLongAcquire(buckets + i * 8);
            if (first != 0) {
                Native.putInt(nextOut, Native.getInt(first + N_KEY));
                return 0;
            }
        }
        return -Errno.ENOENT;
    }

    private void unlink(long node) {
        long link = bucket(Native.getInt(node + N_KEY));
        while (Native.getLong(link) != node) {
            link = Native.getLong(link) + N_NEXT;
        }
        Native.putLongRelease(link, Native.getLong(node + N_NEXT));
    }

    private long alloc() {
        if (freeTop == 0 && retireHead != retireTail) {
            long safe = rcu.minObservedEpoch();
            while (retireHead != retireTail) {
                long slot = retireRing + (retireHead % poolSize) * 16;
                if (Native.getLong(slot + 8) > safe) {
                    break;
                }
                Native.putLong(freeStack + freeTop++ * 8, Native.getLong(slot));
                retireHead++;
            }
        }
        if (freeTop > 0) {
            return Native.getLong(freeStack + --freeTop * 8);
        }
        return bumped < poolSize ? nodes + bumped++ * NODE : 0;
    }

    private void retire(long node) {
        long slot = retireRing + (retireTail % poolSize) * 16;
        Native.putLong(slot, node);
        Native.putLong(slot + 8, rcu.retire());
        retireTail++;
    }

    private static boolean interfaceExists(int ifindex) {
        return NetIfaces.exists(ifindex); // dev_get_by_index() in the caller's namespace
    }

    @Override
    void free() {
        Mmap.unmap(bucketMem);
        Mmap.unmap(nodeMem);
        Mmap.unmap(bookMem);
    }
}
