package io.jxdp.ffi.bpf;

/**
 * From {@code enum bpf_attach_type} in include/uapi/linux/bpf.h, numbered as the kernel numbers them (implicit enum
 * order). This machine's /usr/include copy is from Linux 6.1; the entries after LSM_CGROUP follow the
 * upstream header (Linux 6.4 to 6.13) and are checked against the running kernel where a test can.
 */
public final class AttachType {
    private AttachType() {}

    public static final int BPF_CGROUP_INET_INGRESS = 0;
    public static final int BPF_CGROUP_INET_EGRESS = 1;
    public static final int BPF_CGROUP_INET_SOCK_CREATE = 2;
    public static final int BPF_CGROUP_SOCK_OPS = 3;
    public static final int BPF_SK_SKB_STREAM_PARSER = 4;
    public static final int BPF_SK_SKB_STREAM_VERDICT = 5;
    public static final int BPF_CGROUP_DEVICE = 6;
    public static final int BPF_SK_MSG_VERDICT = 7;
    public static final int BPF_CGROUP_INET4_BIND = 8;
    public static final int BPF_CGROUP_INET6_BIND = 9;
    public static final int BPF_CGROUP_INET4_CONNECT = 10;
    public static final int BPF_CGROUP_INET6_CONNECT = 11;
    public static final int BPF_CGROUP_INET4_POST_BIND = 12;
    public static final int BPF_CGROUP_INET6_POST_BIND = 13;
    public static final int BPF_CGROUP_UDP4_SENDMSG = 14;
    public static final int BPF_CGROUP_UDP6_SENDMSG = 15;
    public static final int BPF_LIRC_MODE2 = 16;
    public static final int BPF_FLOW_DISSECTOR = 17;
    public static final int BPF_CGROUP_SYSCTL = 18;
    public static final int BPF_CGROUP_UDP4_RECVMSG = 19;
    public static final int BPF_CGROUP_UDP6_RECVMSG = 20;
    public static final int BPF_CGROUP_GETSOCKOPT = 21;
    public static final int BPF_CGROUP_SETSOCKOPT = 22;
    public static final int BPF_TRACE_RAW_TP = 23;
    public static final int BPF_TRACE_FENTRY = 24;
    public static final int BPF_TRACE_FEXIT = 25;
    public static final int BPF_MODIFY_RETURN = 26;
    public static final int BPF_LSM_MAC = 27;
    public static final int BPF_TRACE_ITER = 28;
    public static final int BPF_CGROUP_INET4_GETPEERNAME = 29;
    public static final int BPF_CGROUP_INET6_GETPEERNAME = 30;
    public static final int BPF_CGROUP_INET4_GETSOCKNAME = 31;
    public static final int BPF_CGROUP_INET6_GETSOCKNAME = 32;
    public static final int BPF_XDP_DEVMAP = 33;
    public static final int BPF_CGROUP_INET_SOCK_RELEASE = 34;
    public static final int BPF_XDP_CPUMAP = 35;
    public static final int BPF_SK_LOOKUP = 36;
    public static final int BPF_XDP = 37;
    public static final int BPF_SK_SKB_VERDICT = 38;
    public static final int BPF_SK_REUSEPORT_SELECT = 39;
    public static final int BPF_SK_REUSEPORT_SELECT_OR_MIGRATE = 40;
    public static final int BPF_PERF_EVENT = 41;
    public static final int BPF_TRACE_KPROBE_MULTI = 42;
    public static final int BPF_LSM_CGROUP = 43;
    public static final int BPF_STRUCT_OPS = 44;
    public static final int BPF_NETFILTER = 45;
    public static final int BPF_TCX_INGRESS = 46;
    public static final int BPF_TCX_EGRESS = 47;
    public static final int BPF_TRACE_UPROBE_MULTI = 48;
    public static final int BPF_CGROUP_UNIX_CONNECT = 49;
    public static final int BPF_CGROUP_UNIX_SENDMSG = 50;
    public static final int BPF_CGROUP_UNIX_RECVMSG = 51;
    public static final int BPF_CGROUP_UNIX_GETPEERNAME = 52;
    public static final int BPF_CGROUP_UNIX_GETSOCKNAME = 53;
    public static final int BPF_NETKIT_PRIMARY = 54;
    public static final int BPF_NETKIT_PEER = 55;
    public static final int BPF_TRACE_KPROBE_SESSION = 56;
    public static final int BPF_TRACE_UPROBE_SESSION = 57;

    /** The header's name for {@code value}, or {@code "AttachType N"} when unknown to this table. */
    public static String name(int value) {
        return switch (value) {
            case BPF_CGROUP_INET_INGRESS -> "BPF_CGROUP_INET_INGRESS";
            case BPF_CGROUP_INET_EGRESS -> "BPF_CGROUP_INET_EGRESS";
            case BPF_CGROUP_INET_SOCK_CREATE -> "BPF_CGROUP_INET_SOCK_CREATE";
            case BPF_CGROUP_SOCK_OPS -> "BPF_CGROUP_SOCK_OPS";
            case BPF_SK_SKB_STREAM_PARSER -> "BPF_SK_SKB_STREAM_PARSER";
            case BPF_SK_SKB_STREAM_VERDICT -> "BPF_SK_SKB_STREAM_VERDICT";
            case BPF_CGROUP_DEVICE -> "BPF_CGROUP_DEVICE";
            case BPF_SK_MSG_VERDICT -> "BPF_SK_MSG_VERDICT";
            case BPF_CGROUP_INET4_BIND -> "BPF_CGROUP_INET4_BIND";
            case BPF_CGROUP_INET6_BIND -> "BPF_CGROUP_INET6_BIND";
            case BPF_CGROUP_INET4_CONNECT -> "BPF_CGROUP_INET4_CONNECT";
            case BPF_CGROUP_INET6_CONNECT -> "BPF_CGROUP_INET6_CONNECT";
            case BPF_CGROUP_INET4_POST_BIND -> "BPF_CGROUP_INET4_POST_BIND";
            case BPF_CGROUP_INET6_POST_BIND -> "BPF_CGROUP_INET6_POST_BIND";
            case BPF_CGROUP_UDP4_SENDMSG -> "BPF_CGROUP_UDP4_SENDMSG";
            case BPF_CGROUP_UDP6_SENDMSG -> "BPF_CGROUP_UDP6_SENDMSG";
            case BPF_LIRC_MODE2 -> "BPF_LIRC_MODE2";
            case BPF_FLOW_DISSECTOR -> "BPF_FLOW_DISSECTOR";
            case BPF_CGROUP_SYSCTL -> "BPF_CGROUP_SYSCTL";
            case BPF_CGROUP_UDP4_RECVMSG -> "BPF_CGROUP_UDP4_RECVMSG";
            case BPF_CGROUP_UDP6_RECVMSG -> "BPF_CGROUP_UDP6_RECVMSG";
            case BPF_CGROUP_GETSOCKOPT -> "BPF_CGROUP_GETSOCKOPT";
            case BPF_CGROUP_SETSOCKOPT -> "BPF_CGROUP_SETSOCKOPT";
            case BPF_TRACE_RAW_TP -> "BPF_TRACE_RAW_TP";
            case BPF_TRACE_FENTRY -> "BPF_TRACE_FENTRY";
            case BPF_TRACE_FEXIT -> "BPF_TRACE_FEXIT";
            case BPF_MODIFY_RETURN -> "BPF_MODIFY_RETURN";
            case BPF_LSM_MAC -> "BPF_LSM_MAC";
            case BPF_TRACE_ITER -> "BPF_TRACE_ITER";
            case BPF_CGROUP_INET4_GETPEERNAME -> "BPF_CGROUP_INET4_GETPEERNAME";
            case BPF_CGROUP_INET6_GETPEERNAME -> "BPF_CGROUP_INET6_GETPEERNAME";
            case BPF_CGROUP_INET4_GETSOCKNAME -> "BPF_CGROUP_INET4_GETSOCKNAME";
            case BPF_CGROUP_INET6_GETSOCKNAME -> "BPF_CGROUP_INET6_GETSOCKNAME";
            case BPF_XDP_DEVMAP -> "BPF_XDP_DEVMAP";
            case BPF_CGROUP_INET_SOCK_RELEASE -> "BPF_CGROUP_INET_SOCK_RELEASE";
            case BPF_XDP_CPUMAP -> "BPF_XDP_CPUMAP";
            case BPF_SK_LOOKUP -> "BPF_SK_LOOKUP";
            case BPF_XDP -> "BPF_XDP";
            case BPF_SK_SKB_VERDICT -> "BPF_SK_SKB_VERDICT";
            case BPF_SK_REUSEPORT_SELECT -> "BPF_SK_REUSEPORT_SELECT";
            case BPF_SK_REUSEPORT_SELECT_OR_MIGRATE -> "BPF_SK_REUSEPORT_SELECT_OR_MIGRATE";
            case BPF_PERF_EVENT -> "BPF_PERF_EVENT";
            case BPF_TRACE_KPROBE_MULTI -> "BPF_TRACE_KPROBE_MULTI";
            case BPF_LSM_CGROUP -> "BPF_LSM_CGROUP";
            case BPF_STRUCT_OPS -> "BPF_STRUCT_OPS";
            case BPF_NETFILTER -> "BPF_NETFILTER";
            case BPF_TCX_INGRESS -> "BPF_TCX_INGRESS";
            case BPF_TCX_EGRESS -> "BPF_TCX_EGRESS";
            case BPF_TRACE_UPROBE_MULTI -> "BPF_TRACE_UPROBE_MULTI";
            case BPF_CGROUP_UNIX_CONNECT -> "BPF_CGROUP_UNIX_CONNECT";
            case BPF_CGROUP_UNIX_SENDMSG -> "BPF_CGROUP_UNIX_SENDMSG";
            case BPF_CGROUP_UNIX_RECVMSG -> "BPF_CGROUP_UNIX_RECVMSG";
            case BPF_CGROUP_UNIX_GETPEERNAME -> "BPF_CGROUP_UNIX_GETPEERNAME";
            case BPF_CGROUP_UNIX_GETSOCKNAME -> "BPF_CGROUP_UNIX_GETSOCKNAME";
            case BPF_NETKIT_PRIMARY -> "BPF_NETKIT_PRIMARY";
            case BPF_NETKIT_PEER -> "BPF_NETKIT_PEER";
            case BPF_TRACE_KPROBE_SESSION -> "BPF_TRACE_KPROBE_SESSION";
            case BPF_TRACE_UPROBE_SESSION -> "BPF_TRACE_UPROBE_SESSION";
            default -> "AttachType " + value;
        };
    }
}
