package io.jxdp.ebpf.jit;

import io.jxdp.ebpf.asm.Disassembler;
import io.jxdp.ebpf.isa.Program;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test support: the conformance suite's location and program listings for failure messages. */
final class Differential {
    private Differential() {
    }

    /** The suite directory: walk up to the repository root (has .git or the parent pom), then ../shared/.... */
    static Path suiteDir() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            boolean root = Files.exists(dir.resolve(".git"))
                    || (Files.exists(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("dataplane")));
            if (root) {
                return dir.resolve("../shared/conformance/bpf_conformance").normalize();
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
    }

    /** The program, one disassembled instruction per line, with slot numbers. */
    static String listing(Program p) {
        StringBuilder b = new StringBuilder();
        for (int pc = 0; pc < p.length(); pc++) {
            String text;
            try {
                text = Disassembler.format(p, pc);
            } catch (RuntimeException e) {
                text = String.format("0x%016x", p.slot(pc));
            }
            b.append(String.format("%5d: %s%n", pc, text));
        }
        return b.toString();
    }
}
