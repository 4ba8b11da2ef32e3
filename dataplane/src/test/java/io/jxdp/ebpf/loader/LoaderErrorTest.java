package io.jxdp.ebpf.loader;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.elf.ElfFile;
import io.jxdp.ebpf.elf.ElfSection;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Each kind of damage gives a BpfLoadException whose message names what and where. */
class LoaderErrorTest {

    private static void put(byte[] b, long at, int width, long v) {
        for (int i = 0; i < width; i++) {
            b[(int) at + i] = (byte) (v >>> (8 * i));
        }
    }

    private static long get(byte[] b, long at, int width) {
        long v = 0;
        for (int i = width - 1; i >= 0; i--) {
            v = (v << 8) | (b[(int) at + i] & 0xffL);
        }
        return v;
    }

    private static ElfSection sec(byte[] b, String name) {
        return ElfFile.parse(b).section(name).orElseThrow();
    }

    private static long shdr(byte[] b, ElfSection s) {
        return get(b, 0x28, 8) + 64L * s.index();
    }

    private static String fails(String fixture, byte[] b, String... expected) {
        BpfLoadException e = assertThrows(BpfLoadException.class, () -> BpfObjectLoader.load(fixture, b));
        String msg = e.getMessage();
        for (String x : expected) {
            assertTrue(msg.contains(x), "message lacks '" + x + "': " + msg);
        }
        assertTrue(!msg.contains("internal error"), msg);
        return msg;
    }

    @Test
    void truncatedHeader() {
        fails("globals.o", Arrays.copyOf(Fixtures.bytes("globals.o"), 40), "ELF header truncated", "40 bytes");
    }

    @Test
    void wrongClassEndiannessMachine() {
        byte[] b = Fixtures.bytes("globals.o");
        b[4] = 1;
        fails("globals.o", b, "ELFCLASS64", "offset 4");
        b = Fixtures.bytes("globals.o");
        b[5] = 2;
        fails("globals.o", b, "little-endian", "offset 5");
        b = Fixtures.bytes("globals.o");
        put(b, 18, 2, 62);
        fails("globals.o", b, "machine 62", "offset 18", "EM_BPF");
        b = Fixtures.bytes("globals.o");
        b[0] = 0;
        fails("globals.o", b, "bad magic");
    }

    @Test
    void sectionOutsideFile() {
        byte[] b = Fixtures.bytes("globals.o");
        ElfSection xdp = sec(b, "xdp");
        put(b, shdr(b, xdp) + 32, 8, 1L << 40);
        fails("globals.o", b, "section " + xdp.index(), "outside the file");
        b = Fixtures.bytes("globals.o");
        put(b, 0x28, 8, b.length - 10);
        fails("globals.o", b, "section header table", "outside the file");
    }

    @Test
    void sectionNameOutsideStringTable() {
        byte[] b = Fixtures.bytes("globals.o");
        ElfSection xdp = sec(b, "xdp");
        put(b, shdr(b, xdp), 4, 0x7fff0000L);
        fails("globals.o", b, "name of section " + xdp.index(), "string offset", "outside");
    }

    @Test
    void badRelocationType() {
        byte[] b = Fixtures.bytes("globals.o");
        ElfSection rel = sec(b, ".relxdp");
        put(b, rel.offset() + 8, 4, 99);
        fails("globals.o", b, "'.relxdp'", "bad relocation type 99", "file offset " + rel.offset());
    }

    @Test
    void relocationAgainstMissingSymbol() {
        byte[] b = Fixtures.bytes("globals.o");
        ElfSection rel = sec(b, ".relxdp");
        put(b, rel.offset() + 12, 4, 9999);
        fails("globals.o", b, "missing symbol #9999", "'xdp'", "offset 48");
    }

    @Test
    void relocationOnNonLdImm64() {
        byte[] b = Fixtures.bytes("globals.o");
        ElfSection rel = sec(b, ".relxdp");
        put(b, rel.offset(), 8, 0x40); // move drop_port's relocation from insn 6 (ld_imm64) to insn 8 (ldxw)
        fails("globals.o", b, "section 'xdp'", "byte offset 64", "symbol 'drop_port'", "expected a complete ld_imm64");
    }

    @Test
    void garbledBtfKind() {
        byte[] b = Fixtures.bytes("globals.o");
        ElfSection btf = sec(b, ".BTF");
        long hdrLen = get(b, btf.offset() + 4, 4);
        long typeOff = get(b, btf.offset() + 8, 4);
        long first = btf.offset() + hdrLen + typeOff;
        long info = get(b, first + 4, 4);
        put(b, first + 4, 4, (info & ~(0x1fL << 24)) | (31L << 24));
        fails("globals.o", b, "type [1]", "unknown kind 31", ".BTF offset " + (hdrLen + typeOff));
    }

    @Test
    void btfOffsetsOutOfRange() {
        byte[] b = Fixtures.bytes("globals.o");
        ElfSection btf = sec(b, ".BTF");
        put(b, btf.offset() + 20, 4, 0x10000000L);
        fails("globals.o", b, ".BTF offset 16", "string section", "outside");
        b = Fixtures.bytes("globals.o");
        long hdrLen = get(b, btf.offset() + 4, 4);
        long typeOff = get(b, btf.offset() + 8, 4);
        put(b, btf.offset() + hdrLen + typeOff + 8, 4, 0x7fffff); // [1]'s referenced type id
        fails("globals.o", b, "[1]", "id 8388607 out of range");
        b = Fixtures.bytes("globals.o");
        ElfSection ext = sec(b, ".BTF.ext");
        put(b, ext.offset() + 12, 4, 0x7fffffff);
        fails("globals.o", b, ".BTF.ext", "func_info", "outside");
    }

    @Test
    void unknownBtfMapField() {
        byte[] b = Fixtures.bytes("globals.o");
        ElfSection btf = sec(b, ".BTF");
        byte[] needle = "max_entries\0".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(b, needle, (int) btf.offset(), (int) (btf.offset() + btf.size()));
        b[at + 10] = 'z';
        fails("globals.o", b, "unknown map definition field 'max_entriez'", "section '.maps'", "symbol 'flows.max_entriez'");
    }

    @Test
    void callIntoTheMiddleOfAFunction() {
        byte[] b = Fixtures.bytes("subprogs.o");
        ElfSection text = sec(b, ".text");
        // .text insn 6 is twice's `call -7` (to mix at 0); -6 lands on mix's second instruction
        long at = text.offset() + 6 * 8;
        put(b, at + 4, 4, -6);
        fails("subprogs.o", b, "section '.text'", "byte offset 48", "'mix'", "not at its start");
    }

    @Test
    void staticEntryProgramIsRefused() {
        byte[] b = Fixtures.bytes("subprogs.o");
        ElfFile elf = ElfFile.parse(b);
        var sym = elf.symbols().stream().filter(s -> s.name().equals("xdp_first")).findFirst().orElseThrow();
        ElfSection symtab = elf.section(elf.symtabIndex());
        b[(int) (symtab.offset() + 24L * sym.index() + 4)] = 0x02; // STB_LOCAL, STT_FUNC
        fails("subprogs.o", b, "symbol 'xdp_first'", "static");
    }

    @Test
    void globalDataOffsetOutsideTheSection() {
        byte[] b = Fixtures.bytes("globals.o");
        ElfSection xdp = sec(b, "xdp");
        // insn 23 is `r1 = seen_a ll` (relocated against seen_a, value 8): imm is the addend
        put(b, xdp.offset() + 23 * 8 + 4, 4, 100);
        fails("globals.o", b, "section 'xdp'", "byte offset 184", "'seen_a'", "offset 108", "12 bytes");
    }

    @Test
    void programTooLarge() {
        int insns = BpfObjectLoader.MAX_INSNS + 1;
        byte[] b = TinyElf.withProgram("xdp", insns);
        fails("big.o", b, "section 'xdp'", "program too large", String.valueOf(insns));
        try { // the same builder with a small program loads
            BpfObject o = BpfObjectLoader.load("ok.o", TinyElf.withProgram("xdp", 3));
            assertTrue(o.program("prog").orElseThrow().instructionCount() == 3);
        } catch (BpfLoadException e) {
            throw new AssertionError(e);
        }
    }

    private static int indexOf(byte[] hay, byte[] needle, int from, int to) {
        outer:
        for (int i = from; i + needle.length <= to; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
