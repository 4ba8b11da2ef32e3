package io.jxdp.ebpf.interp;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jxdp.ebpf.asm.AsmWriter;
import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checked mode on random programs: every run ends with a result or a {@link VmException}, never another
 * exception or a native fault. Pointers are made likely by seeding registers with the input address and
 * r10, so loads and stores hit both valid and invalid memory.
 */
class CheckedFuzzTest {

    @ParameterizedTest
    @ValueSource(longs = {11L, 12L, 13L, 14L})
    void randomProgramsEndCleanly(long seed) {
        Random rnd = new Random(seed);
        int results = 0;
        int faults = 0;
        int offTheEnd = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mem = arena.allocate(64, 8);
            for (int n = 0; n < 1500; n++) {
                Program p = randomProgram(rnd);
                Interpreter vm;
                try {
                    vm = new Interpreter(p, InterpreterTest.helpers(), Interpreter.Mode.CHECKED);
                } catch (VmException e) {
                    faults++; // rejected at load (r10 written, bad jump target, no exit at the end ...)
                    if (e.getMessage().contains("falls off the end of the program")) {
                        offTheEnd++;
                    }
                    continue;
                }
                vm.budget(5_000);
                vm.regions().add("mem", mem, true);
                vm.context().packet(mem.address(), 64);
                try {
                    vm.run(mem.address(), 64);
                    results++;
                } catch (VmException e) {
                    faults++;
                } catch (RuntimeException | Error e) {
                    fail("program " + n + " threw " + e + "\n" + AsmWriter.write(p), e);
                }
            }
        }
        assertTrue(results > 100 && faults > 100, "results " + results + ", faults " + faults);
        assertTrue(offTheEnd > 20, "programs rejected for running off their end: " + offTheEnd);
    }

    private static Program randomProgram(Random rnd) {
        List<Insn> out = new ArrayList<>();
        // r6 = r1 (the input), r7 = r10 - 16: pointer registers the memory ops below prefer
        out.add(Op.MOV64_REG.insn(6, 1, 0, 0));
        out.add(Op.MOV64_REG.insn(7, 10, 0, 0));
        out.add(Op.ADD64_IMM.insn(7, 0, 0, -16));
        int len = 3 + rnd.nextInt(25);
        Op[] ops = Op.values();
        while (out.size() < len) {
            Op op = ops[rnd.nextInt(ops.length)];
            if (op.kind == Op.Kind.LDDW && op != Op.LDDW && rnd.nextInt(4) != 0) {
                continue;
            }
            int d = rnd.nextInt(10);
            int s = rnd.nextInt(11);
            int base = rnd.nextInt(4) == 0 ? rnd.nextInt(11) : 6 + rnd.nextInt(2);
            int off = rnd.nextInt(4) == 0 ? (short) rnd.nextInt() : rnd.nextInt(80) - 8;
            int imm = rnd.nextInt(3) == 0 ? rnd.nextInt() : rnd.nextInt(70) - 3;
            int jump = rnd.nextInt(7) - 2;
            switch (op.kind) {
                case LDX, LDXSX -> out.add(op.insn(d, base, off, 0));
                case ST -> out.add(op.insn(base, 0, off, imm));
                case STX, ATOMIC -> out.add(op.insn(base, s, off, 0));
                case JUMP, JA -> out.add(op.insn(d, s, jump, imm));
                case JA32, CALL_LOCAL -> out.add(op.insn(0, 0, 0, jump));
                case CALL -> out.add(op.insn(0, 0, 0, rnd.nextBoolean() ? 7 : rnd.nextInt(300)));
                case LDDW -> {
                    out.add(op.insn(d, 0, 0, imm));
                    out.add(new Insn(0, 0, 0, 0, rnd.nextInt(3) == 0 ? rnd.nextInt() : 0));
                }
                default -> out.add(op.insn(d, s, off, imm));
            }
        }
        if (rnd.nextInt(8) != 0) {
            out.add(Op.EXIT.insn(0, 0, 0, 0)); // one program in eight may run off its end: rejected at load
        }
        return Program.of(out);
    }
}
