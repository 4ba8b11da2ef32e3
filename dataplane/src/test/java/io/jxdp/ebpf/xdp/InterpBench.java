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
 *   java --enable-native-access=ALL-UNNAMED -cp "$(cat dataplane/target/bench.cp)" io.jxdp.ebpf.xdp.InterpBench [seconds-per-case]
 * </pre>
 * (bench.cp: {@code target/classes:target/test-classes:} plus {@code mvn dependency:build-classpath}).
 */
public final class InterpBench {
    private InterpBench() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
        String only = args.length > 1 ? args[1] : null;
        System.out.printf("%-18s %-9s %12s %10s %12s%n", "case", "mode", "ns/packet", "insns", "ns/insn");
        for (Interpreter.Mode mode : Interpreter.Mode.values()) {
            alu(mode, seconds);
        }
        for (String name : List.of("xdp_pass", "xdp_tx", "xdp_parser", "xdp_stats", "xdp_flow_counter", "xdp_csum")) {
            if (only != null && !only.equals(name)) {
                continue;
            }
            for (Interpreter.Mode mode : Interpreter.Mode.values()) {
                xdp(name, mode, seconds);
            }
        }
    }

    /** r0 = sum of a small ALU body over a 1000-iteration loop: ~8 instructions per iteration. */
    private static void alu(Interpreter.Mode mode, double seconds) {
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
        long sink = 0;
        long deadline = System.nanoTime() + (long) (seconds * 0.5e9);
        while (System.nanoTime() < deadline) {
            sink += in.run(0, 0);
        }
        long insns = 0;
        long runs = 0;
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        long t;
        do {
            for (int i = 0; i < 100; i++) {
                sink += in.run(0, 0);
                insns += in.instructionCount();
            }
            runs += 100;
        } while ((t = System.nanoTime()) < end);
        double ns = t - t0;
        System.out.printf("%-18s %-9s %12.1f %10d %12.2f   (sink %d)%n", "alu-loop", mode, ns / runs, insns / runs,
                ns / insns, sink & 1);
    }

    private static void xdp(String name, Interpreter.Mode mode, double seconds) throws Exception {
        Corpus.Entry entry = Corpus.entries().stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
        byte[][] ps = PacketFiles.read(entry.pcap()).stream().filter(b -> b.length >= 14).toArray(byte[][]::new);
        try (InterpreterXdpEngine e = InterpreterXdpEngine.create(BpfObjectLoader.load(entry.object()),
                entry.program(), mode, 1)) {
            e.traceSink(TraceSink.discard());
            long sink = 0;
            long deadline = System.nanoTime() + (long) (seconds * 0.5e9);
            int i = 0;
            while (System.nanoTime() < deadline) {
                byte[] b = ps[i++ % ps.length];
                sink += e.runInPlace(b, b.length);
            }
            // instructions per packet, averaged over the pcap, measured through a bare interpreter count
            long runs = 0;
            long t0 = System.nanoTime();
            long end = t0 + (long) (seconds * 1e9);
            long t;
            do {
                for (int k = 0; k < 100; k++) {
                    byte[] b = ps[i++ % ps.length];
                    sink += e.runInPlace(b, b.length);
                }
                runs += 100;
            } while ((t = System.nanoTime()) < end);
            long insns = 0;
            for (byte[] b : ps) {
                e.runInPlace(b, b.length);
                insns += e.lastInstructionCount();
            }
            double ns = (double) (t - t0) / runs;
            double perPacket = (double) insns / ps.length;
            System.out.printf("%-18s %-9s %12.1f %10.1f %12.2f   (sink %d)%n", name, mode, ns, perPacket,
                    ns / perPacket, sink & 1);
        }
    }
}
