package io.jxdp.ebpf.verifier;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.BpfLoadException;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Differential test of callbacks against this kernel: seeded random bpf_loop programs whose
 * callback runs random instructions (from {@link RandomDifferentialTest#randomInsn}) with the
 * context pointing into the caller's stack, after which the caller uses a context slot as a
 * variable stack offset. jxdp must never accept a program the kernel rejects; where jxdp is
 * stricter the count is reported in {@code target/verifier-callbacks.txt}.
 */
class CallbackDifferentialTest {
    private static final int COUNT = Integer.getInteger("jxdp.callbacks.count", 600);
    private static final long SEED = Long.getLong("jxdp.callbacks.seed", 11);

    static Program random(Random r) {
        List<Insn> out = new ArrayList<>();
        for (int s = 1; s <= 4; s++) {
            out.add(Op.STDW.insn(10, 0, -8 * s, r.nextInt(4) == 0 ? r.nextInt(64) - 32 : r.nextInt(8)));
        }
        out.add(Op.MOV64_IMM.insn(1, 0, 0, r.nextInt(6)));
        int lddw = out.size();
        out.add(null); // ld_imm64 r2 = callback (src_reg 4), patched below
        out.add(new Insn(0, 0, 0, 0, 0));
        out.add(Op.MOV64_REG.insn(3, 10, 0, 0));
        out.add(Op.MOV64_IMM.insn(4, 0, 0, 0));
        out.add(Op.CALL.insn(0, 0, 0, 181));
        out.add(Op.LDXDW.insn(1, 10, -16, 0));
        out.add(Op.AND64_IMM.insn(1, 0, 0, r.nextBoolean() ? 7 : 31));
        out.add(Op.MOV64_REG.insn(2, 10, 0, 0));
        out.add(Op.ADD64_IMM.insn(2, 0, 0, -32));
        out.add(Op.ADD64_REG.insn(2, 1, 0, 0));
        out.add(Op.LDXB.insn(0, 2, 0, 0));
        out.add(Op.MOV64_IMM.insn(0, 0, 0, 2));
        out.add(Op.EXIT.insn(0, 0, 0, 0));
        int cb = out.size();
        out.set(lddw, new Insn(0x18, 2, 4, 0, cb - lddw - 1));
        // callback: r5 = context (caller fp), r6 = index, r7..r9 numbers, r3/r4 its own stack
        out.add(Op.MOV64_REG.insn(5, 2, 0, 0));
        out.add(Op.MOV64_REG.insn(6, 1, 0, 0));
        out.add(Op.MOV64_IMM.insn(7, 0, 0, r.nextInt(100)));
        out.add(Op.MOV64_IMM.insn(8, 0, 0, -r.nextInt(100)));
        out.add(Op.MOV64_IMM.insn(9, 0, 0, 0));
        out.add(Op.MOV64_IMM.insn(0, 0, 0, 0));
        out.add(Op.MOV64_REG.insn(3, 10, 0, 0));
        out.add(Op.MOV64_REG.insn(4, 10, 0, 0));
        out.add(Op.ADD64_IMM.insn(4, 0, 0, -8));
        int n = 2 + r.nextInt(10);
        for (int i = 0; i < n; i++) {
            Insn in = RandomDifferentialTest.randomInsn(r, n - i);
            if (in.op().kind == Op.Kind.LDX || in.op().kind == Op.Kind.ST || in.op().kind == Op.Kind.STX) {
                // through r1 (the index, a number) rarely; mostly through the context
                if ((in.op().kind == Op.Kind.LDX ? in.src() : in.dst()) == 1 && r.nextInt(4) != 0) {
                    in = in.op().kind == Op.Kind.LDX ? new Insn(in.code(), in.dst(), 5, in.off(), in.imm())
                            : new Insn(in.code(), 5, in.src(), in.off(), in.imm());
                }
            }
            out.add(in);
        }
        switch (r.nextInt(5)) {
            case 0 -> out.add(Op.MOV64_IMM.insn(0, 0, 0, r.nextInt(3)));
            case 1 -> out.add(Op.AND64_IMM.insn(0, 0, 0, 1));
            case 2 -> out.add(Op.MOV64_REG.insn(0, 6, 0, 0));
            case 3 -> {
                out.add(Op.MOV64_REG.insn(0, 7, 0, 0));
                out.add(Op.AND64_IMM.insn(0, 0, 0, 1));
            }
            default -> { }
        }
        out.add(Op.EXIT.insn(0, 0, 0, 0));
        return Program.of(out);
    }

    @Test
    void neverAcceptsACallbackProgramTheKernelRejects() throws IOException {
        Random r = new Random(SEED);
        int btf = Bpf.btfLoad(VerifierCase.STATIC_FUNC_BTF);
        int both = 0;
        int accepted = 0;
        int stricter = 0;
        List<String> unsound = new ArrayList<>();
        List<String> stricterSample = new ArrayList<>();
        try {
            for (int i = 0; i < COUNT; i++) {
                Program p = random(r);
                VerificationResult v = Verifier.verify(p, List.of(), VerifierOptions.privileged());
                String kernel = null;
                try {
                    long[] slots = p.slots();
                    Bpf.close(Bpf.progLoad(ProgLoadAttr.xdp(slots).withLog(1, 1 << 20)
                            .withBtf(btf, VerifierCase.callbackFuncInfo(slots), 8, null, 0)));
                } catch (BpfLoadException e) {
                    String[] l = e.log().strip().split("\n");
                    kernel = l.length > 1 ? l[l.length - 2] : e.getMessage();
                }
                if (v.accepted() && kernel != null) {
                    unsound.add("#" + i + " kernel: " + kernel + "\n" + io.jxdp.ebpf.asm.Disassembler.disassemble(p));
                } else if (!v.accepted() && kernel == null) {
                    stricter++;
                    if (stricterSample.size() < 10) {
                        stricterSample.add("#" + i + " jxdp: " + v.error().orElseThrow().format()
                                + io.jxdp.ebpf.asm.Disassembler.disassemble(p));
                    }
                } else {
                    both++;
                    accepted += v.accepted() ? 1 : 0;
                }
            }
        } finally {
            Bpf.close(btf);
        }
        Path report = Path.of("target", "verifier-callbacks.txt");
        Files.createDirectories(report.getParent());
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(report))) {
            w.printf("%d random bpf_loop programs (seed %d): %d same verdict (%d accepted by both), %d jxdp stricter,"
                    + " %d jxdp accepted but kernel rejected%n", COUNT, SEED, both, accepted, stricter, unsound.size());
            stricterSample.forEach(s -> w.println("STRICTER " + s));
            unsound.forEach(s -> w.println("UNSOUND " + s));
        }
        System.out.println(Files.readString(report).lines().findFirst().orElse(""));
        assertTrue(unsound.isEmpty(), "jxdp accepted callback programs the kernel rejects:\n" + String.join("\n", unsound));
        assertTrue(accepted >= COUNT / 10, "too few accepted programs (" + accepted + ") to test anything");
    }
}
