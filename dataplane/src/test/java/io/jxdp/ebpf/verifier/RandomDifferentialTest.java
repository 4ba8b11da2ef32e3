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
 * Differential test against this kernel on seeded random straight-line-and-forward-jump programs
 * (ALU, loads and stores through r1/r10/copies, helper calls, no loops): jxdp must never accept a
 * program the kernel rejects (that would be unsound); the converse (jxdp stricter) is reported in
 * target/verifier-random.txt.
 */
class RandomDifferentialTest {
    private static final Op[] OPS = {Op.MOV64_IMM, Op.MOV64_REG, Op.ADD64_IMM, Op.ADD64_REG, Op.SUB64_REG, Op.AND64_IMM,
        Op.OR64_REG, Op.LSH64_IMM, Op.RSH64_IMM, Op.ARSH64_IMM, Op.MUL64_IMM, Op.XOR64_REG, Op.ADD32_IMM, Op.MOV32_REG,
        Op.AND32_IMM, Op.LDXW, Op.LDXB, Op.LDXDW, Op.LDXH, Op.STXDW, Op.STXW, Op.STW, Op.STDW, Op.JEQ64_IMM,
        Op.JGT64_REG, Op.JSGT64_IMM, Op.JLT32_IMM, Op.JNE64_REG, Op.JSET64_IMM, Op.CALL, Op.NEG64, Op.BE16,
        Op.ATOMIC64_ADD, Op.MOV64_REG, Op.MOV64_REG};

    static Program random(Random r) {
        int n = 3 + r.nextInt(14);
        List<Insn> out = new ArrayList<>();
        // a prologue that gives every register a value: packet pointers, stack pointers, numbers
        out.add(Op.MOV64_IMM.insn(0, 0, 0, 0));
        out.add(Op.LDXW.insn(2, 1, 4, 0));
        out.add(Op.LDXW.insn(3, 1, 0, 0));
        out.add(Op.MOV64_REG.insn(4, 3, 0, 0));
        out.add(Op.ADD64_IMM.insn(4, 0, 0, r.nextInt(20)));
        out.add(Op.JGT64_REG.insn(4, 2, n + 8, 0)); // to the final exit when the packet is short
        out.add(Op.MOV64_REG.insn(5, 10, 0, 0));
        out.add(Op.ADD64_IMM.insn(5, 0, 0, -8 * (1 + r.nextInt(8))));
        out.add(Op.LDXW.insn(6, 1, 16, 0));
        out.add(Op.MOV64_IMM.insn(7, 0, 0, r.nextInt(100)));
        out.add(Op.MOV64_IMM.insn(8, 0, 0, -r.nextInt(100)));
        out.add(Op.MOV64_IMM.insn(9, 0, 0, 0));
        for (int i = 0; i < n; i++) {
            out.add(randomInsn(r, n - i));
        }
        if (r.nextInt(3) == 0) {
            // a bounded loop: r9 counts to k around a few random straight-line instructions
            int k = 1 + r.nextInt(5);
            out.add(Op.MOV64_IMM.insn(9, 0, 0, 0));
            int head = out.size();
            int body = 1 + r.nextInt(4);
            for (int b = 0; b < body; b++) {
                Insn in;
                do {
                    in = randomInsn(r, 0);
                } while (in.op().kind == Op.Kind.JUMP || in.op().kind == Op.Kind.CALL || in.dst() == 9);
                out.add(in);
            }
            out.add(Op.ADD64_IMM.insn(9, 0, 0, 1));
            out.add(Op.JLT64_IMM.insn(9, 0, head - (out.size() + 1), k));
        }
        out.add(Op.MOV64_IMM.insn(0, 0, 0, 2));
        out.add(Op.EXIT.insn(0, 0, 0, 0));
        int shortPacket = out.size();
        out.add(Op.MOV64_IMM.insn(0, 0, 0, 1));
        out.add(Op.EXIT.insn(0, 0, 0, 0));
        out.set(5, Op.JGT64_REG.insn(4, 2, shortPacket - 6, 0));
        return Program.of(out);
    }

    /** One random instruction; a jump goes at most {@code remaining} slots forward. */
    static Insn randomInsn(Random r, int remaining) {
        Op op = OPS[r.nextInt(OPS.length)];
        int[] scalars = {0, 6, 7, 8, 9};
        int[] bases = {1, 3, 4, 5, 10};
        int scalar = scalars[r.nextInt(scalars.length)];
        int base = bases[r.nextInt(bases.length)];
        int dst = r.nextInt(6) == 0 ? base : scalar;
        int src = r.nextInt(4) == 0 ? base : scalars[r.nextInt(scalars.length)];
        int imm = r.nextInt(4) == 0 ? r.nextInt(64) - 32 : r.nextInt(16);
        int off = 0;
        int baseOff = switch (base) {
            case 1 -> 4 * r.nextInt(7) - (r.nextInt(8) == 0 ? 2 : 0);
            case 3, 4 -> r.nextInt(24) - 2;
            default -> -8 * (1 + r.nextInt(4)) + (r.nextInt(8) == 0 ? 4 : 0);
        };
        switch (op.kind) {
            case JUMP -> {
                off = r.nextInt(remaining + 1);
                if (r.nextInt(4) == 0) {
                    dst = 3 + r.nextInt(2);
                    src = 2;
                }
            }
            case LDX -> {
                src = base;
                off = baseOff;
            }
            case ST, STX, ATOMIC -> {
                dst = base;
                off = baseOff;
            }
            default -> { }
        }
        if (op == Op.CALL) {
            int[] helpers = {5, 7, 8, 42, 118, 125, 160};
            imm = helpers[r.nextInt(helpers.length)];
        }
        if (op.kind == Op.Kind.ALU && op.mnemonic.contains("sh")) {
            imm = r.nextInt(64);
        }
        // zero the fields this form does not use (the kernel rejects reserved fields)
        boolean regSrc = op.source == Op.Source.REG && op.kind != Op.Kind.END;
        if (!regSrc && op.kind != Op.Kind.LDX) {
            src = 0;
        }
        if (regSrc || op.kind == Op.Kind.LDX || op.kind == Op.Kind.NEG) {
            imm = 0;
        }
        if (op.kind == Op.Kind.CALL || op.kind == Op.Kind.NEG || op.kind == Op.Kind.END) {
            dst = op.kind == Op.Kind.CALL ? 0 : dst;
            off = 0;
        }
        return op.insn(dst, src, off, imm);
    }

    @Test
    void neverAcceptsWhatTheKernelRejects() throws IOException {
        Random rnd = new Random(Long.getLong("jxdp.random.seed", 20261122L));
        int both = 0;
        int accepted = 0;
        List<String> sample = new ArrayList<>();
        java.util.Map<String, Integer> reasons = new java.util.TreeMap<>();
        int stricter = 0;
        List<String> unsound = new ArrayList<>();
        List<String> strict = new ArrayList<>();
        int total = Integer.getInteger("jxdp.random.count", 3000);
        for (int i = 0; i < total; i++) {
            Program p = random(rnd);
            VerificationResult r = Verifier.verify(p, List.of(), VerifierOptions.privileged());
            String kernel = null;
            try {
                Bpf.close(Bpf.progLoad(ProgLoadAttr.xdp(p.slots())));
            } catch (BpfLoadException e) {
                String[] l = e.log().strip().split("\n");
                kernel = l.length > 1 ? l[l.length - 2] : e.getMessage();
            }
            if (r.accepted() && kernel != null) {
                unsound.add("#" + i + " kernel: " + kernel + "\n" + io.jxdp.ebpf.asm.Disassembler.disassemble(p));
            } else if (!r.accepted() && kernel == null) {
                stricter++;
                strict.add("#" + i + " jxdp: " + r.error().orElseThrow().message() + "\n"
                        + io.jxdp.ebpf.asm.Disassembler.disassemble(p));
            } else {
                both++;
                if (r.accepted()) {
                    accepted++;
                } else {
                    String why = r.error().orElseThrow().message();
                    reasons.merge(why.substring(0, Math.min(40, why.length())), 1, Integer::sum);
                }
                if (!r.accepted() && sample.size() < 5) {
                    sample.add("#" + i + " both reject; jxdp: " + r.error().orElseThrow().message() + "; kernel: " + kernel);
                }
            }
        }
        Path report = Path.of("target", "verifier-random.txt");
        Files.createDirectories(report.getParent());
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(report))) {
            w.printf("%d random programs: %d same verdict (%d accepted by both), %d jxdp stricter, %d jxdp accepted"
                    + " but kernel rejected%n", total, both, accepted, stricter, unsound.size());
            unsound.forEach(u -> w.println("UNSOUND " + u));
            strict.forEach(s -> w.println("STRICTER " + s));
            sample.forEach(w::println);
            reasons.forEach((k, v) -> w.println("both reject " + v + "x: " + k));
        }
        System.out.printf("random differential: %d/%d same verdict, %d stricter, %d unsound%n", both, total, stricter,
                unsound.size());
        assertTrue(unsound.isEmpty(), "jxdp accepted programs the kernel rejects (see " + report + "):\n"
                + String.join("\n", unsound.subList(0, Math.min(3, unsound.size()))));
    }
}
