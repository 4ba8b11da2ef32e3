package io.jxdp.ffi.bpf;

/**
 * Byte offsets of the {@code struct bpf_*_info} records of include/uapi/linux/bpf.h that
 * BPF_OBJ_GET_INFO_BY_FD fills. Sizes are the Linux 6.1 header's; a newer kernel fills only what
 * fits and reports its own length. {@code BpfLayoutTest} checks them against the header.
 */
final class BpfInfoLayout {
    private BpfInfoLayout() {}

    /*
     * struct bpf_map_info (88 bytes)
     *  0 type  4 id  8 key_size  12 value_size  16 max_entries  20 map_flags  24 name[16]
     * 40 ifindex  44 btf_vmlinux_value_type_id  48 netns_dev (u64)  56 netns_ino (u64)
     * 64 btf_id  68 btf_key_type_id  72 btf_value_type_id  76 pad  80 map_extra (u64)
     */
    static final int MAP_INFO_SIZE = 88;
    static final int MAP_TYPE = 0;
    static final int MAP_ID = 4;
    static final int MAP_KEY_SIZE = 8;
    static final int MAP_VALUE_SIZE = 12;
    static final int MAP_MAX_ENTRIES = 16;
    static final int MAP_FLAGS = 20;
    static final int MAP_NAME = 24;
    static final int MAP_IFINDEX = 40;
    static final int MAP_BTF_ID = 64;
    static final int MAP_BTF_KEY_TYPE_ID = 68;
    static final int MAP_BTF_VALUE_TYPE_ID = 72;
    static final int MAP_EXTRA = 80;

    /*
     * struct bpf_prog_info (232 bytes), the fields read here
     *  0 type  4 id  8 tag[8]  16 jited_prog_len  20 xlated_prog_len  24 jited_prog_insns (ptr)
     * 32 xlated_prog_insns (ptr)  40 load_time (u64)  48 created_by_uid  52 nr_map_ids
     * 56 map_ids (ptr)  64 name[16]  80 ifindex  84 gpl_compatible:1  ...  128 btf_id  ...
     * 192 run_time_ns (u64)  200 run_cnt (u64)  208 recursion_misses (u64)  216 verified_insns
     */
    static final int PROG_INFO_SIZE = 232;
    static final int PROG_TYPE = 0;
    static final int PROG_ID = 4;
    static final int PROG_TAG = 8;
    static final int PROG_TAG_SIZE = 8;
    static final int PROG_JITED_LEN = 16;
    static final int PROG_XLATED_LEN = 20;
    static final int PROG_LOAD_TIME = 40;
    static final int PROG_CREATED_BY_UID = 48;
    static final int PROG_NR_MAP_IDS = 52;
    static final int PROG_NAME = 64;
    static final int PROG_IFINDEX = 80;
    static final int PROG_GPL_COMPATIBLE = 84;
    static final int PROG_BTF_ID = 128;
    static final int PROG_RUN_TIME_NS = 192;
    static final int PROG_RUN_CNT = 200;
    static final int PROG_VERIFIED_INSNS = 216;

    // struct bpf_link_info (48 bytes): 0 type, 4 id, 8 prog_id, 16 union (xdp: ifindex at 16)
    static final int LINK_INFO_SIZE = 48;
    static final int LINK_TYPE = 0;
    static final int LINK_ID = 4;
    static final int LINK_PROG_ID = 8;
    static final int LINK_XDP_IFINDEX = 16;

    // struct bpf_btf_info (32 bytes): 0 btf (ptr), 8 btf_size, 12 id, 16 name (ptr), 24 name_len, 28 kernel_btf
    static final int BTF_INFO_SIZE = 32;
    static final int BTF_SIZE = 8;
    static final int BTF_ID = 12;
}
