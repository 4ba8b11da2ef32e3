package io.jxdp.ebpf.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jxdp.ebpf.asm.Assembler;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The interpreter's native stack lives as long as the interpreter. It comes from an automatic arena,
 * so it is freed once its segment is unreachable; an earlier version kept only its address, and after
 * a GC r10 pointed into freed memory that later allocations reused. The stack is allocated once and
 * not cleared between runs, so a value one run leaves on it must still be there in the next run after
 * garbage collections and fresh native allocations of the same size filled with another pattern.
 */
class StackLifetimeTest {
    private static final long MARK = 0x1122_3344_5566_7788L;

    @ParameterizedTest
    @EnumSource(Interpreter.Mode.class)
    void theStackSurvivesGarbageCollection(Interpreter.Mode mode) {
        // r0 = the old value at r10-8; then store MARK there
        Interpreter in = new Interpreter(Assembler.assemble("""
                ldxdw %r0, [%r10-8]
                lddw %r1, 0x1122334455667788
                stxdw [%r10-8], %r1
                exit
                """), null, mode);
        in.run(0, 0);
        for (int round = 0; round < 5; round++) {
            System.gc();
            List<MemorySegment> filler = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                MemorySegment s = Arena.ofAuto().allocate((long) Interpreter.STACK_SIZE * Interpreter.MAX_FRAMES, 16);
                s.fill((byte) 0xa5);
                filler.add(s);
            }
            assertEquals(MARK, in.run(0, 0), "round " + round + ": the stack still holds the last run's value");
        }
    }
}
