package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.Errno;
import java.util.Optional;

/**
 * BPF_MAP_TYPE_ARRAY_OF_MAPS and HASH_OF_MAPS ({@code kernel/bpf/map_in_map.c}, {@code arraymap.c},
 * {@code hashtab.c}): values are maps built like an inner-map template.
 *
 * <p>Storage is an ordinary ARRAY (u32 keys) or HASH of u64 {@link MapHandles handles}; a program's
 * {@code bpf_map_lookup_elem} returns the inner map's handle itself (the kernel returns the
 * {@code struct bpf_map *}), 0 for an empty slot or missing key, which the runtime passes back to
 * the map helpers and resolves with {@link MapHandles#map(long)}. Programs cannot update or delete
 * (the verifier refuses it); user space replaces inner maps while programs run, and a program that
 * looked up the old one keeps using it until its next quiescent state, as under RCU.
 *
 * <p>User side, bpf(2) with ids for fds: an update's value is the inner map's {@link MapHandles#id id}
 * (the kernel: an fd), a lookup gives the id (the kernel gives the id too). An inner map must match
 * the template as {@code bpf_map_meta_equal()}: type, key and value size, flags, and for arrays
 * max_entries unless the template has BPF_F_INNER_MAP; else EINVAL, an unknown id EBADF.
 * ARRAY_OF_MAPS takes BPF_ANY only and deletes missing slots with ENOENT, as fd arrays.
 */
public final class MapInMap extends BpfMap {
    private final BpfMap store;
    private final MapDefinition template;
    private final boolean array;

    MapInMap(MapDefinition def, int nCpus, Rcu rcu, MapDefinition template) {
        super(def, nCpus, rcu);
        this.template = template;
        this.array = def.type() == MapType.ARRAY_OF_MAPS;
        MapDefinition storeDef = new MapDefinition(def.name(), array ? MapType.ARRAY : MapType.HASH, def.keySize(), 8,
                def.maxEntries(), def.flags() & ~(MapFlags.BPF_F_RDONLY | MapFlags.BPF_F_WRONLY));
        this.store = array ? new ArrayMap(storeDef, 1, rcu, Backing.ANONYMOUS) : new HashTab(storeDef, 1, rcu, Backing.ANONYMOUS);
    }

    /** The inner-map template (what BPF_MAP_CREATE's inner_map_fd described). */
    public MapDefinition innerTemplate() {
        return template;
    }

    @Override
    public boolean supportsDelete() {
        return false;
    }

    @Override
    public boolean supports(MapOp op) {
        return op == MapOp.LOOKUP || op == MapOp.GET_NEXT_KEY;
    }

    // ------------------------------------------------------------------ program side

    /** The inner map's handle, or 0. */
    @Override
    public long lookup(long keyAddr, int cpu) {
        long slot = store.lookup(keyAddr, 0);
        return slot == 0 ? 0 : Native.getLongAcquire(slot);
    }

    @Override
    public int update(long keyAddr, long valueAddr, long flags, int cpu) {
        return -Errno.EOPNOTSUPP;
    }

    @Override
    public int delete(long keyAddr, int cpu) {
        return -Errno.EOPNOTSUPP;
    }

    // ------------------------------------------------------------------ user side

    /** Sets the inner map at {@code key}, as an update with the map's id. */
    public void set(byte[] key, BpfMap inner, long flags) {
        byte[] v = new byte[4];
        int id = MapHandles.id(inner);
        for (int i = 0; i < 4; i++) {
            v[i] = (byte) (id >>> (8 * i));
        }
        update(key, v, flags);
    }

    /** The inner map at {@code key}, if any. */
    public Optional<BpfMap> get(byte[] key) {
        return lookup(key).map(v -> MapHandles.byId((v[0] & 0xff) | (v[1] & 0xff) << 8 | (v[2] & 0xff) << 16 | (v[3] & 0xff) << 24));
    }

    @Override
    int userLookup(long keyAddr, long out) {
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            long tmp = a.allocate(8, 8).address();
            int rc = store.userLookup(keyAddr, tmp);
            if (rc != 0) {
                return rc;
            }
            long handle = Native.getLong(tmp);
            BpfMap inner = MapHandles.map(handle);
            if (handle == 0 || inner == null) {
                return -Errno.ENOENT;
            }
            Native.putInt(out, MapHandles.id(inner));
            return 0;
        }
    }

    @Override
    int userUpdate(long keyAddr, long value, long flags) {
        if (array && flags != MapFlags.BPF_ANY) {
            return -Errno.EINVAL; // bpf_fd_array_map_update_elem()
        }
        if (array && Integer.compareUnsigned(Native.getInt(keyAddr), def.maxEntries()) >= 0) {
            return -Errno.E2BIG;
        }
        BpfMap inner = MapHandles.byId(Native.getInt(value));
        if (inner == null) {
            return -Errno.EBADF;
        }
        if (!compatible(inner.definition())) {
            return -Errno.EINVAL;
        }
        long handle = MapHandles.handle(inner);
        if (!array && flags != MapFlags.BPF_NOEXIST && Long.compareUnsigned(flags, MapFlags.BPF_EXIST) <= 0) {
            // An existing key's inner map is replaced in place, keeping its place in the chain: the
            // kernel's fd hash maps do (get_next_key order shows it, MapInMapTest).
            if (((HashTab) store).replaceLongInPlace(keyAddr, handle)) {
                return 0;
            }
        }
        if (array) {
            // one release store, never a byte copy: a program on another thread reads the slot with
            // acquire (lookup) and must see either the old handle or the new one, whole
            Native.putLongRelease(store.lookup(keyAddr, 0), handle);
            return 0;
        }
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            long tmp = a.allocate(8, 8).address();
            Native.putLong(tmp, handle);
            return store.userUpdate(keyAddr, tmp, flags);
        }
    }

    /**
     * bpf_map_meta_equal(): type, key size, value size and flags; max_entries only for arrays
     * (array_map_meta_equal()), and not even there with BPF_F_INNER_MAP.
     */
    boolean compatible(MapDefinition d) {
        boolean array = template.type() == MapType.ARRAY || template.type() == MapType.PERCPU_ARRAY;
        boolean anySize = !array || (template.flags() & MapFlags.BPF_F_INNER_MAP) != 0;
        return d.type() == template.type() && d.keySize() == template.keySize() && d.valueSize() == template.valueSize()
                && d.flags() == template.flags() && (anySize || d.maxEntries() == template.maxEntries());
    }

    @Override
    int userDelete(long keyAddr) {
        if (!array) {
            return store.userDelete(keyAddr);
        }
        int i = Native.getInt(keyAddr);
        if (Integer.compareUnsigned(i, def.maxEntries()) >= 0) {
            return -Errno.E2BIG;
        }
        long slot = store.lookup(keyAddr, 0);
        if (Native.getLongAcquire(slot) == 0) {
            return -Errno.ENOENT;
        }
        Native.putLongRelease(slot, 0);
        return 0;
    }

    @Override
    int userLookupAndDelete(long keyAddr, long out) {
        return -ENOTSUPP;
    }

    @Override
    int userGetNextKey(long keyAddr, long nextOut) {
        return store.userGetNextKey(keyAddr, nextOut);
    }

    @Override
    void free() {
        store.close();
    }
}
