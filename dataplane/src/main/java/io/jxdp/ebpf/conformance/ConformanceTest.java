package io.jxdp.ebpf.conformance;

import io.jxdp.ebpf.asm.Assembler;
import io.jxdp.ebpf.isa.Program;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One bpf_conformance {@code .data} file: sections {@code -- asm}, {@code -- raw} (overrides asm),
 * {@code -- mem}, {@code -- result}, {@code -- error}; {@code -- c} and other sections are ignored;
 * {@code #} starts a comment.
 *
 * @param name   the file name
 * @param program the program (from raw if present, else assembled)
 * @param memory  the input memory, empty when absent
 * @param hasMemory whether a {@code -- mem} section was present
 * @param result  the expected r0, when {@code -- result} is present
 * @param error   the expected error text, or null
 */
public record ConformanceTest(String name, Program program, byte[] memory, boolean hasMemory, Long result, String error) {

    /** Parses a file; syntax errors are reported as IllegalArgumentException naming the file. */
    public static ConformanceTest read(Path file) throws IOException {
        return parse(file.getFileName().toString(), Files.readString(file));
    }

    /** Parses the text of a file. */
    public static ConformanceTest parse(String name, String text) {
        StringBuilder asm = new StringBuilder();
        List<Long> raw = new ArrayList<>();
        List<Byte> mem = new ArrayList<>();
        boolean hasMem = false;
        boolean hasRaw = false;
        Long result = null;
        StringBuilder error = null;
        String section = null;
        String[] lines = text.split("\r?\n", -1);
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n];
            int hash = line.indexOf('#');
            String body = hash >= 0 ? line.substring(0, hash) : line;
            String t = body.strip();
            if (t.startsWith("--")) {
                asm.append('\n'); // one line out per line in: assembler errors name the file's own lines
                section = t.substring(2).strip();
                if (section.equals("mem")) {
                    hasMem = true;
                } else if (section.equals("raw")) {
                    hasRaw = true;
                } else if (section.equals("error")) {
                    error = new StringBuilder();
                }
                continue;
            }
            if (section == null) {
                asm.append('\n');
                continue;
            }
            try {
                switch (section) {
                    // keep line structure so assembler errors point at the file's own lines
                    case "asm" -> asm.append(body);
                    case "mem" -> {
                        for (String b : t.split("\\s+")) {
                            if (!b.isEmpty()) {
                                mem.add((byte) Integer.parseInt(b, 16));
                            }
                        }
                    }
                    case "raw" -> {
                        if (!t.isEmpty()) {
                            raw.add(number(t).longValue());
                        }
                    }
                    case "result" -> {
                        if (!t.isEmpty()) {
                            result = number(t).longValue();
                        }
                    }
                    case "error" -> {
                        if (!t.isEmpty()) {
                            error.append(error.isEmpty() ? "" : "\n").append(t);
                        }
                    }
                    default -> { }
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " line " + (n + 1) + ": bad number in -- " + section
                        + " section: '" + t + "'");
            }
            asm.append('\n');
        }
        Program program;
        if (hasRaw) {
            long[] slots = raw.stream().mapToLong(Long::longValue).toArray();
            program = Program.ofSlots(slots);
        } else {
            program = Assembler.assemble(asm.toString());
        }
        byte[] m = new byte[mem.size()];
        for (int i = 0; i < m.length; i++) {
            m[i] = mem.get(i);
        }
        return new ConformanceTest(name, program, m, hasMem, result, error == null ? null : error.toString());
    }

    /** Hex if it contains 0x, otherwise decimal; may be negative; 64-bit two's complement. */
    private static BigInteger number(String t) {
        String s = t.strip();
        boolean neg = s.startsWith("-");
        if (neg) {
            s = s.substring(1);
        }
        BigInteger v = s.startsWith("0x") || s.startsWith("0X") ? new BigInteger(s.substring(2), 16) : new BigInteger(s);
        if (v.bitLength() > 64) {
            throw new NumberFormatException(t);
        }
        return neg ? v.negate() : v;
    }
}
