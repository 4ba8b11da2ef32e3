package io.jxdp.cli;

import io.jxdp.ebpf.asm.Disassembler;
import io.jxdp.ebpf.isa.Program;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code jxdp disasm FILE.bin}: prints raw slots in the kernel/llvm-objdump syntax. */
@Command(name = "disasm", mixinStandardHelpOptions = true,
        description = "Disassembles raw 8-byte little-endian eBPF slots in the kernel (llvm-objdump) syntax.")
final class DisasmCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE.bin", description = "raw program")
    Path file;

    @Override
    public Integer call() throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length % 8 != 0) {
            System.err.println(file + ": length " + bytes.length + " is not a multiple of 8 bytes");
            return 1;
        }
        System.out.print(Disassembler.disassemble(Program.fromBytes(bytes)));
        return 0;
    }
}
