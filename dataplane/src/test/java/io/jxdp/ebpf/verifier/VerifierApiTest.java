package io.jxdp.ebpf.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.asm.Assembler;
import io.jxdp.ebpf.isa.Program;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The result object: per-instruction facts, the error's parts and the log levels. */
class VerifierApiTest {
    private static final String PARSER = """
            ldxw %r2, [%r1+4]
            ldxw %r3, [%r1+0]
            mov %r4, %r3
            add %r4, 14
            mov %r0, 1
            jgt %r4, %r2, out
            ldxh %r5, [%r3+12]
            stxdw [%r10-8], %r5
            mov %r6, 3
            jgt %r6, 5, out
            mov %r0, 2
            out:
            exit
            """;

    @Test
    void factsDescribeEveryInstruction() {
        VerificationResult r = Verifier.verify(Assembler.assemble(PARSER), List.of(), VerifierOptions.privileged());
        assertTrue(r.accepted());
        assertEquals(new InsnFact(true, InsnFact.Region.CTX, 4, InsnFact.Branch.NONE, -1), r.fact(0));
        assertEquals(new InsnFact(true, InsnFact.Region.CTX, 0, InsnFact.Branch.NONE, -1), r.fact(1));
        assertEquals(InsnFact.Branch.BOTH, r.fact(5).branch());
        assertEquals(InsnFact.Region.PACKET, r.fact(6).region());
        assertEquals(InsnFact.Region.STACK, r.fact(7).region());
        assertEquals(InsnFact.Branch.NEVER, r.fact(9).branch());
        assertEquals(InsnFact.Region.NONE, r.fact(2).region());
        assertEquals(-1, r.fact(6).ctxField());
        assertEquals(12, r.facts().size());
    }

    @Test
    void deadCodeIsNotVisited() {
        Program p = Assembler.assemble("mov %r0, 2\njeq %r0, 2, +1\nldxdw %r0, [%r0+0]\nexit\n");
        VerificationResult r = Verifier.verify(p, List.of(), VerifierOptions.privileged());
        assertTrue(r.accepted());
        assertFalse(r.fact(2).visited());
        assertEquals(InsnFact.Branch.ALWAYS, r.fact(1).branch());
    }

    @Test
    void mapReferencesAreRecorded() {
        Program p = Program.of(List.of(new io.jxdp.ebpf.isa.Insn(0x18, 1, 1, 0, 0), new io.jxdp.ebpf.isa.Insn(0, 0, 0, 0, 0),
                new io.jxdp.ebpf.isa.Insn(0xb7, 0, 0, 0, 2), new io.jxdp.ebpf.isa.Insn(0x95, 0, 0, 0, 0)));
        VerificationResult r = Verifier.verify(p, List.of(new MapInfo(2, 4, 8, 1, 0)), VerifierOptions.privileged());
        assertTrue(r.accepted(), r::log);
        assertEquals(0, r.fact(0).mapIndex());
        assertEquals(-1, r.fact(2).mapIndex());
    }

    @Test
    void errorNamesInstructionDisassemblyStateAndReason() {
        Program p = Assembler.assemble("mov %r6, %r1\nldxw %r0, [%r6+24]\nexit\n");
        VerificationResult r = Verifier.verify(p, List.of(), VerifierOptions.privileged());
        VerifierError e = r.error().orElseThrow();
        assertEquals(1, e.insnIndex());
        assertEquals("r0 = *(u32 *)(r6 + 0x18)", e.disassembly());
        assertTrue(e.state().contains("R6=ctx(off=0)"), e.state());
        assertTrue(e.message().startsWith("invalid bpf_context access off=24 size=4"), e.message());
        assertEquals("", e.sourceLine());
        assertTrue(e.format().contains("insn 1: r0 = *(u32 *)(r6 + 0x18)"), e.format());
        assertTrue(r.log().contains("error: invalid bpf_context access"), r.log());
        assertTrue(r.log().contains("processed 2 insns"), r.log());
    }

    @Test
    void logLevelTwoTracesEveryInstructionAndZeroIsSilent() {
        Program p = Assembler.assemble(PARSER);
        String log = Verifier.verify(p, List.of(), VerifierOptions.privileged().withLogLevel(2)).log();
        assertTrue(log.contains("6: r5 = *(u16 *)(r3 + 0xc)"), log);
        assertTrue(log.contains("R3=pkt(off=0,r=14)"), log);
        assertEquals("", Verifier.verify(p, List.of(), VerifierOptions.privileged().withLogLevel(0)).log());
    }

    @Test
    void optionsAndMapInfoRejectNonsense() {
        assertThrows(IllegalArgumentException.class, () -> VerifierOptions.privileged().withLogLevel(3));
        assertThrows(IllegalArgumentException.class, () -> VerifierOptions.privileged().withComplexityLimit(0));
        assertThrows(IllegalArgumentException.class, () -> new MapInfo(1, -1, 8, 1, 0));
        assertTrue(new MapInfo(2, 4, 8, 1, MapInfo.BPF_F_RDONLY_PROG).readOnlyForProgram());
        assertFalse(new MapInfo(2, 4, 8, 1, 0).readOnlyForProgram());
        assertTrue(new MapInfo(14, 4, 4, 1, 0).readOnlyForProgram(), "devmap entries are the kernel's");
        MapInfo inner = new MapInfo(2, 4, 8, 4, 0);
        MapInfo outer = new MapInfo(12, 4, 4, 2, 0, inner);
        assertTrue(outer.holdsMaps());
        assertFalse(inner.holdsMaps());
        assertThrows(IllegalArgumentException.class, () -> new MapInfo(12, 4, 4, 2, 0, outer),
                "one level of maps in maps only");
    }

    @Test
    void mapInMapWithoutTemplateIsAClearRejection() {
        Program p = Assembler.assemble("""
                stw [%r10-4], 0
                mov %r2, %r10
                add %r2, -4
                lddw %r1, 0
                mov %r0, 0
                mov %r0, 2
                exit
                """);
        long[] slots = p.slots();
        // turn the lddw into a map reference (src_reg 1, imm 0) followed by a lookup
        slots[3] = new io.jxdp.ebpf.isa.Insn(0x18, 1, 1, 0, 0).encode();
        slots[5] = new io.jxdp.ebpf.isa.Insn(0x85, 0, 0, 0, 1).encode();
        VerificationResult r = Verifier.verify(Program.ofSlots(slots), List.of(new MapInfo(12, 4, 4, 2, 0)),
                VerifierOptions.privileged());
        assertFalse(r.accepted());
        assertTrue(r.error().orElseThrow().message().contains("has no inner-map template"), r.error().orElseThrow()
                .format());
        VerificationResult ok = Verifier.verify(Program.ofSlots(slots),
                List.of(new MapInfo(12, 4, 4, 2, 0, new MapInfo(2, 4, 8, 4, 0))), VerifierOptions.privileged());
        assertTrue(ok.accepted(), () -> ok.error().orElseThrow().format());
    }

    @Test
    void hostileInputIsAnErrorNotACrash() {
        // every single-slot program of a random code byte: verified or rejected, never thrown
        java.util.Random rnd = new java.util.Random(5);
        int[] codes = {0x07, 0x0f, 0x04, 0x0c, 0xbf, 0xb7, 0x61, 0x69, 0x71, 0x79, 0x62, 0x7a, 0x63, 0x7b, 0x15, 0x1d,
            0x25, 0x2d, 0x16, 0x56, 0x85, 0xc3, 0xdb, 0x18, 0xd4, 0xdc, 0x87, 0x67, 0x77, 0xc7, 0x37, 0x97};
        for (int i = 0; i < 20000; i++) {
            long[] slots = new long[1 + rnd.nextInt(6)];
            for (int k = 0; k < slots.length; k++) {
                // mostly valid opcodes with small registers, offsets and immediates, so paths go deep
                long code = rnd.nextInt(4) == 0 ? rnd.nextInt(256) : codes[rnd.nextInt(codes.length)];
                long regs = rnd.nextInt(11) | (long) rnd.nextInt(11) << 4;
                long off = (rnd.nextInt(40) - 20) & 0xffff;
                long imm = rnd.nextBoolean() ? rnd.nextInt(300) - 150 : rnd.nextInt(200);
                slots[k] = code | regs << 8 | off << 16 | imm << 32;
            }
            slots[slots.length - 1] = 0x95;
            VerificationResult r = Verifier.verify(Program.ofSlots(slots), List.of(new MapInfo(1, 4, 8, 4, 0)),
                    VerifierOptions.privileged());
            if (!r.accepted()) {
                String m = r.error().orElseThrow().message();
                assertFalse(m.isBlank());
                assertFalse(m.contains("internal verifier error"), m);
            }
        }
    }
}
