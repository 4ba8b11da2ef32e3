package io.jxdp.port;

import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.MapCreateAttr;
import io.jxdp.ffi.bpf.MapType;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import io.jxdp.ffi.bpf.ProgType;
import io.jxdp.ffi.bpf.TestRunAttr;
import io.jxdp.ffi.net.NetNs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The sched_cls program that {@code jxdp gen --mode clone} runs with plain BPF_PROG_TEST_RUN (no
 * live frames): each run calls {@code bpf_clone_redirect(skb, ifindex, 0)} {@code cb[0]} times and
 * returns TC_ACT_SHOT. The test run's skb is a real one (net/bpf/test_run.c,
 * bpf_prog_test_run_skb), so every clone goes through {@code dev_queue_xmit} of the device
 * (net/core/filter.c, __bpf_tx_skb) and leaves the interface like any transmitted packet.
 *
 * <p>Counting: {@code cb[1]} picks this thread's slot of an array map, {@code {u64 sent, u64
 * failed, u64 flow}}; a run adds the clones whose helper returned 0 to {@code sent} and the others
 * to {@code failed} with atomic adds, once per run. The helper returns dev_queue_xmit's code as
 * is (net/core/filter.c, __bpf_tx_skb): a negative errno, or NET_XMIT_DROP (1) when e.g. the veth
 * peer's ring is full (veth_xmit), or NET_XMIT_CN (2); all of these count as failed.
 *
 * <p>Flows: with {@code flows > 1} a run first sets the TCP/UDP source port to {@code base + flow %
 * flows} and the L4 checksum (computed from the template's own port and checksum, RFC 1624 eqn. 3)
 * with {@code bpf_skb_store_bytes}, then clones; {@code flow} steps by {@code step} (the thread
 * count) per run, so each run's {@code cb[0]} clones carry one flow. The store makes the skb
 * private first (skb_ensure_writable: the clones still in flight share its data), which costs one
 * head copy per run: {@code cb[0] = 1} varies the flow per frame at that cost per frame.
 */
final class CloneProgram implements AutoCloseable {
    /** bpf_map_lookup_elem, bpf_skb_store_bytes, bpf_clone_redirect (include/uapi/linux/bpf.h). */
    static final int MAP_LOOKUP = 1, SKB_STORE_BYTES = 9, CLONE_REDIRECT = 13;
    /** TC_ACT_SHOT (include/uapi/linux/pkt_cls.h): the test run's own skb is dropped. */
    static final int TC_ACT_SHOT = 2;
    /** Most clones per run (the verifier walks the loop once per possible count). */
    static final int MAX_BURST = 256;
    /** offsetof(struct __sk_buff, cb): cb[0] clones per run, cb[1] the counter slot. */
    static final int CB0 = 48, CB1 = 52;
    /** The __sk_buff passed as ctx_in: through cb[4]; the kernel allows cb, mark, priority, ifindex... set. */
    static final int CTX_SIZE = 68;
    /** Bytes of one counter slot: sent, failed, flow. */
    static final int SLOT = 24;

    final int progFd;
    final int countersFd;
    private final int slots;

    private CloneProgram(int progFd, int countersFd, int slots) {
        this.progFd = progFd;
        this.countersFd = countersFd;
        this.slots = slots;
    }

    /**
     * Assembler text: clone out of {@code ifindex}; for a template with TCP/UDP at {@code l4}
     * (-1: none), protocol {@code proto}, source port {@code port0} and L4 checksum {@code csum0}
     * (host order), vary over {@code flows} source ports from {@code basePort}, stepping {@code step}.
     */
    static String source(int ifindex, int l4, int proto, int port0, int csum0, int flows, int basePort, int step) {
        StringBuilder s = new StringBuilder("""
                # jxdp gen --mode clone. r1 = struct __sk_buff *
                    mov %r6, %r1
                    ldxw %r2, [%r6+{CB1}]        # cb[1]: this thread's counter slot
                    stxw [%r10-4], %r2
                    lddw %r1, 0x6e000001         # counter map (patched to BPF_PSEUDO_MAP_FD)
                    mov %r2, %r10
                    add %r2, -4
                    call {LOOKUP}                 # bpf_map_lookup_elem
                    jeq %r0, 0, out
                    mov %r9, %r0                 # r9 = &slot {sent, failed, flow}
                """.replace("{CB1}", Integer.toString(CB1)));
        boolean vary = l4 >= 0 && flows > 1 && (proto == PacketTemplate.IPPROTO_UDP || proto == PacketTemplate.IPPROTO_TCP);
        if (vary) {
            int csumAt = l4 + (proto == PacketTemplate.IPPROTO_UDP ? 6 : 16);
            boolean fixCsum = !(proto == PacketTemplate.IPPROTO_UDP && csum0 == 0); // UDP 0: no checksum (RFC 768)
            s.append("""
                        ldxdw %r2, [%r9+16]          # flow counter
                        mov %r3, %r2
                        add %r3, {STEP}
                        stxdw [%r9+16], %r3
                        mod %r2, {FLOWS}
                        add %r2, {BASE}
                        and %r2, 0xffff              # m' = the new source port
                    """.replace("{STEP}", Integer.toString(step)).replace("{FLOWS}", Integer.toString(flows))
                    .replace("{BASE}", Integer.toString(basePort)));
            if (fixCsum) {
                // HC' = ~(~HC + ~m + m') from the template's HC and m (the skb keeps the last run's
                // values, but those came from the same template, so the template's are the base).
                s.append("""
                            mov %r3, {K}                 # ~HC + ~m
                            add %r3, %r2
                            mov %r4, %r3
                            rsh %r4, 16
                            and %r3, 0xffff
                            add %r3, %r4                 # fold
                            mov %r4, %r3
                            rsh %r4, 16
                            and %r3, 0xffff
                            add %r3, %r4                 # fold again
                            xor %r3, 0xffff
                        """.replace("{K}", Integer.toString((~csum0 & 0xffff) + (~port0 & 0xffff))));
                if (proto == PacketTemplate.IPPROTO_UDP) {
                    s.append("""
                                jne %r3, 0, csum_ok
                                mov %r3, 0xffff              # UDP sends a computed 0 as all ones
                            csum_ok:
                            """);
                }
                s.append("""
                            be16 %r3
                            stxh [%r10-16], %r3
                        """);
            }
            s.append("""
                        be16 %r2
                        stxh [%r10-8], %r2
                        mov %r1, %r6
                        mov %r2, {L4}
                        mov %r3, %r10
                        add %r3, -8
                        mov %r4, 2
                        mov %r5, 0
                        call {STORE}                 # bpf_skb_store_bytes: the source port
                        jne %r0, 0, store_failed
                    """.replace("{L4}", Integer.toString(l4)));
            if (fixCsum) {
                s.append("""
                            mov %r1, %r6
                            mov %r2, {CSUM}
                            mov %r3, %r10
                            add %r3, -16
                            mov %r4, 2
                            mov %r5, 0
                            call {STORE}                 # bpf_skb_store_bytes: the L4 checksum
                            jne %r0, 0, store_failed
                        """.replace("{CSUM}", Integer.toString(csumAt)));
            }
        }
        s.append("""
                    ldxw %r7, [%r6+{CB0}]        # cb[0]: clones this run
                    jle %r7, {MAX}, bounded
                    mov %r7, {MAX}
                bounded:
                    stdw [%r10-24], 0            # failed clones
                    mov %r8, 0                   # i (counts up: the verifier bounds it by {MAX})
                loop:
                    jge %r8, %r7, done
                    mov %r1, %r6
                    mov %r2, {IFINDEX}
                    mov %r3, 0
                    call {CLONE}                 # bpf_clone_redirect(skb, ifindex, egress)
                    mov %r1, %r0                 # 0: queued; < 0: an errno; > 0: NET_XMIT_DROP/CN
                    neg %r1
                    or %r1, %r0
                    rsh %r1, 63                  # r0 != 0: 1
                    ldxdw %r2, [%r10-24]
                    add %r1, %r2
                    stxdw [%r10-24], %r1
                    add %r8, 1
                    ja loop
                done:
                    ldxdw %r1, [%r10-24]
                    mov %r2, %r8                 # i == clones this run
                    sub %r2, %r1
                    lock add [%r9+0], %r2
                    lock add [%r9+8], %r1
                out:
                    mov %r0, 2                   # TC_ACT_SHOT
                    exit
                """.replace("{CB0}", Integer.toString(CB0)).replace("{MAX}", Integer.toString(MAX_BURST))
                .replace("{IFINDEX}", Integer.toString(ifindex)));
        if (vary) {
            s.append("""
                    store_failed:
                        ldxw %r8, [%r6+{CB0}]        # the run's clones count as failed
                        jle %r8, {MAX}, counted
                        mov %r8, {MAX}
                    counted:
                        lock add [%r9+8], %r8
                        mov %r0, 2
                        exit
                    """.replace("{CB0}", Integer.toString(CB0)).replace("{MAX}", Integer.toString(MAX_BURST)));
        }
        return s.toString().replace("{LOOKUP}", Integer.toString(MAP_LOOKUP))
                .replace("{STORE}", Integer.toString(SKB_STORE_BYTES)).replace("{CLONE}", Integer.toString(CLONE_REDIRECT));
    }

    /**
     * Loads the program for {@code slots} threads, each slot's flow counter starting at its index.
     * {@code ifindex} is resolved in the namespace the test runs will run in.
     */
    static CloneProgram load(PacketTemplate t, int ifindex, int flows, int basePort, int slots) {
        int counters = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_ARRAY, 4, SLOT, slots).withName("jxdp_genc"));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(4);
            MemorySegment value = arena.allocate(SLOT);
            for (int i = 0; i < slots; i++) {
                key.set(ValueLayout.JAVA_INT, 0, i);
                value.set(ValueLayout.JAVA_LONG, 16, i);
                Bpf.mapUpdate(counters, key, value, 0);
            }
            int l4 = t.l4Offset();
            int port0 = l4 < 0 ? 0 : u16(t.frame(), l4);
            int csum0 = l4 < 0 ? 0 : u16(t.frame(), t.checksumOffset());
            String src = source(ifindex, l4, t.protocol(), port0, csum0, flows, basePort, slots);
            int prog = Bpf.progLoad(ProgLoadAttr.of(ProgType.BPF_PROG_TYPE_SCHED_CLS,
                    GenProgram.assemble(src, counters).slots()).withName("jxdp_genc"));
            return new CloneProgram(prog, counters, slots);
        } catch (RuntimeException e) {
            Bpf.close(counters);
            throw e;
        }
    }

    /** The ctx_in of a run: cb[0] clones per run, cb[1] the counter slot. */
    static byte[] ctx(int burst, int slot) {
        MemorySegment ctx = MemorySegment.ofArray(new byte[CTX_SIZE]);
        ctx.set(ValueLayout.JAVA_INT_UNALIGNED, CB0, burst);
        ctx.set(ValueLayout.JAVA_INT_UNALIGNED, CB1, slot);
        return ctx.toArray(ValueLayout.JAVA_BYTE);
    }

    /** A test run of {@code repeat} runs of {@code burst} clones each, counted in {@code slot}. */
    static TestRunAttr attr(byte[] frame, int burst, int slot, int repeat) {
        return new TestRunAttr(frame, 0, ctx(burst, slot), 0, repeat, 0, 0, 0);
    }

    /** {sent, failed} of one slot so far. */
    long[] counters(int slot) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(4);
            key.set(ValueLayout.JAVA_INT, 0, slot);
            MemorySegment value = arena.allocate(SLOT);
            if (!Bpf.mapLookup(countersFd, key, value)) {
                throw new IllegalStateException("counter slot " + slot + " of " + slots + " missing");
            }
            return new long[] {value.get(ValueLayout.JAVA_LONG, 0), value.get(ValueLayout.JAVA_LONG, 8)};
        }
    }

    /**
     * Why clones cannot be sent out of {@code ifindex} in {@code netns}: one run of one clone, null
     * when it worked (the frame really leaves). The kernel's refusal is the reason otherwise.
     */
    String probe(byte[] frame, String netns, int slot) {
        try (NetNs.Scope ignored = netns == null ? null : NetNs.enter(netns)) {
            Bpf.progTestRun(progFd, attr(frame, 1, slot, 1));
        }
        long[] c = counters(slot);
        return c[1] == 0 ? null : "bpf_clone_redirect failed on the probe frame (is the interface up?)";
    }

    private static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    @Override
    public void close() {
        try {
            Bpf.close(progFd);
        } finally {
            Bpf.close(countersFd);
        }
    }
}
