package io.jxdp.perf;

import io.jxdp.ebpf.engine.MapsYaml;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.xdp.Engines;
import io.jxdp.ebpf.xdp.LinkedXdpEngine;
import io.jxdp.ebpf.xdp.JitXdpEngine;
import io.jxdp.ebpf.xdp.PacketFiles;
import io.jxdp.ebpf.xdp.TraceSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
 * Nanoseconds per packet of one corpus program in one engine (issue 6): jxdp's interpreter
 * ({@code interp}, checked mode, the default), jxdp's JIT ({@code jit}) and the kernel's own JIT
 * through {@code BPF_PROG_TEST_RUN} ({@code kernel}).
 *
 * <p>Every engine is driven the same way: one invocation is {@code XdpEngine.run(packet, REPEAT)},
 * the packet copied in once and the program run {@value #REPEAT} times over it without a reset, as
 * the kernel's {@code bpf_test_run()} repeat loop does; JMH divides by {@value #REPEAT}. For the
 * kernel one invocation is one {@code bpf(BPF_PROG_TEST_RUN)} syscall, whose fixed cost (the syscall,
 * copying the frame in and out, pinning the thread to CPU 0) is spread over the repeats. The kernel
 * also reports its own per-run time ({@code duration}, measured around its loop, which includes the
 * loop's per-run overhead: xdp_buff set-up, need_resched checks); the trial prints its mean as a
 * {@code kernel-duration} line.
 *
 * <p>The jxdp engines' repeat loop ({@code LinkedXdpEngine.repeat}; the JIT's is generated into the
 * program's class) runs the program all {@value #REPEAT} times, each run with its per-run
 * bookkeeping as a single run has it: the context's run state cleared, the program, the RCU
 * quiescent report (a volatile read of the epoch, which also keeps C2 from carrying memory reads
 * of one run over to the next). Nothing is skipped or merged across runs. What C2 may do, as for
 * any code, is compile a program's body to what it computes: the body of xdp_pass or xdp_drop
 * ({@code return constant}) is then no instruction at all, and their figures are the per-run
 * bookkeeping alone (the kernel's JIT still calls the program's two instructions each run).
 *
 * <p>The packet is the first TCP/IPv4 frame of the program's corpus pcap (programs/corpus.yaml), or
 * its first IPv4 frame where it has none. The
 * corpus is found under the system property {@code jxdp.root} or the nearest parent of the working
 * directory holding {@code programs/corpus.yaml}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class XdpEngineBenchmark {
    /** Runs per invocation: enough that the kernel's syscall cost is a few ns per packet. */
    static final int REPEAT = 10_000;

    /**
     * Corpus programs. xdp_firewall (issue 4) runs with its deny list preloaded from
     * programs/maps/xdp_firewall.yaml; its first TCP/IPv4 frame (198.18.0.10 to .11, inside the
     * /24 allow hole of the /16 deny rule) takes the main path: two-level LPM match, then the flow
     * update in the LRU hash, XDP_PASS.
     */
    @Param({"xdp_pass", "xdp_drop", "xdp_parser", "xdp_flow_counter", "xdp_firewall"})
    public String program;

    @Param({"interp", "jit", "kernel"})
    public String engine;

    private XdpEngine xdp;
    private byte[] packet;
    private final KernelDuration kernelDuration = new KernelDuration();

    @Setup(Level.Trial)
    public void load() throws Exception {
        Path programs = root().resolve("programs");
        Path object = programs.resolve("obj/" + program + ".o");
        xdp = Engines.create(engine, BpfObjectLoader.load(object), program);
        if (xdp instanceof LinkedXdpEngine l) {
            l.traceSink(TraceSink.discard());
        }
        if (xdp instanceof JitXdpEngine j) {
            System.out.println(j.loadReport());
        }
        Path maps = programs.resolve("maps/" + program + ".yaml");
        if (Files.isRegularFile(maps)) {
            MapsYaml.parse(maps).preload(xdp);
        }
        packet = tcpIpv4(PacketFiles.read(programs.resolve("packets/" + program + ".pcap")));
    }

    @Benchmark
    @OperationsPerInvocation(REPEAT)
    public long run() {
        return kernelDuration.add(xdp.run(packet, REPEAT));
    }

    @TearDown(Level.Trial)
    public void close() {
        kernelDuration.print(engine, program);
        xdp.close();
    }

    /**
     * The first Ethernet/IPv4/TCP frame (EtherType 0x0800, IP protocol 6) of the pcap, else its first
     * IPv4 frame (the pcaps of xdp_pass and xdp_drop, which never read the packet, hold no TCP/IPv4).
     */
    static byte[] tcpIpv4(List<byte[]> packets) {
        byte[] ipv4 = null;
        for (byte[] p : packets) {
            boolean isIpv4 = p.length >= 34 && (p[12] & 0xff) == 0x08 && p[13] == 0x00;
            if (isIpv4 && p[23] == 6) {
                return p;
            }
            if (isIpv4 && ipv4 == null) {
                ipv4 = p;
            }
        }
        if (ipv4 == null) {
            throw new IllegalStateException("no IPv4 frame in the program's pcap");
        }
        return ipv4;
    }

    static Path root() {
        String configured = System.getProperty("jxdp.root");
        if (configured != null) {
            return Path.of(configured);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("programs/corpus.yaml"))) {
                return p;
            }
        }
        throw new IllegalStateException("programs/corpus.yaml not found above " + Path.of("").toAbsolutePath()
                + ": run from the repository or set -Djxdp.root=DIR");
    }
}
