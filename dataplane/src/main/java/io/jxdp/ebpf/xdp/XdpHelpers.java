package io.jxdp.ebpf.xdp;

import io.jxdp.ebpf.helper.HelperRegistry;

/**
 * The helpers an XDP program may call in jxdp, by kernel helper id (include/uapi/linux/bpf.h), with
 * the kernel's semantics (net/core/filter.c, kernel/bpf/helpers.c, kernel/trace/bpf_trace.c). Each
 * is a non-capturing lambda over the run's {@link XdpContext}: a call allocates nothing.
 */
public final class XdpHelpers {
    /** Helper ids jxdp implements for XDP, in id order. */
    public static final int[] IDS = {1, 2, 3, 5, 6, 7, 8, 12, 23, 25, 28, 42, 44, 51, 54, 65, 87, 88, 89, 118, 125, 130, 131, 132,
        133, 134, 160, 163, 164, 165, 181, 182, 188, 189, 190, 195, 208};

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
        r.register(12, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).tailCall(r1, r2, r3));
        r.register(23, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).redirect(r1, r2));
        r.register(25, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).perfEventOutput(r2, r3, r4, r5));
        r.register(28, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).csumDiff(r1, r2, r3, r4, r5));
        r.register(42, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).numaNodeId());
        r.register(44, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).adjustHead(r2));
        r.register(51, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).redirectMap(r1, r2, r3));
        r.register(54, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).adjustMeta(r2));
        r.register(65, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).adjustTail(r2));
        r.register(87, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).mapPush(r1, r2, r3));
        r.register(88, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).mapPop(r1, r2));
        r.register(89, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).mapPeek(r1, r2));
        r.register(118, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).jiffies64());
        r.register(125, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).ktimeGetBootNs());
        r.register(130, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).ringbufOutput(r1, r2, r3, r4));
        r.register(131, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).ringbufReserve(r1, r2, r3));
        r.register(132, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).ringbufCommit(r1, r2, false));
        r.register(133, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).ringbufCommit(r1, r2, true));
        r.register(134, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).ringbufQuery(r1, r2));
        r.register(160, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).ktimeGetCoarseNs());
        r.register(163, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).checkMtu(r2, r3, r4, r5));
        r.register(164, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).forEachMapElem(r1, r2, r3, r4));
        r.register(165, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).snprintf(r1, r2, r3, r4, r5));
        r.register(181, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).loop(r1, r2, r3, r4));
        r.register(182, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).strncmp(r1, r2, r3));
        r.register(188, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).buffLen());
        r.register(189, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).loadStoreBytes(r2, r3, r4, false));
        r.register(190, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).loadStoreBytes(r2, r3, r4, true));
        r.register(195, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).mapLookupPercpu(r1, r2, r3));
        r.register(208, (c, r1, r2, r3, r4, r5) -> ((XdpContext) c).ktimeGetTaiNs());
        return r;
    }
}
