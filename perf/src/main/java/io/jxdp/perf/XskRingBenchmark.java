package io.jxdp.perf;

import io.jxdp.ffi.xdp.MemoryKernel;
import io.jxdp.ffi.xdp.Umem;
import io.jxdp.ffi.xdp.XdpSocket;
import io.jxdp.port.XskBench;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * jxdp's AF_XDP user-space loop per frame, without a device or a syscall (issue 7): the
 * {@link MemoryKernel} plays the kernel's side of the rings in memory (copy-mode receive from the
 * fill ring into the RX ring; transmit from the TX ring into the completion ring), and one
 * operation is one batch of {@code BATCH} frames through xsk-bench's loop with run.sh's sizes
 * (rings 2048, 4096 frames of 2048 bytes, 64-byte frames):
 * <ul>
 *   <li>{@code l2fwd}: kernel receives a batch; {@link XdpSocket#forward} with xsk-bench's MAC swap;
 *       {@link XdpSocket#flush} (publishes TX, reaps completions to the fill ring); kernel transmits;</li>
 *   <li>{@code rxdrop}: kernel receives a batch; {@link XdpSocket#receive} with xsk-bench's empty
 *       handler (frames back to the fill ring).</li>
 * </ul>
 * The figure is ns per frame (OperationsPerInvocation) and includes the simulated kernel side
 * (a few plain loads and stores per frame, the same before and after a change to the socket; in a
 * {@code -prof perfasm:events=cpu-clock} profile of rxdrop, 2026-12-07, {@code MemoryKernel.receive}
 * had 39% of the samples and {@code XdpSocket.receive} 51%: perf/RESULTS.md, issue 7, "absolute
 * addresses"). perf/afxdp/ring-sim.sh runs it against the C reference's loop on the same rings.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class XskRingBenchmark {
    private static final int BATCH = 64;

    private Umem umem;
    private MemoryKernel kernel;
    private XdpSocket socket;

    @Setup(Level.Trial)
    public void open() {
        umem = Umem.allocate(4096, 2048, 0);
        kernel = MemoryKernel.open(umem, new XdpSocket.Config(2048, 2048, 2048, 4096, XdpSocket.Mode.COPY, true));
        socket = kernel.socket();
    }

    @TearDown(Level.Trial)
    public void close() {
        if (socket.forwarded() + socket.forwardDropped() == 0 && socket.accounting().fill() == 0) {
            throw new IllegalStateException("nothing went round: " + socket.accounting());
        }
        kernel.close();
        umem.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int l2fwd() {
        kernel.receive(BATCH, 64);
        int n = socket.forward(XskBench.SWAP_MACS, BATCH);
        socket.flush();
        kernel.transmit();
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int rxdrop() {
        kernel.receive(BATCH, 64);
        return socket.receive(XskBench.DROP, BATCH);
    }
}
