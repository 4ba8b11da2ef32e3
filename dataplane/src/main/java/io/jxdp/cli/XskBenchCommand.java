package io.jxdp.cli;

import io.jxdp.ffi.affinity.Affinity;
import io.jxdp.port.XskBench;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jxdp xsk-bench}: jxdp's rxdrop / l2fwd over AF_XDP, for perf/afxdp/run.sh. */
@Command(name = "xsk-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "AF_XDP micro-benchmark: rxdrop (receive and drop) or l2fwd (swap MACs, send back) on one queue;"
                + " prints 'jxdp MODE pkts N secs S pps P cpu C%% waits W' (C: the CPU share the loop thread got; W: poll(2) waits,"
                + " 0 without --poll). Same settings as perf/afxdp/xsk_ref.c.")
final class XskBenchCommand implements Callable<Integer> {
    @Option(names = "--dev", required = true, paramLabel = "IF")
    String dev;
    @Option(names = "--netns", paramLabel = "NS", description = "namespace of IF")
    String netns;
    @Option(names = "--mode", required = true, paramLabel = "rxdrop|l2fwd")
    XskBench.Mode mode;
    @Option(names = "--duration", required = true, paramLabel = "S", description = "measured seconds (at most 600)")
    double duration;
    @Option(names = "--warmup", defaultValue = "1", paramLabel = "S", description = "unmeasured seconds first (default ${DEFAULT-VALUE})")
    double warmup;
    @Option(names = "--queue", defaultValue = "0")
    int queue;
    @Option(names = "--batch", defaultValue = "64")
    int batch;
    @Option(names = "--ring", defaultValue = "2048", description = "RX/TX/fill/completion ring entries")
    int ring;
    @Option(names = "--frames", defaultValue = "4096", description = "UMEM frames")
    int frames;
    @Option(names = "--frame-size", defaultValue = "2048")
    int frameSize;
    @Option(names = "--cpu", defaultValue = "-1", description = "pin the loop's thread (only it, not the JVM's other threads) to this CPU")
    int cpu;
    @Option(names = "--poll", description = "poll mode (xsk_ref -p): block in poll(2) when the RX ring is empty instead of spinning")
    boolean poll;
    @Option(names = "--poll-timeout", defaultValue = "10", paramLabel = "MS",
            description = "poll(2) timeout with --poll, 1..1000 ms (default ${DEFAULT-VALUE}, as xsk_ref -t)")
    int pollTimeout;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        XskBench.Config c;
        try {
            if (poll && pollTimeout < 1) {
                throw new IllegalArgumentException("--poll-timeout must be 1..1000 ms, got " + pollTimeout);
            }
            c = new XskBench.Config(dev, netns, queue, mode, duration, warmup, batch, ring, frames, frameSize,
                    poll ? pollTimeout : 0);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (cpu >= 0) {
            Affinity.pinCurrentThread(cpu);
        }
        System.out.println(XskBench.run(c));
        return 0;
    }
}
