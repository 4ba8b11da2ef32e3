package io.jxdp.cli;

import io.jxdp.ebpf.asm.AsmException;
import io.jxdp.ebpf.asm.Assembler;
import io.jxdp.ebpf.isa.Program;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jxdp asm FILE [-o OUT.bin]}: assembles conformance-syntax source to raw little-endian slots. */
@Command(name = "asm", mixinStandardHelpOptions = true,
        description = "Assembles eBPF source (bpf_conformance '-- asm' syntax) into raw 8-byte little-endian slots.")
final class AsmCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "assembler source")
    Path file;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT.bin", description = "output file (default: FILE with .bin)")
    Path out;

    @Override
    public Integer call() throws Exception {
        Program p;
        try {
            p = Assembler.assemble(Files.readString(file));
        } catch (AsmException e) {
            System.err.println(file + ": " + e.getMessage());
            return 1;
        }
        Path target = out != null ? out : Path.of(file.toString().replaceFirst("\\.[^./]*$", "") + ".bin");
        Files.write(target, p.toBytes());
        System.out.println(target + ": " + p.length() + " slots");
        return 0;
    }
}
