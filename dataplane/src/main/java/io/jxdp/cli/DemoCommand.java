package io.jxdp.cli;

import io.jxdp.ebpf.asm.Assembler;
import io.jxdp.ebpf.asm.Disassembler;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.interp.VmException;
import io.jxdp.ebpf.isa.Program;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jxdp demo}: assembles a built-in IPv4/UDP header checker, prints its disassembly and runs it
 * in the checked interpreter over a built-in (or given) Ethernet frame.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Assembles a built-in eBPF program (IPv4/UDP header check with the IPv4 header checksum),",
                "prints its disassembly, runs it over a packet and prints r0 and the instruction count.",
                "r0: the UDP destination port if the frame is valid IPv4/UDP with a correct header checksum,",
                "1 if the checksum is wrong, 0 if it is not IPv4/UDP or too short."})
final class DemoCommand implements Callable<Integer> {
    /** The demo program, in the conformance assembler syntax. r1 = frame, r2 = its length. */
    static final String PROGRAM = """
            # r1 = Ethernet frame, r2 = its length
            mov %r0, 0                  # verdict when not IPv4/UDP: 0
            jlt %r2, 42, exit           # Ethernet 14 + IPv4 20 + UDP 8
            ldxh %r3, [%r1+12]          # EtherType, network order
            be16 %r3
            jne %r3, 0x0800, exit
            ldxb %r3, [%r1+14]          # version 4, IHL 5 (no options)
            jne %r3, 0x45, exit
            ldxb %r3, [%r1+23]          # protocol
            jne %r3, 17, exit
            mov %r4, 0                  # one's-complement sum (RFC 1071)
            mov %r5, 0                  # byte index into the IPv4 header
            loop:
            mov %r6, %r1
            add %r6, %r5
            ldxh %r3, [%r6+14]
            be16 %r3
            add %r4, %r3
            add %r5, 2
            jlt %r5, 20, loop
            mov %r3, %r4                # fold the carries twice
            rsh %r3, 16
            and %r4, 0xffff
            add %r4, %r3
            mov %r3, %r4
            rsh %r3, 16
            add %r4, %r3
            and %r4, 0xffff
            jne %r4, 0xffff, bad        # a correct header sums to 0xffff
            ldxh %r0, [%r1+36]          # UDP destination port
            be16 %r0
            exit
            bad:
            mov %r0, 1
            exit
            """;

    @Option(names = "--packet", paramLabel = "HEX",
            description = "Ethernet frame as hex (default: a built-in IPv4/UDP frame to port 4789)")
    String packetHex;

    @Override
    public Integer call() {
        Program program = Assembler.assemble(PROGRAM);
        byte[] frame;
        try {
            frame = packetHex == null ? builtInFrame() : HexFormat.of().parseHex(packetHex.replaceAll("[\\s:]", ""));
        } catch (IllegalArgumentException e) {
            System.err.println("jxdp demo: --packet is not hex: " + e.getMessage());
            return 2;
        }
        System.out.println("Program (" + program.length() + " slots):");
        System.out.print(Disassembler.disassemble(program));
        System.out.println("Packet (" + frame.length + " bytes): " + HexFormat.of().formatHex(frame));
        Interpreter vm = new Interpreter(program, null, Interpreter.Mode.CHECKED);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mem = arena.allocate(Math.max(1, frame.length), 8);
            mem.copyFrom(MemorySegment.ofArray(frame));
            vm.regions().add("packet", mem.address(), frame.length, false);
            long r0 = vm.run(mem.address(), frame.length);
            System.out.println("r0 = " + r0 + " (0x" + Long.toHexString(r0) + ")");
            System.out.println("instructions executed: " + vm.instructionCount());
            return 0;
        } catch (VmException e) {
            System.out.println("fault: " + e.getMessage());
            System.out.println("instructions executed: " + vm.instructionCount());
            return 1;
        }
    }

    /** Ethernet + IPv4 198.18.0.1 -> 198.18.0.2 + UDP 12345 -> 4789 with 4 payload bytes. */
    static byte[] builtInFrame() {
        byte[] f = HexFormat.of().parseHex("020000000002" + "020000000001" + "0800" // Ethernet
                + "45000020" + "00004000" + "40110000" + "c6120001" + "c6120002"           // IPv4, checksum 0
                + "303912b5000c0000" + "deadbeef");                                      // UDP + payload
        int sum = 0;
        for (int i = 14; i < 34; i += 2) {
            sum += ((f[i] & 0xff) << 8) | (f[i + 1] & 0xff);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        int csum = ~sum & 0xffff;
        f[24] = (byte) (csum >>> 8);
        f[25] = (byte) csum;
        return f;
    }
}
