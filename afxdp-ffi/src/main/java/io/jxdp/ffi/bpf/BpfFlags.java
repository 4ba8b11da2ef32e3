package io.jxdp.ffi.bpf;

/** Flag bits of the bpf(2) commands, as defined in include/uapi/linux/bpf.h. */
public final class BpfFlags {
    private BpfFlags() {}

    // BPF_MAP_UPDATE_ELEM / LOOKUP_ELEM flags (anonymous enum next to BPF_F_LOCK).
    /** Create a new element or update an existing one. */
    public static final long BPF_ANY = 0;
    /** Create a new element only if it did not exist (EEXIST otherwise). */
    public static final long BPF_NOEXIST = 1;
    /** Update an existing element only (ENOENT otherwise). */
    public static final long BPF_EXIST = 2;
    /** spin_lock-ed lookup/update of a value that holds a struct bpf_spin_lock. */
    public static final long BPF_F_LOCK = 4;

    // BPF_MAP_CREATE map_flags (anonymous enum "flags for BPF_MAP_CREATE command").
    public static final int BPF_F_NO_PREALLOC = 1 << 0;
    /** LRU maps: one LRU list for all CPUs instead of one per CPU. */
    public static final int BPF_F_NO_COMMON_LRU = 1 << 1;
    /** Honour numa_node of the create attributes. */
    public static final int BPF_F_NUMA_NODE = 1 << 2;
    /** Read-only / write-only for syscall-side (user space) access. */
    public static final int BPF_F_RDONLY = 1 << 3;
    public static final int BPF_F_WRONLY = 1 << 4;
    /** Stack-trace maps store build ids. */
    public static final int BPF_F_STACK_BUILD_ID = 1 << 5;
    /** Hash maps: zero the hash seed, for reproducible tests only (needs CAP_SYS_ADMIN). */
    public static final int BPF_F_ZERO_SEED = 1 << 6;
    /** Read-only / write-only for program-side access. */
    public static final int BPF_F_RDONLY_PROG = 1 << 7;
    public static final int BPF_F_WRONLY_PROG = 1 << 8;
    /** Clone a map from a listener for a newly accepted socket (sk storage). */
    public static final int BPF_F_CLONE = 1 << 9;
    /** Array maps that user space may mmap(2). */
    public static final int BPF_F_MMAPABLE = 1 << 10;
    /** Share perf_event buffers of an array across programs. */
    public static final int BPF_F_PRESERVE_ELEMS = 1 << 11;
    /** An inner map whose max_entries may differ between map-in-map elements. */
    public static final int BPF_F_INNER_MAP = 1 << 12;

    // BPF_PROG_LOAD prog_flags.
    public static final int BPF_F_STRICT_ALIGNMENT = 1 << 0;
    public static final int BPF_F_ANY_ALIGNMENT = 1 << 1;
    public static final int BPF_F_TEST_RND_HI32 = 1 << 2;
    public static final int BPF_F_TEST_STATE_FREQ = 1 << 3;
    public static final int BPF_F_SLEEPABLE = 1 << 4;
    /** The XDP program understands multi-buffer (fragmented) packets. */
    public static final int BPF_F_XDP_HAS_FRAGS = 1 << 5;

    // BPF_PROG_TEST_RUN flags.
    /** Run on the CPU named by {@code cpu} (not for XDP). */
    public static final int BPF_F_TEST_RUN_ON_CPU = 1 << 0;
    /** XDP: run on live frames that XDP_TX / XDP_REDIRECT really transmit; pass no data_out. */
    public static final int BPF_F_TEST_XDP_LIVE_FRAMES = 1 << 1;
    public static final int BPF_F_TEST_SKB_CHECKSUM_COMPLETE = 1 << 2;
}
