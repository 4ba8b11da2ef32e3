package io.jxdp.ffi.bpf;

/**
 * The bpf(2) commands, {@code enum bpf_cmd} in include/uapi/linux/bpf.h, in kernel order
 * ({@code BPF_PROG_RUN} is an alias of {@code BPF_PROG_TEST_RUN}; BPF_TOKEN_CREATE is Linux 6.9).
 */
public final class BpfCmd {
    private BpfCmd() {}

    public static final int BPF_MAP_CREATE = 0;
    public static final int BPF_MAP_LOOKUP_ELEM = 1;
    public static final int BPF_MAP_UPDATE_ELEM = 2;
    public static final int BPF_MAP_DELETE_ELEM = 3;
    public static final int BPF_MAP_GET_NEXT_KEY = 4;
    public static final int BPF_PROG_LOAD = 5;
    public static final int BPF_OBJ_PIN = 6;
    public static final int BPF_OBJ_GET = 7;
    public static final int BPF_PROG_ATTACH = 8;
    public static final int BPF_PROG_DETACH = 9;
    public static final int BPF_PROG_TEST_RUN = 10;
    /** Alias of {@link #BPF_PROG_TEST_RUN}. */
    public static final int BPF_PROG_RUN = BPF_PROG_TEST_RUN;
    public static final int BPF_PROG_GET_NEXT_ID = 11;
    public static final int BPF_MAP_GET_NEXT_ID = 12;
    public static final int BPF_PROG_GET_FD_BY_ID = 13;
    public static final int BPF_MAP_GET_FD_BY_ID = 14;
    public static final int BPF_OBJ_GET_INFO_BY_FD = 15;
    public static final int BPF_PROG_QUERY = 16;
    public static final int BPF_RAW_TRACEPOINT_OPEN = 17;
    public static final int BPF_BTF_LOAD = 18;
    public static final int BPF_BTF_GET_FD_BY_ID = 19;
    public static final int BPF_TASK_FD_QUERY = 20;
    public static final int BPF_MAP_LOOKUP_AND_DELETE_ELEM = 21;
    public static final int BPF_MAP_FREEZE = 22;
    public static final int BPF_BTF_GET_NEXT_ID = 23;
    public static final int BPF_MAP_LOOKUP_BATCH = 24;
    public static final int BPF_MAP_LOOKUP_AND_DELETE_BATCH = 25;
    public static final int BPF_MAP_UPDATE_BATCH = 26;
    public static final int BPF_MAP_DELETE_BATCH = 27;
    public static final int BPF_LINK_CREATE = 28;
    public static final int BPF_LINK_UPDATE = 29;
    public static final int BPF_LINK_GET_FD_BY_ID = 30;
    public static final int BPF_LINK_GET_NEXT_ID = 31;
    public static final int BPF_ENABLE_STATS = 32;
    public static final int BPF_ITER_CREATE = 33;
    public static final int BPF_LINK_DETACH = 34;
    public static final int BPF_PROG_BIND_MAP = 35;
    public static final int BPF_TOKEN_CREATE = 36;

    /** The header's name for {@code value}, or {@code "BpfCmd N"} when unknown to this table. */
    public static String name(int value) {
        return switch (value) {
            case BPF_MAP_CREATE -> "BPF_MAP_CREATE";
            case BPF_MAP_LOOKUP_ELEM -> "BPF_MAP_LOOKUP_ELEM";
            case BPF_MAP_UPDATE_ELEM -> "BPF_MAP_UPDATE_ELEM";
            case BPF_MAP_DELETE_ELEM -> "BPF_MAP_DELETE_ELEM";
            case BPF_MAP_GET_NEXT_KEY -> "BPF_MAP_GET_NEXT_KEY";
            case BPF_PROG_LOAD -> "BPF_PROG_LOAD";
            case BPF_OBJ_PIN -> "BPF_OBJ_PIN";
            case BPF_OBJ_GET -> "BPF_OBJ_GET";
            case BPF_PROG_ATTACH -> "BPF_PROG_ATTACH";
            case BPF_PROG_DETACH -> "BPF_PROG_DETACH";
            case BPF_PROG_TEST_RUN -> "BPF_PROG_TEST_RUN";
            case BPF_PROG_GET_NEXT_ID -> "BPF_PROG_GET_NEXT_ID";
            case BPF_MAP_GET_NEXT_ID -> "BPF_MAP_GET_NEXT_ID";
            case BPF_PROG_GET_FD_BY_ID -> "BPF_PROG_GET_FD_BY_ID";
            case BPF_MAP_GET_FD_BY_ID -> "BPF_MAP_GET_FD_BY_ID";
            case BPF_OBJ_GET_INFO_BY_FD -> "BPF_OBJ_GET_INFO_BY_FD";
            case BPF_PROG_QUERY -> "BPF_PROG_QUERY";
            case BPF_RAW_TRACEPOINT_OPEN -> "BPF_RAW_TRACEPOINT_OPEN";
            case BPF_BTF_LOAD -> "BPF_BTF_LOAD";
            case BPF_BTF_GET_FD_BY_ID -> "BPF_BTF_GET_FD_BY_ID";
            case BPF_TASK_FD_QUERY -> "BPF_TASK_FD_QUERY";
            case BPF_MAP_LOOKUP_AND_DELETE_ELEM -> "BPF_MAP_LOOKUP_AND_DELETE_ELEM";
            case BPF_MAP_FREEZE -> "BPF_MAP_FREEZE";
            case BPF_BTF_GET_NEXT_ID -> "BPF_BTF_GET_NEXT_ID";
            case BPF_MAP_LOOKUP_BATCH -> "BPF_MAP_LOOKUP_BATCH";
            case BPF_MAP_LOOKUP_AND_DELETE_BATCH -> "BPF_MAP_LOOKUP_AND_DELETE_BATCH";
            case BPF_MAP_UPDATE_BATCH -> "BPF_MAP_UPDATE_BATCH";
            case BPF_MAP_DELETE_BATCH -> "BPF_MAP_DELETE_BATCH";
            case BPF_LINK_CREATE -> "BPF_LINK_CREATE";
            case BPF_LINK_UPDATE -> "BPF_LINK_UPDATE";
            case BPF_LINK_GET_FD_BY_ID -> "BPF_LINK_GET_FD_BY_ID";
            case BPF_LINK_GET_NEXT_ID -> "BPF_LINK_GET_NEXT_ID";
            case BPF_ENABLE_STATS -> "BPF_ENABLE_STATS";
            case BPF_ITER_CREATE -> "BPF_ITER_CREATE";
            case BPF_LINK_DETACH -> "BPF_LINK_DETACH";
            case BPF_PROG_BIND_MAP -> "BPF_PROG_BIND_MAP";
            case BPF_TOKEN_CREATE -> "BPF_TOKEN_CREATE";
            default -> "BpfCmd " + value;
        };
    }
}
