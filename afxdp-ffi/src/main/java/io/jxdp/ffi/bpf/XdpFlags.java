package io.jxdp.ffi.bpf;

/** XDP attach flags, {@code XDP_FLAGS_*} in include/uapi/linux/if_link.h. */
public final class XdpFlags {
    private XdpFlags() {}

    /** Fail with EBUSY if a program is already attached. */
    public static final int XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0;
    /** Generic (skb) mode: works on any device, after the skb is built. */
    public static final int XDP_FLAGS_SKB_MODE = 1 << 1;
    /** Native driver mode. */
    public static final int XDP_FLAGS_DRV_MODE = 1 << 2;
    /** Offload to the NIC. */
    public static final int XDP_FLAGS_HW_MODE = 1 << 3;
    /** Replace only the program named by expected_fd (netlink attach). */
    public static final int XDP_FLAGS_REPLACE = 1 << 4;
    public static final int XDP_FLAGS_MODES = XDP_FLAGS_SKB_MODE | XDP_FLAGS_DRV_MODE | XDP_FLAGS_HW_MODE;
}
