package io.jxdp.ebpf.xdp;

import io.jxdp.ebpf.helper.HelperRegistry;

/**
 * The helpers an XDP program may call in jxdp, by kernel helper id (include/uapi/linux/bpf.h), with
 * the kernel's semantics (net/core/filter.c, kernel/bpf/helpers.c, kernel/trace/bpf_trace.c). Each
 * is a non-capturing lambda over the run's {@link XdpContext}: a call allocates nothing.
 */
public final class XdpHelpers {
    /** Helper ids jxdp implements for XDP, in id order. */
    public static final int[] IDS = {1, 2, 3, 5, 6, 7, 8, 28, 44, 54, 65, 118, 125, 188, 189, 190};

    private XdpHelpers() {
    }

    /** A registry with every XDP helper of {@link #IDS}. */
    public static HelperRegistry registry() {
        HelperRegistry r = new HelperRegistry();
        r.register(1, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).mapLookup(r1, r2));
        r.register(2, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).mapUpdate(r1, r2, r3, r4));
        r.register(3, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).mapDelete(r1, r2));
        r.register(5, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).ktimeGetNs());
        r.register(6, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).traceprintk(r1, r2, r3, r4, r5));
        r.register(7, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).prandomU32());
        r.register(8, (c, r1, r2, r3, r4, r5) -> c.cpu());
        r.register(28, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).csumDiff(r1, r2, r3, r4, r5));
        r.register(44, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).adjustHead(r2));
        r.register(54, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).adjustMeta(r2));
        r.register(65, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).adjustTail(r2));
        r.register(118, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).jiffies64());
        r.register(125, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).ktimeGetBootNs());
        r.register(188, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).buffLen());
        r.register(189, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).loadStoreBytes(r2, r3, r4, false));
        r.register(190, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).loadStoreBytes(r2, r3, r4, true));
        return r;
    }
}
