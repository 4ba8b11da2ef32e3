package io.jxdp.ffi.bpf;

/**
 * From {@code enum bpf_prog_type} in include/uapi/linux/bpf.h, numbered as the kernel numbers them (implicit enum
 * order). This machine's /usr/include copy is from Linux 6.1; the entries after SYSCALL follow the
 * upstream header (Linux 6.4 to 6.13) and are checked against the running kernel where a test can.
 */
public final class ProgType {
    private ProgType() {}

    public static final int BPF_PROG_TYPE_UNSPEC = 0;
    public static final int BPF_PROG_TYPE_SOCKET_FILTER = 1;
    public static final int BPF_PROG_TYPE_KPROBE = 2;
    public static final int BPF_PROG_TYPE_SCHED_CLS = 3;
    public static final int BPF_PROG_TYPE_SCHED_ACT = 4;
    public static final int BPF_PROG_TYPE_TRACEPOINT = 5;
    public static final int BPF_PROG_TYPE_XDP = 6;
    public static final int BPF_PROG_TYPE_PERF_EVENT = 7;
    public static final int BPF_PROG_TYPE_CGROUP_SKB = 8;
    public static final int BPF_PROG_TYPE_CGROUP_SOCK = 9;
    public static final int BPF_PROG_TYPE_LWT_IN = 10;
    public static final int BPF_PROG_TYPE_LWT_OUT = 11;
    public static final int BPF_PROG_TYPE_LWT_XMIT = 12;
    public static final int BPF_PROG_TYPE_SOCK_OPS = 13;
    public static final int BPF_PROG_TYPE_SK_SKB = 14;
    public static final int BPF_PROG_TYPE_CGROUP_DEVICE = 15;
    public static final int BPF_PROG_TYPE_SK_MSG = 16;
    public static final int BPF_PROG_TYPE_RAW_TRACEPOINT = 17;
    public static final int BPF_PROG_TYPE_CGROUP_SOCK_ADDR = 18;
    public static final int BPF_PROG_TYPE_LWT_SEG6LOCAL = 19;
    public static final int BPF_PROG_TYPE_LIRC_MODE2 = 20;
    public static final int BPF_PROG_TYPE_SK_REUSEPORT = 21;
    public static final int BPF_PROG_TYPE_FLOW_DISSECTOR = 22;
    public static final int BPF_PROG_TYPE_CGROUP_SYSCTL = 23;
    public static final int BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE = 24;
    public static final int BPF_PROG_TYPE_CGROUP_SOCKOPT = 25;
    public static final int BPF_PROG_TYPE_TRACING = 26;
    public static final int BPF_PROG_TYPE_STRUCT_OPS = 27;
    public static final int BPF_PROG_TYPE_EXT = 28;
    public static final int BPF_PROG_TYPE_LSM = 29;
    public static final int BPF_PROG_TYPE_SK_LOOKUP = 30;
    public static final int BPF_PROG_TYPE_SYSCALL = 31;
    public static final int BPF_PROG_TYPE_NETFILTER = 32;

    /** The header's name for {@code value}, or {@code "ProgType N"} when unknown to this table. */
    public static String name(int value) {
        return switch (value) {
            case BPF_PROG_TYPE_UNSPEC -> "BPF_PROG_TYPE_UNSPEC";
            case BPF_PROG_TYPE_SOCKET_FILTER -> "BPF_PROG_TYPE_SOCKET_FILTER";
            case BPF_PROG_TYPE_KPROBE -> "BPF_PROG_TYPE_KPROBE";
            case BPF_PROG_TYPE_SCHED_CLS -> "BPF_PROG_TYPE_SCHED_CLS";
            case BPF_PROG_TYPE_SCHED_ACT -> "BPF_PROG_TYPE_SCHED_ACT";
            case BPF_PROG_TYPE_TRACEPOINT -> "BPF_PROG_TYPE_TRACEPOINT";
            case BPF_PROG_TYPE_XDP -> "BPF_PROG_TYPE_XDP";
            case BPF_PROG_TYPE_PERF_EVENT -> "BPF_PROG_TYPE_PERF_EVENT";
            case BPF_PROG_TYPE_CGROUP_SKB -> "BPF_PROG_TYPE_CGROUP_SKB";
            case BPF_PROG_TYPE_CGROUP_SOCK -> "BPF_PROG_TYPE_CGROUP_SOCK";
            case BPF_PROG_TYPE_LWT_IN -> "BPF_PROG_TYPE_LWT_IN";
            case BPF_PROG_TYPE_LWT_OUT -> "BPF_PROG_TYPE_LWT_OUT";
            case BPF_PROG_TYPE_LWT_XMIT -> "BPF_PROG_TYPE_LWT_XMIT";
            case BPF_PROG_TYPE_SOCK_OPS -> "BPF_PROG_TYPE_SOCK_OPS";
            case BPF_PROG_TYPE_SK_SKB -> "BPF_PROG_TYPE_SK_SKB";
            case BPF_PROG_TYPE_CGROUP_DEVICE -> "BPF_PROG_TYPE_CGROUP_DEVICE";
            case BPF_PROG_TYPE_SK_MSG -> "BPF_PROG_TYPE_SK_MSG";
            case BPF_PROG_TYPE_RAW_TRACEPOINT -> "BPF_PROG_TYPE_RAW_TRACEPOINT";
            case BPF_PROG_TYPE_CGROUP_SOCK_ADDR -> "BPF_PROG_TYPE_CGROUP_SOCK_ADDR";
            case BPF_PROG_TYPE_LWT_SEG6LOCAL -> "BPF_PROG_TYPE_LWT_SEG6LOCAL";
            case BPF_PROG_TYPE_LIRC_MODE2 -> "BPF_PROG_TYPE_LIRC_MODE2";
            case BPF_PROG_TYPE_SK_REUSEPORT -> "BPF_PROG_TYPE_SK_REUSEPORT";
            case BPF_PROG_TYPE_FLOW_DISSECTOR -> "BPF_PROG_TYPE_FLOW_DISSECTOR";
            case BPF_PROG_TYPE_CGROUP_SYSCTL -> "BPF_PROG_TYPE_CGROUP_SYSCTL";
            case BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE -> "BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE";
            case BPF_PROG_TYPE_CGROUP_SOCKOPT -> "BPF_PROG_TYPE_CGROUP_SOCKOPT";
            case BPF_PROG_TYPE_TRACING -> "BPF_PROG_TYPE_TRACING";
            case BPF_PROG_TYPE_STRUCT_OPS -> "BPF_PROG_TYPE_STRUCT_OPS";
            case BPF_PROG_TYPE_EXT -> "BPF_PROG_TYPE_EXT";
            case BPF_PROG_TYPE_LSM -> "BPF_PROG_TYPE_LSM";
            case BPF_PROG_TYPE_SK_LOOKUP -> "BPF_PROG_TYPE_SK_LOOKUP";
            case BPF_PROG_TYPE_SYSCALL -> "BPF_PROG_TYPE_SYSCALL";
            case BPF_PROG_TYPE_NETFILTER -> "BPF_PROG_TYPE_NETFILTER";
            default -> "ProgType " + value;
        };
    }
}
