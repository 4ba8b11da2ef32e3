package io.jxdp.perf;

import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.loader.MapSpec;
import io.jxdp.ebpf.xdp.Engines;
import io.jxdp.ebpf.xdp.LinkedXdpEngine;
import io.jxdp.ebpf.xdp.TraceSink;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The LPM_TRIE at scale (issue 4): the corpus firewall (programs/obj/xdp_firewall.o), whose first
 * step is a longest-prefix lookup of the IPv4 source in {@code deny4}, with that list resized
 * ({@link MapSpec#setMaxEntries}) and filled with {@code prefixes} seeded random prefixes (60% /24,
 * 25% /25-/32, 10% /16-/23, 5% /8-/15; rule ids 1-7, every 16th an allow hole with rule 0), in
 * jxdp's interpreter, jxdp's JIT and the kernel. The same program, maps and packets in every
 * engine, so the growth from 16 to a million prefixes is the cost of each trie.
 *
 * <p>One invocation runs each of {@value #PACKETS} TCP/IPv4 frames (half with a source inside a
 * listed prefix, half random) {@value #REPEAT} times ({@code XdpEngine.run(frame, REPEAT)}); JMH
 * divides by all runs. For the kernel the trial also prints the kernel's own per-run
 * {@code duration} (BPF_PROG_TEST_RUN, mean over the trial), which includes its test-run loop's
 * per-run overhead and excludes the syscall; as in {@link XdpEngineBenchmark}, that is the kernel
 * figure to compare.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--enable-native-access=ALL-UNNAMED",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class LpmBenchmark {
    static final int PACKETS = 64;
    static final int REPEAT = 200;

    @Param({"16", "1000000"})
    public int prefixes;

    @Param({"interp", "jit", "kernel"})
    public String engine;

    private XdpEngine xdp;
    private byte[][] frames;
    private final KernelDuration kernelDuration = new KernelDuration();

    @Setup(Level.Trial)
    public void load() throws Exception {
        BpfObject obj = BpfObjectLoader.load(XdpEngineBenchmark.root().resolve("programs/obj/xdp_firewall.o"));
        obj.maps().stream().filter(m -> m.name().equals("deny4")).findFirst().orElseThrow()
                .setMaxEntries(Math.max(16, prefixes));
        xdp = Engines.create(engine, obj, "xdp_firewall");
        if (xdp instanceof LinkedXdpEngine l) {
            l.traceSink(TraceSink.discard());
        }
        Random rnd = new Random(42);
        List<long[]> listed = fill(xdp, prefixes, rnd);
        frames = new byte[PACKETS][];
        for (int i = 0; i < PACKETS; i++) {
            int saddr;
            if (i % 2 == 0) {
                long[] p = listed.get(rnd.nextInt(listed.size()));
                int len = (int) p[1];
                int host = len == 32 ? 0 : rnd.nextInt() & (int) ((1L << (32 - len)) - 1);
                saddr = (int) p[0] | host;
            } else {
                saddr = rnd.nextInt();
            }
            frames[i] = tcpFrame(saddr, 1024 + i);
        }
        long t0 = System.nanoTime();
        long denied = 0;
        for (byte[] f : frames) {
            denied += xdp.run(f, 1).action() == 1 ? 1 : 0; // XDP_DROP
        }
        System.out.printf("lpm %s %d prefixes: %d of %d frames dropped (check %d us)%n", engine, prefixes, denied,
                PACKETS, (System.nanoTime() - t0) / 1000);
    }

    /** Inserts n distinct prefixes; returns {address, length} of each. */
    private static List<long[]> fill(XdpEngine xdp, int n, Random rnd) {
        Set<Long> seen = new HashSet<>();
        List<long[]> out = new ArrayList<>(n);
        long t0 = System.nanoTime();
        while (out.size() < n) {
            int r = rnd.nextInt(100);
            int len = r < 60 ? 24 : r < 85 ? 25 + rnd.nextInt(8) : r < 95 ? 16 + rnd.nextInt(8) : 8 + rnd.nextInt(8);
            int addr = rnd.nextInt() & (int) (0xffff_ffffL << (32 - len));
            if (!seen.add(((long) len << 32) | (addr & 0xffff_ffffL))) {
                continue;
            }
            byte[] key = {(byte) len, 0, 0, 0, (byte) (addr >>> 24), (byte) (addr >>> 16), (byte) (addr >>> 8), (byte) addr};
            int rule = out.size() % 16 == 15 ? 0 : 1 + rnd.nextInt(7);
            xdp.updateMap("deny4", key, List.of(new byte[] {(byte) rule, 0, 0, 0}));
            out.add(new long[] {addr & 0xffff_ffffL, len});
        }
        System.out.printf("lpm fill: %d prefixes in %d ms%n", n, (System.nanoTime() - t0) / 1_000_000);
        return out;
    }

    /** Ethernet/IPv4/TCP SYN, 64 bytes, from saddr:sport to 198.18.0.2:80 (checksums zero: the firewall ignores them). */
    static byte[] tcpFrame(int saddr, int sport) {
        byte[] f = new byte[64];
        byte[] head = {
            0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
            0x45, 0, 0, 50, 0, 1, 0x40, 0, 64, 6, 0, 0,
            (byte) (saddr >>> 24), (byte) (saddr >>> 16), (byte) (saddr >>> 8), (byte) saddr, (byte) 198, 18, 0, 2,
            (byte) (sport >>> 8), (byte) sport, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0
        };
        System.arraycopy(head, 0, f, 0, head.length);
        return f;
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS * REPEAT)
    public long run() {
        long a = 0;
        for (byte[] f : frames) {
            a += kernelDuration.add(xdp.run(f, REPEAT));
        }
        return a;
    }

    @TearDown(Level.Trial)
    public void close() {
        kernelDuration.print(engine, "xdp_firewall/" + prefixes);
        xdp.close();
    }
}
