package io.jxdp.ebpf.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.loader.ProgramSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The accept corpus: every program of every object in programs/obj verifies, and its facts are consistent. */
class ProgramCorpusTest {
    static final Path OBJ = Path.of("..", "programs", "obj");

    record Named(String object, ProgramSpec spec, List<MapInfo> maps) {
        @Override
        public String toString() {
            return object + ":" + spec.name();
        }
    }

    static Stream<Named> programs() throws IOException, io.jxdp.ebpf.loader.BpfLoadException {
        List<Named> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(OBJ)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".o")).sorted().toList()) {
                BpfObject obj = BpfObjectLoader.load(f);
                List<MapInfo> maps = obj.maps().stream().map(MapInfo::of).toList();
                for (ProgramSpec p : obj.programs()) {
                    out.add(new Named(f.getFileName().toString(), p, maps));
                }
            }
        }
        assertTrue(out.size() >= 9, "expected the programs/ corpus, found " + out);
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    void verifiesAndRecordsFacts(Named n) {
        VerificationResult r = Verifier.verify(n.spec(), n.maps(), VerifierOptions.privileged());
        assertTrue(r.accepted(), () -> n + ": " + r.error().orElseThrow().format());
        Program prog = Program.ofSlots(n.spec().instructions());
        Set<Integer> ctxFields = Set.of(0, 4, 8, 12, 16);
        for (int pc = 0; pc < prog.length(); pc++) {
            Insn i = prog.insn(pc);
            Op op = i.op();
            InsnFact f = r.fact(pc);
            if (op == null || !f.visited()) {
                continue;
            }
            boolean memory = op.kind == Op.Kind.LDX || op.kind == Op.Kind.LDXSX || op.kind == Op.Kind.ST
                    || op.kind == Op.Kind.STX || op.kind == Op.Kind.ATOMIC;
            if (memory) {
                assertTrue(f.region() != InsnFact.Region.NONE, n + " insn " + pc + " accesses memory but has no region");
            } else {
                assertEquals(InsnFact.Region.NONE, f.region(), n + " insn " + pc);
            }
            if (f.region() == InsnFact.Region.CTX) {
                assertTrue(ctxFields.contains(f.ctxField()) && i.off() == f.ctxField() && op == Op.LDXW,
                        n + " insn " + pc + " ctx field " + f.ctxField());
            }
            if (op.kind == Op.Kind.JUMP) {
                assertTrue(f.branch() != InsnFact.Branch.NONE, n + " insn " + pc);
            }
            if (op == Op.LDDW_MAP_FD || op == Op.LDDW_MAP_VALUE) {
                assertEquals(i.imm(), f.mapIndex(), n + " insn " + pc);
            }
            pc += op.slots() - 1;
        }
        assertTrue(r.processedInsns() < 100_000, n + " processed " + r.processedInsns());
        assertFalse(r.log().isEmpty());
    }
}
