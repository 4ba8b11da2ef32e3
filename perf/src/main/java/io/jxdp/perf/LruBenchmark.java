package io.jxdp.perf;

import io.jxdp.ebpf.engine.MapsYaml;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.xdp.Engines;
import io.jxdp.ebpf.xdp.JitXdpEngine;
import io.jxdp.ebpf.xdp.PacketFiles;
import io.jxdp.ebpf.xdp.TraceSink;
import java.nio.file.Path;
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
 * The LRU_HASH insert path with eviction (issue 4): the corpus firewall (programs/obj/xdp_firewall.o)
 * fed {@value #FLOWS} TCP/IPv4 frames of distinct flows (source ports 1024 and up, inside the deny
 * list's allow hole) round robin, against its 64-entry LRU_HASH {@code flows}: every frame misses,
 * so every run is an LPM lookup, an LRU lookup and a BPF_NOEXIST insert that takes a node from the
 * LRU (flushing, rotating and shrinking the lists, evicting). One invocation runs each frame once;
 * for the kernel the trial prints the kernel's own per-run {@code duration} mean, the figure to compare
 * (see {@link XdpEngineBenchmark}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class LruBenchmark {
    static final int FLOWS = 1024;

    @Param({"jit", "kernel"})
    public String engine;

    private XdpEngine xdp;
    private byte[][] frames;
    private final KernelDuration kernelDuration = new KernelDuration();

    @Setup(Level.Trial)
    public void load() throws Exception {
        Path programs = XdpEngineBenchmark.root().resolve("programs");
        xdp = Engines.create(engine, BpfObjectLoader.load(programs.resolve("obj/xdp_firewall.o")), "xdp_firewall");
        if (xdp instanceof JitXdpEngine j) {
            j.traceSink(TraceSink.discard());
        }
        MapsYaml.parse(programs.resolve("maps/xdp_firewall.yaml")).preload(xdp);
        byte[] tcp = XdpEngineBenchmark.tcpIpv4(PacketFiles.read(programs.resolve("packets/xdp_firewall.pcap")));
        int l4 = 14 + (tcp[14] & 0x0f) * 4;
        frames = new byte[FLOWS][];
        for (int i = 0; i < FLOWS; i++) {
            frames[i] = tcp.clone();
            int port = 1024 + i;
            frames[i][l4] = (byte) (port >>> 8);
            frames[i][l4 + 1] = (byte) port;
        }
    }

    @Benchmark
    @OperationsPerInvocation(FLOWS)
    public long insertWithEviction() {
        long a = 0;
        for (byte[] f : frames) {
            a += kernelDuration.add(xdp.run(f, 1));
        }
        return a;
    }

    @TearDown(Level.Trial)
    public void close() {
        kernelDuration.print(engine, "xdp_firewall lru-insert");
        xdp.close();
    }
}
