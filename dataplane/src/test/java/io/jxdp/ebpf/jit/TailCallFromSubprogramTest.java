package io.jxdp.ebpf.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.asm.Assembler;
import io.jxdp.ebpf.helper.CallContext;
import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.interp.VmException;
import io.jxdp.ebpf.isa.Program;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongBinaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tail calls made from bpf-to-bpf subprograms, in the interpreter (both modes) and the JIT (whole
 * and split into regions), with a tail-call helper of the test's own ({@link Slots}: slot -> entry
 * pc, at most 33 per run, as XdpContext's). The kernel's semantics (x86-64 JIT): the subprogram's
 * frame is given to the target, the target's r0 is the subprogram's result in its caller, whose
 * registers r6-r9 and stack are intact; a failed tail call falls through; the count is per run,
 * across the whole call chain; a target has 8 frames of its own wherever it starts.
 *
 * <p>main(r1 = slot, r2 = twice) calls sub(slot) (twice if r2 != 0) and returns the sum of the
 * results + 5 (from its stack) + 77 (from r8). sub tail-calls the slot and returns 1000 (from its
 * stack) when that falls through. Slots: 1 leaf (returns its r1 + 100), 2 recurse (sub(2) + 1, so a
 * chain through the subprogram until the 33rd tail call), 3 hop (tail-calls slot 1 from its main
 * function), 4 deep (7 nested calls: 8 frames of its own, returns 17), 5 deeper (one call more:
 * over the limit); 0 is empty and 9 past the end.
 */
class TailCallFromSubprogramTest {
    static final String SRC = """
            mov %r6, %r1
            mov %r7, %r2
            mov %r8, 77
            stdw [%r10-8], 5
            call local sub
            mov %r9, %r0
            jeq %r7, 0, tally
            mov %r1, %r6
            call local sub
            add %r9, %r0
            tally:
            ldxdw %r1, [%r10-8]
            add %r9, %r1
            add %r9, %r8
            mov %r0, %r9
            exit
            sub:
            stdw [%r10-8], 1000
            mov %r6, 1
            mov %r3, %r1
            call 12
            ldxdw %r0, [%r10-8]
            exit
            leaf:
            mov %r0, %r1
            add %r0, 100
            mov %r6, 0
            mov %r8, 0
            stdw [%r10-8], 0
            exit
            recurse:
            mov %r7, %r1
            call local sub
            add %r0, 1
            exit
            hop:
            mov %r8, 3
            mov %r3, 1
            call 12
            mov %r0, 7777
            exit
            deeper:
            call local deep
            exit
            deep:
            call local d1
            add %r0, 10
            exit
            d1:
            call local d2
            add %r0, 1
            exit
            d2:
            call local d3
            add %r0, 1
            exit
            d3:
            call local d4
            add %r0, 1
            exit
            d4:
            call local d5
            add %r0, 1
            exit
            d5:
            call local d6
            add %r0, 1
            exit
            d6:
            call local d7
            add %r0, 1
            exit
            d7:
            mov %r0, 1
            exit
            """;

    /** The pc of a label: instructions before it (every instruction here is one slot). */
    static int pc(String label) {
        int pc = 0;
        for (String line : SRC.split("\n")) {
            String l = line.trim();
            if (l.equals(label + ":")) {
                return pc;
            }
            if (!l.isEmpty() && !l.endsWith(":")) {
                pc++;
            }
        }
        throw new IllegalArgumentException("no label " + label);
    }

    static final String[] SLOT_LABELS = {null, "leaf", "recurse", "hop", "deep", "deeper", null, null};

    /** The test's bpf_tail_call(ctx, map, index): slots of entry pcs, MAX_TAIL_CALL_CNT per run. */
    static final class Slots {
        final int[] entry = new int[SLOT_LABELS.length];
        int calls;

        Slots() {
            for (int i = 0; i < entry.length; i++) {
                entry[i] = SLOT_LABELS[i] == null ? -1 : pc(SLOT_LABELS[i]);
            }
        }

        long tailCall(CallContext ctx, long r1, long index) {
            if (index >= entry.length || entry[(int) index] < 0 || calls >= Interpreter.MAX_TAIL_CALL_CNT) {
                return 0; // falls through
            }
            calls++;
            ctx.tailCall(entry[(int) index], r1);
            return 0;
        }
    }

    /** One engine over the program ({@code body}: the program's r1, r2 to its r0), with its own slots. */
    record Engine(Slots slots, LongBinaryOperator body) {
        long run(long slot, long twice) {
            slots.calls = 0;
            return body.applyAsLong(slot, twice);
        }
    }

    static Engine interpreter(Interpreter.Mode mode) {
        Slots s = new Slots();
        Interpreter vm = new Interpreter(Assembler.assemble(SRC), registry(s), mode);
        CallContext ctx = new CallContext();
        return new Engine(s, (slot, twice) -> vm.run(ctx, slot, twice, 0, 0, 0));
    }

    static Engine jit(int budget) {
        Slots s = new Slots();
        Program p = Assembler.assemble(SRC);
        int[] entries = Arrays.stream(SLOT_LABELS).filter(l -> l != null).mapToInt(TailCallFromSubprogramTest::pc)
                .toArray();
        CompiledProgram cp = JitCompiler.compile(p, entries, registry(s),
                JitOptions.defaults().withMethodBudget(budget).withVerify(true));
        CallContext ctx = new CallContext();
        return new Engine(s, (slot, twice) -> cp.run(ctx, slot, twice, 0, 0, 0));
    }

    static HelperRegistry registry(Slots s) {
        return new HelperRegistry().register(12, "tail_call", (ctx, r1, r2, r3, r4, r5) -> s.tailCall(ctx, r1, r3));
    }

    static Stream<Arguments> engines() {
        List<Arguments> a = new ArrayList<>();
        a.add(Arguments.of("interpreter, checked", interpreter(Interpreter.Mode.CHECKED)));
        a.add(Arguments.of("interpreter, unchecked", interpreter(Interpreter.Mode.UNCHECKED)));
        a.add(Arguments.of("JIT", jit(JitOptions.DEFAULT_METHOD_BUDGET)));
        a.add(Arguments.of("JIT split into regions", jit(500)));
        return a.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void theTargetsResultGoesBackToTheSubprogramsCaller(String name, Engine e) {
        assertEquals(101 + 82, e.run(1, 0), "leaf gets r1 = 1 from the tail call; main's r8 and stack intact");
        assertEquals(1, e.slots().calls);
        assertEquals(101 + 101 + 82, e.run(1, 1), "twice");
        assertEquals(2, e.slots().calls);
        assertEquals(103 + 82, e.run(3, 0), "hop tail-calls the leaf from its main function: the leaf's r0 comes back");
        assertEquals(2, e.slots().calls);
        assertEquals(17 + 82, e.run(4, 0), "a target entered one frame down has 8 frames of its own");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void failedTailCallsFallThrough(String name, Engine e) {
        assertEquals(1000 + 82, e.run(0, 0), "empty slot");
        assertEquals(1000 + 1000 + 82, e.run(0, 1), "empty slot, twice");
        assertEquals(1000 + 82, e.run(9, 0), "index past the slots");
        assertEquals(1000 + 82, e.run(0xffff_ffffL, 0), "index 2^32 - 1");
        assertEquals(0, e.slots().calls);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void thirtyThreeTailCallsPerRunAcrossTheCallChain(String name, Engine e) {
        // main -> sub -> recurse -> sub -> recurse ... : 33 tail calls, the 34th falls through in the
        // deepest sub (1000), and each of the 33 recurse levels adds 1 on the way back
        assertEquals(1033 + 82, e.run(2, 0));
        assertEquals(Interpreter.MAX_TAIL_CALL_CNT, e.slots().calls);
        // the second sub call finds the count used up: it falls through at once
        assertEquals(1033 + 1000 + 82, e.run(2, 1));
        assertEquals(Interpreter.MAX_TAIL_CALL_CNT, e.slots().calls);
        // and the next run starts from 0 again
        assertEquals(101 + 82, e.run(1, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aTargetsOwnCallsStillStopAtEightFrames(String name, Engine e) {
        VmException x = assertThrows(VmException.class, () -> e.run(5, 0));
        assertTrue(x.getMessage().contains("call depth limit of 8 frames exceeded"), x.getMessage());
        assertEquals(17 + 82, e.run(4, 0), "the engine still runs after the fault");
    }
}
