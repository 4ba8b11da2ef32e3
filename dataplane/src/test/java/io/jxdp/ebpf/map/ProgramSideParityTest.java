package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential, program side: a seeded random sequence of update/delete/lookup calls made by a
 * kernel XDP program (BPF_PROG_TEST_RUN) and by jxdp's program-side API must return the same codes
 * and, for shared maps, the same values.
 */
class ProgramSideParityTest {
    private static final int OPS = 1500;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (long seed : new long[] {11, 12}) {
            out.add(Arguments.of(MapType.ARRAY, 4, 16, seed));
            out.add(Arguments.of(MapType.HASH, 8, 16, seed));
            out.add(Arguments.of(MapType.PERCPU_ARRAY, 4, 16, seed));
            out.add(Arguments.of(MapType.PERCPU_HASH, 8, 16, seed));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} key {1} max {2} seed {3}")
    @MethodSource("cases")
    void programSideResultsMatchTheKernel(MapType type, int keySize, int maxEntries, long seed) throws Exception {
        MapDefinition def = MapDefinition.of("prog_parity", type, keySize, 8, maxEntries);
        Random rnd = new Random(seed);
        int keySpace = maxEntries + maxEntries / 2 + 2;
        int nonzero = 0;
        try (KernelMap km = KernelMap.create(def); KernelProgram prog = new KernelProgram(km);
                BpfMap j = Maps.create(def, MapOpsParityTest.possibleCpus()); Arena a = Arena.ofConfined()) {
            MemorySegment key = a.allocate(8, 8);
            MemorySegment val = a.allocate(8, 8);
            for (int i = 0; i < OPS; i++) {
                int op = rnd.nextInt(3);
                long flags = rnd.nextInt(12) == 0 ? rnd.nextInt(8) : rnd.nextInt(3);
                long k = rnd.nextInt(keySpace);
                long v = rnd.nextLong() & 0x7fff_ffffL;
                key.set(ValueLayout.JAVA_LONG, 0, k);
                val.set(ValueLayout.JAVA_LONG, 0, v);
                int kernel = prog.run(op, flags, k, v);
                int ours = switch (op) {
                    case 0 -> j.update(key.address(), val.address(), flags, 0);
                    case 1 -> j.delete(key.address(), 0);
                    default -> {
                        long addr = j.lookup(key.address(), 0);
                        yield addr == 0 ? -1 : Native.getInt(addr);
                    }
                };
                if (op == 2 && type.perCpu() && kernel != -1) {
                    // The kernel ran on whichever CPU; only presence is comparable for per-CPU values.
                    assertTrue(ours != -1, "op " + i + " lookup present");
                } else {
                    assertEquals(kernel, ours, "op " + i + " (" + op + ", flags " + flags + ", key " + k + ")");
                }
                if (kernel != 0) {
                    nonzero++;
                }
            }
        }
        assertTrue(nonzero > OPS / 20, "the sequence exercised errors and values: " + nonzero);
    }
}
