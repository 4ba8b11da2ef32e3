package io.jxdp.ebpf.jit;

import io.jxdp.ebpf.helper.CallContext;
import io.jxdp.ebpf.isa.Program;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Run by {@link JitC2Test} in a child JVM with {@code -XX:+PrintCompilation}: compiles the synthetic
 * big program, warms it up and prints the class name, the method sizes and the warm-up result.
 */
public final class C2Probe {
    private C2Probe() {
    }

    public static void main(String[] args) {
        int size = Integer.parseInt(args[0]);
        long maxNanos = Long.parseLong(args[1]) * 1_000_000L;
        Program p = JitSplitTest.big(size, size, 20);
        System.out.println("PROBE slots " + p.length());
        long t0 = System.nanoTime();
        CompiledProgram jit = JitCompiler.compile(p, JitDifferentialTest.helpers(),
                JitOptions.defaults().withMethodBudget(args.length > 2 ? Integer.parseInt(args[2]) : JitOptions.DEFAULT_METHOD_BUDGET));
        long compiled = System.nanoTime() - t0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment probe = arena.allocate(8, 8);
            CompiledProgram.WarmUp w = jit.warmUp(new CallContext(), probe.address(), 8, Long.MAX_VALUE, maxNanos);
            System.out.println("PROBE class " + jit.className());
            JitCompiler.methodSizes(jit.classBytes()).forEach((m, s) -> System.out.println("PROBE method " + m + " " + s));
            System.out.println("PROBE translate+load ms " + compiled / 1_000_000);
            System.out.println("PROBE warmup " + w);
        }
    }
}
