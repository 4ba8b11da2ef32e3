package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.LibC;
import io.jxdp.ffi.sys.Mmap;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.security.SecureRandom;
import java.util.SplittableRandom;

/**
 * BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH ({@code kernel/bpf/hashtab.c}): a
 * chained hash table of preallocated elements in anonymous mmap'd memory.
 *
 * <pre>
 * buckets: round_up_pow2(max_entries) x 16 bytes       element (elemSize bytes, 8-aligned):
 *   +0  head  u64 address of first element, 0 = empty    +0   next  u64, 0 = end of chain
 *   +8  lock  u32 writer spin lock, 0 = free             +8   hash  u32 (jhash of the key)
 *   +12 pad                                              +16  key   round_up(key_size, 8)
 *                                                        +16+K value round_up(value_size, 8)
 *                                                              (PERCPU_HASH: nCpus of them)
 * pool: element slots handed out by a bump pointer (untouched slots cost nothing), then recycled
 * through a free stack; unlinked elements wait in a FIFO of (address, RCU tag) until their grace
 * period is over.
 *
 * lookup index (HashLookup): the same elements chained a second time, by a cheaper hash
 *   heads: n_buckets x 8 bytes   +0 head u32 (slot + 1 of the first element, 0 = empty)  +4 lock u32
 *   links: pool slots x u32      next (slot + 1, 0 = end of chain)
 *   index hash: sum over the key's pieces (8-byte words, then a 4-, 2-, 1-byte tail, zero-extended,
 *   little-endian) of (piece + salt[i]) * mult[i] mod 2^64, with per-map random salts and odd
 *   multipliers; the head is number ((int) (hash >>> 32) & (n_buckets - 1)).
 * </pre>
 *
 * <p>The buckets (jhash, the kernel's) decide everything observable: iteration and get_next_key
 * order, the hash the LRU keeps. Program-side lookups only ask whether a key is there and where its
 * value is, which any index of the same elements answers: they walk the lookup index, whose hash
 * costs a few multiplies where jhash is a chain of some 20 dependent operations per 12 bytes (about
 * 9 ns for a 16-byte key, 16 ns for 40 bytes on this project's machine). Every element is linked
 * into its index chain right after its bucket chain and unlinked from it right after, under the
 * bucket's lock and then the index head's own lock (always in that order), with the same release
 * stores and acquire loads, so a reader sees an element in both or (briefly, in between) only in
 * the bucket chain, never a half-written one; the random salts keep chains short against chosen
 * keys, as jhash's seed does.
 *
 * <p>Readers (program-side lookup) take no lock: they load the bucket head and each {@code next}
 * with acquire, pairing with the writer's release store that publishes a fully written element.
 * Writers take the bucket's spin lock. Updating an existing key of a HASH links a new element at
 * the head and then unlinks the old one, as {@code htab_map_update_elem} does, so a reader sees
 * the old value or the new one, never a mix; PERCPU_HASH updates the CPU's slot in place, as
 * {@code __htab_percpu_map_update_elem}. An unlinked element keeps its {@code next}, so a reader
 * standing on it walks on, and is reused only after an {@link Rcu} grace period: a value address
 * a program obtained stays valid until its worker's next quiescent state.
 *
 * <p>LRU types: an insert takes a node from the LRU bookkeeping ({@link LruLists}, the kernel's
 * bpf_lru_list.c: active and inactive lists, per-CPU local free and pending lists, or per-CPU LRU
 * lists with BPF_F_NO_COMMON_LRU) before it locks its bucket, evicting if need be, as
 * htab_lru_map_update_elem() does; so an update never fails for lack of room, and which keys
 * survive is the kernel's for the same operations on the same CPUs. Program-side lookups set the
 * element's reference bit without a lock; user-side lookups and for_each walks do not, as in the
 * kernel. Program-side calls run on their worker's CPU, user-side ones on the calling thread's
 * (sched_getcpu(3), modulo nCpus), as a bpf(2) call runs on its caller's CPU. LRU
 * writers take the map's LRU lock, then a bucket lock, never the other way round.
 *
 * <p>Differences from the kernel, deliberate: elements are always preallocated (BPF_F_NO_PREALLOC is
 * accepted and ignored, and lazily-touched memory gives its benefit); the pool holds a reserve
 * beyond max_entries for elements still in their grace period, and if that reserve is used up an
 * insert returns -ENOMEM (as a kernel allocation failure would) while max_entries live elements
 * give -E2BIG as in the kernel. User-side operations take the bucket lock instead of being RCU
 * readers.
 */
final class HashTab extends BpfMap implements LruLists.Table {
    private static final long BUCKET_SIZE = HashLookup.BUCKET_SIZE;
    private static final long B_LOCK = 8;
    private static final long E_NEXT = HashLookup.NEXT;
    private static final long E_HASH = HashLookup.HASH;
    /** 1 while the element is linked in a bucket (written under that bucket's lock): LRU eviction and pinned reopen use it. */
    private static final long E_LIVE = 12;
    /** LRU: the reference bit, set by program-side lookups, cleared by the LRU's rotations. */
    private static final long E_REF = HashLookup.REF;
    /**
     * LRU: u16, the CPU whose lists took the element's node; kept in a pinned map's file so a reopen
     * puts each element of a BPF_F_NO_COMMON_LRU map back on its own CPU's list.
     */
    private static final long E_LRU_CPU = 14;
    private static final long E_KEY = HashLookup.KEY;
    /**
     * Reserve beyond max_entries for elements waiting out a grace period: max_entries clamped to
     * [MIN_RESERVE, MAX_RESERVE]. Only address space until used: a worker descheduled for a few
     * milliseconds holds back every retirement meanwhile, and small maps churn fast.
     */
    private static final long MAX_RESERVE = 1 << 20;
    private static final long MIN_RESERVE = 65536;

    private static final VarHandle POOL_LOCK;
    private static final VarHandle LRU_LOCK;
    private static final MethodHandle SCHED_GETCPU = LibC.downcall("sched_getcpu", FunctionDescriptor.of(ValueLayout.JAVA_INT));

    static {
        try {
            POOL_LOCK = MethodHandles.lookup().findVarHandle(HashTab.class, "poolLock", int.class);
            LRU_LOCK = MethodHandles.lookup().findVarHandle(HashTab.class, "lruLock", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int keySize;
    private final int valueSize;
    private final long valueStride;
    private final long valueOffset;
    private final long elemSize;
    private final int maxEntries;
    private final boolean perCpu;
    private final boolean lru;
    private final boolean noCommonLru;
    private final int seed;
    private final long bucketMask;
    private final long poolSize;

    private final MemorySegment bucketMem;
    private final long buckets;
    private final MemorySegment elemMem;
    private final long elems;
    /** Free stack (poolSize u64 addresses) then the retire FIFO (poolSize x {u64 address, u64 tag}). */
    private final MemorySegment bookMem;
    /** The lookup index (class comment): heads, links and element addresses by slot + 1. */
    private final MemorySegment indexMem;
    private final long indexHeads;
    private final long indexLinks;
    private final long elemsBySlot1;
    private final long[] indexSalt;
    private final long[] indexMult;
    private final long freeStack;
    private final long retireRing;

    // Pool state, guarded by poolLock (writers only).
    @SuppressWarnings("unused") // through POOL_LOCK
    private volatile int poolLock;
    private long bumped;
    private long freeTop;
    private long retireHead;
    private long retireTail;
    private long count;
    /** LRU types: the kernel's LRU lists, guarded by lruLock; null for HASH and PERCPU_HASH. */
    private final LruLists lruLists;
    @SuppressWarnings("unused") // through LRU_LOCK
    private volatile int lruLock;
    private final long bookSize;

    private final Backing backing;

    HashTab(MapDefinition def, int nCpus, Rcu rcu, Backing backing) {
        super(def, nCpus, rcu);
        this.backing = backing;
        this.keySize = def.keySize();
        this.valueSize = def.valueSize();
        this.maxEntries = def.maxEntries();
        this.perCpu = def.type().perCpu();
        this.lru = def.type() == MapType.LRU_HASH || def.type() == MapType.LRU_PERCPU_HASH;
        this.noCommonLru = lru && (def.flags() & MapFlags.BPF_F_NO_COMMON_LRU) != 0;
        this.valueStride = Native.roundUp8(valueSize);
        this.valueOffset = E_KEY + Native.roundUp8(keySize);
        this.elemSize = valueOffset + valueStride * (perCpu ? nCpus : 1);
        this.seed = backing.seed((def.flags() & MapFlags.BPF_F_ZERO_SEED) != 0 ? 0 : new SecureRandom().nextInt());
        long nBuckets = Long.highestOneBit(Math.max(1, maxEntries - 1L)) << (maxEntries > 1 ? 1 : 0);
        this.bucketMask = nBuckets - 1;
        this.poolSize = maxEntries + Math.max(MIN_RESERVE, Math.min(MAX_RESERVE, maxEntries));
        // Only the elements persist in a pinned map's file; buckets and free lists are rebuilt on reopen.
        this.bucketMem = backing.region(def, nBuckets * BUCKET_SIZE, false);
        MemorySegment em = null;
        MemorySegment bm = null;
        MemorySegment im = null;
        try {
            em = backing.region(def, poolSize * elemSize, true);
            bm = backing.region(def, poolSize * 8 + poolSize * 16 + 8, false); // + 8 spare bytes
            im = backing.region(def, nBuckets * 8 + poolSize * 4, false);
        } catch (RuntimeException e) {
            backing.release(bucketMem);
            if (em != null) {
                backing.release(em);
            }
            if (bm != null) {
                backing.release(bm);
            }
            backing.close();
            throw e;
        }
        this.elemMem = em;
        this.bookMem = bm;
        this.indexMem = im;
        this.indexHeads = im.address();
        this.indexLinks = indexHeads + nBuckets * 8 - 4; // the next of slot + 1 = s is at indexLinks + s * 4
        SplittableRandom r = new SplittableRandom(new SecureRandom().nextLong());
        int pieces = keySize / 8 + Integer.bitCount(keySize & 7);
        this.indexSalt = new long[pieces];
        this.indexMult = new long[pieces];
        for (int i = 0; i < pieces; i++) {
            indexSalt[i] = r.nextLong();
            indexMult[i] = r.nextLong() | 1;
        }
        this.bookSize = poolSize * 24 + 8;
        this.buckets = bucketMem.address();
        this.elems = elemMem.address();
        this.elemsBySlot1 = elems - elemSize;
        this.freeStack = bookMem.address();
        this.retireRing = freeStack + poolSize * 8;
        if (lru) {
            boolean noCommon = noCommonLru;
            long nodes = maxEntries;
            if (noCommon) { // htab_map_alloc(): each CPU's list gets max_entries / nCpus nodes
                long up = (maxEntries + nCpus - 1L) / nCpus * nCpus;
                nodes = up <= 0xffff_ffffL ? up : maxEntries / nCpus * nCpus;
            }
            try {
                this.lruLists = new LruLists(this, def, noCommon, nCpus, poolSize, (int) Math.min(nodes, poolSize));
            } catch (RuntimeException e) {
                free();
                throw e;
            }
        } else {
            this.lruLists = null;
        }
        if (backing.reopened()) {
            relink();
        }
    }

    /**
     * A pinned map's elements after a restart: the live ones (E_LIVE set while linked) are copied
     * aside, their slots cleared, and inserted again, which rebuilds buckets, chains and the pool
     * for this process's addresses. The previous run's pointers are never followed.
     */
    private void relink() {
        long live = 0;
        for (long i = 0; i < poolSize; i++) {
            if (Native.getByte(elems + i * elemSize + E_LIVE) == 1) {
                live++;
            }
        }
        if (live == 0) {
            return;
        }
        MemorySegment aside = Maps.mmap(def, live * elemSize);
        try {
            long n = 0;
            for (long i = 0; i < poolSize; i++) {
                long e = elems + i * elemSize;
                if (Native.getByte(e + E_LIVE) == 1) {
                    Native.copy(e, aside.address() + n++ * elemSize, elemSize);
                    Native.putByte(e + E_LIVE, (byte) 0);
                }
            }
            for (long i = 0; i < n; i++) {
                long e = aside.address() + i * elemSize;
                // LRU: back on the list it came from (NO_COMMON_LRU: each list holds only its share),
                // else all on CPU 0, which takes max_entries nodes without evicting.
                int stored = (Native.getByte(e + E_LRU_CPU) & 0xff) | (Native.getByte(e + E_LRU_CPU + 1) & 0xff) << 8;
                int rc = !lru ? doUpdate(e + E_KEY, e + valueOffset, MapFlags.BPF_ANY, -1)
                        : lruUpdate(e + E_KEY, e + valueOffset, MapFlags.BPF_ANY, -1,
                                noCommonLru ? (stored < nCpus ? stored : (int) (i % nCpus)) : 0);
                if (rc != 0) {
                    throw new MapException(name(), -rc, "re-inserting element " + i + " of a pinned map failed");
                }
            }
        } finally {
            Mmap.unmap(aside);
        }
    }

    @Override
    public boolean supportsDelete() {
        return true;
    }

    /** Buckets in the table: max_entries rounded up to a power of two, as the kernel's n_buckets. */
    long bucketCount() {
        return bucketMask + 1;
    }

    /** Live elements, for tests. */
    long count() {
        lockPool();
        try {
            return count;
        } finally {
            unlockPool();
        }
    }

    private long bucketOf(int hash) {
        return buckets + (hash & bucketMask) * BUCKET_SIZE;
    }

    private long valueAddr(long elem, int cpu) {
        return elem + valueOffset + cpu * valueStride;
    }

    /** Lock-free chain walk; acquire loads pair with the writers' release stores. */
    private long find(long bucket, int hash, long keyAddr) {
        for (long e = Native.getLongAcquire(bucket); e != 0; e = Native.getLongAcquire(e + E_NEXT)) {
            if (Native.getInt(e + E_HASH) == hash && Native.equal(e + E_KEY, keyAddr, keySize)) {
                return e;
            }
        }
        return 0;
    }

    // ------------------------------------------------------------------ program side

    @Override
    public HashLookup hashLookup() {
        return new HashLookup(indexHeads, bucketMask, indexLinks, elemsBySlot1, elemSize, indexSalt.clone(),
                indexMult.clone(), keySize, valueOffset, valueStride, perCpu, lru);
    }

    /** The lookup index's hash of the key at {@code key} (class comment); HashLookups emits the same sum. */
    static long indexHash(long key, int keySize, long[] salt, long[] mult) {
        long h = 0;
        int at = 0;
        int i = 0;
        for (; at + 8 <= keySize; at += 8, i++) {
            h += (Native.getLong(key + at) + salt[i]) * mult[i];
        }
        if (keySize - at >= 4) {
            h += ((Native.getInt(key + at) & 0xffff_ffffL) + salt[i]) * mult[i];
            at += 4;
            i++;
        }
        if (keySize - at >= 2) {
            h += ((Native.getShort(key + at) & 0xffffL) + salt[i]) * mult[i];
            at += 2;
            i++;
        }
        if (keySize - at >= 1) {
            h += ((Native.getByte(key + at) & 0xffL) + salt[i]) * mult[i];
        }
        return h;
    }

    /** The lookup index's head for the key at {@code key}: u32 slot + 1, then the head's lock. */
    private long indexHead(long key) {
        return indexHeads + ((int) (indexHash(key, keySize, indexSalt, indexMult) >>> 32) & bucketMask) * 8;
    }

    /** Lock-free walk of the key's index chain; acquire loads pair with {@link #indexLink}'s and {@link #indexUnlink}'s release stores. */
    long indexFind(long keyAddr) {
        for (int s = Native.getIntAcquire(indexHead(keyAddr)); s != 0; s = Native.getIntAcquire(indexLinks + s * 4L)) {
            long e = elemsBySlot1 + s * elemSize;
            if (Native.equal(e + E_KEY, keyAddr, keySize)) {
                return e;
            }
        }
        return 0;
    }

    /** The element of the key found through the buckets (jhash), as writers find it; for tests. */
    long bucketFind(long keyAddr) {
        int hash = Jhash.jhash(keyAddr, keySize, seed);
        return find(bucketOf(hash), hash, keyAddr);
    }

    @Override
    public long lookup(long keyAddr, int cpu) {
        long e = indexFind(keyAddr);
        if (e == 0) {
            return 0;
        }
        if (lru && Native.getByte(e + E_REF) == 0) {
            Native.putByte(e + E_REF, (byte) 1); // bpf_lru_node_set_ref(): only written when clear
        }
        return valueAddr(e, perCpu ? cpu : 0);
    }

    @Override
    public int update(long keyAddr, long valueAddr, long flags, int cpu) {
        if (rdonlyProg) {
            return -Errno.EPERM;
        }
        return doUpdate(keyAddr, valueAddr, flags, cpu);
    }

    @Override
    public int delete(long keyAddr, int cpu) {
        if (rdonlyProg) {
            return -Errno.EPERM;
        }
        return doDelete(keyAddr);
    }

    /**
     * htab_map_update_elem() / htab_percpu_map_update_elem(). {@code cpu} is the slot a program writes;
     * -1 means a user-side value holding every CPU's slot.
     */
    private int doUpdate(long keyAddr, long valueAddr, long flags, int cpu) {
        if (badUpdateFlags(flags) || (flags & MapFlags.BPF_F_LOCK) != 0) {
            return -Errno.EINVAL; // unknown flags; BPF_F_LOCK needs a bpf_spin_lock in the value (BTF)
        }
        if (lru) {
            return lruUpdate(keyAddr, valueAddr, flags, cpu, lruCpu(cpu));
        }
        int hash = Jhash.jhash(keyAddr, keySize, seed);
        long bucket = bucketOf(hash);
        Native.lock(bucket + B_LOCK);
        try {
            long old = find(bucket, hash, keyAddr);
            // check_flags()
            if (old != 0 && flags == MapFlags.BPF_NOEXIST) {
                return -Errno.EEXIST;
            }
            if (old == 0 && flags == MapFlags.BPF_EXIST) {
                return -Errno.ENOENT;
            }
            if (perCpu && old != 0) {
                writeValue(old, valueAddr, cpu); // in place, as pcpu_copy_value()
                return 0;
            }
            long e = allocElem(old != 0);
            if (e <= 0) {
                return e == 0 ? -Errno.E2BIG : -Errno.ENOMEM;
            }
            Native.putInt(e + E_HASH, hash);
            Native.copy(keyAddr, e + E_KEY, keySize);
            initValue(e, valueAddr, cpu);
            Native.putByte(e + E_REF, (byte) 0);
            Native.putByte(e + E_LIVE, (byte) 1);
            link(bucket, e);
            if (old != 0) {
                unlink(bucket, old);
                retireElem(old, false);
            }
            return 0;
        } finally {
            Native.unlock(bucket + B_LOCK);
        }
    }

    /**
     * htab_lru_map_update_elem() / __htab_lru_percpu_map_update_elem(): a node first (which may
     * evict, on this CPU's lists), then the bucket; the node goes back to a free list when the flags
     * refuse the update or (per-CPU values) the key was there and is updated in place. A replaced
     * element of LRU_HASH goes back too, its successor marked referenced.
     */
    private int lruUpdate(long keyAddr, long valueAddr, long flags, int cpu, int onCpu) {
        int hash = Jhash.jhash(keyAddr, keySize, seed);
        long bucket = bucketOf(hash);
        lockLru();
        try {
            long e = 0;
            if (!perCpu || flags != MapFlags.BPF_EXIST) {
                int slot = lruLists.popFree(onCpu, hash);
                if (slot < 0) {
                    return -Errno.ENOMEM; // no node (prealloc_lru_pop() NULL), or the grace-period reserve spent
                }
                e = elemAddr(slot);
                Native.putByte(e + E_LRU_CPU, (byte) onCpu);
                Native.putByte(e + E_LRU_CPU + 1, (byte) (onCpu >>> 8));
                Native.copy(keyAddr, e + E_KEY, keySize);
                if (!perCpu) {
                    writeValue(e, valueAddr, cpu); // copied before the bucket lock, as the kernel
                }
            }
            long replaced = 0;
            int rc;
            Native.lock(bucket + B_LOCK);
            try {
                long old = find(bucket, hash, keyAddr);
                rc = old != 0 && flags == MapFlags.BPF_NOEXIST ? -Errno.EEXIST
                        : old == 0 && flags == MapFlags.BPF_EXIST ? -Errno.ENOENT : 0;
                if (rc == 0) {
                    if (perCpu && old != 0) {
                        Native.putByte(old + E_REF, (byte) 1);
                        writeValue(old, valueAddr, cpu); // in place, as pcpu_copy_value()
                    } else {
                        if (perCpu) {
                            initValue(e, valueAddr, cpu);
                        }
                        if (old != 0) {
                            Native.putByte(e + E_REF, (byte) 1);
                        }
                        Native.putByte(e + E_LIVE, (byte) 1);
                        link(bucket, e);
                        if (old != 0) {
                            unlink(bucket, old);
                            replaced = old;
                        } else {
                            addCount(1);
                        }
                        e = 0;
                    }
                }
            } finally {
                Native.unlock(bucket + B_LOCK);
            }
            if (e != 0) {
                lruLists.pushFree(slotOf(e));
            }
            if (replaced != 0) {
                lruLists.pushFree(slotOf(replaced));
            }
            return rc;
        } finally {
            unlockLru();
        }
    }

    /** pcpu_init_value(): a program's CPU gets the value and the other CPUs zeroes; user side: every CPU's. */
    private void initValue(long e, long valueAddr, int cpu) {
        if (perCpu && cpu >= 0) {
            for (int c = 0; c < nCpus; c++) {
                if (c != cpu) {
                    Native.zeroNoAlloc(valueAddr(e, c), valueStride);
                }
            }
        }
        writeValue(e, valueAddr, cpu);
    }

    /** The CPU whose LRU lists an operation uses: a program's worker, else the calling thread's CPU. */
    private int lruCpu(int cpu) {
        if (cpu >= 0 && cpu < nCpus) {
            return cpu;
        }
        try {
            int now = (int) SCHED_GETCPU.invokeExact(); // raw_smp_processor_id() of a bpf(2) caller
            return now < 0 ? 0 : now % nCpus;
        } catch (Throwable t) {
            throw new IllegalStateException("sched_getcpu", t);
        }
    }

    private long elemAddr(int slot) {
        return elems + slot * elemSize;
    }

    private int slotOf(long e) {
        return (int) ((e - elems) / elemSize);
    }

    // ------------------------------------------------------------------ LruLists.Table

    /** htab_lru_map_delete_node(): under the LRU lock, so a live element is linked in its hash's bucket. */
    @Override
    public boolean delFromHtab(int slot) {
        long e = elemAddr(slot);
        long bucket = bucketOf(Native.getInt(e + E_HASH));
        Native.lock(bucket + B_LOCK);
        try {
            if (Native.getByte(e + E_LIVE) == 0) {
                return false;
            }
            unlink(bucket, e);
            addCount(-1);
            return true;
        } finally {
            Native.unlock(bucket + B_LOCK);
        }
    }

    @Override
    public boolean isRef(int slot) {
        return Native.getByte(elemAddr(slot) + E_REF) != 0;
    }

    @Override
    public void clearRef(int slot) {
        Native.putByte(elemAddr(slot) + E_REF, (byte) 0);
    }

    @Override
    public int allocSlot(int hash) {
        long e = allocElem(true);
        if (e <= 0) {
            return -1;
        }
        Native.putInt(e + E_HASH, hash);
        Native.putByte(e + E_LIVE, (byte) 0);
        Native.putByte(e + E_REF, (byte) 0);
        return slotOf(e);
    }

    @Override
    public void releaseSlot(int slot) {
        retireElem(elemAddr(slot), false);
    }

    private void addCount(int d) {
        lockPool();
        try {
            count += d;
        } finally {
            unlockPool();
        }
    }

    private void lockLru() {
        int spins = 0;
        while (!LRU_LOCK.compareAndSet(this, 0, 1)) {
            if (++spins < 256) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private void unlockLru() {
        LRU_LOCK.setRelease(this, 0);
    }

    /**
     * Overwrites the first 8 value bytes of an existing key in place, under its bucket lock (the
     * kernel's fd hash maps replace an inner map so, keeping the element's place in its chain).
     * Returns whether the key was there.
     */
    boolean replaceLongInPlace(long keyAddr, long v) {
        int hash = Jhash.jhash(keyAddr, keySize, seed);
        long bucket = bucketOf(hash);
        Native.lock(bucket + B_LOCK);
        try {
            long e = find(bucket, hash, keyAddr);
            if (e == 0) {
                return false;
            }
            Native.putLongRelease(valueAddr(e, 0), v);
            return true;
        } finally {
            Native.unlock(bucket + B_LOCK);
        }
    }

    private void writeValue(long elem, long valueAddr, int cpu) {
        if (!perCpu) {
            Native.copy(valueAddr, valueAddr(elem, 0), valueSize);
        } else if (cpu >= 0) {
            Native.copy(valueAddr, valueAddr(elem, cpu), valueSize);
        } else {
            for (int c = 0; c < nCpus; c++) { // pcpu_copy_value(): copy_map_value_long, padding too
                Native.copy(valueAddr + c * valueStride, valueAddr(elem, c), valueStride);
            }
        }
    }

    private int doDelete(long keyAddr) {
        return userLookup(keyAddr, 0, true);
    }

    /**
     * Links a complete element at the head of its bucket's chain and then of its lookup-index chain
     * (bucket lock held): each release store publishes everything written before it.
     */
    private void link(long bucket, long e) {
        Native.putLong(e + E_NEXT, Native.getLong(bucket));
        Native.putLongRelease(bucket, e); // publish: readers now see a complete element
        int s = slotOf(e) + 1;
        long head = indexHead(e + E_KEY);
        Native.lock(head + 4);
        try {
            Native.putInt(indexLinks + s * 4L, Native.getInt(head));
            Native.putIntRelease(head, s);
        } finally {
            Native.unlock(head + 4);
        }
    }

    /**
     * Unlinks {@code elem} from its bucket's chain and then from its lookup-index chain (bucket lock
     * held); its own links stay for readers on it.
     */
    private void unlink(long bucket, long elem) {
        Native.putByte(elem + E_LIVE, (byte) 0);
        long link = bucket;
        long cur = Native.getLong(link);
        while (cur != elem) {
            link = cur + E_NEXT;
            cur = Native.getLong(link);
        }
        Native.putLongRelease(link, Native.getLong(elem + E_NEXT));
        int s = slotOf(elem) + 1;
        long head = indexHead(elem + E_KEY);
        Native.lock(head + 4);
        try {
            long at = head;
            int c = Native.getInt(at);
            while (c != s) {
                if (c == 0) {
                    throw new IllegalStateException(name() + ": element slot " + (s - 1) + " is not in its lookup-index chain");
                }
                at = indexLinks + c * 4L;
                c = Native.getInt(at);
            }
            Native.putIntRelease(at, Native.getInt(indexLinks + s * 4L));
        } finally {
            Native.unlock(head + 4);
        }
    }

    // ------------------------------------------------------------------ element pool

    private void lockPool() {
        int spins = 0;
        while (!POOL_LOCK.compareAndSet(this, 0, 1)) {
            if (++spins < 256) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private void unlockPool() {
        POOL_LOCK.setRelease(this, 0);
    }

    /** An element to fill: its address, 0 when max_entries are live (E2BIG), -1 when the reserve is spent. */
    private long allocElem(boolean replacing) {
        lockPool();
        try {
            if (!replacing && count >= maxEntries) {
                return 0;
            }
            if (freeTop == 0 && retireHead != retireTail) {
                reclaim();
            }
            long e;
            if (freeTop > 0) {
                e = Native.getLong(freeStack + --freeTop * 8);
            } else if (bumped < poolSize) {
                e = elems + bumped++ * elemSize;
            } else {
                return -1;
            }
            if (!replacing) {
                count++;
            }
            return e;
        } finally {
            unlockPool();
        }
    }

    /** Queues an unlinked element for reuse after a grace period (call_rcu of the kernel's free). */
    private void retireElem(long elem, boolean deleted) {
        long tag = rcu.retire();
        lockPool();
        try {
            long slot = retireRing + (retireTail % poolSize) * 16;
            Native.putLong(slot, elem);
            Native.putLong(slot + 8, tag);
            retireTail++;
            if (deleted) {
                count--;
            }
        } finally {
            unlockPool();
        }
    }

    /** Moves elements whose grace period is over to the free stack (pool lock held). */
    private void reclaim() {
        long safe = rcu.minObservedEpoch();
        while (retireHead != retireTail) {
            long slot = retireRing + (retireHead % poolSize) * 16;
            if (Native.getLong(slot + 8) > safe) {
                return;
            }
            Native.putLong(freeStack + freeTop++ * 8, Native.getLong(slot));
            retireHead++;
        }
    }

    // ------------------------------------------------------------------ element walk (for_each_map_elem)

    // bpf_for_each_hash_elem(): buckets in order, each chain under RCU (no bucket lock), the value
    // of this CPU for per-CPU maps; LRU reference bits are left alone. An element unlinked by the
    // callback keeps its next and its hash until its grace period ends, so the walk goes on from it.
    @Override
    public long firstElem() {
        return firstFrom(0);
    }

    @Override
    public long nextElem(long elem) {
        long next = Native.getLongAcquire(elem + E_NEXT);
        return next != 0 ? next : firstFrom((Native.getInt(elem + E_HASH) & bucketMask) + 1);
    }

    private long firstFrom(long bucketIndex) {
        for (long i = bucketIndex; i <= bucketMask; i++) {
            long e = Native.getLongAcquire(buckets + i * BUCKET_SIZE);
            if (e != 0) {
                return e;
            }
        }
        return 0;
    }

    @Override
    public long elemKey(long elem) {
        return elem + E_KEY;
    }

    @Override
    public long elemValue(long elem, int cpu) {
        return valueAddr(elem, perCpu ? cpu : 0);
    }

    // ------------------------------------------------------------------ user side

    @Override
    int userLookup(long keyAddr, long out) {
        return userLookup(keyAddr, out, false);
    }

    // htab_map_lookup_and_delete_elem(): copy out, then unlink, under the bucket lock.
    @Override
    int userLookupAndDelete(long keyAddr, long out) {
        return userLookup(keyAddr, out, true);
    }

    /** Copies the value out ({@code out} 0: no copy) and with {@code delete} unlinks the element; 0 or -ENOENT. */
    private int userLookup(long keyAddr, long out, boolean delete) {
        int hash = Jhash.jhash(keyAddr, keySize, seed);
        long bucket = bucketOf(hash);
        boolean lruDelete = lru && delete;
        if (lruDelete) {
            lockLru(); // the node goes back to an LRU free list: LRU lock first, then the bucket's
        }
        try {
            long removed = 0;
            Native.lock(bucket + B_LOCK);
            try {
                long e = find(bucket, hash, keyAddr);
                if (e == 0) {
                    return -Errno.ENOENT;
                }
                if (out == 0) {
                    // delete only
                } else if (!perCpu) {
                    Native.copy(valueAddr(e, 0), out, valueSize);
                } else {
                    for (int c = 0; c < nCpus; c++) {
                        Native.copy(valueAddr(e, c), out + c * valueStride, valueStride);
                    }
                }
                if (delete) {
                    unlink(bucket, e);
                    if (lruDelete) {
                        addCount(-1);
                        removed = e;
                    } else {
                        retireElem(e, true);
                    }
                }
            } finally {
                Native.unlock(bucket + B_LOCK);
            }
            if (removed != 0) {
                lruLists.pushFree(slotOf(removed)); // htab_lru_push_free(), after the bucket unlock
            }
            return 0;
        } finally {
            if (lruDelete) {
                unlockLru();
            }
        }
    }

    @Override
    int userUpdate(long keyAddr, long value, long flags) {
        return doUpdate(keyAddr, value, flags, -1);
    }

    @Override
    int userDelete(long keyAddr) {
        return doDelete(keyAddr);
    }

    // htab_map_get_next_key(): the next element in the key's chain, else the first of a later bucket;
    // a missing key starts from bucket 0.
    @Override
    int userGetNextKey(long keyAddr, long nextOut) {
        long i = 0;
        if (keyAddr != 0) {
            int hash = Jhash.jhash(keyAddr, keySize, seed);
            long bucket = bucketOf(hash);
            Native.lock(bucket + B_LOCK);
            try {
                long e = find(bucket, hash, keyAddr);
                if (e != 0) {
                    long next = Native.getLong(e + E_NEXT);
                    if (next != 0) {
                        Native.copy(next + E_KEY, nextOut, keySize);
                        return 0;
                    }
                    i = (hash & bucketMask) + 1;
                }
            } finally {
                Native.unlock(bucket + B_LOCK);
            }
        }
        for (; i <= bucketMask; i++) {
            long bucket = buckets + i * BUCKET_SIZE;
            if (Native.getLongAcquire(bucket) == 0) {
                continue;
            }
            Native.lock(bucket + B_LOCK);
            try {
                long first = Native.getLong(bucket);
                if (first != 0) {
                    Native.copy(first + E_KEY, nextOut, keySize);
                    return 0;
                }
            } finally {
                Native.unlock(bucket + B_LOCK);
            }
        }
        return -Errno.ENOENT;
    }

    @Override
    void free() {
        if (lruLists != null) {
            lruLists.free();
        }
        backing.release(bucketMem);
        backing.release(elemMem);
        backing.release(bookMem);
        backing.release(indexMem);
        backing.close();
    }
}
