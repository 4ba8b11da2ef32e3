package io.jxdp.ffi.bpf;

/**
 * The BPF_MAP_CREATE attributes (the first struct of {@code union bpf_attr}). Zero means "absent"
 * for every optional field, as in the kernel; {@code name} may be null or empty.
 *
 * @param mapType one of {@link MapType}
 * @param mapFlags {@code BPF_F_*} map flags of {@link BpfFlags}
 * @param innerMapFd template map for ARRAY_OF_MAPS / HASH_OF_MAPS, else 0
 * @param numaNode used only with {@link BpfFlags#BPF_F_NUMA_NODE}
 * @param mapExtra per-type extra (bloom filter: number of hash functions in the low 4 bits)
 */
public record MapCreateAttr(int mapType, int keySize, int valueSize, int maxEntries, int mapFlags, String name,
                            int innerMapFd, int numaNode, int btfFd, int btfKeyTypeId, int btfValueTypeId,
                            long mapExtra) {

    public MapCreateAttr {
        if (keySize < 0 || valueSize < 0 || maxEntries < 0) {
            throw new IllegalArgumentException("negative map size: key " + keySize + ", value " + valueSize
                    + ", max_entries " + maxEntries);
        }
        Bpf.checkObjectName(name);
    }

    /** The common case: no flags, no name, no BTF. */
    public static MapCreateAttr of(int mapType, int keySize, int valueSize, int maxEntries) {
        return new MapCreateAttr(mapType, keySize, valueSize, maxEntries, 0, null, 0, 0, 0, 0, 0, 0);
    }

    public MapCreateAttr withFlags(int flags) {
        return new MapCreateAttr(mapType, keySize, valueSize, maxEntries, flags, name, innerMapFd, numaNode,
                btfFd, btfKeyTypeId, btfValueTypeId, mapExtra);
    }

    public MapCreateAttr withName(String newName) {
        return new MapCreateAttr(mapType, keySize, valueSize, maxEntries, mapFlags, newName, innerMapFd, numaNode,
                btfFd, btfKeyTypeId, btfValueTypeId, mapExtra);
    }

    public MapCreateAttr withInnerMapFd(int fd) {
        return new MapCreateAttr(mapType, keySize, valueSize, maxEntries, mapFlags, name, fd, numaNode,
                btfFd, btfKeyTypeId, btfValueTypeId, mapExtra);
    }

    public MapCreateAttr withBtf(int fd, int keyTypeId, int valueTypeId) {
        return new MapCreateAttr(mapType, keySize, valueSize, maxEntries, mapFlags, name, innerMapFd, numaNode,
                fd, keyTypeId, valueTypeId, mapExtra);
    }

    public MapCreateAttr withMapExtra(long extra) {
        return new MapCreateAttr(mapType, keySize, valueSize, maxEntries, mapFlags, name, innerMapFd, numaNode,
                btfFd, btfKeyTypeId, btfValueTypeId, extra);
    }
}
