package io.jxdp.ebpf.map;

/**
 * Every kernel map type, numbered as {@code enum bpf_map_type} in {@code include/uapi/linux/bpf.h}
 * (the ordinal is not used; each constant carries its kernel id). {@link #supported()} says which
 * ones {@link Maps#create} can build today.
 */
public enum MapType {
    UNSPEC(0),
    HASH(1),
    ARRAY(2),
    PROG_ARRAY(3),
    PERF_EVENT_ARRAY(4),
    PERCPU_HASH(5),
    PERCPU_ARRAY(6),
    STACK_TRACE(7),
    CGROUP_ARRAY(8),
    LRU_HASH(9),
    LRU_PERCPU_HASH(10),
    LPM_TRIE(11),
    ARRAY_OF_MAPS(12),
    HASH_OF_MAPS(13),
    DEVMAP(14),
    SOCKMAP(15),
    CPUMAP(16),
    XSKMAP(17),
    SOCKHASH(18),
    /** Named BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED in kernels since 6.2, same id. */
    CGROUP_STORAGE(19),
    REUSEPORT_SOCKARRAY(20),
    /** Named BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE_DEPRECATED in kernels since 6.2, same id. */
    PERCPU_CGROUP_STORAGE(21),
    QUEUE(22),
    STACK(23),
    SK_STORAGE(24),
    DEVMAP_HASH(25),
    STRUCT_OPS(26),
    RINGBUF(27),
    INODE_STORAGE(28),
    TASK_STORAGE(29),
    BLOOM_FILTER(30),
    USER_RINGBUF(31),
    CGRP_STORAGE(32),
    ARENA(33);

    private static final MapType[] BY_ID;

    static {
        MapType[] all = values();
        BY_ID = new MapType[all[all.length - 1].id + 1];
        for (MapType t : all) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;

    MapType(int id) {
        this.id = id;
    }

    /** The kernel's numeric id ({@code BPF_MAP_TYPE_*}). */
    public int id() {
        return id;
    }

    /** The kernel's name, e.g. {@code BPF_MAP_TYPE_PERCPU_HASH}. */
    public String kernelName() {
        return "BPF_MAP_TYPE_" + name();
    }

    /** Whether jxdp implements this type ({@link Maps#create}; map-in-map types through {@link Maps#createMapInMap}). */
    public boolean supported() {
        return switch (this) {
            case HASH, ARRAY, PERCPU_HASH, PERCPU_ARRAY, LRU_HASH, LRU_PERCPU_HASH, LPM_TRIE, QUEUE, STACK, RINGBUF,
                    PROG_ARRAY, DEVMAP, CPUMAP, XSKMAP, ARRAY_OF_MAPS, HASH_OF_MAPS, PERF_EVENT_ARRAY,
                    DEVMAP_HASH -> true;
            default -> false;
        };
    }

    /** Whether programs see one value slot per CPU (worker) and user space sees all of them. */
    public boolean perCpu() {
        return switch (this) {
            case PERCPU_HASH, PERCPU_ARRAY, LRU_PERCPU_HASH, PERCPU_CGROUP_STORAGE -> true;
            default -> false;
        };
    }

    /** The type with kernel id {@code id}; throws {@link IllegalArgumentException} "unknown map type N". */
    public static MapType fromId(int id) {
        if (id < 0 || id >= BY_ID.length || BY_ID[id] == null) {
            throw new IllegalArgumentException("unknown map type " + id + " (kernel enum bpf_map_type knows 0.."
                    + (BY_ID.length - 1) + ")");
        }
        return BY_ID[id];
    }
}
