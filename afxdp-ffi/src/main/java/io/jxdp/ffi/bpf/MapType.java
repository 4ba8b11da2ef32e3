package io.jxdp.ffi.bpf;

/**
 * From {@code enum bpf_map_type} in include/uapi/linux/bpf.h, numbered as the kernel numbers them (implicit enum
 * order). This machine's /usr/include copy is from Linux 6.1; the entries after USER_RINGBUF follow the
 * upstream header (Linux 6.4 to 6.13) and are checked against the running kernel where a test can.
 */
public final class MapType {
    private MapType() {}

    public static final int BPF_MAP_TYPE_UNSPEC = 0;
    public static final int BPF_MAP_TYPE_HASH = 1;
    public static final int BPF_MAP_TYPE_ARRAY = 2;
    public static final int BPF_MAP_TYPE_PROG_ARRAY = 3;
    public static final int BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4;
    public static final int BPF_MAP_TYPE_PERCPU_HASH = 5;
    public static final int BPF_MAP_TYPE_PERCPU_ARRAY = 6;
    public static final int BPF_MAP_TYPE_STACK_TRACE = 7;
    public static final int BPF_MAP_TYPE_CGROUP_ARRAY = 8;
    public static final int BPF_MAP_TYPE_LRU_HASH = 9;
    public static final int BPF_MAP_TYPE_LRU_PERCPU_HASH = 10;
    public static final int BPF_MAP_TYPE_LPM_TRIE = 11;
    public static final int BPF_MAP_TYPE_ARRAY_OF_MAPS = 12;
    public static final int BPF_MAP_TYPE_HASH_OF_MAPS = 13;
    public static final int BPF_MAP_TYPE_DEVMAP = 14;
    public static final int BPF_MAP_TYPE_SOCKMAP = 15;
    public static final int BPF_MAP_TYPE_CPUMAP = 16;
    public static final int BPF_MAP_TYPE_XSKMAP = 17;
    public static final int BPF_MAP_TYPE_SOCKHASH = 18;
    public static final int BPF_MAP_TYPE_CGROUP_STORAGE = 19;
    public static final int BPF_MAP_TYPE_REUSEPORT_SOCKARRAY = 20;
    public static final int BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE = 21;
    public static final int BPF_MAP_TYPE_QUEUE = 22;
    public static final int BPF_MAP_TYPE_STACK = 23;
    public static final int BPF_MAP_TYPE_SK_STORAGE = 24;
    public static final int BPF_MAP_TYPE_DEVMAP_HASH = 25;
    public static final int BPF_MAP_TYPE_STRUCT_OPS = 26;
    public static final int BPF_MAP_TYPE_RINGBUF = 27;
    public static final int BPF_MAP_TYPE_INODE_STORAGE = 28;
    public static final int BPF_MAP_TYPE_TASK_STORAGE = 29;
    public static final int BPF_MAP_TYPE_BLOOM_FILTER = 30;
    public static final int BPF_MAP_TYPE_USER_RINGBUF = 31;
    public static final int BPF_MAP_TYPE_CGRP_STORAGE = 32;
    public static final int BPF_MAP_TYPE_ARENA = 33;

    /** The header's name for {@code value}, or {@code "MapType N"} when unknown to this table. */
    public static String name(int value) {
        return switch (value) {
            case BPF_MAP_TYPE_UNSPEC -> "BPF_MAP_TYPE_UNSPEC";
            case BPF_MAP_TYPE_HASH -> "BPF_MAP_TYPE_HASH";
            case BPF_MAP_TYPE_ARRAY -> "BPF_MAP_TYPE_ARRAY";
            case BPF_MAP_TYPE_PROG_ARRAY -> "BPF_MAP_TYPE_PROG_ARRAY";
            case BPF_MAP_TYPE_PERF_EVENT_ARRAY -> "BPF_MAP_TYPE_PERF_EVENT_ARRAY";
            case BPF_MAP_TYPE_PERCPU_HASH -> "BPF_MAP_TYPE_PERCPU_HASH";
            case BPF_MAP_TYPE_PERCPU_ARRAY -> "BPF_MAP_TYPE_PERCPU_ARRAY";
            case BPF_MAP_TYPE_STACK_TRACE -> "BPF_MAP_TYPE_STACK_TRACE";
            case BPF_MAP_TYPE_CGROUP_ARRAY -> "BPF_MAP_TYPE_CGROUP_ARRAY";
            case BPF_MAP_TYPE_LRU_HASH -> "BPF_MAP_TYPE_LRU_HASH";
            case BPF_MAP_TYPE_LRU_PERCPU_HASH -> "BPF_MAP_TYPE_LRU_PERCPU_HASH";
            case BPF_MAP_TYPE_LPM_TRIE -> "BPF_MAP_TYPE_LPM_TRIE";
            case BPF_MAP_TYPE_ARRAY_OF_MAPS -> "BPF_MAP_TYPE_ARRAY_OF_MAPS";
            case BPF_MAP_TYPE_HASH_OF_MAPS -> "BPF_MAP_TYPE_HASH_OF_MAPS";
            case BPF_MAP_TYPE_DEVMAP -> "BPF_MAP_TYPE_DEVMAP";
            case BPF_MAP_TYPE_SOCKMAP -> "BPF_MAP_TYPE_SOCKMAP";
            case BPF_MAP_TYPE_CPUMAP -> "BPF_MAP_TYPE_CPUMAP";
            case BPF_MAP_TYPE_XSKMAP -> "BPF_MAP_TYPE_XSKMAP";
            case BPF_MAP_TYPE_SOCKHASH -> "BPF_MAP_TYPE_SOCKHASH";
            case BPF_MAP_TYPE_CGROUP_STORAGE -> "BPF_MAP_TYPE_CGROUP_STORAGE";
            case BPF_MAP_TYPE_REUSEPORT_SOCKARRAY -> "BPF_MAP_TYPE_REUSEPORT_SOCKARRAY";
            case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE -> "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE";
            case BPF_MAP_TYPE_QUEUE -> "BPF_MAP_TYPE_QUEUE";
            case BPF_MAP_TYPE_STACK -> "BPF_MAP_TYPE_STACK";
            case BPF_MAP_TYPE_SK_STORAGE -> "BPF_MAP_TYPE_SK_STORAGE";
            case BPF_MAP_TYPE_DEVMAP_HASH -> "BPF_MAP_TYPE_DEVMAP_HASH";
            case BPF_MAP_TYPE_STRUCT_OPS -> "BPF_MAP_TYPE_STRUCT_OPS";
            case BPF_MAP_TYPE_RINGBUF -> "BPF_MAP_TYPE_RINGBUF";
            case BPF_MAP_TYPE_INODE_STORAGE -> "BPF_MAP_TYPE_INODE_STORAGE";
            case BPF_MAP_TYPE_TASK_STORAGE -> "BPF_MAP_TYPE_TASK_STORAGE";
            case BPF_MAP_TYPE_BLOOM_FILTER -> "BPF_MAP_TYPE_BLOOM_FILTER";
            case BPF_MAP_TYPE_USER_RINGBUF -> "BPF_MAP_TYPE_USER_RINGBUF";
            case BPF_MAP_TYPE_CGRP_STORAGE -> "BPF_MAP_TYPE_CGRP_STORAGE";
            case BPF_MAP_TYPE_ARENA -> "BPF_MAP_TYPE_ARENA";
            default -> "MapType " + value;
        };
    }
}
