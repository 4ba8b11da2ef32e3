package io.jxdp.ebpf.jit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.interp.VmException;
import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Big programs are split so that every generated method stays under the JVM's HugeMethodLimit. */
class JitSplitTest {
    private static final int STACK = JitCompiler.STACK_SIZE * JitCompiler.MAX_FRAMES;
    private static final Op[] ALU = {Op.ADD64_REG, Op.SUB64_IMM, Op.MUL64_REG, Op.XOR64_IMM, Op.OR64_REG,
            Op.LSH64_IMM, Op.RSH64_REG, Op.ADD32_IMM, Op.MUL32_REG, Op.DIV64_REG, Op.SMOD32_IMM, Op.BE32, Op.NEG64};

    /**
     * A synthetic program of about 20,000 instructions: a counted loop (3 trips) around a body with
     * stack stores and loads, forward jumps of up to 1,500 instructions, helper calls and
     * bpf-to-bpf calls, so control crosses region boundaries forwards, backwards and through calls.
     */
    static Program big(long seed, int size) {
        return big(seed, size, 1500);
    }

    /** As {@link #big(long, int)} with forward jumps of at most maxJump instructions. */
    static Program big(long seed, int size, int maxJump) {
        Random rnd = new Random(seed);
        List<Insn> code = new ArrayList<>();
        code.add(Op.STXDW.insn(1, 10, 0, 0)); // r1 points at 8 bytes that receive r10, to find the stack
        for (int r = 0; r <= 8; r++) {
            code.add(Op.MOV64_IMM.insn(r, 0, 0, rnd.nextInt()));
        }
        code.add(Op.MOV64_IMM.insn(6, 0, 0, 3)); // loop counter, never written by the body
        int loop = code.size();
        int bodyEnd = loop + size;
        List<int[]> jumps = new ArrayList<>(); // {index, target}
        List<Integer> calls = new ArrayList<>();
        while (code.size() < bodyEnd) {
            int at = code.size();
            int dice = rnd.nextInt(100);
            int d = pick(rnd);
            if (dice < 5 && bodyEnd - at > 10) {
                int target = Math.min(bodyEnd, at + 1 + rnd.nextInt(maxJump));
                code.add(Op.JGT64_REG.insn(d, pick(rnd), 0, 0));
                jumps.add(new int[] {at, target});
            } else if (dice < 7 && bodyEnd - at > 8) {
                code.add(Op.CALL_LOCAL.insn(0, 0, 0, 0));
                calls.add(at);
                for (int r = 1; r <= 5; r++) {
                    code.add(Op.MOV64_IMM.insn(r, 0, 0, rnd.nextInt(1000)));
                }
            } else if (dice < 8 && bodyEnd - at > 8) {
                code.add(Op.CALL.insn(0, 0, 0, RandomPrograms.HELPER));
                for (int r = 1; r <= 5; r++) {
                    code.add(Op.MOV64_IMM.insn(r, 0, 0, rnd.nextInt(1000)));
                }
            } else if (dice < 20) {
                code.add(Op.STXDW.insn(10, d, -8 * (1 + rnd.nextInt(64)), 0));
            } else if (dice < 30) {
                code.add(Op.LDXW.insn(d, 10, -8 * (1 + rnd.nextInt(64)), 0));
            } else {
                Op op = ALU[rnd.nextInt(ALU.length)];
                code.add(op.source == Op.Source.IMM ? op.insn(d, 0, 0, 1 + rnd.nextInt(31)) : op.insn(d, pick(rnd), 0, 0));
            }
        }
        code.add(Op.SUB64_IMM.insn(6, 0, 0, 1));
        code.add(Op.JEQ64_IMM.insn(6, 0, 1, 0));
        code.add(Op.JA32.insn(0, 0, 0, loop - (code.size() + 1))); // gotol: the body may exceed 16-bit offsets
        code.add(Op.EXIT.insn(0, 0, 0, 0));
        int sub = code.size();
        // the subprogram: r0 = r1 * 3 + r2, touching its own stack frame
        code.add(Op.STXDW.insn(10, 1, -8, 0));
        code.add(Op.LDXDW.insn(0, 10, -8, 0));
        code.add(Op.MUL64_IMM.insn(0, 0, 0, 3));
        code.add(Op.ADD64_REG.insn(0, 2, 0, 0));
        code.add(Op.EXIT.insn(0, 0, 0, 0));
        for (int[] j : jumps) {
            Insn in = code.get(j[0]);
            code.set(j[0], new Insn(in.code(), in.dst(), in.src(), j[1] - j[0] - 1, 0));
        }
        for (int c : calls) {
            code.set(c, Op.CALL_LOCAL.insn(0, 0, 0, sub - c - 1));
        }
        return Program.of(code);
    }

    /** r0-r5, r7, r8: never r6 (the loop counter). */
    private static int pick(Random rnd) {
        int r = rnd.nextInt(8);
        return r == 6 ? 8 : r;
    }

    @Test
    void aTwentyThousandInstructionProgramIsSplitUnderTheLimitAndAgreesWithTheInterpreter() {
        HelperRegistry helpers = JitDifferentialTest.helpers();
        Program p = big(20_000, 20_000);
        CompiledProgram jit = JitCompiler.compile(p, helpers, JitOptions.defaults().withVerify(true));
        Map<String, Integer> sizes = JitCompiler.methodSizes(jit.classBytes());
        long regions = sizes.keySet().stream().filter(n -> n.startsWith("p0_s0_r")).count();
        assertTrue(regions >= 10, "20,000 instructions should need many regions: " + sizes);
        int total = 0;
        for (Map.Entry<String, Integer> e : sizes.entrySet()) {
            assertTrue(e.getValue() < JitCompiler.HUGE_METHOD_LIMIT, e.getKey() + " has " + e.getValue() + " bytes");
            total += e.getValue();
        }
        assertTrue(total > JitCompiler.HUGE_METHOD_LIMIT * 10, "total bytecode " + total);

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment probe = arena.allocate(8, 8);
            Interpreter vm = new Interpreter(p, helpers, Interpreter.Mode.CHECKED);
            vm.regions().add("probe", probe, true);
            long expected = vm.run(probe.address(), 8);
            long top = probe.get(ValueLayout.JAVA_LONG, 0);
            byte[] interpStack = MemorySegment.ofAddress(top - STACK).reinterpret(STACK).toArray(ValueLayout.JAVA_BYTE);
            assertEquals(expected, jit.run(probe.address(), 8));
            assertEquals(jit.stack().address() + STACK, probe.get(ValueLayout.JAVA_LONG, 0));
            assertArrayEquals(interpStack, jit.stack().toArray(ValueLayout.JAVA_BYTE), "stack after the run");
            // the stack keeps its bytes between runs in both engines, so a second run reads what the first left
            assertEquals(vm.run(probe.address(), 8), jit.run(probe.address(), 8), "second run");
            Reference.reachabilityFence(vm);
        }
    }

    /**
     * 100,000 instructions (over a thousand regions at budget 500, hundreds at the default): more regions than
     * one switch holds, so the dispatcher goes through group methods; still every method fits and
     * the result is the interpreter's.
     */
    @ParameterizedTest(name = "budget {0}")
    @ValueSource(ints = {500, JitOptions.DEFAULT_METHOD_BUDGET})
    void aHundredThousandInstructionsGoThroughGroupMethods(int budget) {
        HelperRegistry helpers = JitDifferentialTest.helpers();
        Program p = big(100_000, 100_000);
        CompiledProgram jit = JitCompiler.compile(p, helpers, JitOptions.defaults().withMethodBudget(budget));
        Map<String, Integer> sizes = JitCompiler.methodSizes(jit.classBytes());
        assertTrue(sizes.keySet().stream().filter(n -> n.startsWith("p0_s0_g")).count() >= 2, "group methods");
        sizes.forEach((n, s) -> assertTrue(s < JitCompiler.HUGE_METHOD_LIMIT, n + " has " + s + " bytes"));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment probe = arena.allocate(8, 8);
            Interpreter vm = new Interpreter(p, helpers, Interpreter.Mode.CHECKED);
            vm.regions().add("probe", probe, true);
            assertEquals(vm.run(probe.address(), 8), jit.run(probe.address(), 8));
        }
    }

    /** More distinct 64-bit constants than one class's constant pool holds: a clear error, not a crash. */
    @Test
    void aProgramBeyondTheConstantPoolIsAClearError() {
        List<Insn> code = new ArrayList<>();
        for (int i = 0; i < 40_000; i++) {
            long v = 0x1234_5678_0000_0000L + i;
            code.add(Op.LDDW.insn(0, 0, 0, (int) v));
            code.add(new Insn(0, 0, 0, 0, (int) (v >>> 32)));
        }
        code.add(Op.EXIT.insn(0, 0, 0, 0));
        VmException e = assertThrows(VmException.class, () -> JitCompiler.compile(Program.of(code), null));
        assertTrue(e.getMessage().contains("too many distinct constants for one class"), e.getMessage());
    }

    /** Splitting does not depend on the budget being the default: every budget gives the same result. */
    @Test
    void everyBudgetGivesTheSameResult() {
        HelperRegistry helpers = JitDifferentialTest.helpers();
        Program p = big(7, 3_000);
        byte[] stack = null;
        long expected;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment probe = arena.allocate(8, 8);
            Interpreter vm = new Interpreter(p, helpers, Interpreter.Mode.CHECKED);
            vm.regions().add("probe", probe, true);
            expected = vm.run(probe.address(), 8);
        }
        for (int budget : new int[] {500, 900, 2_000, 4_000, 6_000, 100_000}) {
            JitOptions options = JitOptions.defaults().withVerify(true).withMethodBudget(budget);
            CompiledProgram jit = JitCompiler.compile(p, helpers, options);
            long r0;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment m = arena.allocate(8, 8);
                r0 = jit.run(m.address(), 8);
            }
            assertEquals(expected, r0, "budget " + budget);
            byte[] s = jit.stack().toArray(ValueLayout.JAVA_BYTE);
            if (stack != null) {
                assertArrayEquals(stack, s, "stack after the run, budget " + budget);
            }
            stack = s;
            for (Map.Entry<String, Integer> e : JitCompiler.methodSizes(jit.classBytes()).entrySet()) {
                assertTrue(e.getValue() < JitCompiler.HUGE_METHOD_LIMIT, e.getKey() + " has " + e.getValue() + " bytes");
            }
        }
    }

    /** A budget too large for the estimate is caught by re-measuring: the result still fits. */
    @Test
    void anOversizedBudgetIsShrunkUntilEveryMethodFits() {
        Program p = big(11, 5_000);
        CompiledProgram jit = JitCompiler.compile(p, JitDifferentialTest.helpers(),
                JitOptions.defaults().withMethodBudget(1_000_000));
        Map<String, Integer> sizes = JitCompiler.methodSizes(jit.classBytes());
        assertTrue(sizes.keySet().stream().anyMatch(n -> n.startsWith("p0_s0_r")), sizes.toString());
        sizes.forEach((n, s) -> assertTrue(s < JitCompiler.HUGE_METHOD_LIMIT, n + " has " + s + " bytes"));
        CompiledProgram normal = JitCompiler.compile(p, JitDifferentialTest.helpers());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(8, 8);
            assertEquals(normal.run(m.address(), 8), jit.run(m.address(), 8));
        }
    }

}
