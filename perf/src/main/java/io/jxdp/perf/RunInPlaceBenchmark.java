package io.jxdp.perf;

import io.jxdp.ebpf.engine.MapsYaml;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.xdp.Engines;
import io.jxdp.ebpf.xdp.LinkedXdpEngine;
import io.jxdp.ebpf.xdp.PacketFiles;
import io.jxdp.ebpf.xdp.TraceSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Nanoseconds per packet on the packet workers' path (issue 6): one {@code
 * LinkedXdpEngine.runInPlace(packet, length)} per invocation, i.e. the frame copied in and the
 * context reset for every packet, then one run, nothing allocated. {@link XdpEngineBenchmark} runs
 * the program 10,000 times over one copy (the kernel's test-run repeat loop); this one measures what
 * a worker pays per received frame. Engines {@code interp} and {@code jit} (the kernel engine has
 * no in-place path). Packets as in {@link XdpEngineBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class RunInPlaceBenchmark {
    @Param({"xdp_pass", "xdp_drop", "xdp_parser"})
    public String program;

    @Param({"interp", "jit"})
    public String engine;

    private LinkedXdpEngine xdp;
    private byte[] packet;

    @Setup(Level.Trial)
    public void load() throws Exception {
        Path programs = XdpEngineBenchmark.root().resolve("programs");
        xdp = (LinkedXdpEngine) Engines.create(engine, BpfObjectLoader.load(programs.resolve("obj/" + program + ".o")),
                program);
        xdp.traceSink(TraceSink.discard());
        Path maps = programs.resolve("maps/" + program + ".yaml");
        if (Files.isRegularFile(maps)) {
            MapsYaml.parse(maps).preload(xdp);
        }
        packet = XdpEngineBenchmark.tcpIpv4(PacketFiles.read(programs.resolve("packets/" + program + ".pcap")));
    }

    @Benchmark
    public long runInPlace() {
        return xdp.runInPlace(packet, packet.length);
    }

    @TearDown(Level.Trial)
    public void close() {
        xdp.close();
    }
}
