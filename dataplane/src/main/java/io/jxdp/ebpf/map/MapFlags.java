package io.jxdp.ebpf.map;

/**
 * Map creation flags ({@code BPF_F_*} of {@code map_flags}) and element update flags, with the
 * kernel's values from {@code include/uapi/linux/bpf.h}.
 */
public final class MapFlags {
    private MapFlags() {}

    // ---- map_flags at creation (enum after BPF_F_NO_PREALLOC in uapi/linux/bpf.h)
    /** Hash maps: allocate elements on demand. jxdp accepts it and still preallocates (lazily). */
    public static final int BPF_F_NO_PREALLOC = 1;
    public static final int BPF_F_NO_COMMON_LRU = 1 << 1;
    public static final int BPF_F_NUMA_NODE = 1 << 2;
    /** User space may only read (bpf(2) writes get EPERM). */
    public static final int BPF_F_RDONLY = 1 << 3;
    /** User space may only write (bpf(2) reads get EPERM). */
    public static final int BPF_F_WRONLY = 1 << 4;
    public static final int BPF_F_STACK_BUILD_ID = 1 << 5;
    /** Hash maps: hash seed 0 instead of a random one, so bucket order is reproducible. */
    public static final int BPF_F_ZERO_SEED = 1 << 6;
    /** Programs may only read; the verifier refuses writes, jxdp's program-side update returns -EPERM. */
    public static final int BPF_F_RDONLY_PROG = 1 << 7;
    public static final int BPF_F_WRONLY_PROG = 1 << 8;
    public static final int BPF_F_CLONE = 1 << 9;
    /** Arrays: the value area may be mmap'd by user space (jxdp: exposed as a memory segment). */
    public static final int BPF_F_MMAPABLE = 1 << 10;
    public static final int BPF_F_PRESERVE_ELEMS = 1 << 11;
    public static final int BPF_F_INNER_MAP = 1 << 12;

    /** BPF_F_ACCESS_MASK in include/linux/bpf.h. */
    static final int ACCESS_MASK = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

    // ---- flags of BPF_MAP_UPDATE_ELEM and bpf_map_update_elem()
    /** Create a new element or update an existing one. */
    public static final long BPF_ANY = 0;
    /** Create a new element only if it did not exist (else EEXIST). */
    public static final long BPF_NOEXIST = 1;
    /** Update an existing element only (else ENOENT). */
    public static final long BPF_EXIST = 2;
    /** Update under the value's bpf_spin_lock; needs BTF, which jxdp maps do not carry (EINVAL). */
    public static final long BPF_F_LOCK = 4;

    /** bpf_map_flags_access_ok() in include/linux/bpf.h: not both read-only and write-only, per side. */
    static boolean accessOk(int flags) {
        return (flags & (BPF_F_RDONLY | BPF_F_WRONLY)) != (BPF_F_RDONLY | BPF_F_WRONLY)
                && (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) != (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
    }
}
