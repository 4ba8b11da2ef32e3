package io.jxdp.cli;

import io.jxdp.ffi.net.Link;
import io.jxdp.ffi.net.NetNs;
import io.jxdp.ffi.pcap.PcapPacket;
import io.jxdp.ffi.pcap.PcapReader;
import io.jxdp.port.PacketTemplate;
import io.jxdp.port.TrafficGenerator;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jxdp gen}: a packet generator over BPF_PROG_TEST_RUN live frames (AF_PACKET fallback),
 * bounded by --duration and optionally by --count; prints the rate every second and a summary.
 */
@Command(name = "gen", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Transmits a template frame out of an interface through BPF_PROG_TEST_RUN with "
                + "BPF_F_TEST_XDP_LIVE_FRAMES (XDP_TX with ingress_ifindex = the interface), else through "
                + "BPF_PROG_TEST_RUN of a TC program calling bpf_clone_redirect (--burst clones per run), "
                + "else through an AF_PACKET TX ring.",
                "The TCP/UDP source port varies per packet over --flows values (checksum kept valid).",
                "On a veth, live frames reach the peer only if the peer has an XDP program (or GRO) on."})
final class GenCommand implements Callable<Integer> {
    @Option(names = "--dev", required = true, paramLabel = "IF", description = "interface to send out of")
    String dev;

    @Option(names = "--netns", paramLabel = "NS", description = "network namespace of IF (ip netns name)")
    String netns;

    static final class Kind {
        @Option(names = "--template", paramLabel = "PCAP", description = "send the first frame of this pcap/pcapng file")
        Path template;
        @Option(names = "--udp", description = "build a UDP frame (the default)")
        boolean udp;
        @Option(names = "--tcp", description = "build a TCP SYN frame")
        boolean tcp;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Kind kind;

    @Option(names = "--flows", defaultValue = "1", paramLabel = "N", description = "distinct source ports (default ${DEFAULT-VALUE})")
    int flows;

    @Option(names = "--rate", defaultValue = "max", paramLabel = "PPS|max", description = "packets per second over all threads (default ${DEFAULT-VALUE})")
    String rate;

    @Option(names = "--duration", required = true, paramLabel = "S", description = "seconds to send, at most 600")
    double duration;

    @Option(names = "--count", defaultValue = "0", paramLabel = "N", description = "stop after exactly N packets (0: no count bound)")
    long count;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "T", description = "sender threads, each pinned to a CPU (default ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--size", defaultValue = "60", paramLabel = "BYTES", description = "frame size without FCS for --udp/--tcp (default ${DEFAULT-VALUE}: a 64-byte wire frame)")
    int size;

    @Option(names = "--src-mac", paramLabel = "MAC", description = "default: IF's address")
    String srcMac;

    @Option(names = "--dst-mac", defaultValue = "ff:ff:ff:ff:ff:ff", paramLabel = "MAC", description = "default: ${DEFAULT-VALUE}")
    String dstMac;

    @Option(names = "--src-ip", defaultValue = "198.18.0.1", paramLabel = "IPV4", description = "default: ${DEFAULT-VALUE}")
    String srcIp;

    @Option(names = "--dst-ip", defaultValue = "198.18.0.2", paramLabel = "IPV4", description = "default: ${DEFAULT-VALUE}")
    String dstIp;

    @Option(names = "--src-port", defaultValue = "1024", paramLabel = "PORT", description = "first source port (default ${DEFAULT-VALUE})")
    int srcPort;

    @Option(names = "--dst-port", defaultValue = "9", paramLabel = "PORT", description = "default: ${DEFAULT-VALUE} (discard)")
    int dstPort;

    @Option(names = "--mode", defaultValue = "auto", paramLabel = "auto|live|clone|afpacket", description = "transmit path; auto tries them in this order (default ${DEFAULT-VALUE})")
    TrafficGenerator.Mode mode;

    @Option(names = "--burst", defaultValue = "" + TrafficGenerator.Config.DEFAULT_BURST, paramLabel = "N",
            description = "clone mode: frames per program run, one flow each run; 1 varies the flow per frame at a cost (default ${DEFAULT-VALUE})")
    int burst;

    @Option(names = "--quiet", description = "no per-second lines")
    boolean quiet;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PacketTemplate template;
        long pps;
        try {
            pps = rate.equalsIgnoreCase("max") ? 0 : Long.parseLong(rate);
            template = template();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--template " + kind.template
                    + ": no such file");
        } catch (java.io.IOException | io.jxdp.ffi.pcap.PcapFormatException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--template " + kind.template + ": "
                    + e.getMessage());
        } catch (io.jxdp.ffi.sys.NativeException e) {
            System.err.println("jxdp gen: " + e.getMessage());
            return 1;
        }
        TrafficGenerator.Config c;
        try {
            c = new TrafficGenerator.Config(dev, netns, template, flows, pps, duration, count, threads, mode, burst);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        long[] second = {0};
        TrafficGenerator.Report r;
        try {
            r = TrafficGenerator.run(c, quiet ? null : p -> System.out.println("gen: [" + ++second[0] + " s] " + p));
        } catch (io.jxdp.ffi.sys.NativeException | IllegalStateException e) {
            // Named errors (no such interface, no privilege, live frames refused): the message is the report.
            System.err.println("jxdp gen: " + e.getMessage());
            return 1;
        }
        System.out.println("gen: sent " + r);
        return 0;
    }

    private PacketTemplate template() throws java.io.IOException {
        if (kind != null && kind.template != null) {
            List<PcapPacket> packets = PcapReader.readAll(kind.template);
            if (packets.isEmpty()) {
                throw new IllegalArgumentException("--template " + kind.template + ": the file has no packets");
            }
            return PacketTemplate.parse(packets.get(0).data());
        }
        byte[] smac = srcMac != null ? mac("--src-mac", srcMac) : deviceMac();
        byte[] dmac = mac("--dst-mac", dstMac);
        byte[] sip = ipv4("--src-ip", srcIp);
        byte[] dip = ipv4("--dst-ip", dstIp);
        boolean tcp = kind != null && kind.tcp;
        return tcp ? PacketTemplate.tcp(smac, dmac, sip, dip, srcPort, dstPort, size)
                : PacketTemplate.udp(smac, dmac, sip, dip, srcPort, dstPort, size);
    }

    private byte[] deviceMac() {
        try (NetNs.Scope ignored = netns == null ? null : NetNs.enter(netns)) {
            return Link.byName(dev).mac();
        }
    }

    static byte[] mac(String option, String text) {
        String[] parts = text.split("[:-]");
        if (parts.length != 6) {
            throw new IllegalArgumentException(option + ": '" + text + "' is not a MAC address like 02:00:00:00:00:01");
        }
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            if (!parts[i].matches("[0-9a-fA-F]{1,2}")) {
                throw new IllegalArgumentException(option + ": '" + text + "' is not a MAC address (byte " + (i + 1) + ")");
            }
            b[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return b;
    }

    static byte[] ipv4(String option, String text) {
        String[] parts = text.split("\\.", -1);
        byte[] b = new byte[4];
        boolean ok = parts.length == 4;
        for (int i = 0; ok && i < 4; i++) {
            ok = parts[i].matches("\\d{1,3}") && Integer.parseInt(parts[i]) <= 255;
            if (ok) {
                b[i] = (byte) Integer.parseInt(parts[i]);
            }
        }
        if (!ok) {
            throw new IllegalArgumentException(option + ": '" + text + "' is not a dotted IPv4 address like 198.18.0.1");
        }
        return b;
    }
}
