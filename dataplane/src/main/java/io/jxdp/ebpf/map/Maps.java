package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.Mmap;
import io.jxdp.ffi.sys.NativeException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Creates maps from definitions, validating them as {@code BPF_MAP_CREATE} does (the
 * {@code map_alloc_check} of each type in {@code kernel/bpf/arraymap.c} and {@code hashtab.c}),
 * with the kernel's errno in the {@link MapException}.
 */
public final class Maps {
    private Maps() {}

    /** KMALLOC_MAX_SIZE on x86-64 (SLUB, 4 KiB pages, MAX_PAGE_ORDER 10): include/linux/slab.h. */
    static final long KMALLOC_MAX_SIZE = 1L << 22;
    /** PCPU_MIN_UNIT_SIZE, include/linux/percpu.h: bound of a per-CPU value. */
    static final long PCPU_MIN_UNIT_SIZE = 32 << 10;
    /** sizeof(struct htab_elem) on x86-64 without the key: the hashtab.c size check subtracts it. */
    static final long HTAB_ELEM_SIZE = 48;

    // ARRAY_CREATE_FLAG_MASK in arraymap.c, HTAB_CREATE_FLAG_MASK in hashtab.c
    private static final int ARRAY_FLAGS = MapFlags.BPF_F_NUMA_NODE | MapFlags.BPF_F_MMAPABLE | MapFlags.ACCESS_MASK
            | MapFlags.BPF_F_PRESERVE_ELEMS | MapFlags.BPF_F_INNER_MAP;
    private static final int HASH_FLAGS = MapFlags.BPF_F_NO_PREALLOC | MapFlags.BPF_F_NO_COMMON_LRU
            | MapFlags.BPF_F_NUMA_NODE | MapFlags.ACCESS_MASK | MapFlags.BPF_F_ZERO_SEED;

    /** A map used by one thread, or by threads that do not hold value addresses across operations. */
    public static BpfMap create(MapDefinition def, int nCpus) {
        return create(def, nCpus, new Rcu(1));
    }

    /**
     * A map for {@code nCpus} workers (per-CPU slots and program-side {@code cpu} arguments
     * {@code 0..nCpus-1}) whose memory reclamation follows {@code rcu}, the domain the workers
     * report quiescent states to.
     */
    public static BpfMap create(MapDefinition def, int nCpus, Rcu rcu) {
        return create(def, nCpus, rcu, Backing.ANONYMOUS);
    }

    /**
     * A pinned map: its contents live in the file {@code pinDir/<name>} and survive a restart of
     * jxdp, as a map pinned in bpffs survives its loader (libbpf {@code LIBBPF_PIN_BY_NAME}). An
     * existing file is reopened if it describes the same map (type, key and value size, max_entries,
     * flags, nCpus), else refused with EINVAL naming each difference; a file another process has
     * open gives EBUSY. Pinnable: {@link #PINNABLE} (others EOPNOTSUPP, see there why). The map
     * name must be a plain file name.
     */
    public static BpfMap createPinned(MapDefinition def, int nCpus, Rcu rcu, Path pinDir) {
        if (!PINNABLE.contains(def.type())) {
            throw new MapException(def.name(), Errno.EOPNOTSUPP, "pinning " + def.type().kernelName()
                    + " is not supported by jxdp (pinnable: " + PINNABLE.stream().map(MapType::name)
                    .collect(java.util.stream.Collectors.joining(", ")) + ")");
        }
        String n = def.name();
        if (n.isEmpty() || n.contains("/") || n.equals(".") || n.equals("..") || n.indexOf('\0') >= 0) {
            throw new MapException(n, Errno.EINVAL, "a pinned map's name must be a plain file name");
        }
        if (!Files.isDirectory(pinDir)) {
            throw new MapException(n, Errno.ENOENT, "pin directory " + pinDir + " does not exist");
        }
        validate(def, nCpus, rcu);
        Backing.File file = new Backing.File(pinDir.resolve(n), def, nCpus);
        try {
            return create(def, nCpus, rcu, file);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /**
     * ARRAY_OF_MAPS or HASH_OF_MAPS whose inner maps must be like {@code innerTemplate} (what
     * BPF_MAP_CREATE's {@code inner_map_fd} describes). Checks as fd_array_map_alloc_check(),
     * fd_htab_map_alloc_check() and bpf_map_meta_alloc(): value_size 4, a template that is a
     * supported map type and not itself a map-in-map.
     */
    public static MapInMap createMapInMap(MapDefinition def, int nCpus, Rcu rcu, MapDefinition innerTemplate) {
        validate(def, 1, rcu);
        if (def.type() != MapType.ARRAY_OF_MAPS && def.type() != MapType.HASH_OF_MAPS) {
            throw invalid(def, def.type().kernelName() + " is not a map-in-map type");
        }
        if (innerTemplate == null) {
            throw invalid(def, "an inner map template is required");
        }
        MapType it = innerTemplate.type();
        if (it == MapType.ARRAY_OF_MAPS || it == MapType.HASH_OF_MAPS || it == MapType.PROG_ARRAY || !it.supported()) {
            throw invalid(def, "inner map type " + it.kernelName() + " cannot be an inner map");
        }
        if (def.valueSize() != 4) {
            throw invalid(def, "map-in-map value_size must be 4 (an inner map id), got " + def.valueSize());
        }
        if (def.type() == MapType.ARRAY_OF_MAPS) {
            if ((def.flags() & (MapFlags.BPF_F_RDONLY_PROG | MapFlags.BPF_F_WRONLY_PROG)) != 0) {
                throw invalid(def, "map-in-map takes no program access flags");
            }
            checkArray(new MapDefinition(def.name(), MapType.ARRAY, def.keySize(), def.valueSize(), def.maxEntries(),
                    def.flags() & ~MapFlags.BPF_F_INNER_MAP));
        } else {
            checkHash(new MapDefinition(def.name(), MapType.HASH, def.keySize(), def.valueSize(), def.maxEntries(), def.flags()));
        }
        return new MapInMap(def, nCpus, rcu, innerTemplate);
    }

    /** Removes a pinned map's file (the map must not be open); whether there was one. */
    public static boolean unpin(Path pinDir, String name) {
        try {
            return Files.deleteIfExists(pinDir.resolve(name));
        } catch (java.io.IOException e) {
            throw new MapException(name, Errno.EIO, "cannot remove " + pinDir.resolve(name) + ": " + e.getMessage());
        }
    }

    /**
     * The map types whose contents a pin file holds: the ones that are state (arrays, hash tables,
     * LPM tries). Not pinnable: QUEUE/STACK and RINGBUF/PERF_EVENT_ARRAY (streams between a
     * producer and a consumer of this process, not state to keep across a restart); PROG_ARRAY,
     * DEVMAP, DEVMAP_HASH, CPUMAP, XSKMAP and the map-in-map types (their values are programs,
     * interfaces, sockets or maps of the running process, which a file cannot carry over).
     */
    public static final java.util.Set<MapType> PINNABLE = java.util.Collections.unmodifiableSet(java.util.EnumSet.of(
            MapType.HASH, MapType.ARRAY, MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_HASH,
            MapType.LRU_PERCPU_HASH, MapType.LPM_TRIE));

    private static void validate(MapDefinition def, int nCpus, Rcu rcu) {
        if (nCpus <= 0) {
            throw new IllegalArgumentException("nCpus must be positive: " + nCpus);
        }
        if (rcu == null) {
            throw new IllegalArgumentException("rcu must not be null");
        }
        switch (def.type()) {
            case ARRAY, PERCPU_ARRAY -> checkArray(def);
            case HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH -> checkHash(def);
            case LPM_TRIE -> checkLpm(def);
            default -> { }
        }
    }

    private static BpfMap create(MapDefinition def, int nCpus, Rcu rcu, Backing backing) {
        if (nCpus <= 0) {
            throw new IllegalArgumentException("nCpus must be positive: " + nCpus);
        }
        if (rcu == null) {
            throw new IllegalArgumentException("rcu must not be null");
        }
        MapType t = def.type();
        if (!t.supported()) {
            throw new MapException(def.name(), Errno.EOPNOTSUPP, "map type " + t.kernelName() + " (" + t.id()
                    + ") is not supported by jxdp yet");
        }
        return switch (t) {
            case ARRAY, PERCPU_ARRAY -> {
                checkArray(def);
                yield new ArrayMap(def, nCpus, rcu, backing);
            }
            case HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH -> {
                checkHash(def);
                yield new HashTab(def, nCpus, rcu, backing);
            }
            case LPM_TRIE -> {
                checkLpm(def);
                yield new LpmTrie(def, nCpus, rcu, backing);
            }
            case QUEUE, STACK -> {
                checkQueueStack(def);
                yield new QueueStack(def, nCpus, rcu);
            }
            case RINGBUF -> {
                checkRingBuf(def);
                yield new RingBuf(def, nCpus, rcu);
            }
            case PROG_ARRAY, DEVMAP, CPUMAP, XSKMAP -> {
                checkSlotArray(def);
                yield new SlotArray(def, nCpus, rcu);
            }
            case DEVMAP_HASH -> {
                checkSlotArray(new MapDefinition(def.name(), MapType.DEVMAP, def.keySize(), def.valueSize(),
                        def.maxEntries() < 0 ? 1 : def.maxEntries(), def.flags()));
                if (Integer.toUnsignedLong(def.maxEntries()) > 1L << 31) {
                    throw invalid(def, "max_entries " + Integer.toUnsignedString(def.maxEntries())
                            + " overflows roundup_pow_of_two");
                }
                yield new DevMapHash(def, nCpus, rcu);
            }
            case PERF_EVENT_ARRAY -> {
                // perf_event_array_map_alloc_check(): max_entries 0 means one per possible CPU
                MapDefinition d = def.maxEntries() != 0 ? def : new MapDefinition(def.name(), t, def.keySize(),
                        def.valueSize(), nCpus, def.flags());
                if (d.valueSize() != 4 || (d.flags() & (MapFlags.BPF_F_RDONLY_PROG | MapFlags.BPF_F_WRONLY_PROG)) != 0) {
                    throw invalid(d, "perf event arrays need value_size 4 and take no program access flags");
                }
                checkArray(new MapDefinition(d.name(), t, d.keySize(), d.valueSize(), d.maxEntries(),
                        d.flags() & ~MapFlags.BPF_F_PRESERVE_ELEMS));
                yield new PerfEventArray(d, nCpus, rcu);
            }
            case ARRAY_OF_MAPS, HASH_OF_MAPS -> throw invalid(def, t.kernelName() + " needs an inner map template:"
                    + " Maps.createMapInMap(def, nCpus, rcu, innerTemplate)");
            default -> throw new AssertionError(t);
        };
    }

    // array_map_alloc_check()
    private static void checkArray(MapDefinition d) {
        boolean percpu = d.type() == MapType.PERCPU_ARRAY;
        if (d.maxEntries() == 0) {
            throw invalid(d, "max_entries must be positive");
        }
        if (d.keySize() != 4) {
            throw invalid(d, "array key_size must be 4 (a u32 index), got " + d.keySize());
        }
        if (d.valueSize() == 0) {
            throw invalid(d, "value_size must be positive");
        }
        checkFlags(d, ARRAY_FLAGS);
        if (percpu && (d.flags() & MapFlags.BPF_F_NUMA_NODE) != 0) {
            throw invalid(d, "per-CPU arrays take no NUMA node");
        }
        if (d.type() != MapType.ARRAY && (d.flags() & (MapFlags.BPF_F_MMAPABLE | MapFlags.BPF_F_INNER_MAP)) != 0) {
            throw invalid(d, "BPF_F_MMAPABLE and BPF_F_INNER_MAP are for BPF_MAP_TYPE_ARRAY only");
        }
        if ((d.flags() & MapFlags.BPF_F_PRESERVE_ELEMS) != 0) {
            throw invalid(d, "BPF_F_PRESERVE_ELEMS is for BPF_MAP_TYPE_PERF_EVENT_ARRAY only");
        }
        if (d.valueSize() < 0) {
            throw new MapException(d.name(), Errno.E2BIG, "value_size " + Integer.toUnsignedString(d.valueSize())
                    + " exceeds INT_MAX");
        }
        if (percpu && Native.roundUp8(d.valueSize()) > PCPU_MIN_UNIT_SIZE) {
            throw new MapException(d.name(), Errno.E2BIG, "per-CPU value_size " + d.valueSize() + " exceeds "
                    + PCPU_MIN_UNIT_SIZE);
        }
        if (d.maxEntries() < 0) {
            throw new MapException(d.name(), Errno.ENOMEM, "max_entries " + Integer.toUnsignedString(d.maxEntries())
                    + " is beyond what jxdp maps (2^31 - 1)");
        }
    }

    // htab_map_alloc_check()
    private static void checkHash(MapDefinition d) {
        boolean percpu = d.type().perCpu();
        boolean lru = d.type() == MapType.LRU_HASH || d.type() == MapType.LRU_PERCPU_HASH;
        boolean percpuLru = (d.flags() & MapFlags.BPF_F_NO_COMMON_LRU) != 0;
        checkFlags(d, HASH_FLAGS);
        if (!lru && percpuLru) {
            throw invalid(d, "BPF_F_NO_COMMON_LRU is for LRU hash maps only");
        }
        if (lru && (d.flags() & MapFlags.BPF_F_NO_PREALLOC) != 0) {
            // "LRU implementation is much complicated than other maps. Hence, limit to the default prealloc."
            throw new MapException(d.name(), BpfMap.ENOTSUPP, "LRU hash maps must be preallocated (no BPF_F_NO_PREALLOC)");
        }
        if ((percpu || percpuLru) && (d.flags() & MapFlags.BPF_F_NUMA_NODE) != 0) {
            throw invalid(d, "per-CPU hash maps take no NUMA node");
        }
        if (d.maxEntries() == 0 || d.keySize() == 0 || d.valueSize() == 0) {
            throw invalid(d, "max_entries, key_size and value_size must be positive");
        }
        if (Integer.toUnsignedLong(d.keySize()) + Integer.toUnsignedLong(d.valueSize())
                >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) {
            throw new MapException(d.name(), Errno.E2BIG, "key_size + value_size must be below "
                    + (KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) + " bytes");
        }
        if (percpu && Native.roundUp8(d.valueSize()) > PCPU_MIN_UNIT_SIZE) {
            throw new MapException(d.name(), Errno.E2BIG, "per-CPU value_size " + d.valueSize() + " exceeds "
                    + PCPU_MIN_UNIT_SIZE);
        }
        // htab_map_alloc(): n_buckets = roundup_pow_of_two(max_entries) must not exceed U32_MAX / sizeof(struct bucket)
        long nBuckets = Long.highestOneBit(Integer.toUnsignedLong(d.maxEntries()) - 1) << 1;
        if (nBuckets == 0) {
            nBuckets = 1;
        }
        if (nBuckets > 0xFFFF_FFFFL / 16) {
            throw new MapException(d.name(), Errno.E2BIG, "max_entries " + Integer.toUnsignedString(d.maxEntries())
                    + " needs " + nBuckets + " buckets, more than the kernel's " + (0xFFFF_FFFFL / 16));
        }
    }

    /** sizeof(struct lpm_trie_node) without data: two child pointers, prefixlen, flags. */
    static final long LPM_NODE_SIZE = 24;
    private static final int LPM_FLAGS = MapFlags.BPF_F_NO_PREALLOC | MapFlags.BPF_F_NUMA_NODE | MapFlags.ACCESS_MASK;

    // trie_alloc(): every refusal is EINVAL
    private static void checkLpm(MapDefinition d) {
        if (d.maxEntries() == 0) {
            throw invalid(d, "max_entries must be positive");
        }
        if ((d.flags() & MapFlags.BPF_F_NO_PREALLOC) == 0) {
            throw invalid(d, "LPM tries must be created with BPF_F_NO_PREALLOC");
        }
        checkFlags(d, LPM_FLAGS);
        if (d.keySize() < 4 + 1 || d.keySize() > 4 + 256) {
            throw invalid(d, "LPM key_size must be 4 (prefixlen) + 1..256 data bytes, got " + d.keySize());
        }
        if (d.valueSize() < 1 || d.valueSize() > KMALLOC_MAX_SIZE - 256 - LPM_NODE_SIZE) {
            throw invalid(d, "LPM value_size must be 1.." + (KMALLOC_MAX_SIZE - 256 - LPM_NODE_SIZE) + ", got "
                    + Integer.toUnsignedString(d.valueSize()));
        }
        if (d.maxEntries() < 0) {
            throw new MapException(d.name(), Errno.ENOMEM, "max_entries " + Integer.toUnsignedString(d.maxEntries())
                    + " is beyond what jxdp maps (2^31 - 1)");
        }
    }

    // queue_stack_map_alloc_check()
    private static void checkQueueStack(MapDefinition d) {
        if (d.maxEntries() == 0 || d.keySize() != 0 || d.valueSize() == 0) {
            throw invalid(d, "queue and stack maps need key_size 0 and positive value_size and max_entries");
        }
        checkFlags(d, MapFlags.BPF_F_NUMA_NODE | MapFlags.ACCESS_MASK);
        if (Integer.toUnsignedLong(d.valueSize()) > KMALLOC_MAX_SIZE) {
            throw new MapException(d.name(), Errno.E2BIG, "value_size " + Integer.toUnsignedString(d.valueSize())
                    + " exceeds " + KMALLOC_MAX_SIZE);
        }
        if (d.maxEntries() < 0 || (Integer.toUnsignedLong(d.maxEntries()) + 1) * d.valueSize() > 1L << 40) {
            throw new MapException(d.name(), Errno.ENOMEM, "(max_entries + 1) x value_size is more than jxdp maps");
        }
    }

    // ringbuf_map_alloc(): RINGBUF_CREATE_FLAG_MASK is BPF_F_NUMA_NODE; a power-of-2 number of pages
    private static void checkRingBuf(MapDefinition d) {
        if ((d.flags() & ~MapFlags.BPF_F_NUMA_NODE) != 0) {
            throw invalid(d, "flags 0x" + Integer.toHexString(d.flags() & ~MapFlags.BPF_F_NUMA_NODE)
                    + " are not valid for BPF_MAP_TYPE_RINGBUF");
        }
        long size = Integer.toUnsignedLong(d.maxEntries());
        if (d.keySize() != 0 || d.valueSize() != 0 || size == 0 || Long.bitCount(size) != 1 || size % RingBuf.PAGE != 0) {
            throw invalid(d, "ring buffers need key_size 0, value_size 0 and max_entries a power of 2 multiple of the"
                    + " page size (4096), got " + size);
        }
    }

    /** NR_CPUS of the kernel this was checked against (CONFIG_NR_CPUS=256): cpu_map_alloc()'s bound. */
    static final int NR_CPUS = 256;

    // fd_array_map_alloc_check(), dev_map_init_map(), cpu_map_alloc(), xsk_map_alloc()
    private static void checkSlotArray(MapDefinition d) {
        int v = d.valueSize();
        switch (d.type()) {
            case PROG_ARRAY -> {
                if (v != 4 || (d.flags() & (MapFlags.BPF_F_RDONLY_PROG | MapFlags.BPF_F_WRONLY_PROG)) != 0) {
                    throw invalid(d, "prog arrays need value_size 4 (a program id) and take no program access flags");
                }
                checkArray(d);
            }
            case DEVMAP, XSKMAP -> {
                boolean dev = d.type() == MapType.DEVMAP;
                if (d.maxEntries() == 0 || d.keySize() != 4 || (dev ? v != 4 && v != 8 : v != 4)
                        || (d.flags() & ~(MapFlags.BPF_F_NUMA_NODE | MapFlags.BPF_F_RDONLY | MapFlags.BPF_F_WRONLY)) != 0) {
                    throw invalid(d, dev ? "devmaps need key_size 4, value_size 4 or 8 (struct bpf_devmap_val) and"
                            + " only NUMA, RDONLY or WRONLY flags" : "xskmaps need key_size 4, value_size 4 and only NUMA,"
                            + " RDONLY or WRONLY flags");
                }
            }
            case CPUMAP -> {
                if (d.maxEntries() == 0 || d.keySize() != 4 || v != 4 && v != 8
                        || (d.flags() & ~MapFlags.BPF_F_NUMA_NODE) != 0) {
                    throw invalid(d, "cpumaps need key_size 4, value_size 4 or 8 (struct bpf_cpumap_val) and no flags"
                            + " but NUMA");
                }
                if (Integer.compareUnsigned(d.maxEntries(), NR_CPUS) > 0) {
                    throw new MapException(d.name(), Errno.E2BIG, "cpumap max_entries " + Integer.toUnsignedString(
                            d.maxEntries()) + " exceeds NR_CPUS " + NR_CPUS);
                }
            }
            default -> throw new AssertionError(d.type());
        }
        if (d.maxEntries() < 0) {
            throw new MapException(d.name(), Errno.ENOMEM, "max_entries " + Integer.toUnsignedString(d.maxEntries())
                    + " is beyond what jxdp maps (2^31 - 1)");
        }
    }

    private static void checkFlags(MapDefinition d, int allowed) {
        if ((d.flags() & ~allowed) != 0) {
            throw invalid(d, "flags 0x" + Integer.toHexString(d.flags() & ~allowed) + " are not valid for "
                    + d.type().kernelName());
        }
        if (!MapFlags.accessOk(d.flags())) {
            throw invalid(d, "read-only and write-only flags together");
        }
    }

    private static MapException invalid(MapDefinition d, String why) {
        return new MapException(d.name(), Errno.EINVAL, why);
    }

    /** Lazily backed, zeroed memory for a map; mmap failure becomes ENOMEM naming the map. */
    static MemorySegment mmap(MapDefinition d, long bytes) {
        // Mappings are whole pages anyway; round so that a BPF_F_MMAPABLE region is page-sized as the kernel's.
        long size = (bytes + 4095) & ~4095L;
        try {
            return Mmap.anonymous(size);
        } catch (NativeException e) {
            throw new MapException(d.name(), Errno.ENOMEM, "cannot map " + size + " bytes: " + e.getMessage());
        }
    }
}
