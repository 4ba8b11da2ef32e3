package io.jxdp.ebpf.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.isa.Program;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * 100,000 seeded random programs ({@link RandomPrograms}) on the checked interpreter and on the JIT:
 * identical r0, identical input memory and identical stack bytes (all eight frames) afterwards.
 * Programs are compiled 250 to a hidden class to keep class loading out of the way.
 */
class JitDifferentialTest {
    private static final int BATCH = 250;
    private static final int STACK = JitCompiler.STACK_SIZE * JitCompiler.MAX_FRAMES;

    static HelperRegistry helpers() {
        // a pure function of all five arguments, so a wrong argument register shows in r0
        return new HelperRegistry().register(RandomPrograms.HELPER, "mix",
                (ctx, r1, r2, r3, r4, r5) -> r1 * 31 + (r2 ^ Long.rotateLeft(r3, 7)) - (r4 >>> 3) + r5 * 0x9e3779b9L);
    }

    /**
     * The second row forces a tiny method budget so nearly every program is split into regions of
     * a few instructions: jumps, loops and calls then cross region boundaries all the time.
     */
    @ParameterizedTest(name = "{0} programs, seed {1}, method budget {2}")
    @CsvSource({"100000, 1785295905, 2000", "10000, 77, 500"})
    void randomProgramsAgreeWithTheInterpreter(int programs, long seed, int budget) {
        HelperRegistry helpers = helpers();
        RandomPrograms gen = new RandomPrograms(seed);
        Random data = new Random(seed + 1);
        JitOptions options = JitOptions.defaults().withMethodBudget(budget);
        byte[] init = new byte[RandomPrograms.MEM_SIZE];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memI = arena.allocate(RandomPrograms.MEM_SIZE, 8);
            MemorySegment memJ = arena.allocate(RandomPrograms.MEM_SIZE, 8);
            for (int b = 0; b < programs / BATCH; b++) {
                List<Program> batch = new ArrayList<>(BATCH);
                for (int i = 0; i < BATCH; i++) {
                    batch.add(gen.next());
                }
                List<CompiledProgram> jitted = JitCompiler.compileAll(batch, helpers, options);
                for (int i = 0; i < BATCH; i++) {
                    Program p = batch.get(i);
                    data.nextBytes(init);
                    memI.copyFrom(MemorySegment.ofArray(init));
                    memJ.copyFrom(MemorySegment.ofArray(init));
                    Interpreter vm = new Interpreter(p, helpers, Interpreter.Mode.CHECKED);
                    vm.regions().add("mem", memI, true);
                    String where = "program " + (b * BATCH + i) + " of seed " + seed + " (budget " + budget + ")";
                    long expected;
                    try {
                        expected = vm.run(memI.address(), RandomPrograms.MEM_SIZE);
                    } catch (RuntimeException e) {
                        throw new AssertionError(where + ": the interpreter faulted (generator bug): " + e.getMessage()
                                + "\n" + Differential.listing(p), e);
                    }
                    CompiledProgram jit = jitted.get(i);
                    long actual = jit.run(memJ.address(), RandomPrograms.MEM_SIZE);
                    if (expected != actual) {
                        fail(where + ": r0 interpreter 0x" + Long.toHexString(expected) + ", jit 0x"
                                + Long.toHexString(actual) + "\n" + Differential.listing(p));
                    }
                    long topI = memI.get(ValueLayout.JAVA_LONG_UNALIGNED, RandomPrograms.PROBE);
                    long topJ = memJ.get(ValueLayout.JAVA_LONG_UNALIGNED, RandomPrograms.PROBE);
                    assertEquals(jit.stack().address() + STACK, topJ, where + ": the JIT's r10");
                    byte[] a = memI.asSlice(0, RandomPrograms.PROBE).toArray(ValueLayout.JAVA_BYTE);
                    byte[] c = memJ.asSlice(0, RandomPrograms.PROBE).toArray(ValueLayout.JAVA_BYTE);
                    if (!Arrays.equals(a, c)) {
                        fail(where + ": input memory differs at byte " + Arrays.mismatch(a, c) + "\n" + Differential.listing(p));
                    }
                    byte[] s = MemorySegment.ofAddress(topI - STACK).reinterpret(STACK).toArray(ValueLayout.JAVA_BYTE);
                    byte[] t = jit.stack().toArray(ValueLayout.JAVA_BYTE);
                    if (!Arrays.equals(s, t)) {
                        int at = Arrays.mismatch(s, t);
                        fail(where + ": stack differs at r10 - " + (STACK - at) + "\n" + Differential.listing(p));
                    }
                    // the interpreter's stack lives as long as the interpreter: keep it until here
                    Reference.reachabilityFence(vm);
                }
            }
        }
    }
}
