package io.jxdp.ebpf.loader;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Invariants every linked program must satisfy, whatever the input: functions tile the program
 * exactly (linked length = main + appended subprograms), every bpf-to-bpf call and every
 * BPF_PSEUDO_FUNC address lands on the first instruction of a function, every map relocation
 * sits on an LD_IMM64 with the matching src_reg.
 */
final class LinkInvariants {
    private LinkInvariants() {
    }

    static void check(ProgramSpec p) {
        long[] in = p.instructions();
        List<FunctionEntry> fns = p.functions();
        int expect = 0;
        Set<Integer> entries = new HashSet<>();
        for (FunctionEntry f : fns) {
            require(f.insnIndex() == expect, p, "function " + f + " does not follow the previous one");
            entries.add(f.insnIndex());
            expect += f.insnCount();
        }
        require(expect == in.length, p, "functions cover " + expect + " of " + in.length + " instructions");
        require(fns.get(0).insnIndex() == 0 && fns.get(0).name().equals(p.name()), p, "first function is not main");
        for (FunctionEntry f : fns) {
            for (int i = f.insnIndex(); i < f.insnIndex() + f.insnCount(); i++) {
                long insn = in[i];
                if (RawInsn.isSubprogCall(insn) || RawInsn.isPseudoFunc(insn)) {
                    long target = (long) i + RawInsn.imm(insn) + 1;
                    require(entries.contains((int) target) && target == (int) target, p,
                            "call at " + i + " lands on " + target + ", not a function entry");
                }
                if (RawInsn.code(insn) == RawInsn.LD_IMM64) {
                    i++;
                }
            }
        }
        for (MapReloc r : p.mapRelocs()) {
            long insn = in[r.insnIndex()];
            require(RawInsn.code(insn) == RawInsn.LD_IMM64, p, "map reloc not on ld_imm64: " + r);
            int src = r.kind() == MapReloc.Kind.MAP_FD ? RawInsn.PSEUDO_MAP_FD : RawInsn.PSEUDO_MAP_VALUE;
            require(RawInsn.src(insn) == src && RawInsn.imm(insn) == r.mapIndex(), p, "map reloc not applied: " + r);
        }
        for (LineInfo l : p.lineInfo()) {
            require(l.insnIndex() >= 0 && l.insnIndex() < in.length, p, "line info outside program: " + l);
        }
        for (FuncInfo f : p.funcInfo()) {
            require(entries.contains(f.insnIndex()), p, "func info not at a function entry: " + f);
        }
    }

    private static void require(boolean ok, ProgramSpec p, String what) {
        if (!ok) {
            throw new AssertionError(p + ": " + what);
        }
    }
}
