package io.jxdp.ebpf.engine;

/** XDP verdicts, include/uapi/linux/bpf.h {@code enum xdp_action}. */
public final class XdpAction {
    private XdpAction() {}

    public static final int ABORTED = 0;
    public static final int DROP = 1;
    public static final int PASS = 2;
    public static final int TX = 3;
    public static final int REDIRECT = 4;

    /** {@code XDP_PASS} etc., or {@code UNKNOWN(n)} for a value outside the enum. */
    public static String name(long action) {
        return switch ((int) action == action ? (int) action : -1) {
            case ABORTED -> "XDP_ABORTED";
            case DROP -> "XDP_DROP";
            case PASS -> "XDP_PASS";
            case TX -> "XDP_TX";
            case REDIRECT -> "XDP_REDIRECT";
            default -> "UNKNOWN(" + action + ")";
        };
    }
}
