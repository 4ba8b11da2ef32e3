package io.jxdp.ebpf.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Facts from {@code llvm-readelf-19 -S -s -r globals.o}. */
class ElfFileTest {
    static byte[] fixture(String name) throws IOException {
        try (InputStream in = ElfFileTest.class.getResourceAsStream("/elf/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void sectionsSymbolsAndRelocationsMatchReadelf() throws IOException {
        ElfFile elf = ElfFile.parse(fixture("globals.o"));
        assertEquals(30, elf.sections().size());
        ElfSection xdp = elf.section("xdp").orElseThrow();
        assertEquals(3, xdp.index());
        assertEquals(0x40, xdp.offset());
        assertEquals(0x190, xdp.size());
        assertTrue(xdp.isExecutable());
        ElfSection bss = elf.section(".bss").orElseThrow();
        assertEquals(ElfSection.SHT_NOBITS, bss.type());
        assertEquals(12, bss.size());
        assertEquals(12, elf.data(bss, 64).length);
        assertThrows(ElfFormatException.class, () -> elf.data(bss, 4));
        assertEquals(29, elf.symtabIndex());
        assertEquals(21, elf.symbols().size());
        ElfSymbol stats = elf.symbols().get(19);
        assertEquals("stats", stats.name());
        assertEquals(0x28, stats.value());
        assertEquals(40, stats.size());
        assertEquals(8, stats.sectionIndex());
        assertEquals(ElfSymbol.STT_OBJECT, stats.type());
        assertEquals(ElfSymbol.STB_GLOBAL, stats.bind());
        ElfSymbol fn = elf.symbols().get(11);
        assertEquals("xdp_globals", fn.name());
        assertEquals(ElfSymbol.STT_FUNC, fn.type());
        assertEquals(400, fn.size());
        List<ElfRelocation> rels = elf.relocations(elf.section(".relxdp").orElseThrow());
        assertEquals(8, rels.size());
        assertEquals(new ElfRelocation(0x30, 12, ElfRelocation.R_BPF_64_64), rels.get(0));
        assertEquals(new ElfRelocation(0x150, 19, ElfRelocation.R_BPF_64_64), rels.get(7));
        List<ElfRelocation> btfRels = elf.relocations(elf.section(".rel.BTF").orElseThrow());
        assertEquals(ElfRelocation.R_BPF_64_NODYLD32, btfRels.get(0).type());
        assertEquals(ElfRelocation.R_BPF_64_ABS32, btfRels.get(6).type());
        assertThrows(ElfFormatException.class, () -> elf.symbol(21, xdp, 0));
        assertThrows(ElfFormatException.class, () -> elf.section(30));
    }

    @Test
    void stringWithoutTerminatorIsRejected() throws IOException {
        byte[] b = fixture("globals.o");
        ElfFile elf = ElfFile.parse(b);
        ElfSection strtab = elf.section(".strtab").orElseThrow();
        // point the symbol table's string table at the last byte of .strtab and drop its NUL
        b[(int) (strtab.offset() + strtab.size() - 1)] = 'x';
        ElfFormatException e = assertThrows(ElfFormatException.class, () -> ElfFile.parse(b));
        assertTrue(e.getMessage().contains("not NUL-terminated"), e.getMessage());
    }
}
