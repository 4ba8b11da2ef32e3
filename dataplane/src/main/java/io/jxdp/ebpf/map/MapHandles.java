package io.jxdp.ebpf.map;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Map handles: what a program holds for a map it reached at run time — the result of a
 * {@code bpf_map_lookup_elem} on an ARRAY_OF_MAPS or HASH_OF_MAPS — and what a map-in-map stores.
 * The kernel gives programs a {@code struct bpf_map *}; jxdp gives the address of the map's 8-byte
 * slot in one process-wide native table, so a handle is a non-zero, 8-aligned, pointer-like value,
 * as the runtime's own per-program map handles are.
 *
 * <pre>
 * table: CAPACITY x u64 in global native memory; slot i holds i + 1 (the map's id) while registered
 * handle(map) = tableBase + 8 * i          id(map) = i + 1 (the "map id" user space sees, u32)
 * </pre>
 *
 * <p>{@link #map(long)} resolves a handle in O(1) without allocating (a range check, a shift and a
 * volatile array read), for the helpers. Slots are given out on first use of a map as an inner map
 * and freed when the map closes; a freed slot is reused only after every other slot was used once.
 */
public final class MapHandles {
    /** Maps registered at once at most. */
    public static final int CAPACITY = 1 << 16;

    private static final MemorySegment TABLE = Arena.global().allocate(8L * CAPACITY, 8);
    private static final long BASE = TABLE.address();
    private static final AtomicReferenceArray<BpfMap> MAPS = new AtomicReferenceArray<>(CAPACITY);
    private static int next;
    private static int live;

    private MapHandles() {}

    /** The map's handle, registering it on first use; throws E2BIG when CAPACITY maps are registered. */
    public static long handle(BpfMap m) {
        synchronized (MapHandles.class) {
            if (m.handleSlot >= 0) {
                return BASE + 8L * m.handleSlot;
            }
            if (live == CAPACITY) {
                throw new MapException(m.name(), io.jxdp.ffi.sys.Errno.E2BIG, "all " + CAPACITY + " map handles are in use");
            }
            while (MAPS.get(next) != null) {
                next = (next + 1) % CAPACITY;
            }
            int slot = next;
            next = (next + 1) % CAPACITY;
            live++;
            TABLE.setAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, slot, slot + 1L);
            MAPS.set(slot, m);
            m.handleSlot = slot;
            return BASE + 8L * slot;
        }
    }

    /** The id user space names the map by (in map-in-map values): 1 and up. */
    public static int id(BpfMap m) {
        return (int) ((handle(m) - BASE) >>> 3) + 1;
    }

    /** The map behind a handle, or null when {@code handle} is not a live map handle. Allocation-free. */
    public static BpfMap map(long handle) {
        long rel = handle - BASE;
        if (rel < 0 || rel >= 8L * CAPACITY || (rel & 7) != 0) {
            return null;
        }
        return MAPS.get((int) (rel >>> 3));
    }

    /** The map with user-space id {@code id}, or null. */
    public static BpfMap byId(int id) {
        return id <= 0 || id > CAPACITY ? null : MAPS.get(id - 1);
    }

    /** The handle of the map with id {@code id}: for values a map-in-map stores. */
    static long handleOfId(int id) {
        return BASE + 8L * (id - 1);
    }

    /** Called by {@link BpfMap#close()}. */
    static void unregister(BpfMap m) {
        synchronized (MapHandles.class) {
            if (m.handleSlot < 0) {
                return;
            }
            TABLE.setAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, m.handleSlot, 0L);
            MAPS.set(m.handleSlot, null);
            m.handleSlot = -1;
            live--;
        }
    }
}
