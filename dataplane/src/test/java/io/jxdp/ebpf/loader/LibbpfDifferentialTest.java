package io.jxdp.ebpf.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compares our linking with libbpf's: the {@code *.libbpf.txt} files hold
 * {@code bpf_program__insns} after {@code bpf_object__load} (libbpf 1.1, see
 * {@code libbpf-dump.c} and {@code make libbpf-dumps}). Every slot must be identical, except
 * the first-slot imm of map references (libbpf writes a file descriptor where we write the map
 * index) and instructions under a CO-RE relocation (libbpf resolves or poisons them against the
 * running kernel; we only report them).
 */
class LibbpfDifferentialTest {

    @ParameterizedTest
    @ValueSource(strings = {"globals", "subprogs", "mapinmap", "btfkinds"})
    void linkedInstructionsMatchLibbpf(String fixture) throws Exception {
        Map<String, long[]> libbpf = parse(fixture + ".libbpf.txt");
        BpfObject o = Fixtures.load(fixture + ".o");
        assertEquals(libbpf.keySet(), Set.copyOf(o.programs().stream().map(ProgramSpec::name).toList()));
        int compared = 0;
        for (ProgramSpec p : o.programs()) {
            long[] theirs = libbpf.get(p.name());
            long[] ours = p.instructions();
            assertEquals(theirs.length, ours.length, p.name() + " linked length");
            Set<Integer> mapInsns = new HashSet<>();
            p.mapRelocs().forEach(r -> mapInsns.add(r.insnIndex()));
            Set<Integer> coreInsns = new HashSet<>();
            p.coreRelocs().forEach(r -> coreInsns.add(r.insnIndex()));
            for (int i = 0; i < ours.length; i++) {
                if (coreInsns.contains(i)) {
                    continue;
                }
                long mask = mapInsns.contains(i) ? 0xffffffffL : -1L;
                assertEquals(theirs[i] & mask, ours[i] & mask,
                        String.format("%s %s insn %d: libbpf %016x, ours %016x", fixture, p.name(), i, theirs[i], ours[i]));
                compared++;
            }
        }
        assertTrue(compared > 0);
    }

    private static Map<String, long[]> parse(String resource) throws IOException {
        String text;
        try (InputStream in = LibbpfDifferentialTest.class.getResourceAsStream("/elf/" + resource)) {
            text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        Map<String, long[]> out = new LinkedHashMap<>();
        long[] cur = null;
        for (String line : List.of(text.split("\n"))) {
            String[] f = line.trim().split(" ");
            if (f[0].equals("program")) {
                cur = new long[Integer.parseInt(f[2])];
                out.put(f[1], cur);
            } else if (f.length == 2) {
                cur[Integer.parseInt(f[0])] = Long.parseUnsignedLong(f[1], 16);
            }
        }
        return out;
    }
}
