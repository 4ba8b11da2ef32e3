package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.map.MapException;
import java.io.InputStream;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinkerTest {
    private static BpfObject fixture(String name) throws Exception {
        try (InputStream in = LinkerTest.class.getResourceAsStream("/elf/" + name)) {
            return BpfObjectLoader.load(name, in.readAllBytes());
        }
    }

    private static BpfObject corpus(String object) throws Exception {
        return BpfObjectLoader.load(Corpus.root().resolve("obj/" + object));
    }

    private static String error(BpfObject obj, String program) {
        return assertThrows(EngineException.class, () -> InterpreterXdpEngine.create(obj, program).close()).getMessage();
    }

    @Test
    void theVerifierStandsBeforeTheDataplane() throws Exception {
        BpfObject obj;
        try (InputStream in = LinkerTest.class.getResourceAsStream("/kernel/reject.o")) {
            obj = BpfObjectLoader.load("reject.o", in.readAllBytes());
        }
        // an unchecked packet read: the kernel refuses it, and so does the dataplane, before any packet
        String m = error(obj, "xdp_unchecked");
        assertTrue(m.contains("program 'xdp_unchecked' rejected by the verifier") && m.contains("insn "), m);
        // the object's other program is safe and runs
        try (InterpreterXdpEngine e = InterpreterXdpEngine.create(obj, "xdp_globals")) {
            assertEquals(2, e.run(new byte[64], 1).action());
        }
    }

    @Test
    void unsupportedMapTypeNamesMapAndType() throws Exception {
        BpfObject obj;
        try (InputStream in = LinkerTest.class.getResourceAsStream("/helpers/unsupported.o")) {
            obj = BpfObjectLoader.load("unsupported.o", in.readAllBytes());
        }
        String m = error(obj, null);
        assertTrue(m.contains("map 'socks'") && m.contains("BPF_MAP_TYPE_SOCKHASH") && m.contains("(18)"), m);
    }

    @Test
    void unimplementedHelperNamesIdNameAndInstruction() throws Exception {
        String m = assertThrows(EngineException.class, () -> InterpreterXdpEngine.ofInstructions(
                new Insns().movImm(0, 2).call(9).exit().build(), Interpreter.Mode.CHECKED)).getMessage();
        assertTrue(m.contains("insn 1") && m.contains("helper 9 (bpf_skb_store_bytes)"), m);
        long[] s = new Insns().call(9999).exit().build();
        m = assertThrows(EngineException.class,
                () -> InterpreterXdpEngine.ofInstructions(s, Interpreter.Mode.CHECKED)).getMessage();
        assertTrue(m.contains("insn 0") && m.contains("helper 9999 (unknown to the kernel)"), m);
    }

    @Test
    void kfuncCallsAreRefused() {
        long[] s = new Insns().raw(0x85, 0, 2, 0, 1234).exit().build();
        String m = assertThrows(EngineException.class,
                () -> InterpreterXdpEngine.ofInstructions(s, Interpreter.Mode.CHECKED)).getMessage();
        assertTrue(m.contains("insn 0") && m.contains("kfunc") && m.contains("not supported"), m);
    }

    @Test
    void nonXdpProgramsAreRefused() throws Exception {
        String m = error(fixture("subprogs.o"), "tc_prog");
        assertTrue(m.contains("section 'tc' is not an XDP program"), m);
    }

    @Test
    void programChoiceErrorsListTheAvailableOnes() throws Exception {
        BpfObject obj = corpus("xdp_adjust.o");
        String m = error(obj, "nope");
        assertTrue(m.contains("no program 'nope'") && m.contains("xdp_encap, xdp_decap, xdp_tail, xdp_meta, xdp_bytes"), m);
        m = error(obj, null);
        assertTrue(m.contains("choose one with --program"), m);
    }

    @Test
    void globalDataIsFilledAndRodataFrozen() throws Exception {
        try (InterpreterXdpEngine e = InterpreterXdpEngine.create(corpus("xdp_config.o"), null)) {
            assertEquals(List.of("xdp_config", ".rodata", ".data", ".bss"), List.of(e.programName(),
                    e.mapNames().get(0), e.mapNames().get(1), e.mapNames().get(2)));
            List<MapEntry> ro = e.dumpMap(".rodata");
            assertEquals("0900020000000001", HexFormat.of().formatHex(ro.get(0).values().get(0)));
            assertEquals("03000000", HexFormat.of().formatHex(e.dumpMap(".data").get(0).values().get(0)));
            assertTrue(e.map(".rodata").isFrozen());
            EngineException x = assertThrows(EngineException.class,
                    () -> e.updateMap(".rodata", new byte[4], List.of(new byte[8])));
            assertTrue(x.getMessage().contains("frozen"), x.getMessage());
            assertTrue(x.getCause() instanceof MapException);
            e.updateMap(".data", new byte[4], List.of(new byte[] {1, 0, 0, 0}));
            assertArrayEquals(new byte[] {1, 0, 0, 0}, e.dumpMap(".data").get(0).values().get(0));
        }
    }

    @Test
    void checkedModeFaultsNameTheInstruction() {
        long[] s = new Insns().ldxw(2, 1, 0).raw(0x71, 0, 2, 100, 0).exit().build(); // r0 = *(u8 *)(data + 100)
        try (InterpreterXdpEngine e = InterpreterXdpEngine.ofInstructions(s, Interpreter.Mode.CHECKED)) {
            String m = assertThrows(EngineException.class, () -> e.run(new byte[14], 1)).getMessage();
            assertTrue(m.contains("faulted") && m.contains("pc 1") && m.contains("out-of-bounds read of 1 bytes"), m);
            byte[] p = new byte[101];
            p[100] = 0x5a;
            assertEquals(0x5a, e.run(p, 1).action(), "in bounds the same load reads the packet");
        }
    }

    @Test
    void pseudoFuncReferencesOutsideTheProgramAreRefused() {
        long[] s = new Insns().raw(0x18, 1, 4, 0, 9).raw(0, 0, 0, 0, 0).movImm(0, 2).exit().build();
        String m = assertThrows(EngineException.class,
                () -> InterpreterXdpEngine.ofInstructions(s, Interpreter.Mode.CHECKED)).getMessage();
        assertTrue(m.contains("insn 0") && m.contains("callback function at 10") && m.contains("outside"), m);
    }

    @Test
    void otherPseudoLoadsAreRefused() {
        long[] s = new Insns().raw(0x18, 1, 3, 0, 9).raw(0, 0, 0, 0, 0).movImm(0, 2).exit().build();
        String m = assertThrows(EngineException.class,
                () -> InterpreterXdpEngine.ofInstructions(s, Interpreter.Mode.CHECKED)).getMessage();
        assertTrue(m.contains("insn 0") && m.contains("src_reg 3"), m);
    }
}
