package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.jxdp.ebpf.engine.XdpAction;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.engine.XdpRedirect;
import io.jxdp.ebpf.engine.XdpRedirect.Kind;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapDefinition;
import io.jxdp.ebpf.map.MapFlags;
import io.jxdp.ebpf.map.MapType;
import io.jxdp.ebpf.map.Maps;
import io.jxdp.ffi.bpf.Bpf;
import java.lang.foreign.Arena;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The redirect target each engine records for the dataplane ({@link XdpRedirect}, also in
 * {@link XdpResult#redirect()}): the corpus program xdp_redirect (DEVMAP, DEVMAP_HASH, CPUMAP,
 * bpf_redirect; its verdicts and maps are checked against the kernel by CorpusTest, JitCorpusTest
 * and the programs module's parity tests) run through the interpreter and the JIT, packet by
 * packet against a table of what the kernel's {@code bpf_redirect_info} would hold (XSKMAP's empty
 * slots included); and XSKMAP at helper level against net/xdp/xskmap.c.
 */
class RedirectTargetTest {
    private static final long BROADCAST = 1 << 3;
    private static final long EXCLUDE_INGRESS = 1 << 4;

    /** Per packet of packets/xdp_redirect.txt: verdict and the recorded target. */
    private static final Object[][] EXPECTED = {
        {XdpAction.REDIRECT, r(Kind.DEVMAP, 1, "tx_ports", 0)},    // 0 port 52: slot 0 -> lo
        {XdpAction.REDIRECT, r(Kind.DEVMAP, 1, "tx_ports", 0)},    // 1 port 54: slot 2 -> lo
        {XdpAction.ABORTED, XdpRedirect.NONE},                     // 2 slot 1 empty, fallback 0
        {XdpAction.DROP, XdpRedirect.NONE},                        // 3
        {XdpAction.PASS, XdpRedirect.NONE},                        // 4
        {XdpAction.TX, XdpRedirect.NONE},                          // 5
        {XdpAction.REDIRECT, r(Kind.DEVMAP, 1, "tx_ports", BROADCAST)}, // 6 broadcast keeps the key (53 & 3)
        {XdpAction.REDIRECT, r(Kind.CPUMAP, 0, "cpus", 0)},        // 7 TCP port 80: cpu 0
        {XdpAction.PASS, XdpRedirect.NONE},                        // 8 cpu 1 slot empty
        {XdpAction.DROP, XdpRedirect.NONE},                        // 9
        {XdpAction.ABORTED, XdpRedirect.NONE},                     // 10 BPF_F_BROADCAST on a CPUMAP
        {XdpAction.REDIRECT, r(Kind.DEVMAP, 1, "tx_hash", 0)},     // 11 key 4096 -> lo
        {XdpAction.REDIRECT, r(Kind.DEVMAP, 1, "tx_hash", 0)},     // 12 key 8192 -> lo
        {XdpAction.PASS, XdpRedirect.NONE},                        // 13 key 4097 missing
        {XdpAction.TX, XdpRedirect.NONE},                          // 14 key 5000 missing
        {XdpAction.REDIRECT, r(Kind.DEVMAP, 5000, "tx_hash", BROADCAST | EXCLUDE_INGRESS)}, // 15
        {XdpAction.REDIRECT, r(Kind.DEVMAP, 1, "tx_hash", 0)},     // 16 EXCLUDE_INGRESS alone is not kept
        {XdpAction.ABORTED, XdpRedirect.NONE},                     // 17 unknown flag bit
        {XdpAction.PASS, XdpRedirect.NONE},                        // 18
        {XdpAction.ABORTED, XdpRedirect.NONE},                     // 19 XSKMAP slot 0 empty, fallback 0
        {XdpAction.PASS, XdpRedirect.NONE},                        // 20
        {XdpAction.TX, XdpRedirect.NONE},                          // 21
        {XdpAction.ABORTED, XdpRedirect.NONE},                     // 22 BPF_F_BROADCAST on an XSKMAP
        {XdpAction.ABORTED, XdpRedirect.NONE},                     // 23 BPF_F_EXCLUDE_INGRESS on an XSKMAP
        {XdpAction.ABORTED, XdpRedirect.NONE},                     // 24 bpf_redirect with flags
        {XdpAction.REDIRECT, r(Kind.IFINDEX, 1, null, 0)},         // 25 bpf_redirect(1, 0)
        {XdpAction.PASS, XdpRedirect.NONE},                        // 26 ARP
    };

    private static XdpRedirect r(Kind k, long target, String map, long flags) {
        return new XdpRedirect(k, target, map, flags);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"interp", "jit"})
    void everyEngineRecordsTheCorpusRedirectTargets(String engine) throws Exception {
        Corpus.Entry e = Corpus.entries().stream().filter(x -> x.name().equals("xdp_redirect")).findFirst().orElseThrow();
        BpfObject obj = BpfObjectLoader.load(e.object());
        List<byte[]> packets = PacketFiles.read(e.pcap());
        assertEquals(EXPECTED.length, packets.size(), "packets of xdp_redirect");
        List<Corpus.Expected> kernel = Corpus.expected(e.name());
        try (XdpEngine x = engine.equals("jit") ? JitXdpEngine.create(obj, e.program(), Bpf.numPossibleCpus(), 100)
                : InterpreterXdpEngine.create(obj, e.program(), Interpreter.Mode.CHECKED, Bpf.numPossibleCpus())) {
            Corpus.preload(x, e.maps());
            for (int i = 0; i < packets.size(); i++) {
                XdpResult res = x.run(packets.get(i), 1);
                String where = engine + " packet " + i;
                assertEquals(kernel.get(i).verdict(), res.actionName(), where + ": the kernel's verdict");
                assertEquals((int) EXPECTED[i][0], res.action(), where);
                assertEquals(EXPECTED[i][1], res.redirect(), where + ": recorded target");
                assertEquals(res.redirect(), x.redirect(), where + ": the engine's accessor");
                // the allocation-free accessors say the same
                LinkedXdpEngine l = (LinkedXdpEngine) x;
                assertEquals(res.redirect(), new XdpRedirect(Kind.valueOf(l.redirectKind()), l.redirectTarget(),
                        l.redirectMap(), l.redirectFlags()), where);
            }
        }
    }

    @Test
    void resultsWithoutATargetSayUnknownForRedirectOnly() {
        assertSame(XdpRedirect.UNKNOWN, new XdpResult(XdpAction.REDIRECT, new byte[0], 0).redirect());
        assertSame(XdpRedirect.NONE, new XdpResult(XdpAction.PASS, new byte[0], 0).redirect());
    }

    /**
     * XSKMAP through bpf_redirect_map at helper level. The kernel's code: xsk_map_redirect() calls
     * __bpf_xdp_redirect_map(map, index, flags, 0, __xsk_map_lookup_elem) (net/xdp/xskmap.c,
     * net/core/filter.c): no flag beyond the fallback action is allowed (BPF_F_BROADCAST too gives
     * XDP_ABORTED), the u64 key is truncated to the u32 the lookup takes, a key at or past
     * max_entries or an empty slot returns {@code flags & 3} and clears the target; a set slot
     * records it (the dataplane delivers to the socket registered at that slot, by jxdp's convention
     * one per queue, so the target is the slot index). The verdicts are also checked against the
     * kernel: empty slots by the corpus, a set slot (a real AF_XDP socket) by XskmapKernelTest.
     */
    @Test
    void xskmapRedirectFollowsTheKernelsCode() {
        try (Arena a = Arena.ofConfined();
                BpfMap xsks = Maps.create(MapDefinition.of("xsks", MapType.XSKMAP, 4, 4, 4), 1)) {
            xsks.update(u32(1), u32(7), MapFlags.BPF_ANY);   // socket id 7 at queue 1
            xsks.update(u32(3), u32(9), MapFlags.BPF_ANY);
            XdpContext c = new XdpContext(a, new BpfMap[] {xsks});
            long h = c.mapHandles;
            String[] names = {"xsks"};

            assertEquals(XdpContext.XDP_REDIRECT, c.redirectMap(h, 1, 0));
            assertEquals(r(Kind.XSKMAP, 1, "xsks", 0), c.redirectRecord(names));
            assertEquals(XdpContext.XDP_REDIRECT, c.redirectMap(h, 3, 2), "fallback bits do not matter on a hit");
            assertEquals(r(Kind.XSKMAP, 3, "xsks", 0), c.redirectRecord(names));
            for (long fallback = 0; fallback < 4; fallback++) {
                c.redirectMap(h, 1, 0); // a previous hit: a miss must clear it
                assertEquals(fallback, c.redirectMap(h, 2, fallback), "empty slot: flags & 3");
                assertSame(XdpRedirect.NONE, c.redirectRecord(names), "a miss clears the target");
                assertEquals(fallback, c.redirectMap(h, 4, fallback), "key == max_entries");
                assertEquals(fallback, c.redirectMap(h, 0xffff_ffffL, fallback), "key past max_entries");
            }
            assertEquals(XdpContext.XDP_REDIRECT, c.redirectMap(h, (1L << 32) | 1, 0), "the key is a u32");
            assertEquals(r(Kind.XSKMAP, 1, "xsks", 0), c.redirectRecord(names));
            c.redirectMap(h, 1, 0);
            for (long bad : new long[] {BROADCAST, EXCLUDE_INGRESS, BROADCAST | 2, 1 << 5, 1L << 40}) {
                assertEquals(XdpContext.XDP_ABORTED, c.redirectMap(h, 1, bad), "flags 0x" + Long.toHexString(bad));
                assertEquals(r(Kind.XSKMAP, 1, "xsks", 0), c.redirectRecord(names),
                        "bad flags return before the lookup: the previous target stays, as in the kernel");
            }
            xsks.delete(u32(1));
            assertEquals(1, c.redirectMap(h, 1, 1), "a deleted slot misses");
            assertSame(XdpRedirect.NONE, c.redirectRecord(names));
        }
    }

    private static byte[] u32(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }
}
