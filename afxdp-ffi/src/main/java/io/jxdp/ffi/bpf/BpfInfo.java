package io.jxdp.ffi.bpf;

/**
 * What BPF_OBJ_GET_INFO_BY_FD reports about a map, program, link or BTF object; the kind is
 * taken from the descriptor's anonymous inode ({@code /proc/self/fd/N}), as bpftool does.
 */
public sealed interface BpfInfo {

    /** The kernel's id of the object (stable while the object lives; see BPF_*_GET_FD_BY_ID). */
    int id();

    /** {@code struct bpf_map_info}. */
    record MapInfo(int type, int id, int keySize, int valueSize, int maxEntries, int mapFlags, String name,
                   int ifindex, int btfId, int btfKeyTypeId, int btfValueTypeId, long mapExtra) implements BpfInfo {
        /** Bytes a user-space value buffer needs for this map: per-CPU maps hold one 8-byte-aligned slot per possible CPU. */
        public int userValueSize() {
            return Bpf.userValueSize(type, valueSize);
        }
    }

    /**
     * {@code struct bpf_prog_info}.
     *
     * @param tag the 8-byte program tag (a SHA-1 prefix over the instructions, maps as ids), hex
     */
    record ProgInfo(int type, int id, String tag, int jitedProgLen, int xlatedProgLen, long loadTimeNs,
                    int createdByUid, int nrMapIds, String name, int ifindex, boolean gplCompatible, int btfId,
                    long runTimeNs, long runCnt, int verifiedInsns) implements BpfInfo {}

    /** {@code struct bpf_link_info}: for XDP links {@code targetIfindex} is the device. */
    record LinkInfo(int type, int id, int progId, int targetIfindex) implements BpfInfo {}

    /** {@code struct bpf_btf_info}. */
    record BtfInfo(int id, int btfSize) implements BpfInfo {}
}
