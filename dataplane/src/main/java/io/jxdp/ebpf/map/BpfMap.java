package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An eBPF map with off-heap keys and values: the one abstraction every map type plugs into.
 *
 * <p><b>Program side</b> (the interpreter's and JIT's {@code bpf_map_*_elem} helpers): methods take
 * and return native addresses, allocate nothing and take no lock to look up. A returned value
 * address stays valid while the calling worker is inside one read-side section of the map's
 * {@link Rcu} (between two {@link Rcu#quiescent} calls), as a kernel map value stays valid under
 * {@code rcu_read_lock()}. {@code cpu} is the worker index, {@code 0 <= cpu < nCpus()}; per-CPU maps
 * show each cpu its own slot. Results are 0 or {@code -errno} as the kernel helpers return.
 * The verifier (not this class) proves key and value pointers valid and large enough.
 *
 * <p><b>User side</b> (the control plane, mirroring bpf(2) BPF_MAP_*_ELEM commands): byte arrays
 * in, byte arrays out, errors as {@link MapException} carrying the kernel's errno. Per-CPU maps
 * exchange {@code nCpus} values, each padded to {@code round_up(value_size, 8)}, concatenated
 * ({@link #userValueSize()}), the kernel's user-space ABI for per-CPU maps.
 *
 * <p>Capability queries ({@link #isPerCpu()}, {@link #supportsDelete()}, {@link #mmapRegion()},
 * {@link #directValueAddress(int)}) let the loader and helpers ask instead of switching on type.
 * {@link #close()} waits (bounded) for an RCU grace period and unmaps the memory; programs using the
 * map must be detached first and no other thread may still be calling it.
 *
 * <p><b>Threads.</b> Any number of threads may use both sides at once, provided every thread that
 * calls the program side concurrently with writers is a worker registered with the map's
 * {@link Rcu} and calls {@link Rcu#quiescent} only when it holds no value address. User-side calls
 * need no registration (hash maps lock the bucket they read; array memory is never reused).
 */
public abstract class BpfMap implements AutoCloseable {
    private static final long CLOSE_GRACE_NANOS = 1_000_000_000L;
    /** ENOTSUPP, include/linux/errno.h: kernel-internal, yet what bpf(2) returns for unsupported commands. */
    static final int ENOTSUPP = 524;

    final MapDefinition def;
    final int nCpus;
    final Rcu rcu;
    final boolean rdonlyProg;
    private volatile boolean frozen;
    private volatile boolean closed;
    /** Slot in {@link MapHandles}, -1 until the map is first used as an inner map; guarded by MapHandles. */
    int handleSlot = -1;

    BpfMap(MapDefinition def, int nCpus, Rcu rcu) {
        this.def = def;
        this.nCpus = nCpus;
        this.rcu = rcu;
        this.rdonlyProg = (def.flags() & MapFlags.BPF_F_RDONLY_PROG) != 0;
    }

    // ------------------------------------------------------------------ description

    public final MapDefinition definition() {
        return def;
    }

    public final String name() {
        return def.name();
    }

    public final MapType type() {
        return def.type();
    }

    public final int keySize() {
        return def.keySize();
    }

    public final int valueSize() {
        return def.valueSize();
    }

    public final int maxEntries() {
        return def.maxEntries();
    }

    public final int flags() {
        return def.flags();
    }

    /** The number of CPUs (workers) per-CPU values exist for. */
    public final int nCpus() {
        return nCpus;
    }

    public final boolean isPerCpu() {
        return def.type().perCpu();
    }

    /** Whether delete is an operation of this type (arrays: no, their elements always exist). */
    public abstract boolean supportsDelete();

    /**
     * Whether this map implements a program-side operation. Lookup, update and get-next-key are
     * universal here; delete per {@link #supportsDelete()}; per-CPU lookup for per-CPU maps; push,
     * pop, peek and redirect belong to the queue, stack and redirect map types that override them.
     */
    public boolean supports(MapOp op) {
        return switch (op) {
            case LOOKUP, UPDATE, GET_NEXT_KEY -> true;
            case DELETE -> supportsDelete();
            case LOOKUP_PERCPU -> isPerCpu();
            case PUSH, POP, PEEK, REDIRECT, RINGBUF -> false;
        };
    }

    /** Bytes of one user-side value: value_size, or nCpus * round_up(value_size, 8) for per-CPU maps. */
    public final int userValueSize() {
        return isPerCpu() ? nCpus * (int) Native.roundUp8(def.valueSize()) : def.valueSize();
    }

    /** The value area a BPF_F_MMAPABLE array exposes to user space, if this map is one. */
    public Optional<MemorySegment> mmapRegion() {
        return Optional.empty();
    }

    /**
     * The address of byte {@code offset} of the value of a single-entry array: the target of a
     * {@code BPF_PSEUDO_MAP_VALUE} ld_imm64 (global data, .rodata/.data/.bss), as the kernel's
     * {@code map_direct_value_addr}. Other maps throw EOPNOTSUPP, offsets past the value EINVAL.
     */
    public long directValueAddress(int offset) {
        throw new MapException(name(), Errno.EOPNOTSUPP, "direct value access is for single-entry arrays only");
    }

    // ------------------------------------------------------------------ program side

    /** {@code bpf_map_lookup_elem}: the value address for the key at {@code keyAddr}, or 0. */
    public abstract long lookup(long keyAddr, int cpu);

    /**
     * For a JIT that computes {@link #lookup} inline, as the kernel's JIT does with
     * {@code array_map_gen_lookup}: the address arithmetic of an ARRAY or PERCPU_ARRAY; null for
     * every other map.
     */
    public ArrayLookup arrayLookup() {
        return null;
    }

    /**
     * An array lookup: key {@code k} (a u32) finds nothing when {@code k >= maxEntries} (unsigned),
     * else the value at {@code base + cpu * cpuStride + k * elemSize} ({@code cpu} only when
     * {@code perCpu}). The addresses stay valid until the map is closed.
     */
    public record ArrayLookup(long base, long elemSize, long cpuStride, int maxEntries, boolean perCpu) {
    }

    /**
     * For a JIT that compiles {@link #lookup} of a hash map with its key size and hash as constants:
     * the layout a HASH, PERCPU_HASH, LRU_HASH or LRU_PERCPU_HASH lookup walks; null for every other map.
     */
    public HashLookup hashLookup() {
        return null;
    }

    /**
     * A hash map's program-side lookup as data ({@code HashTab}'s lookup index): {@code h} = the sum
     * over the key's pieces (its 8-byte words, then a 4-, 2- and 1-byte tail as far as the key size
     * needs, each zero-extended, little-endian) of {@code (piece_i + salt[i]) * mult[i]} mod 2^64;
     * the chain starts at the u32 at {@code heads + ((int) (h >>> 32) & indexMask) * 8}, loaded with
     * acquire: {@code s}, 0 = none; element {@code s}'s address is {@code elems + s * elemSize}, its
     * key at {@code +} {@value #KEY}, and the next {@code s} is the u32 at {@code links + s * 4}
     * (acquire). A key match's value is at {@code e + valueOffset} (plus {@code cpu * valueStride}
     * when {@code perCpu}), and an LRU map's lookup sets the byte at {@code e +} {@value #REF} to 1
     * when it is 0. Exactly {@code HashTab.lookup}.
     */
    public record HashLookup(long heads, long indexMask, long links, long elems, long elemSize, long[] salt,
                             long[] mult, int keySize, long valueOffset, long valueStride, boolean perCpu,
                             boolean lru) {
        public static final int BUCKET_SIZE = 16;
        public static final int NEXT = 0;
        public static final int HASH = 8;
        public static final int REF = 13;
        public static final int KEY = 16;
    }

    /**
     * For a JIT that compiles {@link #lookup} of an LPM_TRIE with its layout as constants: the trie's
     * root slot and node layout; null for every other map.
     */
    public LpmLookup lpmLookup() {
        return null;
    }

    /**
     * An LPM_TRIE's program-side lookup as data ({@code LpmTrie}): the root node's address is the
     * u64 at {@code rootSlot} (acquire), 0 = empty; a node holds its children's addresses at
     * {@code +} {@value #CHILD0} and {@code +} {@value #CHILD1} (u64, acquire, 0 = none), its
     * prefixlen at {@code +} {@value #PREFIXLEN} (u32), its flags at {@code +} {@value #FLAGS} (bit
     * {@value #FLAG_IM}: intermediate, no value), its {@code dataSize} data bytes (network order) at
     * {@code +} {@value #DATA} and its value at {@code +valueOffset}. The kernel's
     * {@code trie_lookup_elem} walk over these nodes is exactly {@code LpmTrie.lookup}, which first
     * asks {@code prefixes} (IPv4 tries; null for others) and walks only when it answers
     * {@link LpmPrefixList#WALK}.
     */
    public record LpmLookup(long rootSlot, int dataSize, long valueOffset, LpmPrefixList prefixes) {
        public static final int CHILD0 = 0;
        public static final int CHILD1 = 8;
        public static final int PREFIXLEN = 16;
        public static final int FLAGS = 20;
        public static final int DATA = 24;
        public static final int FLAG_IM = 1;
    }

    /** {@code bpf_map_update_elem}: 0 or -errno (EINVAL flags, EEXIST, ENOENT, E2BIG, EPERM read-only). */
    public abstract int update(long keyAddr, long valueAddr, long flags, int cpu);

    /** {@code bpf_map_delete_elem}: 0 or -errno (ENOENT missing, EINVAL arrays, EPERM read-only). */
    public abstract int delete(long keyAddr, int cpu);

    /**
     * {@code bpf_map_lookup_percpu_elem}: the value address of {@code targetCpu}'s slot, or 0 when
     * the key is missing or {@code targetCpu >= nCpus()} (as the kernel for CPUs beyond nr_cpu_ids).
     * Maps that are not per-CPU return 0 (the kernel's verifier refuses the call).
     */
    public final long lookupPercpu(long keyAddr, int targetCpu) {
        if (!isPerCpu() || targetCpu < 0 || targetCpu >= nCpus) {
            return 0;
        }
        return lookup(keyAddr, targetCpu);
    }

    /** {@code bpf_map_push_elem}: 0 or -errno; -EOPNOTSUPP unless {@link #supports}(PUSH). */
    public int push(long valueAddr, long flags, int cpu) {
        return -Errno.EOPNOTSUPP;
    }

    /** {@code bpf_map_pop_elem} into {@code valueAddr}: 0 or -errno; -EOPNOTSUPP unless {@link #supports}(POP). */
    public int pop(long valueAddr, int cpu) {
        return -Errno.EOPNOTSUPP;
    }

    /** {@code bpf_map_peek_elem} into {@code valueAddr}: 0 or -errno; -EOPNOTSUPP unless {@link #supports}(PEEK). */
    public int peek(long valueAddr, int cpu) {
        return -Errno.EOPNOTSUPP;
    }

    /**
     * {@code bpf_redirect_map(map, key, flags)}'s lookup for maps that {@link #supports}(REDIRECT):
     * the target of {@code key} (DEVMAP, DEVMAP_HASH: the ifindex; CPUMAP: the cpu; XSKMAP: the
     * queue index), or -1 when there is none, in which case the helper returns the fallback action
     * {@code flags & 3} as the kernel's __bpf_xdp_redirect_map(). Other maps: -1.
     */
    public long redirectTarget(long key) {
        return -1;
    }

    /**
     * bpf_for_each_map_elem over a hash map ({@code bpf_for_each_hash_elem}): the first linked
     * element in bucket order, as an opaque cursor, or 0 when the map is empty. With
     * {@link #nextElem}, {@link #elemKey} and {@link #elemValue} a walk reads the table in place:
     * no key copies, no allocation, no LRU reference bits set (the kernel's walk sets none). Valid on
     * a program's worker until its next quiescent state; maps without the walk return 0.
     */
    public long firstElem() {
        return 0;
    }

    /** The element after cursor {@code elem} ({@link #firstElem}), 0 at the end; an element deleted meanwhile still leads on. */
    public long nextElem(long elem) {
        return 0;
    }

    /** The key address of cursor {@code elem}. */
    public long elemKey(long elem) {
        throw new UnsupportedOperationException(type().kernelName() + " has no element walk");
    }

    /** The value address of cursor {@code elem} for {@code cpu} (per-CPU maps: that CPU's slot). */
    public long elemValue(long elem, int cpu) {
        throw new UnsupportedOperationException(type().kernelName() + " has no element walk");
    }

    // ------------------------------------------------------------------ user side hooks (native)

    /** Copies the user-side value of the key into {@code out}; 0 or -errno. */
    abstract int userLookup(long keyAddr, long out);

    /** Stores a user-side value (all CPUs for per-CPU maps); 0 or -errno. */
    abstract int userUpdate(long keyAddr, long value, long flags);

    abstract int userDelete(long keyAddr);

    /** Copies the user-side value out and deletes the element; 0 or -errno. Types without it: -ENOTSUPP. */
    int userLookupAndDelete(long keyAddr, long out) {
        return -ENOTSUPP;
    }

    /** Writes the key after {@code keyAddr} (0: the first key) to {@code nextOut}; 0 or -ENOENT at the end. */
    abstract int userGetNextKey(long keyAddr, long nextOut);

    /** Releases native memory; called once, after the grace period. */
    abstract void free();

    // ------------------------------------------------------------------ user side (bpf(2) mirror)

    /** BPF_MAP_LOOKUP_ELEM: the value (all CPUs' for per-CPU maps), empty when there is none (ENOENT). */
    public final Optional<byte[]> lookup(byte[] key) {
        checkOpen();
        checkRead("lookup");
        checkKey(key);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = copyIn(a, key);
            MemorySegment out = a.allocate(userValueSize(), 8);
            int rc = userLookup(k.address(), out.address());
            if (rc == -Errno.ENOENT) {
                return Optional.empty();
            }
            check(rc, "lookup");
            return Optional.of(out.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    /** BPF_MAP_UPDATE_ELEM with {@link MapFlags#BPF_ANY}, {@code BPF_NOEXIST} or {@code BPF_EXIST}. */
    public final void update(byte[] key, byte[] value, long flags) {
        checkOpen();
        checkWrite("update");
        checkKey(key);
        if (value == null || value.length != userValueSize()) {
            throw new MapException(name(), Errno.EINVAL, "update: value must be " + userValueSize() + " bytes, got "
                    + (value == null ? "null" : value.length));
        }
        if ((flags & MapFlags.BPF_F_LOCK) != 0) { // map_update_elem() in kernel/bpf/syscall.c checks this first
            throw new MapException(name(), Errno.EINVAL, "update: BPF_F_LOCK needs a bpf_spin_lock in the value (BTF),"
                    + " which jxdp maps do not carry");
        }
        try (Arena a = Arena.ofConfined()) {
            check(userUpdate(copyIn(a, key).address(), copyIn(a, value).address(), flags), "update");
        }
    }

    /** BPF_MAP_DELETE_ELEM; throws ENOENT for a missing key, EINVAL for arrays. */
    public final void delete(byte[] key) {
        checkOpen();
        checkWrite("delete");
        checkKey(key);
        try (Arena a = Arena.ofConfined()) {
            check(userDelete(copyIn(a, key).address()), "delete");
        }
    }

    /**
     * BPF_MAP_LOOKUP_AND_DELETE_ELEM: the value of the element, which is deleted; empty when there is
     * none. Hash maps only: arrays throw ENOTSUPP (524) as the kernel. Needs read and write access.
     */
    public final Optional<byte[]> lookupAndDelete(byte[] key) {
        checkOpen();
        checkRead("lookup_and_delete");
        checkWrite("lookup_and_delete");
        checkKey(key);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(userValueSize(), 8);
            int rc = userLookupAndDelete(copyIn(a, key).address(), out.address());
            if (rc == -Errno.ENOENT) {
                return Optional.empty();
            }
            if (rc == -ENOTSUPP) {
                throw new MapException(name(), ENOTSUPP, "lookup_and_delete is not supported by " + type().kernelName()
                        + " (ENOTSUPP)");
            }
            check(rc, "lookup_and_delete");
            return Optional.of(out.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    /**
     * BPF_MAP_GET_NEXT_KEY: the key after {@code keyOrNull} in the map's order; a null or missing
     * key gives the first key (arrays: index 0 for an out-of-range index); empty at the end.
     */
    public final Optional<byte[]> getNextKey(byte[] keyOrNull) {
        checkOpen();
        checkRead("get_next_key");
        if (keyOrNull != null) {
            checkKey(keyOrNull);
        }
        try (Arena a = Arena.ofConfined()) {
            long k = keyOrNull == null ? 0 : copyIn(a, keyOrNull).address();
            MemorySegment next = a.allocate(def.keySize(), 8);
            int rc = userGetNextKey(k, next.address());
            if (rc == -Errno.ENOENT) {
                return Optional.empty();
            }
            check(rc, "get_next_key");
            return Optional.of(next.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    /** One page of {@link #lookupBatch}: keys and values in order, and the token to continue from (null: done). */
    public record Batch(List<byte[]> keys, List<byte[]> values, byte[] next) {}

    /**
     * BPF_MAP_LOOKUP_BATCH, page by page: up to {@code maxCount} elements after the token
     * {@code afterKeyOrNull} (null starts). Iterates as {@link #getNextKey} does, as the kernel's
     * generic_map_lookup_batch; a token deleted meanwhile restarts at the first key.
     */
    public final Batch lookupBatch(byte[] afterKeyOrNull, int maxCount) {
        if (maxCount <= 0) {
            throw new MapException(name(), Errno.EINVAL, "lookup_batch: count must be positive, got " + maxCount);
        }
        List<byte[]> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        byte[] cursor = afterKeyOrNull;
        while (keys.size() < maxCount) {
            Optional<byte[]> next = getNextKey(cursor);
            if (next.isEmpty()) {
                return new Batch(keys, values, null);
            }
            cursor = next.get();
            Optional<byte[]> v = lookup(cursor);
            if (v.isPresent()) { // deleted between get_next_key and lookup: skipped, as the kernel does
                keys.add(cursor);
                values.add(v.get());
            }
        }
        return new Batch(keys, values, getNextKey(cursor).isPresent() ? cursor : null);
    }

    /**
     * BPF_MAP_UPDATE_BATCH: updates {@code keys[i]} to {@code values[i]} in order, stopping at the
     * first error, which is thrown naming how many elements were updated before it.
     */
    public final int updateBatch(byte[][] keys, byte[][] values, long flags) {
        if (keys.length != values.length) {
            throw new MapException(name(), Errno.EINVAL, "update_batch: " + keys.length + " keys but " + values.length + " values");
        }
        for (int i = 0; i < keys.length; i++) {
            try {
                update(keys[i], values[i], flags);
            } catch (MapException e) {
                throw new MapException(name(), e.errno(), "update_batch stopped after " + i + " of " + keys.length
                        + " elements: " + e.getMessage());
            }
        }
        return keys.length;
    }

    /** BPF_MAP_DELETE_BATCH: deletes in order, stopping at the first error (thrown, naming the count done). */
    public final int deleteBatch(byte[][] keys) {
        for (int i = 0; i < keys.length; i++) {
            try {
                delete(keys[i]);
            } catch (MapException e) {
                throw new MapException(name(), e.errno(), "delete_batch stopped after " + i + " of " + keys.length
                        + " elements: " + e.getMessage());
            }
        }
        return keys.length;
    }

    /** BPF_MAP_FREEZE: user space may no longer write (EPERM); programs still may unless BPF_F_RDONLY_PROG. */
    public final void freeze() {
        checkOpen();
        frozen = true;
    }

    public final boolean isFrozen() {
        return frozen;
    }

    /** Waits (at most a second) for readers to pass a quiescent state, then unmaps. Idempotent. */
    @Override
    public final synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        MapHandles.unregister(this);
        rcu.synchronize(CLOSE_GRACE_NANOS);
        free();
    }

    @Override
    public String toString() {
        return def.toString();
    }

    // ------------------------------------------------------------------ shared checks

    private void checkOpen() {
        if (closed) {
            throw new MapException(name(), Errno.EBADF, "map is closed");
        }
    }

    // map_get_sys_perms() in kernel/bpf/syscall.c: BPF_F_RDONLY drops FMODE_CAN_WRITE, BPF_F_WRONLY FMODE_CAN_READ.
    private void checkRead(String op) {
        if ((def.flags() & MapFlags.BPF_F_WRONLY) != 0) {
            throw new MapException(name(), Errno.EPERM, op + ": map is write-only for user space (BPF_F_WRONLY)");
        }
    }

    private void checkWrite(String op) {
        if ((def.flags() & MapFlags.BPF_F_RDONLY) != 0) {
            throw new MapException(name(), Errno.EPERM, op + ": map is read-only for user space (BPF_F_RDONLY)");
        }
        if (frozen) {
            throw new MapException(name(), Errno.EPERM, op + ": map is frozen");
        }
    }

    private void checkKey(byte[] key) {
        if (key == null || key.length != def.keySize()) {
            throw new MapException(name(), Errno.EINVAL, "key must be " + def.keySize() + " bytes, got "
                    + (key == null ? "null" : key.length));
        }
    }

    private void check(int rc, String op) {
        if (rc < 0) {
            throw new MapException(name(), -rc, op + " failed");
        }
    }

    private static MemorySegment copyIn(Arena a, byte[] bytes) {
        MemorySegment s = a.allocate(Math.max(1, bytes.length), 8);
        MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return s;
    }

    /** The kernel's flag check of array and hash updates: anything but ANY/NOEXIST/EXIST (and F_LOCK) is EINVAL. */
    static boolean badUpdateFlags(long flags) {
        return Long.compareUnsigned(flags & ~MapFlags.BPF_F_LOCK, MapFlags.BPF_EXIST) > 0;
    }
}
