package io.jxdp.ebpf.loader;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jxdp.ebpf.elf.ElfFile;
import io.jxdp.ebpf.elf.ElfSection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded mutation testing: thousands of damaged copies of each fixture must each either load
 * or fail with a {@link BpfLoadException} that is not an "internal error" (i.e. validation,
 * not the catch-all, caught the damage), and every batch must finish in bounded time.
 */
class LoaderMutationTest {
    private static final int FLIPS = 3000;
    private static final int FIELDS = 3000;
    private static final long[] BOUNDARY = {0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffffL, 0x80000000L,
        0xffffffffL, Long.MAX_VALUE, Long.MIN_VALUE, -1L, -8L, 1_000_001L};

    static Stream<Arguments> fixtures() {
        return Arrays.stream(Fixtures.ALL).map(Arguments::of);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void truncationAtEveryStructuralOffset(String fixture) {
        byte[] orig = Fixtures.bytes(fixture);
        TreeSet<Integer> cuts = new TreeSet<>();
        for (Field f : fields(orig)) {
            cuts.add(f.at);
            cuts.add(f.at + 1);
            cuts.add(f.at + f.width - 1);
        }
        for (ElfSection s : ElfFile.parse(orig).sections()) {
            if (s.type() != ElfSection.SHT_NOBITS) {
                cuts.add((int) s.offset());
                cuts.add((int) (s.offset() + s.size()));
                cuts.add((int) (s.offset() + s.size()) - 1);
            }
        }
        for (int i = 0; i < 64; i++) {
            cuts.add(i);
        }
        int[] outcome = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int cut : cuts) {
                if (cut >= 0 && cut < orig.length) {
                    check(fixture, "truncated to " + cut, Arrays.copyOf(orig, cut), outcome);
                }
            }
            // The section table sits at the end of the file, so also cut each section short in
            // place (smaller sh_size) at every byte: that reaches the BTF, symbol, relocation,
            // map and instruction parsers rather than stopping at the header.
            long shoff = ElfFileFields.shoff(orig);
            for (ElfSection s : ElfFile.parse(orig).sections()) {
                if (s.type() == ElfSection.SHT_NULL || s.name().startsWith(".debug") || s.name().startsWith(".rel.debug")) {
                    continue;
                }
                for (long size = 0; size < s.size(); size++) {
                    byte[] m = orig.clone();
                    int at = (int) (shoff + 64L * s.index() + 32);
                    for (int b = 0; b < 8; b++) {
                        m[at + b] = (byte) (size >>> (8 * b));
                    }
                    check(fixture, s.name() + " cut to " + size + " bytes", m, outcome);
                }
            }
        });
        assertTrue(cuts.size() > 100, "structural offsets found: " + cuts.size());
        assertBothOutcomes(fixture, outcome);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void randomByteFlips(String fixture) {
        byte[] orig = Fixtures.bytes(fixture);
        Random rnd = new Random(0x5eed0000L + fixture.hashCode());
        int[] outcome = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < FLIPS; i++) {
                byte[] m = orig.clone();
                int n = 1 + rnd.nextInt(4);
                StringBuilder what = new StringBuilder("flip");
                for (int j = 0; j < n; j++) {
                    int at = rnd.nextInt(m.length);
                    int mask = 1 + rnd.nextInt(255);
                    m[at] ^= (byte) mask;
                    what.append(' ').append(at).append("^0x").append(Integer.toHexString(mask));
                }
                check(fixture, what.toString(), m, outcome);
            }
        });
        assertBothOutcomes(fixture, outcome);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void structuralFieldsOverwrittenWithBoundaryValues(String fixture) {
        byte[] orig = Fixtures.bytes(fixture);
        List<Field> fields = fields(orig);
        Random rnd = new Random(0xf1e1d000L + fixture.hashCode());
        int[] outcome = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            // every field once with a value from the boundary list, then random extra mutants
            for (int i = 0; i < Math.max(FIELDS, fields.size()); i++) {
                Field f = i < fields.size() ? fields.get(i) : fields.get(rnd.nextInt(fields.size()));
                long v = rnd.nextInt(4) == 0 ? orig.length + rnd.nextInt(3) - 1 : BOUNDARY[rnd.nextInt(BOUNDARY.length)];
                byte[] m = orig.clone();
                for (int b = 0; b < f.width; b++) {
                    m[f.at + b] = (byte) (v >>> (8 * b));
                }
                check(fixture, f.what + " @" + f.at + " := 0x" + Long.toHexString(v), m, outcome);
            }
        });
        assertTrue(outcome[1] > 0, "mutants loaded/refused: " + Arrays.toString(outcome));
        assertTrue(fields.size() > 100, "fields found: " + fields.size());
    }

    /** Loadable fixtures must yield some loadable mutants too, or the mutations are too crude to test anything. */
    private static void assertBothOutcomes(String fixture, int[] outcome) {
        boolean loadable = Arrays.asList(Fixtures.LOADABLE).contains(fixture);
        assertTrue(outcome[1] > 0 && (outcome[0] > 0 || !loadable),
                fixture + " mutants loaded/refused: " + Arrays.toString(outcome));
    }

    /** outcome[0] counts mutants that loaded, outcome[1] those refused. */
    private static void check(String fixture, String mutation, byte[] bytes, int[] outcome) {
        try {
            BpfObject o = BpfObjectLoader.load(fixture, bytes);
            for (ProgramSpec p : o.programs()) {
                LinkInvariants.check(p);
            }
            outcome[0]++;
        } catch (BpfLoadException e) {
            outcome[1]++;
            if (e.getMessage() == null || e.getMessage().contains("internal error")) {
                fail(fixture + " " + mutation + ": validation gap: " + e.getMessage(), e);
            }
        } catch (Throwable t) {
            fail(fixture + " " + mutation + ": escaped " + t, t);
        }
    }

    /** One little-endian field of the ELF structures (header, section headers, symbols, relocations, BTF). */
    record Field(int at, int width, String what) {
    }

    static List<Field> fields(byte[] b) {
        List<Field> out = new ArrayList<>();
        int[][] ehdr = {{0x10, 2}, {0x12, 2}, {0x14, 4}, {0x28, 8}, {0x34, 2}, {0x3a, 2}, {0x3c, 2}, {0x3e, 2}};
        for (int[] f : ehdr) {
            out.add(new Field(f[0], f[1], "ehdr"));
        }
        ElfFile elf = ElfFile.parse(b);
        long shoff = ElfFileFields.shoff(b);
        int[][] shdr = {{0, 4}, {4, 4}, {8, 8}, {24, 8}, {32, 8}, {40, 4}, {44, 4}, {56, 8}};
        for (ElfSection s : elf.sections()) {
            int base = (int) (shoff + 64L * s.index());
            for (int[] f : shdr) {
                out.add(new Field(base + f[0], f[1], "shdr " + s.name()));
            }
            if (s.type() == ElfSection.SHT_SYMTAB) {
                for (long at = s.offset(); at < s.offset() + s.size(); at += 24) {
                    int a = (int) at;
                    out.add(new Field(a, 4, "sym.name"));
                    out.add(new Field(a + 4, 1, "sym.info"));
                    out.add(new Field(a + 6, 2, "sym.shndx"));
                    out.add(new Field(a + 8, 8, "sym.value"));
                    out.add(new Field(a + 16, 8, "sym.size"));
                }
            } else if (s.type() == ElfSection.SHT_REL && !s.name().contains("debug")) {
                for (long at = s.offset(); at < s.offset() + s.size(); at += 16) {
                    out.add(new Field((int) at, 8, "rel.offset " + s.name()));
                    out.add(new Field((int) at + 8, 4, "rel.type " + s.name()));
                    out.add(new Field((int) at + 12, 4, "rel.sym " + s.name()));
                }
            } else if (s.name().equals(".BTF") || s.name().equals(".BTF.ext") || s.name().equals(".maps")
                    || s.name().equals("maps")) {
                for (long at = s.offset(); at + 4 <= s.offset() + s.size(); at += 4) {
                    out.add(new Field((int) at, 4, s.name()));
                }
            } else if (s.isExecutable()) {
                for (long at = s.offset(); at + 8 <= s.offset() + s.size(); at += 8) {
                    out.add(new Field((int) at, 1, "insn.code " + s.name()));
                    out.add(new Field((int) at + 1, 1, "insn.regs " + s.name()));
                    out.add(new Field((int) at + 4, 4, "insn.imm " + s.name()));
                }
            }
        }
        return out;
    }

    /** Reads e_shoff without going through the parser under test's private helpers. */
    static final class ElfFileFields {
        static long shoff(byte[] b) {
            long v = 0;
            for (int i = 7; i >= 0; i--) {
                v = (v << 8) | (b[0x28 + i] & 0xffL);
            }
            return v;
        }
    }
}
