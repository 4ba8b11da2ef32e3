package io.jxdp.ffi.bpf;

/**
 * Byte offsets into {@code union bpf_attr} (include/uapi/linux/bpf.h), one group per command's
 * anonymous struct. All pointers are {@code __aligned_u64}; all other fields are {@code __u32}
 * unless noted. {@code BpfLayoutTest} checks every offset here against the C header with clang.
 *
 * <pre>
 * BPF_MAP_CREATE                         BPF_MAP_*_ELEM
 *  0 map_type     4 key_size              0 map_fd
 *  8 value_size  12 max_entries           8 key        (pointer)
 * 16 map_flags   20 inner_map_fd         16 value / next_key (pointer)
 * 24 numa_node   28 map_name[16]         24 flags      (u64)
 * 44 map_ifindex 48 btf_fd
 * 52 btf_key_type_id 56 btf_value_type_id 60 btf_vmlinux_value_type_id
 * 64 map_extra (u64)
 * </pre>
 *
 * <p>The buffer is always {@link #SIZE} bytes and zeroed before use: the kernel requires every
 * byte it does not know beyond its own {@code sizeof(union bpf_attr)} to be zero
 * ({@code bpf_check_uarg_tail_zero}), and zero is "absent" for every field jxdp leaves out.
 */
final class BpfAttr {
    private BpfAttr() {}

    /** sizeof(union bpf_attr) in the Linux 6.1 UAPI header; newer kernels accept it (missing tail = zero). */
    static final int SIZE = 144;
    /** BPF_OBJ_NAME_LEN: names hold at most 15 characters and a NUL. */
    static final int OBJ_NAME_LEN = 16;

    // BPF_MAP_CREATE
    static final int MAP_TYPE = 0;
    static final int KEY_SIZE = 4;
    static final int VALUE_SIZE = 8;
    static final int MAX_ENTRIES = 12;
    static final int MAP_FLAGS = 16;
    static final int INNER_MAP_FD = 20;
    static final int NUMA_NODE = 24;
    static final int MAP_NAME = 28;
    static final int MAP_IFINDEX = 44;
    static final int BTF_FD = 48;
    static final int BTF_KEY_TYPE_ID = 52;
    static final int BTF_VALUE_TYPE_ID = 56;
    static final int BTF_VMLINUX_VALUE_TYPE_ID = 60;
    static final int MAP_EXTRA = 64;

    // BPF_MAP_LOOKUP_ELEM, UPDATE_ELEM, DELETE_ELEM, GET_NEXT_KEY, LOOKUP_AND_DELETE_ELEM, FREEZE
    static final int ELEM_MAP_FD = 0;
    static final int ELEM_KEY = 8;
    static final int ELEM_VALUE = 16;
    static final int ELEM_NEXT_KEY = 16;
    static final int ELEM_FLAGS = 24;

    /*
     * BPF_PROG_LOAD
     *  0 prog_type   4 insn_cnt   8 insns (ptr)  16 license (ptr)  24 log_level  28 log_size
     * 32 log_buf (ptr)  40 kern_version  44 prog_flags  48 prog_name[16]  64 prog_ifindex
     * 68 expected_attach_type  72 prog_btf_fd  76 func_info_rec_size  80 func_info (ptr)
     * 88 func_info_cnt  92 line_info_rec_size  96 line_info (ptr)  104 line_info_cnt
     * 108 attach_btf_id  112 attach_prog_fd / attach_btf_obj_fd
     */
    static final int PROG_TYPE = 0;
    static final int INSN_CNT = 4;
    static final int INSNS = 8;
    static final int LICENSE = 16;
    static final int LOG_LEVEL = 24;
    static final int LOG_SIZE = 28;
    static final int LOG_BUF = 32;
    static final int KERN_VERSION = 40;
    static final int PROG_FLAGS = 44;
    static final int PROG_NAME = 48;
    static final int PROG_IFINDEX = 64;
    static final int EXPECTED_ATTACH_TYPE = 68;
    static final int PROG_BTF_FD = 72;
    static final int FUNC_INFO_REC_SIZE = 76;
    static final int FUNC_INFO = 80;
    static final int FUNC_INFO_CNT = 88;
    static final int LINE_INFO_REC_SIZE = 92;
    static final int LINE_INFO = 96;
    static final int LINE_INFO_CNT = 104;
    static final int ATTACH_BTF_ID = 108;
    static final int ATTACH_PROG_FD = 112;

    // BPF_OBJ_PIN, BPF_OBJ_GET: 0 pathname (ptr), 8 bpf_fd, 12 file_flags
    static final int PATHNAME = 0;
    static final int OBJ_BPF_FD = 8;
    static final int FILE_FLAGS = 12;

    /*
     * BPF_PROG_TEST_RUN (the "test" struct)
     *  0 prog_fd  4 retval (out)  8 data_size_in  12 data_size_out (in/out)  16 data_in (ptr)
     * 24 data_out (ptr)  32 repeat  36 duration (out, ns per run)  40 ctx_size_in
     * 44 ctx_size_out (in/out)  48 ctx_in (ptr)  56 ctx_out (ptr)  64 flags  68 cpu  72 batch_size
     */
    static final int TEST_PROG_FD = 0;
    static final int TEST_RETVAL = 4;
    static final int TEST_DATA_SIZE_IN = 8;
    static final int TEST_DATA_SIZE_OUT = 12;
    static final int TEST_DATA_IN = 16;
    static final int TEST_DATA_OUT = 24;
    static final int TEST_REPEAT = 32;
    static final int TEST_DURATION = 36;
    static final int TEST_CTX_SIZE_IN = 40;
    static final int TEST_CTX_SIZE_OUT = 44;
    static final int TEST_CTX_IN = 48;
    static final int TEST_CTX_OUT = 56;
    static final int TEST_FLAGS = 64;
    static final int TEST_CPU = 68;
    static final int TEST_BATCH_SIZE = 72;

    // BPF_*_GET_FD_BY_ID: 0 prog_id / map_id / btf_id / link_id, 4 next_id, 8 open_flags
    static final int GET_ID = 0;
    static final int NEXT_ID = 4;
    static final int OPEN_FLAGS = 8;

    // BPF_OBJ_GET_INFO_BY_FD (the "info" struct): 0 bpf_fd, 4 info_len (in/out), 8 info (ptr)
    static final int INFO_BPF_FD = 0;
    static final int INFO_LEN = 4;
    static final int INFO = 8;

    // BPF_BTF_LOAD: 0 btf (ptr), 8 btf_log_buf (ptr), 16 btf_size, 20 btf_log_size, 24 btf_log_level
    static final int BTF = 0;
    static final int BTF_LOG_BUF = 8;
    static final int BTF_SIZE = 16;
    static final int BTF_LOG_SIZE = 20;
    static final int BTF_LOG_LEVEL = 24;

    // BPF_LINK_CREATE (the "link_create" struct): 0 prog_fd, 4 target_fd / target_ifindex, 8 attach_type, 12 flags
    static final int LINK_PROG_FD = 0;
    static final int LINK_TARGET_FD = 4;
    static final int LINK_ATTACH_TYPE = 8;
    static final int LINK_FLAGS = 12;
}
