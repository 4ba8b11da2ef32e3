package io.jxdp.ebpf.verifier;

import io.jxdp.ebpf.loader.MapSpec;

/**
 * What the verifier needs to know about one map: its {@code enum bpf_map_type}, key and value
 * sizes in bytes, capacity and {@code BPF_F_*} flags. A program refers to map {@code i} by an
 * LD_IMM64 with src_reg 1 (BPF_PSEUDO_MAP_FD) or 2 (BPF_PSEUDO_MAP_VALUE) and imm {@code i}.
 * {@code inner} is the inner-map template of an ARRAY_OF_MAPS / HASH_OF_MAPS (the kernel's
 * {@code map->inner_map_meta}, from {@code inner_map_fd}): a lookup in the outer map gives a map
 * pointer of that shape. Null for every other map.
 */
public record MapInfo(int type, int keySize, int valueSize, int maxEntries, int flags, MapInfo inner) {
    /** BPF_F_RDONLY_PROG (include/uapi/linux/bpf.h): the program may read but not write values. */
    public static final int BPF_F_RDONLY_PROG = 1 << 7;

    public MapInfo {
        if (keySize < 0 || valueSize < 0 || maxEntries < 0) {
            throw new IllegalArgumentException("negative map size in " + type + "/" + keySize + "/" + valueSize + "/"
                    + maxEntries);
        }
        if (inner != null && inner.inner() != null) {
            throw new IllegalArgumentException("an inner map may not itself hold maps (the kernel allows one level)");
        }
    }

    /** A map that holds no maps. */
    public MapInfo(int type, int keySize, int valueSize, int maxEntries, int flags) {
        this(type, keySize, valueSize, maxEntries, flags, null);
    }

    /** The map a loader spec describes; global-data sections are one-entry ARRAY maps of the section's size. */
    public static MapInfo of(MapSpec spec) {
        int flags = (int) spec.flags();
        if (spec.readOnly()) {
            flags |= BPF_F_RDONLY_PROG;
        }
        int type = spec.isGlobalData() ? MapSpec.BPF_MAP_TYPE_ARRAY : spec.type();
        MapInfo inner = spec.innerMap().map(MapInfo::of).orElse(null);
        return new MapInfo(type, (int) spec.keySize(), (int) spec.valueSize(), (int) spec.maxEntries(), flags, inner);
    }

    /** True for ARRAY_OF_MAPS and HASH_OF_MAPS, whose values are maps. */
    public boolean holdsMaps() {
        return type == 12 || type == 13;
    }

    /**
     * True when the program may not write the map's values: .rodata, and the maps whose lookups
     * point into the kernel's own entries (kernel/bpf/devmap.c dev_map_init_map() sets
     * BPF_F_RDONLY_PROG for DEVMAP and DEVMAP_HASH; an XSKMAP lookup gives a read-only xdp_sock).
     */
    public boolean readOnlyForProgram() {
        return (flags & BPF_F_RDONLY_PROG) != 0 || type == 14 || type == 25 || type == 17;
    }
}
