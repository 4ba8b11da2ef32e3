package io.jxdp.ebpf.xdp;

import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import java.util.List;

/**
 * A measurement harness, not a test: prints ns/packet of corpus programs through
 * {@link InterpreterXdpEngine#runInPlace} (checked and unchecked) and ns/instruction of a pure ALU
 * loop through {@link Interpreter}. Timing is printed, never asserted (the machine is shared; compare
 * ratios within one run). Run from the repository root after {@code mvn -pl dataplane -am test-compile}:
 * <pre>
 *   (cd dataplane &amp;&amp; mvn -q -o dependency:build-classpath -Dmdep.outputFile=target/deps.cp)
 *   java --enable-native-access=ALL-UNNAMED \
 *       -cp dataplane/target/classes:dataplane/target/test-classes:afxdp-ffi/target/classes:$(cat dataplane/target/deps.cp) \
 *       io.jxdp.ebpf.xdp.InterpBench [seconds-per-case] [warm-up-seconds]
 * </pre>
 */
public final class InterpBench {
    private InterpBench() {
    }

    private static final List<String> PROGRAMS = List.of("xdp_pass", "xdp_tx", "xdp_parser", "xdp_stats",
            "xdp_flow_counter", "xdp_csum");

    /**
     * Args: [seconds per measured case] [warm-up seconds]. The warm-up runs the ALU loop and every
     * program in both modes round-robin first, so the shared dispatch loop has seen every opcode and
     * branch before anything is measured: the figures are then C2 steady state, not a deoptimization
     * and recompilation that one program's first use of an opcode would cause mid-measurement.
     */
    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
        double warmup = args.length > 1 ? Double.parseDouble(args[1]) : 10.0;
        List<Case> cases = new java.util.ArrayList<>();
        for (Interpreter.Mode mode : Interpreter.Mode.values()) {
            cases.add(alu(mode));
        }
        for (String name : PROGRAMS) {
            for (Interpreter.Mode mode : Interpreter.Mode.values()) {
                cases.add(xdp(name, mode));
            }
        }
        long sink = 0;
        long end = System.nanoTime() + (long) (warmup * 1e9);
        while (System.nanoTime() < end) {
            for (Case c : cases) {
                for (int i = 0; i < 200; i++) {
                    sink += c.run.getAsLong();
                }
            }
        }
        System.out.printf("%-18s %-9s %12s %10s %12s%n", "case", "mode", "ns/run", "insns/run", "ns/insn");
        for (Case c : cases) {
            long runs = 0;
            long t0 = System.nanoTime();
            long stop = t0 + (long) (seconds * 1e9);
            long t;
            do {
                for (int i = 0; i < 100; i++) {
                    sink += c.run.getAsLong();
                }
                runs += 100;
            } while ((t = System.nanoTime()) < stop);
            double ns = (double) (t - t0) / runs;
            System.out.printf("%-18s %-9s %12.1f %10.1f %12.2f%n", c.name, c.mode, ns, c.insns, ns / c.insns);
        }
        System.out.println("(sink " + (sink & 1) + ")");
        for (Case c : cases) {
            c.close.run();
        }
    }

    private record Case(String name, Interpreter.Mode mode, java.util.function.LongSupplier run, double insns,
            Runnable close) {
    }

    /** r0 = sum of a small ALU body over a 1000-iteration loop: ~8 instructions per iteration. */
    private static Case alu(Interpreter.Mode mode) {
        Insns p = new Insns()
                .movImm(0, 0)
                .movImm(1, 1000)
                .movImm(2, 7)
                // loop:
                .raw(0x0f, 0, 1, 0, 0)       // r0 += r1
                .raw(0xaf, 0, 2, 0, 0)       // r0 ^= r2
                .raw(0x27, 2, 0, 0, 3)       // r2 *= 3
                .raw(0x77, 2, 0, 0, 1)       // r2 >>= 1
                .raw(0x04, 0, 0, 0, 5)       // w0 += 5
                .raw(0x17, 1, 0, 0, 1)       // r1 -= 1
                .raw(0x55, 1, 0, -7, 0)      // if r1 != 0 goto loop
                .raw(0x95, 0, 0, 0, 0);      // exit
        Interpreter in = new Interpreter(Program.ofSlots(p.build()), null, mode);
        in.run(0, 0);
        return new Case("alu-loop", mode, () -> in.run(0, 0), in.instructionCount(), () -> { });
    }

    /** One case per program and mode: each call runs the next packet of the program's pcap. */
    private static Case xdp(String name, Interpreter.Mode mode) throws Exception {
        Corpus.Entry entry = Corpus.entries().stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
        byte[][] ps = PacketFiles.read(entry.pcap()).stream().filter(b -> b.length >= 14).toArray(byte[][]::new);
        InterpreterXdpEngine e = InterpreterXdpEngine.create(BpfObjectLoader.load(entry.object()), entry.program(),
                mode, 1);
        e.traceSink(TraceSink.discard());
        long insns = 0;
        for (byte[] b : ps) {
            e.runInPlace(b, b.length);
            insns += e.lastInstructionCount();
        }
        int[] next = {0};
        return new Case(name, mode, () -> {
            byte[] b = ps[next[0]];
            next[0] = next[0] + 1 == ps.length ? 0 : next[0] + 1;
            return e.runInPlace(b, b.length);
        }, (double) insns / ps.length, e::close);
    }
}
