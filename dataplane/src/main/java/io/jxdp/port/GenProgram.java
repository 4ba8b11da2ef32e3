package io.jxdp.port;

import io.jxdp.ebpf.asm.Assembler;
import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.MapCreateAttr;
import io.jxdp.ffi.bpf.MapType;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import java.util.ArrayList;
import java.util.List;

/**
 * The XDP program that {@code jxdp gen} runs over live frames (BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES): it counts each run in a per-CPU counter, rewrites the TCP/UDP source
 * port to {@code base + counter % flows} (fixing the L4 checksum incrementally, RFC 1624 eqn. 3)
 * and returns XDP_TX. In live mode net/bpf/test_run.c (xdp_test_run_batch) turns XDP_TX into a
 * redirect to the device of ctx_in's ingress_ifindex, so the frame leaves through that device's
 * ndo_xdp_xmit. The page keeps the program's last write (the kernel resets only the frame's
 * metadata between runs), which is why the old port is read from the packet, not the template.
 */
final class GenProgram implements AutoCloseable {
    static final int COUNTER_PLACEHOLDER = 0x6e00_0001;

    final int progFd;
    final int counterFd;

    private GenProgram(int progFd, int counterFd) {
        this.progFd = progFd;
        this.counterFd = counterFd;
    }

    /**
     * Assembler text for a template whose TCP/UDP header starts at {@code l4} (-1: send as is),
     * protocol {@code proto}, varying over {@code flows} source ports from {@code basePort}.
     */
    static String source(int l4, int proto, int flows, int basePort) {
        StringBuilder s = new StringBuilder("""
                # jxdp gen: count, vary the source port, XDP_TX. r1 = struct xdp_md *
                    mov %r6, %r1
                    stw [%r10-4], 0              # key 0 of the per-CPU counter
                    lddw %r1, 0x6e000001         # counter map (patched to BPF_PSEUDO_MAP_FD)
                    mov %r2, %r10
                    add %r2, -4
                    call 1                       # bpf_map_lookup_elem
                    jeq %r0, 0, tx
                    ldxdw %r7, [%r0+0]           # r7 = frames this CPU sent so far
                    mov %r8, %r7
                    add %r8, 1
                    stxdw [%r0+0], %r8
                """);
        if (l4 >= 0 && flows > 1 && (proto == PacketTemplate.IPPROTO_UDP || proto == PacketTemplate.IPPROTO_TCP)) {
            int csum = l4 + (proto == PacketTemplate.IPPROTO_UDP ? 6 : 16);
            s.append("""
                        ldxw %r2, [%r6+0]            # data
                        ldxw %r3, [%r6+4]            # data_end
                        mov %r4, %r2
                        add %r4, {END}               # through the L4 checksum field
                        jgt %r4, %r3, tx
                        mod %r7, {FLOWS}             # flow number
                        add %r7, {BASE}
                        and %r7, 0xffff
                        be16 %r7                     # new source port, network order
                        ldxh %r5, [%r2+{L4}]         # old source port (as in the page)
                        stxh [%r2+{L4}], %r7
                        ldxh %r8, [%r2+{CSUM}]       # L4 checksum
                    """.replace("{END}", Integer.toString(csum + 2)).replace("{FLOWS}", Integer.toString(flows))
                    .replace("{BASE}", Integer.toString(basePort)).replace("{L4}", Integer.toString(l4))
                    .replace("{CSUM}", Integer.toString(csum)));
            if (proto == PacketTemplate.IPPROTO_UDP) {
                s.append("    jeq %r8, 0, tx               # UDP checksum 0: none to fix (RFC 768)\n");
            }
            // One's complement sums are byte-order independent: working on the little-endian reads
            // of network-order fields gives the byte-swapped result, stored back the same way.
            s.append("""
                        xor %r8, 0xffff              # ~HC
                        xor %r5, 0xffff              # ~m
                        add %r8, %r5
                        add %r8, %r7                 # ~HC + ~m + m'
                        mov %r5, %r8
                        rsh %r5, 16
                        and %r8, 0xffff
                        add %r8, %r5                 # fold
                        mov %r5, %r8
                        rsh %r5, 16
                        and %r8, 0xffff
                        add %r8, %r5                 # fold again (carry of the carry)
                        xor %r8, 0xffff              # HC' = ~(~HC + ~m + m')
                    """);
            if (proto == PacketTemplate.IPPROTO_UDP) {
                s.append("""
                            jne %r8, 0, store
                            mov %r8, 0xffff              # UDP sends a computed 0 as all ones
                        store:
                        """);
            }
            s.append("    stxh [%r2+" + csum + "], %r8\n");
        }
        s.append("""
                tx:
                    mov %r0, 3                   # XDP_TX: out of ctx_in's ingress device
                    exit
                """);
        return s.toString();
    }

    static Program assemble(String source, int counterFd) {
        List<Insn> insns = new ArrayList<>(Assembler.assembleInsns(source));
        for (int i = 0; i < insns.size(); i++) {
            Insn in = insns.get(i);
            if (in.code() == 0x18 && in.imm() == COUNTER_PLACEHOLDER) {
                insns.set(i, new Insn(in.code(), in.dst(), SteeringProgram.BPF_PSEUDO_MAP_FD, in.off(), counterFd));
            }
        }
        return Program.of(insns);
    }

    static GenProgram load(PacketTemplate t, int flows, int basePort) {
        int counter = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1).withName("jxdp_gen"));
        try {
            Program p = assemble(source(t.l4Offset(), t.protocol(), flows, basePort), counter);
            int prog = Bpf.progLoad(ProgLoadAttr.xdp(p.slots()).withName("jxdp_gen"));
            return new GenProgram(prog, counter);
        } catch (RuntimeException e) {
            Bpf.close(counter);
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            Bpf.close(progFd);
        } finally {
            Bpf.close(counterFd);
        }
    }
}
