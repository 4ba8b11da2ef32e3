package io.jxdp.ffi.bpf;

/**
 * XDP program verdicts, {@code enum xdp_action} in include/uapi/linux/bpf.h.
 */
public final class XdpAction {
    private XdpAction() {}

    public static final int XDP_ABORTED = 0;
    public static final int XDP_DROP = 1;
    public static final int XDP_PASS = 2;
    public static final int XDP_TX = 3;
    public static final int XDP_REDIRECT = 4;

    /** The header's name for {@code value}, or {@code "XdpAction N"} when unknown to this table. */
    public static String name(int value) {
        return switch (value) {
            case XDP_ABORTED -> "XDP_ABORTED";
            case XDP_DROP -> "XDP_DROP";
            case XDP_PASS -> "XDP_PASS";
            case XDP_TX -> "XDP_TX";
            case XDP_REDIRECT -> "XDP_REDIRECT";
            default -> "XdpAction " + value;
        };
    }
}
