package io.jxdp.ebpf.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
 * running kernel; we only report them). The map lines (name, type, key/value size, max
 * entries, flags as libbpf would create them) must match exactly, in order.
 */
class LibbpfDifferentialTest {

    @ParameterizedTest
    @ValueSource(strings = {"globals", "subprogs", "mapinmap", "btfkinds", "strings"})
    void linkedInstructionsMatchLibbpf(String fixture) throws Exception {
        List<String> libbpfMaps = new ArrayList<>();
        Map<String, long[]> libbpf = parse(fixture + ".libbpf.txt", libbpfMaps);
        BpfObject o = Fixtures.load(fixture + ".o");
        // map order, names (internal_map_name), type, sizes and flags (RDONLY_PROG, MMAPABLE)
        List<String> ours = o.maps().stream().map(m -> String.format("map %s %d %d %d %d 0x%x", m.name(), m.type(),
                m.keySize(), m.valueSize(), m.maxEntries(), m.flags())).toList();
        assertEquals(libbpfMaps, ours);
        assertEquals(libbpf.keySet(), Set.copyOf(o.programs().stream().map(ProgramSpec::name).toList()));
        int compared = 0;
        for (ProgramSpec p : o.programs()) {
            long[] theirs = libbpf.get(p.name());
            long[] mine = p.instructions();
            assertEquals(theirs.length, mine.length, p.name() + " linked length");
            Set<Integer> mapInsns = new HashSet<>();
            p.mapRelocs().forEach(r -> mapInsns.add(r.insnIndex()));
            Set<Integer> coreInsns = new HashSet<>();
            p.coreRelocs().forEach(r -> coreInsns.add(r.insnIndex()));
            for (int i = 0; i < mine.length; i++) {
                if (coreInsns.contains(i)) {
                    continue;
                }
                long mask = mapInsns.contains(i) ? 0xffffffffL : -1L;
                assertEquals(theirs[i] & mask, mine[i] & mask,
                        String.format("%s %s insn %d: libbpf %016x, ours %016x", fixture, p.name(), i, theirs[i], mine[i]));
                compared++;
            }
        }
        assertTrue(compared > 0);
    }

    private static Map<String, long[]> parse(String resource, List<String> maps) throws IOException {
        String text;
        try (InputStream in = LibbpfDifferentialTest.class.getResourceAsStream("/elf/" + resource)) {
            text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        Map<String, long[]> out = new LinkedHashMap<>();
        long[] cur = null;
        for (String line : List.of(text.split("\n"))) {
            String[] f = line.trim().split(" ");
            if (f[0].equals("map")) {
                maps.add(line.trim());
            } else if (f[0].equals("program")) {
                cur = new long[Integer.parseInt(f[2])];
                out.put(f[1], cur);
            } else if (f.length == 2) {
                cur[Integer.parseInt(f[0])] = Long.parseUnsignedLong(f[1], 16);
            }
        }
        return out;
    }
}
