package io.jxdp.cli;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.engine.MapsYaml;
import io.jxdp.ebpf.engine.Parity;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.loader.BpfLoadException;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.loader.MapSpec;
import io.jxdp.ebpf.xdp.Engines;
import io.jxdp.ebpf.xdp.LinkedXdpEngine;
import io.jxdp.ebpf.xdp.PacketFiles;
import io.jxdp.ebpf.xdp.Pinning;
import io.jxdp.ebpf.xdp.TraceSink;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jxdp parity OBJ --pcap FILE}: runs every packet through jxdp's engine and the kernel's
 * (BPF_PROG_TEST_RUN) with identical initial maps, and reports each packet whose verdict, output
 * frame or map contents differ. Exit status 0 when every packet matched, 1 when some differed,
 * 2 when the comparison could not run.
 */
@Command(name = "parity", mixinStandardHelpOptions = true,
        description = {"Runs a pcap through jxdp and the kernel (BPF_PROG_TEST_RUN) and compares, after every "
                + "packet, the verdict, the output bytes and every map.",
                "Prints one line per differing packet, then 'N passed, M failed'.",
                "Exit status: 0 when every packet matched, 1 when some differed, 2 when the comparison could not run.",
                "Without --pin-dir/--pin no map is pinned (LIBBPF_PIN_BY_NAME is ignored): both engines start from the",
                "object's maps. With them the first engine (interp or jit) opens the pinned maps and the second",
                "starts from a copy of their contents, so a restart is compared with the kernel continuing from it."})
final class ParityCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "OBJ", description = "clang-built BPF object (libbpf style)")
    Path object;

    @Option(names = "--pcap", required = true, paramLabel = "FILE", description = "packets: pcap, pcapng, or hex text with one packet per line")
    Path pcap;

    @Option(names = "--program", paramLabel = "NAME", description = "program (function) name; needed when the object has several")
    String program;

    @Option(names = "--maps", paramLabel = "MAPS.yaml", description = "map entries preloaded into both engines")
    Path maps;

    @Option(names = "--exclude", paramLabel = "MAP[/KEYHEX]",
            description = "a map, or one entry, left out of the comparison (time/random dependent); repeatable")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--json", description = "print the report as one JSON object")
    boolean json;

    @Option(names = "--engines", paramLabel = "A,B", split = ",", hideParamSyntax = true, defaultValue = "interp,kernel",
            description = "the two engines to compare: interp, jit, kernel (default: ${DEFAULT-VALUE})")
    List<String> engines;

    @picocli.CommandLine.Mixin
    PinOptions pin = new PinOptions();

    @Option(names = "--trace", description = "print the interpreter's bpf_trace_printk output on stderr "
            + "(the kernel's goes to its trace pipe)")
    boolean trace;

    /** trace_printk lines would interleave with the report; the kernel's go to its trace pipe anyway. */
    private void quietTrace(XdpEngine e) {
        if (!trace && e instanceof LinkedXdpEngine l) {
            l.traceSink(TraceSink.discard());
        }
    }

    /** The pinned maps' contents, as engine a opened them, into b's maps of the same names. */
    private void copyPinned(BpfObject obj, XdpEngine a, XdpEngine b) {
        for (MapSpec m : obj.maps()) {
            String name = ProgCommand.mapName(m);
            if (m.pinning() == MapSpec.PIN_BY_NAME || pin.names.contains(name)) {
                for (MapEntry e : a.dumpMap(name)) {
                    b.updateMap(name, e.key(), e.values());
                }
            }
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (engines.size() != 2) {
            err.println("jxdp parity: --engines takes two engine names, got " + engines);
            return 2;
        }
        XdpEngine a = null;
        XdpEngine b = null;
        try {
            BpfObject obj = BpfObjectLoader.load(object);
            List<byte[]> packets = PacketFiles.read(pcap);
            Parity.Exclusions excluded = Parity.Exclusions.parse(exclude);
            MapsYaml preload = maps == null ? null : MapsYaml.parse(maps);
            if (pin.given() && "kernel".equals(engines.get(0))) {
                throw new IllegalArgumentException("--pin-dir and --pin open the pinned maps in the first engine, which"
                        + " must be interp or jit (e.g. --engines interp,kernel)");
            }
            a = Engines.create(engines.get(0), obj, program, pin.given() ? pin.pinning() : Pinning.NONE);
            b = Engines.create(engines.get(1), obj, program, Pinning.NONE);
            quietTrace(a);
            quietTrace(b);
            if (pin.given()) {
                copyPinned(obj, a, b);
            }
            if (preload != null) {
                preload.preload(a);
                preload.preload(b);
            }
            Parity.Report report = Parity.compare(a, b, packets, excluded);
            out.print(json ? report.json() : report.text());
            out.flush();
            return report.failed() == 0 ? 0 : 1;
        } catch (BpfLoadException | EngineException | IllegalArgumentException | UncheckedIOException e) {
            err.println("jxdp parity: " + e.getMessage());
            err.flush();
            return 2;
        } catch (IOException e) {
            err.println("jxdp parity: cannot read " + e.getMessage());
            err.flush();
            return 2;
        } finally {
            if (a != null) {
                a.close();
            }
            if (b != null) {
                b.close();
            }
        }
    }
}
